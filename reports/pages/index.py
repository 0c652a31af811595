"""The overview (index.html): rankings with intervals, win rates, scores, time, family and profile per
setting, metric, mechanism and rate; CD diagrams and Pareto fronts per selection; failures; downloads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import facts
from .. import leaderboard as lb
from ..figures import Figure
from ..frames import (
    NOT_OK,
    PRIMARY_METRIC,
    SELECTION_KEYS,
    CdReading,
    PooledTest,
    comparison_extras,
    dataset_rank_matrix,
    friedman_table,
    pooled_tests,
    ranking_table,
    rate_label,
    selections,
)
from . import Site
from .html import fmt, percent, slug
from .results import results_pages
from .view import METRIC_LABELS, LeaderboardView, leaderboard_view

TOO_FEW = "Friedman test needs at least 3 ranked imputers and 2 datasets."


def ranking_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row of the ranking table (:func:`.frames.ranking_table`) as the page shows it."""
    return pd.DataFrame({
        "imputer": table["imputer"].to_numpy(dtype=object), "ranked": table["ranked"].to_numpy(),
        "mean_rank": [fmt(v, 2) for v in table["mean_rank"]],
        # One dataset gives no interval (PROTOCOL §6): n/a, not a blank or a zero-width interval.
        "ci": [f"{lo:.2f} – {hi:.2f}" if ok else "n/a"
               for lo, hi, ok in zip(table["ci_low"], table["ci_high"], table["has_ci"])],
        "ci_sort": [fmt(v, 4) for v in table["ci_high"]],
        "win_rate": [percent(v) for v in table["win_rate"]], "win_sort": [fmt(v, 4) for v in table["win_rate"]],
        "n_ok": table["n_ok"].to_numpy(), "n_bad": table["n_bad"].to_numpy(),
        "score": [fmt(v) for v in table["score"]], "score_sort": [fmt(v, 6) for v in table["score"]],
        "downstream": [fmt(v) for v in table["downstream"]],
        "downstream_sort": [fmt(v, 6) for v in table["downstream"]],
        "seconds": [fmt(v, 2) for v in table["seconds"]], "seconds_sort": [fmt(v, 6) for v in table["seconds"]],
        "marks": [[(s, int(n)) for s, n in zip(NOT_OK, counts) if n]
                  for counts in table[[f"n_{s}" for s in NOT_OK]].to_numpy()],
        "best": table["best"].to_numpy(),
    }).to_dict("records")


def ranking_sections(table: pd.DataFrame) -> list[dict[str, Any]]:
    """One ranking table per (setting, metric, mechanism, rate), with its blocks and datasets."""
    records = ranking_records(table)
    sections = []
    for (setting, metric, mechanism, rate), index in table.groupby(SELECTION_KEYS, sort=False).indices.items():
        first = table.iloc[index[0]]
        sections.append({"setting": setting, "metric": metric, "mechanism": mechanism, "rate": rate,
                         "rows": [records[i] for i in index], "n_blocks": int(first["n_blocks"]),
                         "n_dropped": int(first["n_blocks_dropped"]),
                         "n_datasets": int(table["n_datasets"].iloc[index].max())})
    return sections


def cd_caption(where: str, reading: CdReading) -> str:
    """The numbers under a CD diagram: Friedman's test, N and k, the critical difference."""
    return (f"{where}: Friedman χ² = {reading.statistic:.2f}, p = {reading.pvalue:.2g} over N = "
            f"{reading.n_datasets} datasets and k = {reading.k} imputers; Nemenyi CD = {reading.cd:.2f} "
            f"(α = {reading.alpha}), spread of the mean ranks {reading.spread:.2f}")


def rank_matrices(tests: list[PooledTest]) -> list[dict[str, Any]]:
    """Per setting and metric (every mechanism and rate pooled), the imputer x dataset matrix of
    ranks (:func:`.frames.dataset_rank_matrix`) as the page shows it: the rank on its heat colour, the
    score in the tooltip."""
    out = []
    for test in tests:
        matrix = dataset_rank_matrix(test.ranking) if test.ranking is not None else None
        if matrix is None or matrix.empty:
            continue
        datasets, k, label = sorted(set(matrix["dataset"])), matrix["imputer"].nunique(), METRIC_LABELS[test.metric]
        rows = [{"imputer": imputer, "cells": [
            {"text": fmt(r.rank, 1) or "—", "colour": r.colour, "sort": fmt(r.rank, 2),
             "title": f"{imputer} on {r.dataset}: rank {fmt(r.rank, 1)} of {k}, {label} {fmt(r.score, 4) or 'failed'}"}
            for r in part.itertuples()]} for imputer, part in matrix.groupby("imputer", sort=False)]
        out.append({"setting": test.setting, "metric": test.metric, "datasets": datasets, "rows": rows})
    return out


@dataclass
class Comparison:
    """One comparison's figures to draw (pooled, or one mechanism and rate): its name stem and filter
    attributes, the CD diagram's mean ranks, CD and caption (or why there is none), the Pareto points
    and front (or why there are none) and where the comparison is, in words."""

    stem: str
    attrs: dict[str, str]
    cd: tuple[pd.Series, CdReading, str] | str  # mean ranks, the diagram's reading, caption
    pareto: tuple[pd.DataFrame, Any] | str
    where: str
    priorities: tuple[str, str]


