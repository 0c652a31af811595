"""Imputation metrics (PROTOCOL §5) as pure functions of (true table, imputed table, mask).

Numeric columns are min-max scaled by the complete column's range before scoring; a metric with
nothing to measure is NaN, never 0. ``mask`` is True where a cell was observed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Metric:
    """One reported metric: the single list that the store, rankings, the regression check and the
    site all read (name, label, which way is better, and whether it scores imputed cells)."""

    name: str
    label: str
    higher_is_better: bool
    kind: str  # "imputation" (masked cells, PROTOCOL §5), "downstream" (PROTOCOL §3) or "cost"


METRIC_REGISTRY: dict[str, Metric] = {m.name: m for m in (
    Metric("mae", "MAE", False, "imputation"),
    Metric("rmse", "RMSE", False, "imputation"),
    Metric("armse", "ARMSE", False, "imputation"),
    Metric("cat_accuracy", "categorical accuracy", True, "imputation"),
    Metric("jsdist", "JS distance", False, "imputation"),
    Metric("rl", "RL", False, "imputation"),
    Metric("w1", "W1", False, "imputation"),
    Metric("downstream", "downstream score", True, "downstream"),
    Metric("fit_seconds", "fit time (s)", False, "cost"),
)}
IMPUTATION_METRICS = tuple(n for n, m in METRIC_REGISTRY.items() if m.kind == "imputation")
# The quality metrics every table reports (cost is shown beside them, never ranked by default).
QUALITY_METRICS = tuple(n for n, m in METRIC_REGISTRY.items() if m.kind != "cost")

# PROTOCOL §6 diverged: on the [0, 1] scale of §5 a numeric error above this means imputations
# outside the column's whole range on average.
DIVERGED_ABOVE = 1.0
# Scored with the metrics and stored beside them, but not a metric: the worst numeric column's
# RMSE, which the diverged check needs (ARMSE's mean can hide one absurd column).
MAX_COLUMN_RMSE = "max_column_rmse"


def _scale(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """PROTOCOL §5: min-max to [0, 1]; a constant column scales to 0."""
    return (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v, dtype=float)


def _skewness(v: np.ndarray) -> float:
    """Sample skewness m3 / m2^1.5 (scipy.stats.skew's default); 0 for a constant (PROTOCOL §5 RL)."""
    if v.size < 2 or np.ptp(v) == 0:
        return 0.0
    d = v - v.mean()
    return float(np.mean(d ** 3) / np.mean(d ** 2) ** 1.5)


def _iqr(v: np.ndarray) -> float:
    q75, q25 = np.percentile(v, [75, 25])
    return float(q75 - q25)


def js_distance(true: np.ndarray, imputed: np.ndarray, bins: np.ndarray | None) -> float:
    """Jensen-Shannon distance (base 2) between two samples: histograms over ``bins``, or by value."""
    from scipy.spatial.distance import jensenshannon  # lazy: the store imports this module's registry
    if bins is None:
        cats = np.union1d(true, imputed)
        p = np.array([(true == c).sum() for c in cats], dtype=float)
        q = np.array([(imputed == c).sum() for c in cats], dtype=float)
    else:
        p = np.histogram(true, bins=bins)[0].astype(float)
        q = np.histogram(imputed, bins=bins)[0].astype(float)
    return float(jensenshannon(p / p.sum(), q / q.sum(), base=2))


def imputation_metrics(
    X_true: pd.DataFrame, X_imputed: pd.DataFrame, mask: np.ndarray, reference: pd.DataFrame | None = None
) -> dict[str, float]:
    """MAE, RMSE, ARMSE, categorical accuracy, JSDist, RL and W1 at the masked cells (PROTOCOL §5),
    keyed as :data:`IMPUTATION_METRICS`, plus :data:`MAX_COLUMN_RMSE` for :func:`diverged_reason`.

    ``reference`` is the complete table whose columns set each numeric column's scale (min-max) and
    JSDist bins (PROTOCOL §5: "the complete column"); by default ``X_true``. Out-of-sample scores
    (PROTOCOL §3, the test part) pass the whole table, so both parts are scored on the same scale.
    """
    from scipy.stats import wasserstein_distance

    reference = X_true if reference is None else reference
    missing = ~np.asarray(mask, dtype=bool)
    abs_err, sq_err = [], []
    feature_err, numeric_rmse, js, rl, w1 = [], [], [], [], []
    cat_right = cat_total = 0
    for j, c in enumerate(X_true.columns):
        rows = missing[:, j]
        if not rows.any():
            continue
        if isinstance(X_true[c].dtype, pd.CategoricalDtype):
            t = X_true[c].to_numpy()[rows].astype(str)
            i = X_imputed[c].to_numpy()[rows].astype(str)
            right = int((t == i).sum())
            cat_right += right
            cat_total += rows.sum()
            feature_err.append(1.0 - right / rows.sum())  # PROTOCOL §5 ARMSE: error rate
            js.append(js_distance(t, i, None))
            continue
        lo, hi = float(reference[c].min()), float(reference[c].max())
        t = _scale(X_true[c].to_numpy(dtype=float)[rows], lo, hi)
        i = _scale(X_imputed[c].to_numpy(dtype=float)[rows], lo, hi)
        diff = i - t
        abs_err.append(np.abs(diff))
        sq_err.append(diff ** 2)
        numeric_rmse.append(float(np.sqrt(np.mean(diff ** 2))))
        feature_err.append(numeric_rmse[-1])  # PROTOCOL §5 ARMSE: column RMSE
        # PROTOCOL §5 JSDist: min(10, unique values) equal-width bins over the complete range.
        n_unique = reference[c].nunique()
        bins = np.linspace(0.0, 1.0, max(1, min(10, n_unique)) + 1)
        js.append(js_distance(t, np.clip(i, 0.0, 1.0), bins))
        rl.append(np.mean([
            abs(np.median(t) - np.median(i)), abs(_iqr(t) - _iqr(i)), abs(_skewness(t) - _skewness(i))
        ]))
        w1.append(wasserstein_distance(t, i))
    pooled_abs = np.concatenate(abs_err) if abs_err else np.array([])
    pooled_sq = np.concatenate(sq_err) if sq_err else np.array([])
    nan = float("nan")
    return {
        "mae": float(pooled_abs.mean()) if pooled_abs.size else nan,
        "rmse": float(np.sqrt(pooled_sq.mean())) if pooled_sq.size else nan,
        "armse": float(np.mean(feature_err)) if feature_err else nan,
        "cat_accuracy": float(cat_right / cat_total) if cat_total else nan,
        "jsdist": float(np.mean(js)) if js else nan,
        "rl": float(np.mean(rl)) if rl else nan,
        "w1": float(np.mean(w1)) if w1 else nan,
        MAX_COLUMN_RMSE: float(np.max(numeric_rmse)) if numeric_rmse else nan,
    }


def diverged_reason(scores: Mapping[str, float]) -> str | None:
    """Why a job's scores are diverged (PROTOCOL §6), or None when they are not: MAE, RMSE or a
    numeric column's RMSE above :data:`DIVERGED_ABOVE` on the [0, 1] scale of PROTOCOL §5.
    A missing or NaN score is not evidence of divergence (nothing was measured)."""
    evidence = [(key, METRIC_REGISTRY[key].label) for key in ("mae", "rmse")]
    for key, what in (*evidence, (MAX_COLUMN_RMSE, "a numeric column's RMSE")):
        value = scores.get(key)
        if value is not None and value > DIVERGED_ABOVE:  # NaN compares False
            return (f"diverged: {what} {value:.4g} > {DIVERGED_ABOVE:g} on the [0, 1] scale "
                    "(imputations outside the column's range on average)")
    return None
