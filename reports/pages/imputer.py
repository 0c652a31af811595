"""The imputer pages: its standing per setting, mean rank against the missing rate, its cells per dataset,
time against quality, histograms of its imputed values and the jobs of it that did not succeed."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import facts
from ..figures import Figure
from ..frames import primary_metric, split
from . import Site
from .html import fmt, percent, slug
from .sections import failures_list, pareto_figure, samples_section
from .view import METRIC_HEADERS, METRIC_LABELS, LeaderboardView, leaderboard_view


def standing_row(setting: str, metric: str, standing: dict[str, float]) -> dict[str, Any]:
    return {"setting": setting, "metric": METRIC_HEADERS.get(metric, metric), "mean_rank": fmt(standing["mean_rank"], 2),
            "ci": f"{fmt(standing['ci_low'], 2)} – {fmt(standing['ci_high'], 2)}",
            "win_rate": percent(standing["win_rate"]), "n_ok": standing["n_ok"], "n_bad": standing["n_bad"]}


def standing_and_figures(site: Site, view: LeaderboardView, imputer: str,
                         boards: pd.DataFrame) -> tuple[list[dict[str, Any]], list[Figure], list[Figure]]:
    """Per setting, on its primary metric: the pooled standing, the rank curve and the Pareto front."""
    summaries, figures, paretos = [], [], []
    for setting in view.frames.settings:
        metric = primary_metric(setting, view.frames.metrics)
        mine = boards[(boards["setting"] == setting) & (boards["metric"] == metric)]
        standing = facts.standing(mine)
        if standing is not None:
            summaries.append(standing_row(setting, metric, standing))
        curve = facts.rank_curve(mine)
        if len(curve):
            figures.append(site.figure(f"rank-{slug(imputer)}-{slug(setting)}",
                                       f"{setting}: mean rank on {METRIC_LABELS.get(metric, metric)} against the "
                                       "missing rate, per mechanism", "imputer", "rank_vs_rate", (curve, ""),
                                       {"setting": setting}))
        if setting in view.frames.settings_of["imputer"].get(imputer, set()):
            paretos.append(pareto_figure(site, view, setting, f"pareto-{slug(imputer)}-{slug(setting)}", imputer,
                                         "other"))
    return summaries, figures, paretos


def imputer_samples(view: LeaderboardView, imputer: str) -> pd.DataFrame | None:
    """The imputer's samples: one feature per dataset (its first), under one heading, each panel named
    by its dataset and feature ("wine · alcohol")."""
    if view.samples is None:
        return None
    samples = view.samples[view.samples["imputer"] == imputer]
    if len(samples):
        samples = facts.first_feature(samples)
        samples = samples.assign(dataset=samples["dataset"].astype(str) + " · " + samples["feature"].astype(str),
                                 feature="first sampled feature of each dataset")
    return samples


def add_imputer_pages(site: Site, rows: pd.DataFrame) -> None:
    view = leaderboard_view(site, rows)
    frames = view.frames
    boards, cells, failures = (split(f, "imputer") for f in (frames.boards, frames.cells, frames.failures))
    configurations = facts.entry_configurations(frames.rows)
    for imputer in frames.imputers:
        summaries, figures, paretos = standing_and_figures(site, view, imputer,
                                                           boards.get(imputer, frames.boards.iloc[:0]))
        table = facts.per_dataset_summary(cells.get(imputer, frames.cells.iloc[:0]))
        sampled = imputer_samples(view, imputer)
        samples = samples_section(site, sampled, f"imp-{slug(imputer)}", "dataset",
                                  sorted(set(sampled["dataset"])) if sampled is not None else [])
        data = site.write_table(f"imputer-{slug(imputer)}", table.assign(params=view.params.get(imputer, "")),
                                f"imputer {imputer}")
        site.render("imputer.html.j2", f"imputer-{slug(imputer)}.html", imputer=imputer, figures=figures,
                    paretos=paretos, summaries=summaries, table=table.to_dict("records"), samples=samples, data=data,
                    **failures_list(failures.get(imputer, frames.failures.iloc[:0])),
                    uses_labels=view.uses_labels.get(imputer, False), info=view.info.get(imputer),
                    family=view.family.get(imputer, ""), profile=view.profiles.get(imputer, ""),
                    base=view.base_of.get(imputer, imputer), overridden=imputer in view.overridden,
                    configuration=facts.imputer_configuration(view.info.get(imputer),
                                                              *configurations.get(imputer, ([], []))))
