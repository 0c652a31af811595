"""Sections several leaderboard pages show: a Pareto front of time against quality, the true vs imputed
histograms with their statistics, and the list of jobs that did not succeed."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd

from .. import facts
from ..figures import Figure
from ..frames import primary_metric, rate_label
from . import Site
from .html import slug
from .view import METRIC_LABELS, LeaderboardView

HISTOGRAM_FEATURES = 3
FAILURES_SHOWN = 200
NO_SAMPLES = ("No samples of imputed values in this store: the runner writes them to results/samples/ (a bounded "
              "sample of masked cells per job); re-run to get histograms.")


def pareto_figure(site: Site, view: LeaderboardView, setting: str, name: str, highlight: str | None,
                  priority: str = "pareto", dataset: str | None = None, metric: str | None = None) -> Figure:
    """Mean time per job against mean rank on ``metric`` (None: the setting's primary metric), over every
    dataset or one (:meth:`.frames.LeaderboardFrames.pareto`), ``highlight`` (an imputer) marked; a figure of
    a given ``metric`` carries it for the page's Metric filter."""
    attrs = {"setting": setting, **({"metric": metric} if metric else {})}
    data = view.frames.pareto(setting, dataset, metric)
    if isinstance(data, str):
        return Figure(setting, attrs, note=data)
    points, front = data
    label = METRIC_LABELS[metric or primary_metric(setting, view.frames.metrics)]
    caption = (f"{setting}: time against mean rank on {label} (lower is better on both); "
               f"on the front: {', '.join(points['imputer'][front])}")
    return site.figure(name, caption, priority, "pareto_plot",
                       (points, f"mean rank, {label}", front, view.colours, highlight), attrs)


def no_samples_note(reference: Mapping[str, Any] | None) -> str:
    """Why a page has no histograms: a reference set that predates samples says so, by name."""
    if reference and not reference.get("has_samples", True):
        return (f"No histograms: reference set {reference['name']} predates samples of imputed cells (a set "
                "carries them since `reference compute` writes them beside its rows), so its jobs have none; the "
                "overview lists the pages this leaves without histograms.")
    return NO_SAMPLES


def samples_section(site: Site, samples: pd.DataFrame | None, name: str, panel_key: str,
                    panels: Sequence[str]) -> dict[str, Any]:
    """Histograms per sampled feature (one panel per ``panel_key`` value) and descriptive statistics,
    true vs imputed; a note when there are no samples."""
    if samples is None or samples.empty:
        return {"note": no_samples_note(site.reference)}
    first = samples.iloc[0]
    condition = (f"{first['setting']}, {first['mechanism'].upper()}, rate {rate_label(first['rate'])}, "
                 f"seed {first['seed']}")
    features = list(dict.fromkeys(samples["feature"]))[:HISTOGRAM_FEATURES]
    figures, stat_rows = [], []
    for feature in features:
        part = samples[samples["feature"] == feature].rename(columns={panel_key: "panel"})
        # Imputers on one dataset share an x range; datasets (an imputer's page) each keep their own.
        figures.append(site.figure(f"hist-{name}-{slug(feature)}", f"{feature}: true vs imputed at masked cells",
                                   "histogram", "histograms", (part, feature, list(panels), panel_key == "imputer"),
                                   {"feature": feature}))
        if not part["categorical"].any():
            stat_rows += [{"feature": feature, **row} for row in facts.sample_statistics(part)]
    stats = pd.DataFrame(stat_rows)
    data = site.write_table(f"describe-{name}", stats, f"descriptive statistics, {name}") if len(stats) else None
    return {"condition": condition, "features": features, "figures": figures, "stats": stats.to_dict("records"),
            "data": data}


def failures_list(failures: pd.DataFrame) -> dict[str, Any]:
    """The first jobs that did not succeed and how many there are, for the failures table."""
    return {"failures": failures.head(FAILURES_SHOWN).to_dict("records"), "n_failures": len(failures)}
