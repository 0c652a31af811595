"""The dataset pages: each metric against the missing rate, time against quality, true vs imputed
histograms, the dataset's cells as a download and the jobs that did not succeed on it."""

from __future__ import annotations

import pandas as pd

from ...datasets.facts import lost_note
from ..figures import Figure
from ..entries import with_params
from ..frames import CELL_COLUMNS, PRIMARY_METRIC, split
from . import Site
from .html import slug
from .sections import failures_list, pareto_figure, samples_section
from .view import METRIC_LABELS, LeaderboardView, leaderboard_view


def rate_figures(site: Site, view: LeaderboardView, dataset: str, agg: pd.DataFrame) -> list[Figure]:
    """Per setting and metric with values: the metric against the missing rate per mechanism (a
    phone-sized stacked version beside it); the setting's primary metric first under a plot cap."""
    figures = []
    for setting in view.frames.settings:
        sagg = agg[agg["setting"] == setting]
        if sagg.empty:
            continue
        for metric in view.frames.metrics:
            if sagg[f"{metric}_mean"].isna().all():
                continue
            attrs = {"setting": setting, "metric": metric}
            caption = f"{METRIC_LABELS[metric]} against the missing rate, {setting} (band: ± std over seeds)"
            columns = ["mechanism", "imputer", "rate", f"{metric}_mean", f"{metric}_std"]
            name = f"rate-{slug(dataset)}-{slug(setting)}-{metric}"
            priority = "primary" if metric == PRIMARY_METRIC.get(setting) else "other"
            figure = site.figure(name, caption, priority, "metric_vs_rate",
                                 lambda a=sagg, c=columns, m=metric: (a[c], m, METRIC_LABELS[m], view.colours), attrs)
            # Its panels side by side are too small to read on a phone: a stacked version beside it.
            figure.narrow = site.figure(f"{name}-narrow", caption, priority, "metric_vs_rate",
                                        lambda a=sagg, c=columns, m=metric: (a[c], m, METRIC_LABELS[m], view.colours,
                                                                             True), attrs)
            figures.append(figure)
    return figures


def add_dataset_pages(site: Site, rows: pd.DataFrame) -> None:
    view = leaderboard_view(site, rows)
    frames = view.frames
    cells, failures = split(frames.cells, "dataset"), split(frames.failures, "dataset")
    for dataset in frames.datasets:
        figures = rate_figures(site, view, dataset, frames.agg[frames.agg["dataset"].to_numpy() == dataset])
        # A Pareto plot per setting and metric the curves show: it follows the page's Metric filter too.
        paretos = [pareto_figure(site, view, f.attrs["setting"], f"pareto-{slug(dataset)}-{slug(f.attrs['setting'])}-"
                                 f"{f.attrs['metric']}", None, dataset=dataset, metric=f.attrs["metric"])
                   for f in figures]
        samples = None if view.samples is None else view.samples[view.samples["dataset"] == dataset]
        samples = samples_section(site, samples, f"ds-{slug(dataset)}", "imputer", frames.imputers)
        data = site.write_table(f"dataset-{slug(dataset)}",
                                with_params(cells.get(dataset, frames.cells.iloc[:0])[CELL_COLUMNS], view.params),
                                f"dataset {dataset}")
        info = view.datasets.loc[dataset]
        site.render("dataset.html.j2", f"dataset-{slug(dataset)}.html", dataset=dataset, figures=figures,
                    paretos=paretos, samples=samples, data=data,
                    metrics=[m for m in frames.metrics if any(f.attrs.get("metric") == m for f in figures)],
                    **failures_list(failures.get(dataset, frames.failures.iloc[:0])),
                    info={**{k: info[k] for k in ("rows", "features", "checksums", "dropped")},
                          "lost": lost_note(info.get("lost") or ())})
