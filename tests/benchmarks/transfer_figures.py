"""The transfer track's headline figures of README and transfer_quick.md, from a results folder.

    python tests/benchmarks/transfer_figures.py --results DIR [--imputers remasker,diffputer]

Computed with the site's own frames (``imputebench.reports.transfer_tables``: per cell the mean gain
over its masks, the bootstrap interval and the negative-transfer verdict of PROTOCOL §7), so the
figures are the transfer page's, printed as markdown: per ``n_target`` and strategy the mean gain over
(task, imputer) cells, the cells where the strategy has the best mean gain, and those whose interval
lies below 0; per task the same means over ``n_target``; per imputer and strategy the mean gain.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from imputebench.commands.options import csv_list
from imputebench.harness.store import ResultStore
from imputebench.reports.transfer_tables import BASELINE, gain_summary, verdict_counts

SCORED = ["source-only", "pooled", "fine-tune"]


def by_n_target(summary: pd.DataFrame) -> str:
    best = summary.dropna(subset=["gain_mean"])
    best = best.loc[best.groupby(["task", "n_target", "imputer"])["gain_mean"].idxmax()]
    lines = ["| n_target | " + " | ".join(f"{s}: mean gain / best / negative" for s in SCORED) + " | target-only best |",
             "|---|" + "---|" * (len(SCORED) + 1)]
    for n, part in summary.groupby("n_target"):
        cells = []
        for s in SCORED:
            p = part[part["strategy"] == s]
            wins = int((best[(best["n_target"] == n)]["strategy"] == s).sum())
            cells.append(f"{p['gain_mean'].mean():+.3f} / {wins} / {int(p['negative'].sum())}" if len(p) else "")
        total = len(best[best["n_target"] == n])
        tonly = int((best[best["n_target"] == n]["strategy"] == BASELINE).sum())
        lines.append(f"| {n} | " + " | ".join(cells) + f" | {tonly} of {total} |")
    return "\n".join(lines)


def by_task(summary: pd.DataFrame, rows: pd.DataFrame) -> str:
    gaps = rows.groupby("task")["domain_gap"].first()
    scored = summary[summary["strategy"] != BASELINE]
    lines = ["| task (domain gap AUC) | " + " | ".join(SCORED) + " | negative / cells with a verdict |",
             "|---|" + "---|" * (len(SCORED) + 1)]
    for task, part in scored.groupby("task"):
        means = part.groupby("strategy")["gain_mean"].mean()
        cells = [f"{means[s]:+.3f}" if s in means else "" for s in SCORED]
        lines.append(f"| {task} ({gaps[task]:.2f}) | " + " | ".join(cells)
                     + f" | {int(part['negative'].sum())} / {int(part['verdict'].sum())} |")
    return "\n".join(lines)


def by_imputer(summary: pd.DataFrame) -> str:
    scored = summary[summary["strategy"] != BASELINE]
    table = scored.groupby(["imputer", "strategy"])["gain_mean"].mean().unstack()
    lines = ["| imputer | " + " | ".join(SCORED) + " |", "|---|" + "---|" * len(SCORED)]
    for imputer, r in table.iterrows():
        lines.append(f"| {imputer} | " + " | ".join(f"{r[s]:+.3f}" if s in r and pd.notna(r[s]) else ""
                                                     for s in SCORED) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, required=True)
    ap.add_argument("--imputers", type=csv_list, default=None)
    args = ap.parse_args()
    rows = ResultStore(args.results).load()
    rows = rows[rows["track"] == "transfer"]
    if args.imputers:
        rows = rows[rows["imputer"].isin(args.imputers)]
    summary = gain_summary(rows)
    status = rows.groupby(["imputer", "status"]).size().unstack(fill_value=0)
    masks = rows.drop_duplicates(["task", "mechanism", "rate", "seed"]).groupby(["mechanism"])["seed"].unique()
    print(f"jobs: {len(rows)}; by imputer and status:\n{status.to_string()}\nseeds by mechanism: "
          f"{ {m: sorted(int(x) for x in s) for m, s in masks.items()} }; cells: {verdict_counts(summary)}\n")
    print(by_n_target(summary), "\n")
    print(by_task(summary, rows), "\n")
    print(by_imputer(summary))


if __name__ == "__main__":
    main()