def comparison_figures(site: Site, view: LeaderboardView, c: Comparison) -> tuple[list[Figure], list[Figure]]:
    """A comparison's CD diagram and Pareto plot. They follow the setting, metric, mechanism and rate
    filters (one image each); not the family filter or the search box, which the page says: one image
    per family multiplied the landing page's figures by the number of families (3,229 plots and a
    4.6 MB page for the default run) for a view the ranking table already filters."""
    label = METRIC_LABELS[c.attrs["metric"]]
    if isinstance(c.cd, str):
        cd = Figure(c.where, c.attrs, note=c.cd)
    else:
        cd = site.figure(f"cd-{c.stem}", c.cd[2], c.priorities[0], "cd_diagram", (c.cd[0], c.cd[1].cd, ""), c.attrs)
        cd.warning = c.cd[1].warning
    if isinstance(c.pareto, str):
        return [cd], [Figure(c.where, c.attrs, note=c.pareto)]
    points, front = c.pareto
    caption = (f"{c.where}: time against mean rank on {label} (lower is better on both); "
               f"on the front: {', '.join(points['imputer'][front]) or 'none of these'}")
    return [cd], [site.figure(f"pareto-{c.stem}", caption, c.priorities[1], "pareto_plot",
                              (points, f"mean rank, {label}", front, view.colours, None), c.attrs)]


def pooled_comparisons(site: Site, view: LeaderboardView, tests: list[PooledTest]) -> list[Comparison]:
    """Per setting and metric: the CD diagram of the exact Friedman test (every mechanism and rate
    pooled) and the Pareto front over every dataset; the Friedman table as a download."""
    frames = view.frames
    out = []
    for test in tests:
        setting, label, result = test.setting, METRIC_LABELS[test.metric], test.result
        cd: tuple[pd.Series, CdReading, str] | str = TOO_FEW
        reading = test.reading
        if result is not None and reading is not None:
            cd = (result.mean_ranks, reading, cd_caption(f"{setting}, {label}, all mechanisms and rates pooled", reading))
        primary = test.metric == PRIMARY_METRIC.get(setting)
        out.append(Comparison(
            f"{slug(setting)}-{test.metric}", {"setting": setting, "metric": test.metric, "mechanism": lb.ALL,
                                               "rate": lb.ALL},
            cd, frames.pareto(setting, None, test.metric), f"{setting}, {label}",
            ("overview", "overview") if primary else ("cd-other", "other")))
    friedman = friedman_table(tests)
    if len(friedman):
        site.write_table("friedman", friedman, "Friedman test and Nemenyi critical difference")
    return out


def selection_comparisons(table: pd.DataFrame) -> list[Comparison]:
    """The CD diagram and Pareto plot of every metric, mechanism and rate selection
    (:func:`.frames.selections`), so that the overview's figures follow its filters."""
    out = []
    for s in selections(table):
        where, label = f"mechanism {s.mechanism}, rate {s.rate}", METRIC_LABELS[s.metric]
        cd: tuple[pd.Series, CdReading, str] | str = "The " + TOO_FEW
        if s.reading is not None:
            cd = (s.mean_ranks, s.reading, cd_caption(f"{s.setting}, {label}, {where}", s.reading))
        out.append(Comparison(
            f"{slug(s.setting)}-{s.metric}-{slug(s.mechanism)}-{slug(s.rate)}",
            {"setting": s.setting, "metric": s.metric, "mechanism": s.mechanism, "rate": s.rate},
            cd, s.pareto, f"{s.setting}, {label}, {where}", ("cd-other", "other")))
    return out


def add_index_page(site: Site, rows: pd.DataFrame) -> None:
    view = leaderboard_view(site, rows)
    frames = view.frames
    tests = pooled_tests(frames.matrices, frames.settings, frames.metrics)
    table = ranking_table(frames.boards, comparison_extras(frames.rows, frames.metrics), frames.metrics)
    cd_figures, pareto_figures = [], []
    for comparison in pooled_comparisons(site, view, tests) + selection_comparisons(table):
        cds, paretos = comparison_figures(site, view, comparison)
        cd_figures += cds
        pareto_figures += paretos
    site.render(
        "index.html.j2", "index.html", tables=ranking_sections(table), cd_figures=cd_figures,
        pareto_figures=pareto_figures, metrics=frames.metrics, rates=[rate_label(r) for r in frames.rates],
        status_counts=facts.status_counts(frames.rows), n_jobs=len(frames.rows),
        failure_summary=facts.failure_summary(frames.failures).to_dict("records"),
        result_pages=results_pages(frames.cells), downloads=site.downloads, uses_labels=view.uses_labels,
        families=sorted(set(view.family.values())), family=view.family, profiles=view.profiles,
        params=view.params, overridden=view.overridden,
        reference=site.reference, from_reference=view.from_reference, matrices=rank_matrices(tests))
