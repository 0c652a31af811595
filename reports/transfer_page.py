"""The transfer track's page (PROTOCOL §7): transfer gain against ``n_target`` per imputer and strategy,
a negative-transfer heat map (imputer x task), the tasks with their domain gaps, and downloads.

``add_transfer_page(builder, rows)`` is the site's one hook: it plans the page and its tables on a
:class:`imputebench.reports.site.SiteBuilder` when the store holds transfer rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..transfer import STRATEGIES, summarise_gain, transfer_gain

PAGE = "transfer.html"
GAIN_METRIC = "armse"  # PROTOCOL §7: ARMSE by default


def gain_curves_svg(summary: pd.DataFrame, imputer: str) -> str:
    """One panel per mechanism: mean transfer gain (over tasks and rates) against n_target, a line per
    strategy, the 95 % interval of each cell averaged as a band; 0 marked (below: negative transfer)."""
    from . import plots

    plt = plots.plt
    mine = summary[summary["imputer"] == imputer]
    mechanisms = sorted(mine["mechanism"].unique())
    colours = plots.colour_of(list(STRATEGIES))
    with plt.rc_context(plots.STYLE):
        width = 1.0 + 3.4 * len(mechanisms)
        fig, axes = plt.subplots(1, len(mechanisms), figsize=(width, 2.8), squeeze=False,
                                 sharey=True)
        for ax, mechanism in zip(axes[0], mechanisms):
            part = mine[mine["mechanism"] == mechanism]
            for strategy in [s for s in STRATEGIES if s in set(part["strategy"])]:
                curve = part[part["strategy"] == strategy].groupby("n_target")[
                    ["gain_mean", "gain_low", "gain_high"]].mean().sort_index()
                x = curve.index.to_numpy(dtype=float)
                ax.plot(x, curve["gain_mean"], marker="o", ms=3, lw=1.4, color=colours[strategy], label=strategy)
                if curve["gain_low"].notna().any():
                    ax.fill_between(x, curve["gain_low"], curve["gain_high"], color=colours[strategy], alpha=0.12,
                                    lw=0)
            ax.axhline(0.0, color="#111827", lw=0.8)
            ax.set_xscale("log")
            ax.set_xticks(sorted(part["n_target"].unique()))
            ax.get_xaxis().set_major_formatter(plots.matplotlib.ticker.ScalarFormatter())
            ax.get_xaxis().set_minor_formatter(plots.matplotlib.ticker.NullFormatter())
            ax.set_title(f"{imputer}, {mechanism}")
            ax.set_xlabel("n_target (target train rows)")
        axes[0][0].set_ylabel("transfer gain (ARMSE)")
        axes[0][-1].legend(loc="best")
        fig.subplots_adjust(left=0.7 / width, right=0.98, bottom=0.2, top=0.88, wspace=0.08)
        return plots._svg(fig)


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
    figures = []
    for imputer in sorted(summary["imputer"].unique()):
        path = f"plots/transfer-{imputer.replace(':', '-').replace('.', '-')}.svg"
        (builder.out / path).write_text(gain_curves_svg(summary, imputer), encoding="utf-8")
        figures.append({"path": path, "caption": f"{imputer}: transfer gain against n_target per strategy "
                                                 "(mean over tasks and rates; band: mean 95% interval)",
                        "attrs": {}})
    negative = summary[summary["negative"]].sort_values(["gain_mean"])
    builder.env.globals["transfer_page"] = PAGE  # the navigation links to the page
    builder.render("transfer.html.j2", PAGE, tasks=tasks.to_dict("records"), figures=figures,
                   heatmap=negative_heatmap(summary), winners=winners(summary), strategies=list(STRATEGIES),
                   negative=negative.head(200).to_dict("records"), n_negative=len(negative),
                   n_jobs=len(rows), statuses=rows["status"].value_counts().to_dict(), transfer_downloads=downloads)


__all__ = ["add_transfer_page", "gain_curves_svg", "negative_heatmap", "winners"]
