"""The transfer track's page (PROTOCOL §7): transfer gain against ``n_target`` per imputer and strategy,
a negative-transfer heat map (imputer x task), the tasks with their domain gaps, and downloads.

``add_transfer_page(site, rows)`` is a site page (the seam: :mod:`imputebench.reports.pages`): it
selects the store's transfer rows and adds nothing when there are none.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..tracks.transfer.gain import summarise_gain, transfer_gain
from ..tracks.transfer.parts import STRATEGIES
from . import plots
from .frames import entry_params, with_params
from .pages import Site
from .pages.html import slug
from .transfer_tables import negative_counts, strategy_wins, transfer_tasks

PAGE = "transfer.html"
GAIN_METRIC = "armse"  # PROTOCOL §7: ARMSE by default
SHOWN = 200


def negative_heatmap(summary: pd.DataFrame) -> dict[str, Any]:
    """Imputer x task: how many (strategy, n_target, mechanism, rate) cells show negative transfer, of
    how many with an interval; colour by that share."""
    tasks = sorted(summary["task"].unique())
    counts = negative_counts(summary)
    rows = []
    for imputer in sorted(summary["imputer"].unique()):
        cells = []
        for task in tasks:
            if (imputer, task) not in counts.index:
                cells.append({"text": "–", "share": None, "title": "no jobs"})
                continue
            r = counts.loc[(imputer, task)]
            share = r["negative"] / r["cells"] if r["cells"] else None
            cells.append({"text": f"{int(r['negative'])}/{int(r['cells'])}", "share": share,
                          "alpha": f"{0.08 + 0.8 * share:.2f}" if share is not None else "0",
                          "title": f"mean gain {r['mean']:+.3f}" if pd.notna(r["mean"]) else "no gain"})
        rows.append({"imputer": imputer, "cells": cells})
    return {"tasks": tasks, "rows": rows}


def winners(summary: pd.DataFrame) -> list[dict[str, Any]]:
    """Per n_target and mechanism: how often each strategy has the best mean gain over (task, rate, imputer)."""
    return [{"n_target": int(r["n_target"]), "mechanism": r["mechanism"],
             "counts": {st: int(r[st]) for st in STRATEGIES}, "total": int(r["total"])}
            for _, r in strategy_wins(summary).iterrows()]


def add_transfer_page(site: Site, rows: pd.DataFrame) -> None:
    """Plan the transfer page from the store's transfer rows (the builder gives it the transfer track's
    rows only); nothing when there are none."""
    if rows.empty:
        return
    gains = transfer_gain(rows, GAIN_METRIC)
    summary = summarise_gain(gains)
    tasks = transfer_tasks(rows)
    params = entry_params(rows)  # each imputer entry's hyper-parameters beside its numbers
    downloads = [
        site.write_table("transfer-jobs", rows[[c for c in rows.columns if c != "versions"]],
                         "transfer jobs (one row per job)"),
        site.write_table("transfer-gain-per-mask", with_params(gains, params), "transfer gain per mask (ARMSE)"),
        site.write_table("transfer-gain", with_params(summary, params),
                         "transfer gain: mean and 95% t-interval over seeds"),
        site.write_table("transfer-tasks", tasks, "transfer tasks and domain gaps"),
    ]
    colours = {s: c for s, c in zip(STRATEGIES, plots.PALETTE)}  # one colour per strategy on every figure
    figures = [site.figure(f"transfer-{slug(imputer)}", f"{imputer}: transfer gain against n_target per "
                           "strategy (mean over tasks and rates; band: mean 95% interval)", "other",
                           "transfer_gain_curves", (summary, imputer, colours))
               for imputer in sorted(summary["imputer"].unique())]
    negative = summary[summary["negative"]].sort_values(["gain_mean"])
    site.link("Transfer", PAGE)
    site.render("transfer.html.j2", PAGE, tasks=tasks.to_dict("records"), figures=figures,
                heatmap=negative_heatmap(summary), winners=winners(summary), strategies=list(STRATEGIES),
                negative=negative.head(SHOWN).to_dict("records"), n_negative=len(negative),
                n_jobs=len(rows), statuses=rows["status"].value_counts().to_dict(), transfer_downloads=downloads)


__all__ = ["add_transfer_page", "negative_heatmap", "winners"]
