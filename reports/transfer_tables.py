"""The transfer track's tables for its page (PROTOCOL §7), computed as frames from its rows and the
per-mask gains (:func:`imputebench.tracks.transfer.gain.transfer_gain`): no HTML, no files.

A cell is (task, n_target, imputer, strategy): it pools its masks over seeds, mechanisms and rates.
Its interval is the bootstrap over those masks (:mod:`.bootstrap`, the same resamples as the
rankings'); a cell with fewer than :data:`MIN_MASKS` masks gets no verdict on negative transfer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..tracks.transfer.gain import transfer_gain
from ..tracks.transfer.parts import STRATEGIES
from .bootstrap import dataset_resamples, weighted_interval

CELL_KEYS = ["task", "n_target", "imputer", "strategy"]  # PROTOCOL §7: seeds, mechanisms and rates pooled
MIN_MASKS = 6  # PROTOCOL §7: fewer masks than this give no verdict (a t-interval over 2-3 seeds was never one)
BASELINE = "target-only"  # its gain is 0 by definition: no verdict to give
SUMMARY_COLUMNS = CELL_KEYS + ["gain_mean", "gain_low", "gain_high", "n_masks", "verdict", "negative"]


def mask_interval(gains: np.ndarray, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """The percentile bootstrap interval of the mean of ``gains`` (one value per mask, NaN left out),
    resampling masks with replacement: exact up to 8 masks, else ``n_boot`` resamples drawn with
    ``seed`` (the same draw for every cell of that size). NaN ends below :data:`MIN_MASKS` masks."""
    values = np.asarray(gains, dtype=float)
    values = values[np.isfinite(values)]
    if values.size < MIN_MASKS:
        return np.nan, np.nan
    counts, weights = dataset_resamples(values.size, n_boot, seed)
    low, high = weighted_interval((counts @ values / values.size)[:, None], weights, level)
    return float(low[0]), float(high[0])


def summarise_gain(gains: pd.DataFrame, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Per cell (:data:`CELL_KEYS`): the mean gain over its masks, the bootstrap interval
    (:func:`mask_interval`), ``n_masks`` (masks with a gain), ``verdict`` (at least :data:`MIN_MASKS`
    masks) and ``negative`` (a verdict, and the interval entirely below 0: negative transfer)."""
    rows = []
    for key, part in gains.groupby(CELL_KEYS, sort=True)["gain"]:
        values = part.dropna().to_numpy(dtype=float)
        low, high = mask_interval(values, n_boot, level, seed)
        rows.append((*key, float(values.mean()) if values.size else np.nan, low, high, values.size))
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS[:-2])
    out["n_masks"] = out["n_masks"].astype(int)
    out["verdict"] = out["n_masks"] >= MIN_MASKS
    out["negative"] = out["verdict"] & (out["gain_high"] < 0)
    return out


def gain_summary(rows: pd.DataFrame, metric: str = "armse") -> pd.DataFrame:
    """The track's summary: :func:`summarise_gain` of the per-mask gains of its rows."""
    return summarise_gain(transfer_gain(rows, metric))


def verdict_counts(summary: pd.DataFrame) -> dict[str, int]:
    """The page's headline over the cells other than target-only: ``cells``, how many have a verdict
    (``verdicts``), how many of those show negative transfer, how many have too few masks."""
    scored = summary[summary["strategy"] != BASELINE]
    verdicts = int(scored["verdict"].sum())
    return {"cells": len(scored), "verdicts": verdicts, "negative": int(scored["negative"].sum()),
            "too_few": len(scored) - verdicts, "min_masks": MIN_MASKS}


def transfer_tasks(rows: pd.DataFrame) -> pd.DataFrame:
    """Per task: its dataset, domain gap, source and target test rows, jobs and ok jobs."""
    return (rows.groupby("task").agg(dataset=("dataset", "first"), domain_gap=("domain_gap", "first"),
                                     source_rows=("source_rows", "max"), test_rows=("n_rows", "max"),
                                     jobs=("job_key", "size"), ok=("status", lambda v: int((v == "ok").sum())))
            .reset_index())


def negative_counts(summary: pd.DataFrame) -> pd.DataFrame:
    """Per (imputer, task), over the strategies other than target-only and every n_target: the cells
    that show negative transfer, the cells with a verdict, those with too few masks, the mean gain."""
    scored = summary[summary["strategy"] != BASELINE]
    return scored.groupby(["imputer", "task"]).agg(negative=("negative", "sum"), cells=("verdict", "sum"),
                                                   too_few=("verdict", lambda v: int((~v).sum())),
                                                   mean=("gain_mean", "mean"))


def strategy_wins(summary: pd.DataFrame) -> pd.DataFrame:
    """Per n_target: how often each strategy has the best mean gain over the (task, imputer) pairs; a
    column per strategy (0 when it never wins) and ``total``. Empty without gains."""
    s = summary.dropna(subset=["gain_mean"])
    if s.empty:
        return pd.DataFrame(columns=["n_target", *STRATEGIES, "total"])
    best = s.loc[s.groupby(["task", "n_target", "imputer"])["gain_mean"].idxmax()]
    table = best.groupby("n_target")["strategy"].value_counts().unstack(fill_value=0)
    table = table.reindex(columns=list(STRATEGIES), fill_value=0)
    return table.assign(total=table.sum(axis=1)).reset_index()


def gain_by_task(summary: pd.DataFrame) -> pd.DataFrame:
    """The per-task view of gain against n_target: per (task, strategy other than target-only, n_target),
    the mean over imputers of their cells' mean gains (``gain_mean``), how many imputers, how many of
    their cells have a verdict and how many show negative transfer. Not averaged over tasks, so a task
    that gains and one that loses stay apart."""
    scored = summary[summary["strategy"] != BASELINE]
    keys = ["task", "strategy", "n_target"]
    if scored.empty:
        return pd.DataFrame(columns=keys + ["gain_mean", "imputers", "verdicts", "negative"])
    return (scored.groupby(keys, sort=True)
            .agg(gain_mean=("gain_mean", "mean"), imputers=("imputer", "nunique"),
                 verdicts=("verdict", "sum"), negative=("negative", "sum"))
            .astype({"verdicts": int, "negative": int}).reset_index())


def task_headlines(by_task: pd.DataFrame) -> pd.DataFrame:
    """Per task, for the landing page: the strategy with the highest gain averaged over n_target (of
    :func:`gain_by_task`), that gain, and over every strategy the cells with negative transfer of those
    with a verdict."""
    columns = ["task", "best_strategy", "best_gain", "negative", "verdicts"]
    if by_task.empty:
        return pd.DataFrame(columns=columns)
    means = by_task.groupby(["task", "strategy"])["gain_mean"].mean().dropna().reset_index()
    best = means.loc[means.groupby("task")["gain_mean"].idxmax()].set_index("task")
    counts = by_task.groupby("task")[["negative", "verdicts"]].sum()
    out = counts.join(best.rename(columns={"strategy": "best_strategy", "gain_mean": "best_gain"}), how="left")
    return out.reset_index()[columns]
