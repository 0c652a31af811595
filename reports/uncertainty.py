"""The uncertainty view's frames (PROTOCOL §9), pure functions of the main track's rows.

- :func:`calibration_frame`: per imputer and nominal level, the mean actual coverage of its draws'
  intervals over its in-sample jobs (the calibration plot: a calibrated imputer lies on the diagonal).
  Only imputers with ``sample`` have coverages; the others' are NaN and they have no row.
- :func:`inference_frame`: per dataset and imputer, the mean bias, coverage and width of the
  Rubin's-rules pooled coefficients over its in-sample jobs. Only datasets with a regression or
  two-class target have them; :func:`without_inference` and :func:`datasets_without_inference`
  name the imputers and datasets left with none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..protocol.draw_metrics import COVERAGE_LEVELS, coverage_name
from ..protocol.metrics import INFERENCE_METRICS

CALIBRATION_COLUMNS = ["imputer", "nominal", "actual", "jobs"]
INFERENCE_COLUMNS = ["dataset", "imputer", *INFERENCE_METRICS, "jobs"]


def scored_jobs(rows: pd.DataFrame) -> pd.DataFrame:
    """The in-sample jobs that succeeded: the only ones with §9 scores."""
    if rows.empty or "setting" not in rows:
        return rows.iloc[0:0]
    return rows[(rows["status"] == "ok") & (rows["setting"] == "in-sample")]


def calibration_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (imputer, nominal level) with a measured coverage: the mean over the imputer's
    jobs of the share of masked cells inside their interval, and how many jobs measured it."""
    jobs = scored_jobs(rows)
    parts = []
    for level in COVERAGE_LEVELS:
        name = coverage_name(level)
        if name not in jobs:
            continue  # a store written before this level was measured
        measured = jobs.dropna(subset=[name]).groupby("imputer", sort=True)[name].agg(["mean", "count"])
        parts.append(pd.DataFrame({"imputer": measured.index, "nominal": level,
                                   "actual": measured["mean"].to_numpy(), "jobs": measured["count"].to_numpy()}))
    if not parts:
        return pd.DataFrame(columns=CALIBRATION_COLUMNS)
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values(["imputer", "nominal"], ignore_index=True)[CALIBRATION_COLUMNS]


def calibration_table(calibration: pd.DataFrame) -> pd.DataFrame:
    """:func:`calibration_frame` wide: one row per imputer, its actual coverage per nominal level
    (columns ``coverage_50`` ...) and the largest shortfall below nominal (0 when it never under-covers)."""
    if calibration.empty:
        return pd.DataFrame(columns=["imputer", "shortfall"])
    wide = calibration.pivot(index="imputer", columns="nominal", values="actual")
    shortfall = np.nanmax(wide.columns.to_numpy()[None, :] - wide.to_numpy(), axis=1).clip(min=0)
    # Every level a column, NaN where the store predates it (a store of 90 % coverage only).
    wide = wide.reindex(columns=list(COVERAGE_LEVELS))
    wide.columns = [coverage_name(level) for level in wide.columns]
    return wide.assign(shortfall=shortfall).reset_index()


def inference_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, imputer) with inference scores: their means over the jobs (seeds,
    mechanisms, rates) that measured them, and how many did."""
    jobs = scored_jobs(rows)
    if jobs.empty or not set(INFERENCE_METRICS) <= set(jobs):
        return pd.DataFrame(columns=INFERENCE_COLUMNS)
    measured = jobs.dropna(subset=list(INFERENCE_METRICS), how="all")
    grouped = measured.groupby(["dataset", "imputer"], sort=True)
    frame = grouped[list(INFERENCE_METRICS)].mean().assign(jobs=grouped.size()).reset_index()
    return frame[INFERENCE_COLUMNS]


def without_inference(rows: pd.DataFrame, inference: pd.DataFrame) -> list[str]:
    """The imputers with scored in-sample jobs but no inference row (every dataset they ran on has a
    target that is neither a regression nor a two-class one, or the imputer declined the table)."""
    return sorted(set(scored_jobs(rows)["imputer"].unique()) - set(inference["imputer"]))


def datasets_without_inference(rows: pd.DataFrame, inference: pd.DataFrame) -> list[str]:
    """The datasets with scored in-sample jobs but no inference row (a multi-class target, or none)."""
    return sorted(set(scored_jobs(rows)["dataset"].unique()) - set(inference["dataset"]))
