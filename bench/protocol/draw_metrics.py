"""Scores of multiple imputations (PROTOCOL §9) as pure functions of (true table, m drawn tables, mask).

An imputer with ``sample`` (PROTOCOL §9) gives ``m`` completed tables; one that has only
``transform`` is scored with its single table as ``m = 1``. Everything is on PROTOCOL §5's scale
(:class:`imputebench.protocol.distribution_metrics.Section5Scale`). ``mask`` is True where a cell was observed.

- **energy score** (Gneiting & Raftery 2007; the multivariate CRPS, lower is better): per row with a
  masked cell, ``mean_k |x_k - y| - 1/(2 m²) sum_{k,l} |x_k - x_l|`` with ``x_k`` the row in draw k
  and ``y`` the true row (Euclidean norms; observed cells are equal in all of them and add nothing),
  averaged over at most :data:`~imputebench.protocol.distribution_metrics.MAX_ROWS` such rows drawn with the
  job's seed. With ``m = 1`` it is the row's Euclidean error.
- **coverage and width of the 90 % interval** per masked numeric cell: the interval for one more
  draw from the cell's imputation distribution, ``mean ± t(0.95, m-1) · sd · sqrt(1 + 1/m)`` over the
  ``m`` draws (the normal-theory prediction interval: it holds the truth 90 % of the time when the
  truth is distributed like the draws, whatever ``m``; the draws' own 5-95 % quantiles would hold it
  62 % of the time with 5 normal draws and 82 % with 20, even then). Coverage is the share of cells
  whose true value lies in their interval, width the mean interval width. With ``m = 1`` the interval
  is the imputed value itself: width 0, and coverage is the share of cells imputed exactly right.
- **calibration**: the same coverage at the nominal levels of :data:`COVERAGE_LEVELS` (50, 80, 90 and
  95 %), from the same draws' mean and spread in the same pass, so that actual coverage can be read
  against nominal coverage (a calibrated imputer's points lie on the diagonal). Only the 90 % width is
  kept: the other widths are the same spread times another t quantile.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .distribution_metrics import Section5Scale, scored_rows

LEVEL = 0.9
# The nominal levels of the calibration view; 0.9 is LEVEL's coverage_90.
COVERAGE_LEVELS = (0.5, 0.8, 0.9, 0.95)


def coverage_name(level: float) -> str:
    """The metric name of the coverage at nominal ``level`` (0.9 -> ``coverage_90``)."""
    return f"coverage_{round(100 * level)}"


CALIBRATION_METRICS = tuple(coverage_name(level) for level in COVERAGE_LEVELS if level != LEVEL)
DRAW_METRICS = ("energy_score", "coverage_90", "width_90", *CALIBRATION_METRICS)


def energy_score(draws: np.ndarray, truth: np.ndarray) -> float:
    """Mean over rows of the energy score of ``draws`` (m x rows x columns) against ``truth`` (rows x columns)."""
    m = draws.shape[0]
    if truth.shape[0] == 0:
        return float("nan")
    to_truth = np.sqrt(((draws - truth[None]) ** 2).sum(axis=2)).mean(axis=0)
    between = np.zeros(truth.shape[0])
    for k in range(m):  # pairs k < l, each counted twice in the double sum
        for ell in range(k + 1, m):
            between += 2.0 * np.sqrt(((draws[k] - draws[ell]) ** 2).sum(axis=1))
    return float(np.mean(to_truth - between / (2.0 * m * m)))


def prediction_intervals(draws: np.ndarray, levels: Sequence[float]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per level, per cell (columns of ``draws``, m x cells) the normal-theory interval for one more
    draw at that level; the draw itself when ``m = 1``. The mean and spread are computed once."""
    from scipy.stats import t as student_t

    m = draws.shape[0]
    centre = draws.mean(axis=0)
    if m == 1:
        return [(centre, centre) for _ in levels]
    spread = draws.std(axis=0, ddof=1) * np.sqrt(1.0 + 1.0 / m)
    halves = (student_t.ppf(0.5 + level / 2.0, m - 1) * spread for level in levels)
    return [(centre - half, centre + half) for half in halves]


def prediction_interval(draws: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """:func:`prediction_intervals` at one ``level``."""
    return prediction_intervals(draws, [level])[0]


def draw_metrics(X_true: pd.DataFrame, draws: Sequence[pd.DataFrame], mask: np.ndarray,
                 reference: pd.DataFrame | None = None, seed: int = 0) -> dict[str, float]:
    """Energy score, coverage and mean width of the 90 % interval, and coverage at the other
    :data:`COVERAGE_LEVELS`, of ``draws`` (one table per imputation, ``m = len(draws)``) at the masked
    cells of ``X_true`` (see the module docstring), keyed as :data:`DRAW_METRICS`; NaN where nothing
    was masked (no numeric cell: no interval).

    ``reference`` sets the numeric scale as in :func:`imputebench.protocol.metrics.imputation_metrics`;
    ``seed`` draws the energy score's rows when more than the limit had a masked cell.
    """
    if not draws:
        raise ValueError("draw_metrics needs at least one imputed table (m >= 1)")
    reference = X_true if reference is None else reference
    missing = ~np.asarray(mask, dtype=bool)
    rows = scored_rows(mask, seed)
    scale = Section5Scale(reference)
    truth = scale.encode(X_true)
    drawn = np.stack([scale.encode(D) for D in draws])
    nan = float("nan")
    score = energy_score(drawn[:, rows], truth[rows]) if rows.size else nan
    numeric = [X_true.columns.get_loc(c) for c in scale.numeric]
    cells = missing[:, numeric]  # the numeric block comes first, in table order
    out = dict.fromkeys(DRAW_METRICS, nan) | {"energy_score": score}
    if not cells.any():
        return out
    true_cells = truth[:, :len(numeric)][cells]
    intervals = prediction_intervals(drawn[:, :, :len(numeric)][:, cells], COVERAGE_LEVELS)
    for level, (lower, upper) in zip(COVERAGE_LEVELS, intervals):
        out[coverage_name(level)] = float(np.mean((true_cells >= lower) & (true_cells <= upper)))
        if level == LEVEL:
            out["width_90"] = float(np.mean(upper - lower))
    return out
