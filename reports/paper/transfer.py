"""The transfer track's part of a paper export (PROTOCOL §7): the transfer gain per strategy as a
table and as curves against ``n_target``. Called by the export for rows whose track is
``transfer`` (``export.TRACK_EXPORTS``); nothing else in the export knows this track."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...protocol.metrics import METRIC_REGISTRY
from ...tracks.transfer.gain import transfer_gain
from ...tracks.transfer.parts import STRATEGIES
from .style import OKABE_ITO, TWO_COLUMN, pyplot
from .tables import NO_JOB, Cell, PaperTable, rank_marks

GAIN_METRIC = "armse"  # PROTOCOL §7: the gain is measured on ARMSE unless a metric is asked for
BASELINE = "target-only"  # its gain is 0 by definition: not a column


def gain_cells(gains: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd of the per-mask transfer gain per (n_target, imputer, strategy), pooled over tasks,
    mechanisms, rates and seeds; ``masks``: how many masks have a gain, ``jobs``: how many were planned."""
    scored = gains[gains["strategy"] != BASELINE]
    keys = ["n_target", "imputer", "strategy"]
    out = scored.groupby(keys)["gain"].agg(mean="mean", sd="std", masks="count").reset_index()
    jobs = scored.groupby(keys).size().rename("jobs").reset_index()
    return out.merge(jobs, on=keys, how="left")


def gain_table(cells: pd.DataFrame, metric: str) -> PaperTable:
    """Imputers (rows, grouped by n_target) x strategies: mean transfer gain ± sd over masks; the best
    strategy of each row bold, the second underlined. A cell with jobs but no gain says so."""
    strategies = [s for s in STRATEGIES if s != BASELINE and s in set(cells["strategy"])]
    rows: list[tuple[list[str], list[Cell]]] = []
    groups: dict[int, str] = {}
    for n_target, part in cells.groupby("n_target", sort=True):
        groups[len(rows)] = f"n_target = {int(n_target)}"
        for imputer, sub in part.groupby("imputer", sort=True):
            by = sub.set_index("strategy")
            means = np.array([by["mean"].get(s, np.nan) for s in strategies], dtype=float)
            marks = rank_marks(means, higher_better=True)
            row = []
            for strategy, mean, mark in zip(strategies, means, marks):
                if strategy not in by.index:
                    row.append(Cell(NO_JOB))
                elif not np.isfinite(mean):
                    row.append(Cell("failed", flag="failed", all_bad=True))
                else:
                    sd = by["sd"].get(strategy, np.nan)
                    text = f"{mean:+.3f} ± {sd:.3f}" if np.isfinite(sd) else f"{mean:+.3f}"
                    partial = by["masks"].get(strategy, 0) < by["jobs"].get(strategy, 0)
                    row.append(Cell(text, mark, "failed" if partial else ""))
            rows.append(([str(imputer)], row))
    caption = (f"Transfer gain 1 - e(strategy) / e(target-only) on {metric} (PROTOCOL §7; higher is better, "
               "0 = no gain over training on the target data alone): mean ± sd over tasks, mechanisms, rates and "
               "seeds. Best strategy per row in bold, second underlined.")
    return PaperTable(f"transfer-gain-{metric}", caption, ["imputer"], strategies, rows, cells, groups,
                      split_columns=False)


def gain_curves(cells: pd.DataFrame, metric: str) -> Any:
    """One panel per imputer: mean transfer gain against n_target (log axis) per strategy, band ± sd;
    two columns wide, one colour and marker per strategy."""
    plt = pyplot()
    imputers = sorted(cells["imputer"].unique())
    n_cols = min(4, len(imputers))
    n_rows = -(-len(imputers) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(TWO_COLUMN, 0.3 + 1.55 * n_rows), sharex=True, sharey=True,
                             squeeze=False, layout="constrained")
    colours = {s: OKABE_ITO[i + 1] for i, s in enumerate(STRATEGIES)}
    markers = dict(zip(STRATEGIES, "osD^"))
    for ax, imputer in zip(axes.flat, imputers):
        part = cells[cells["imputer"] == imputer]
        for strategy, line in part.groupby("strategy", sort=False):
            line = line.sort_values("n_target")
            x = line["n_target"].to_numpy(dtype=float)
            y, sd = line["mean"].to_numpy(dtype=float), line["sd"].fillna(0).to_numpy(dtype=float)
            ax.plot(x, y, color=colours[strategy], marker=markers[strategy], label=strategy)
            ax.fill_between(x, y - sd, y + sd, color=colours[strategy], alpha=0.15, lw=0)
        ax.axhline(0, color="black", lw=0.5)
        ax.set_xscale("log")
        ax.set_title(imputer)
    for ax in axes.flat[len(imputers):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("n_target (rows)")
    for ax in axes[:, 0]:
        ax.set_ylabel(f"transfer gain ({metric})")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)
    return fig


def export_track(rows: pd.DataFrame, folder: Any, metrics: list[str]) -> None:
    """Write the track's tables and figures through ``folder`` (the export's :class:`OutputFolder`)."""
    # The gain 1 - e / e0 is defined for an error (lower is better): the first such metric asked for.
    metric = next((m for m in metrics if not METRIC_REGISTRY[m].higher_is_better), GAIN_METRIC)
    cells = gain_cells(transfer_gain(rows, metric))
    if cells.empty:
        folder.warn("the transfer rows hold no strategy beside target-only: no transfer gain to tabulate")
        return
    folder.table(gain_table(cells, metric))
    folder.figure(lambda: gain_curves(cells, metric), f"transfer-gain-{metric}",
                  f"Transfer gain on {metric} against the target data size per strategy (band: ± sd over "
                  "tasks, mechanisms, rates and seeds).", TWO_COLUMN)
