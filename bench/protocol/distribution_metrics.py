"""Joint-distribution metrics (PROTOCOL §9) as pure functions of (true table, imputed table, mask).

Point errors (PROTOCOL §5) reward the conditional mean, which flattens the joint distribution. These
compare the imputed rows with the true rows as two samples: the rows that had at least one masked
cell, on PROTOCOL §5's scale (numeric columns min-max by the complete column, a constant column
at 0; categorical columns one-hot). ``mask`` is True where a cell was observed.

- **energy distance** (Székely & Rizzo 2013): ``2 E|A - B| - E|A - A'| - E|B - B'|`` with Euclidean
  norms, A the imputed rows and B the true ones, as the V-statistic over all pairs (the convention of
  ``dcor.energy_distance``; 0 only when the two samples coincide as sets). At most
  :data:`MAX_ROWS` rows, drawn with the job's seed, as the pairwise distances cost O(rows²).
- **correlation error**: the Frobenius norm of the difference between the Pearson correlation
  matrices of the imputed and the true rows, numeric columns only (a column constant on those rows
  correlates 0 with every other one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# PROTOCOL §9: energy distance and scores on at most this many rows per job.
MAX_ROWS = 2000
DISTRIBUTION_METRICS = ("energy_distance", "corr_error")


class Section5Scale:
    """PROTOCOL §5's scale, fixed by a complete ``reference`` table, for encoding several tables.

    ``encode(X)`` gives a float matrix: first the numeric columns in table order, each min-max scaled
    by the reference column's range (a constant column is 0, as §5 scores it), then per categorical
    column one indicator column per category of its dtype (after the first one with ``drop_first``:
    treatment contrasts). A missing cell is NaN in both encodings. Unlike the imputers' encoder
    (``imputebench.protocol.encoding.MixedEncoder``, scaled by the observed cells of a fit table) the range is
    the complete column's, and the numeric block is converted at once (one copy per table).
    """

    def __init__(self, reference: pd.DataFrame) -> None:
        kinds = reference.dtypes
        self.categorical = [c for c, dt in kinds.items() if isinstance(dt, pd.CategoricalDtype)]
        self.numeric = [c for c in reference.columns if c not in set(self.categorical)]
        # pandas skips missing cells: a table with its own holes (PROTOCOL §10) is scaled by its
        # observed cells, as §5's metrics scale it.
        ref = reference[self.numeric].astype(float)
        self.lo = ref.min().fillna(0.0).to_numpy() if len(ref) else np.zeros(len(self.numeric))
        self.hi = ref.max().fillna(0.0).to_numpy() if len(ref) else np.zeros(len(self.numeric))

    def encode(self, X: pd.DataFrame, drop_first: bool = False) -> np.ndarray:
        values = X[self.numeric].to_numpy(dtype=float)
        varies = self.hi > self.lo
        scaled = (values - self.lo) / np.where(varies, self.hi - self.lo, 1.0)
        parts = [np.where(varies, scaled, np.where(np.isnan(values), np.nan, 0.0))]
        for c in self.categorical:
            column = X[c]
            codes = column.cat.codes.to_numpy()
            block = (codes[:, None] == np.arange(int(drop_first), len(column.cat.categories))[None, :]).astype(float)
            block[codes < 0] = np.nan
            parts.append(block)
        return np.concatenate(parts, axis=1)

    def terms(self, X: pd.DataFrame, drop_first: bool = False) -> list[str]:
        """Names of ``encode``'s columns: a numeric column's name, ``column[category]`` for an indicator."""
        return [str(c) for c in self.numeric] + [f"{c}[{k}]" for c in self.categorical
                                                 for k in X[c].cat.categories[int(drop_first):]]


def scored_rows(mask: np.ndarray, seed: int, limit: int = MAX_ROWS) -> np.ndarray:
    """Indices of the rows with a masked cell, at most ``limit`` of them drawn without replacement
    with ``seed`` (kept in table order)."""
    rows = np.flatnonzero((~np.asarray(mask, dtype=bool)).any(axis=1))
    if rows.size > limit:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=limit, replace=False))
    return rows


def mean_pairwise_distance(A: np.ndarray, B: np.ndarray | None = None) -> float:
    """Mean Euclidean distance over all pairs of rows of ``A`` and ``B``, or of ``A`` with itself
    (every ordered pair, the zero diagonal included: the V-statistic)."""
    from scipy.spatial.distance import cdist, pdist

    if B is None:
        n = len(A)
        return float(2.0 * pdist(A).sum() / (n * n)) if n > 1 else 0.0
    return float(cdist(A, B).mean())


def energy_distance(A: np.ndarray, B: np.ndarray) -> float:
    """Energy distance ``2 E|A - B| - E|A - A'| - E|B - B'|`` between the rows of ``A`` and of ``B``."""
    if len(A) == 0 or len(B) == 0:
        return float("nan")
    return 2.0 * mean_pairwise_distance(A, B) - mean_pairwise_distance(A) - mean_pairwise_distance(B)


def correlation_matrix(V: np.ndarray) -> np.ndarray:
    """Pearson correlations of the columns of ``V``; a constant column correlates 0 with the others."""
    centred = V - V.mean(axis=0)
    norms = np.sqrt((centred ** 2).sum(axis=0))
    safe = np.where(norms > 0, norms, 1.0)
    corr = (centred.T @ centred) / np.outer(safe, safe)
    corr[norms == 0, :] = 0.0
    corr[:, norms == 0] = 0.0
    np.fill_diagonal(corr, 1.0)
    return np.clip(corr, -1.0, 1.0)


def correlation_error(true: np.ndarray, imputed: np.ndarray) -> float:
    """Frobenius norm of the difference of the two tables' correlation matrices; NaN with fewer than
    two columns or two rows (no correlation to compare)."""
    if true.shape[1] < 2 or true.shape[0] < 2:
        return float("nan")
    return float(np.linalg.norm(correlation_matrix(imputed) - correlation_matrix(true), "fro"))


def distribution_metrics(X_true: pd.DataFrame, X_imputed: pd.DataFrame, mask: np.ndarray,
                         reference: pd.DataFrame | None = None, seed: int = 0) -> dict[str, float]:
    """Energy distance and correlation error (PROTOCOL §9, see the module docstring) between the true
    and imputed rows that had a masked cell, keyed as :data:`DISTRIBUTION_METRICS`; NaN when no row
    was masked.

    ``reference`` sets the numeric columns' scale as in :func:`imputebench.protocol.metrics.imputation_metrics`
    (by default ``X_true``); ``seed`` draws the energy distance's rows when more than :data:`MAX_ROWS`
    had a masked cell.
    """
    reference = X_true if reference is None else reference
    missing_rows = np.flatnonzero((~np.asarray(mask, dtype=bool)).any(axis=1))
    nan = float("nan")
    if missing_rows.size == 0:
        return {"energy_distance": nan, "corr_error": nan}
    scale = Section5Scale(reference)
    true, imputed = scale.encode(X_true), scale.encode(X_imputed)
    n_numeric = len(scale.numeric)  # the numeric block comes first; correlations ignore its scale
    sub = scored_rows(mask, seed)
    return {
        "energy_distance": energy_distance(imputed[sub], true[sub]),
        "corr_error": correlation_error(true[missing_rows, :n_numeric], imputed[missing_rows, :n_numeric]),
    }
