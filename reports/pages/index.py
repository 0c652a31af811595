"""The overview (index.html): rankings with intervals, win rates, scores, time, family and profile per
setting, metric, mechanism and rate; CD diagrams and Pareto fronts per selection; failures; downloads."""

from __future__ import annotations

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
from .sections import pareto_figure
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


def cd_figure(site: Site, name: str, where: str, reading: CdReading, mean_ranks: pd.Series, priority: str,
              attrs: dict[str, str]) -> Figure:
    """A CD diagram with its reading under it (:func:`.frames.cd_reading`): the numbers and any warning."""
    figure = site.figure(name, cd_caption(where, reading), priority, "cd_diagram", (mean_ranks, reading.cd, ""), attrs)
    figure.warning = reading.warning
    return figure


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


def pooled_figures(site: Site, view: LeaderboardView, tests: list[PooledTest]) -> tuple[list[Figure], list[Figure]]:
    """Per setting: a CD diagram per metric (the exact Friedman test, every mechanism and rate pooled)
    and the Pareto front over every dataset."""
    frames = view.frames
    cd_figures, pareto_figures = [], []
    for setting in frames.settings:
        for test in (t for t in tests if t.setting == setting):
            label, result = METRIC_LABELS[test.metric], test.result
            attrs = {"setting": setting, "metric": test.metric, "mechanism": lb.ALL, "rate": lb.ALL}
            reading = test.reading
            if result is None or reading is None:
                cd_figures.append(Figure(f"{setting}, {label}", attrs, note=TOO_FEW))
                continue
            priority = "overview" if test.metric == PRIMARY_METRIC.get(setting) else "cd-other"
            cd_figures.append(cd_figure(site, f"cd-{slug(setting)}-{test.metric}",
                                        f"{setting}, {label}, all mechanisms and rates pooled", reading,
                                        result.mean_ranks, priority, attrs))
        pooled = pareto_figure(site, view, setting, f"pareto-{slug(setting)}", None, "overview")
        pooled.attrs.update(mechanism=lb.ALL, rate=lb.ALL)
        pareto_figures.append(pooled)
    friedman = friedman_table(tests)
    if len(friedman):
        site.write_table("friedman", friedman, "Friedman test and Nemenyi critical difference")
    return cd_figures, pareto_figures


def selection_figures(site: Site, view: LeaderboardView, table: pd.DataFrame) -> tuple[list[Figure], list[Figure]]:
    """The CD diagram and Pareto plot of every mechanism and rate selection (:func:`.frames.selections`),
    so that the overview's figures follow its filters."""
    cd_figures, pareto_figures = [], []
    for s in selections(table, view.frames.metrics):
        attrs = {"setting": s.setting, "metric": s.metric, "mechanism": s.mechanism, "rate": s.rate}
        where, label = f"mechanism {s.mechanism}, rate {s.rate}", METRIC_LABELS[s.metric]
        if s.reading is not None:
            cd_figures.append(cd_figure(site, f"cd-{slug(s.setting)}-{s.metric}-{slug(s.mechanism)}-{slug(s.rate)}",
                                        f"{s.setting}, {label}, {where}", s.reading, s.mean_ranks, "cd-other",
                                        attrs))
        else:
            cd_figures.append(Figure(f"{s.setting}, {label}, {where}", attrs, note="The " + TOO_FEW))
        if s.pareto is not None:
            points, front = s.pareto
            pareto_figures.append(site.figure(
                f"pareto-{slug(s.setting)}-{slug(s.mechanism)}-{slug(s.rate)}",
                f"{s.setting}, {where}: time against mean rank on {label} (lower is better on both); "
                f"on the front: {', '.join(points['imputer'][front])}", "other", "pareto_plot",
                (points, f"mean rank, {label}", front, view.colours, None),
                {"setting": s.setting, "mechanism": s.mechanism, "rate": s.rate}))
    return cd_figures, pareto_figures


def add_index_page(site: Site, rows: pd.DataFrame) -> None:
    view = leaderboard_view(site, rows)
    frames = view.frames
    tests = pooled_tests(frames.matrices, frames.settings, frames.metrics)
    cd_figures, pareto_figures = pooled_figures(site, view, tests)
    table = ranking_table(frames.boards, comparison_extras(frames.rows, frames.metrics), frames.metrics)
    more_cd, more_pareto = selection_figures(site, view, table)
    site.render(
        "index.html.j2", "index.html", tables=ranking_sections(table), cd_figures=cd_figures + more_cd,
        pareto_figures=pareto_figures + more_pareto, metrics=frames.metrics, rates=[rate_label(r) for r in frames.rates],
        status_counts=facts.status_counts(frames.rows), n_jobs=len(frames.rows),
        failure_summary=facts.failure_summary(frames.failures).to_dict("records"),
        result_pages=results_pages(frames.cells), downloads=site.downloads, uses_labels=view.uses_labels,
        families=sorted(set(view.family.values())), family=view.family, profiles=view.profiles,
        params=view.params, overridden=view.overridden,
        reference=site.reference, from_reference=view.from_reference, matrices=rank_matrices(tests))
