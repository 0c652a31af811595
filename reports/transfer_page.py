"""The transfer track's page (PROTOCOL §7): transfer gain against ``n_target`` per imputer and strategy,
a negative-transfer heat map (imputer x task), the tasks with their domain gaps, and downloads.

``add_transfer_page(builder, rows)`` is the site's one hook: it plans the page and its tables on a
:class:`imputebench.reports.site.SiteBuilder` when the store holds transfer rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..tracks.transfer.gain import summarise_gain, transfer_gain
from ..tracks.transfer.parts import STRATEGIES
from . import plots
from .site import slug

PAGE = "transfer.html"
GAIN_METRIC = "armse"  # PROTOCOL §7: ARMSE by default


def negative_heatmap(summary: pd.DataFrame) -> dict[str, Any]:
    """Imputer x task: how many (strategy, n_target, mechanism, rate) cells show negative transfer, of
    how many with an interval; colour by that share."""
    tasks = sorted(summary["task"].unique())
    imputers = sorted(summary["imputer"].unique())
    scored = summary[summary["strategy"] != "target-only"]
    counts = scored.groupby(["imputer", "task"]).agg(negative=("negative", "sum"),
                                                     cells=("gain_low", lambda v: int(v.notna().sum())),
                                                     mean=("gain_mean", "mean"))
    rows = []
    for imputer in imputers:
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
    s = summary.dropna(subset=["gain_mean"])
    if s.empty:
        return []
    keys = ["task", "n_target", "mechanism", "rate", "imputer"]
    best = s.loc[s.groupby(keys)["gain_mean"].idxmax()]
    table = best.groupby(["n_target", "mechanism"])["strategy"].value_counts().unstack(fill_value=0)
    out = []
    for (n, mechanism), r in table.iterrows():
        out.append({"n_target": int(n), "mechanism": mechanism,
                    "counts": {st: int(r.get(st, 0)) for st in STRATEGIES}, "total": int(r.sum())})
    return out


def add_transfer_page(builder: Any, rows: pd.DataFrame) -> None:
    """Plan the transfer page on ``builder`` (a SiteBuilder) from the store's transfer rows."""
    gains = transfer_gain(rows, GAIN_METRIC)
    summary = summarise_gain(gains)
    tasks = (rows.groupby("task").agg(dataset=("dataset", "first"), domain_gap=("domain_gap", "first"),
                                      source_rows=("source_rows", "max"), test_rows=("n_rows", "max"),
                                      jobs=("job_key", "size"), ok=("status", lambda v: int((v == "ok").sum())))
             .reset_index())
    downloads = [
        builder.write_table("transfer-jobs", rows[[c for c in rows.columns if c not in ("versions", "params")]],
                            "transfer jobs (one row per job)"),
        builder.write_table("transfer-gain-per-mask", gains, "transfer gain per mask (ARMSE)"),
        builder.write_table("transfer-gain", summary, "transfer gain: mean and 95% t-interval over seeds"),
        builder.write_table("transfer-tasks", tasks, "transfer tasks and domain gaps"),
    ]
    colours = {s: c for s, c in zip(STRATEGIES, plots.PALETTE)}  # one colour per strategy on every figure
    figures = [builder.figure(f"transfer-{slug(imputer)}", f"{imputer}: transfer gain against n_target per "
                              "strategy (mean over tasks and rates; band: mean 95% interval)", "other",
                              "transfer_gain_curves", (summary, imputer, colours))
               for imputer in sorted(summary["imputer"].unique())]
    negative = summary[summary["negative"]].sort_values(["gain_mean"])
    builder.env.globals["transfer_page"] = PAGE  # the navigation links to the page
    builder.render("transfer.html.j2", PAGE, tasks=tasks.to_dict("records"), figures=figures,
                   heatmap=negative_heatmap(summary), winners=winners(summary), strategies=list(STRATEGIES),
                   negative=negative.head(200).to_dict("records"), n_negative=len(negative),
                   n_jobs=len(rows), statuses=rows["status"].value_counts().to_dict(), transfer_downloads=downloads)


__all__ = ["add_transfer_page", "negative_heatmap", "winners"]
