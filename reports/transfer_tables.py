"""The transfer track's tables for its page (PROTOCOL §7), computed as frames from its rows and the gain
summary (:func:`imputebench.transfer.summarise_gain`): no HTML, no files."""

from __future__ import annotations

import pandas as pd

from ..tracks.transfer.parts import STRATEGIES


def transfer_tasks(rows: pd.DataFrame) -> pd.DataFrame:
    """Per task: its dataset, domain gap, source and target test rows, jobs and ok jobs."""
    return (rows.groupby("task").agg(dataset=("dataset", "first"), domain_gap=("domain_gap", "first"),
                                     source_rows=("source_rows", "max"), test_rows=("n_rows", "max"),
                                     jobs=("job_key", "size"), ok=("status", lambda v: int((v == "ok").sum())))
            .reset_index())


def negative_counts(summary: pd.DataFrame) -> pd.DataFrame:
    """Per (imputer, task), over the strategies other than target-only: the (strategy, n_target,
    mechanism, rate) cells that show negative transfer, the cells with an interval, the mean gain."""
    scored = summary[summary["strategy"] != "target-only"]
    return scored.groupby(["imputer", "task"]).agg(negative=("negative", "sum"),
                                                   cells=("gain_low", lambda v: int(v.notna().sum())),
                                                   mean=("gain_mean", "mean"))


def strategy_wins(summary: pd.DataFrame) -> pd.DataFrame:
    """Per (n_target, mechanism): how often each strategy has the best mean gain over (task, rate,
    imputer); a column per strategy (0 when it never wins) and ``total``. Empty without gains."""
    s = summary.dropna(subset=["gain_mean"])
    if s.empty:
        return pd.DataFrame(columns=["n_target", "mechanism", *STRATEGIES, "total"])
    best = s.loc[s.groupby(["task", "n_target", "mechanism", "rate", "imputer"])["gain_mean"].idxmax()]
    table = best.groupby(["n_target", "mechanism"])["strategy"].value_counts().unstack(fill_value=0)
    table = table.reindex(columns=list(STRATEGIES), fill_value=0)
    return table.assign(total=table.sum(axis=1)).reset_index()
