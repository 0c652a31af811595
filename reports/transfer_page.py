"""The transfer track's page (PROTOCOL §7): transfer gain against ``n_target`` per imputer and strategy,
a negative-transfer heat map (imputer x task), the tasks with their domain gaps, and downloads.

``add_transfer_page(site, rows)`` is a site page (the seam: :mod:`imputebench.reports.pages`): it
selects the store's transfer rows and adds nothing when there are none.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..tracks.transfer.gain import transfer_gain
from ..tracks.transfer.parts import STRATEGIES
from . import plots
from .entries import entry_params, with_params
from .pages import Site
from .pages.html import slug
from .transfer_tables import (MIN_MASKS, gain_by_task, negative_counts, strategy_wins, summarise_gain,
                              task_headlines, transfer_tasks, verdict_counts)

PAGE = "transfer.html"
GAIN_METRIC = "armse"  # PROTOCOL §7: ARMSE by default
SHOWN = 200


def negative_heatmap(summary: pd.DataFrame) -> dict[str, Any]:
    """Imputer x task: how many (strategy, n_target) cells show negative transfer, of how many with a
    verdict; colour by that share. A pair without a verdict says so (too few masks), never 0/0."""
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
            if not r["cells"]:
                cells.append({"text": "n/a", "share": None, "title": f"too few masks for a verdict: N < {MIN_MASKS}"})
                continue
            share = r["negative"] / r["cells"]
            cells.append({"text": f"{int(r['negative'])}/{int(r['cells'])}", "share": share,
                          "alpha": f"{0.08 + 0.8 * share:.2f}",
                          "title": (f"mean gain {r['mean']:+.3f}" if pd.notna(r["mean"]) else "no gain")
                          + (f"; {int(r['too_few'])} cells with too few masks for a verdict" if r["too_few"] else "")})
        rows.append({"imputer": imputer, "cells": cells})
    return {"tasks": tasks, "rows": rows}


def winners(summary: pd.DataFrame) -> list[dict[str, Any]]:
    """Per n_target: how often each strategy has the best mean gain over the (task, imputer) pairs."""
    return [{"n_target": int(r["n_target"]),
             "counts": {st: int(r[st]) for st in STRATEGIES}, "total": int(r["total"])}
            for _, r in strategy_wins(summary).iterrows()]


def task_rows(by_task: pd.DataFrame) -> dict[str, Any]:
    """The per-task table: a row per (task, strategy), a column per n_target holding the mean gain over
    imputers and how many of their cells show negative transfer of those with a verdict."""
    n_targets = sorted(int(n) for n in by_task["n_target"].unique())
    rows = []
    for (task, strategy), part in by_task.groupby(["task", "strategy"], sort=True):
        by_n = part.set_index("n_target")
        cells = []
        for n in n_targets:
            if n not in by_n.index:
                cells.append(None)
                continue
            r = by_n.loc[n]
            cells.append({"gain": r["gain_mean"], "imputers": int(r["imputers"]),
                          "verdict": f"{int(r['negative'])}/{int(r['verdicts'])} negative" if r["verdicts"]
                          else "no verdict"})
        rows.append({"task": task, "strategy": strategy, "cells": cells})
    return {"n_targets": n_targets, "rows": rows}


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
        site.write_table("transfer-gain", with_params(summary, params), "transfer gain per cell: mean and 95% "
                         "bootstrap interval over its masks (seeds, mechanisms, rates)"),
        site.write_table("transfer-tasks", tasks, "transfer tasks and domain gaps"),
    ]
    colours = {s: c for s, c in zip(STRATEGIES, plots.PALETTE)}  # one colour per strategy on every figure
    figures = [site.figure(f"transfer-{slug(imputer)}", f"{imputer}: transfer gain against n_target per task "
                           "and strategy (mean over the cell's masks; band: 95% bootstrap interval, drawn for "
                           f"cells of {MIN_MASKS} masks or more)", "other",
                           "transfer_gain_curves", (summary, imputer, colours))
               for imputer in sorted(summary["imputer"].unique())]
    by_task = gain_by_task(summary)
    downloads.append(site.write_table("transfer-gain-by-task", by_task,
                                      "transfer gain per task and n_target (mean over imputers)"))
    if not by_task.empty:
        figures.insert(0, site.figure("transfer-by-task", "Every imputer: transfer gain against n_target per task "
                                      "(one line per task; mean over imputers of their cells' mean gains), one "
                                      "panel per strategy", "other", "transfer_task_curves",
                                      (by_task, plots.colour_of(by_task["task"].unique()))))
    negative = summary[summary["negative"]].sort_values(["gain_mean"])
    # The landing page shows this when the store holds no main-track rows (a transfer-only run).
    site.context(transfer_summary={"page": PAGE, "n_jobs": len(rows), "counts": verdict_counts(summary),
                                   "statuses": rows["status"].value_counts().to_dict(),
                                   "imputers": int(rows["imputer"].nunique()),
                                   "n_targets": sorted(int(n) for n in rows["n_target"].unique()),
                                   "tasks": task_headlines(by_task).to_dict("records")})
    site.link("Transfer", PAGE)
    site.render("transfer.html.j2", PAGE, tasks=tasks.to_dict("records"), figures=figures,
                heatmap=negative_heatmap(summary), by_task=task_rows(by_task), winners=winners(summary), strategies=list(STRATEGIES),
                negative=negative.head(SHOWN).to_dict("records"), counts=verdict_counts(summary),
                n_jobs=len(rows), statuses=rows["status"].value_counts().to_dict(), transfer_downloads=downloads)


__all__ = ["add_transfer_page", "negative_heatmap", "task_rows", "winners"]
