"""KNNI: k-nearest-neighbour imputation (Troyanskaya et al. 2001), inductive.

Rows are compared on the min-max-scaled encoded table (:class:`~imputebench.protocol.encoding.MixedEncoder`,
one-hot blocks for categorical columns) by the nan-euclidean distance: the squared differences
over the coordinates both rows observe, scaled up by ``coordinates / shared coordinates``
(scikit-learn's ``nan_euclidean_distances``). Donors are the rows of the *fit* table. A missing
cell of column j takes, among the donors that observe j, the k nearest: the mean of their values
(numeric; ``weights="distance"`` weights by inverse distance) or their majority category (the
arg-max of their summed one-hot rows, so the output is a real category). A cell with no donor at
a finite distance takes the fit table's mean / modal category. Equal distances are broken by the
donor's row in the fit table (the earlier row wins), so the neighbours are the same on any machine.

Exact neighbours at a small constant, for a block of query rows at a time:

1. *Screen* in float32: the nan-euclidean distance of every query row of the block to every donor
   from two matrix products (centred coordinates, so the float32 rounding stays small).
2. One ``argpartition`` per block (not per column) keeps each row's K nearest donors by the
   screened distance; their distances are recomputed exactly in float64 (difference form), sorted
   (ties by donor row), and each missing column takes the first k of them that observe it.
3. *Certify*: float32 rounding is bounded (``screening_error``); the k-th neighbour of a column is
   certainly among the K when its exact distance is below the K-th screened distance minus that
   bound. Rows that fail (many ties, or too few candidates observe the column) repeat step 2 with
   4x K, up to every donor, so the answer is the float64 one whatever the screen did.

Profiles: ``paper`` = ``quick`` = ``n_neighbors=5``, uniform weights (scikit-learn's KNNImputer
defaults); breast_cancer, 50% MCAR, one thread: about 0.05 s CPU fit+transform.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ..protocol.encoding import MixedEncoder
from ..imputer import Imputer, POSITIVE_INT, StrOptions
from .info import BUILTIN_INFO

# Query rows per block are chosen so a block's screening matrix holds about this many cells
# (16 bytes a cell with the partition's indices: 128 MB).
BLOCK_CELLS = 8_000_000
# Exact distances (squared, per shared coordinate, on min-max-scaled columns) closer than this
# are equal: they differ by float64 rounding only, and the earlier donor row wins.
TIE_TOLERANCE = 1e-10
# Rows x candidates x encoded columns held at once by the exact pass.
EXACT_CELLS = 2_000_000
# Unit roundoff of float32, for the bound on the screened distances.
FLOAT32_ROUNDOFF = float(np.finfo(np.float32).eps) / 2


class KNNImputer(Imputer):
    info = BUILTIN_INFO["knn"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"n_neighbors": [POSITIVE_INT], "weights": [StrOptions({"uniform", "distance"})]}

    def __init__(self, n_neighbors: int = 5, weights: Literal["uniform", "distance"] = "uniform") -> None:
        self.n_neighbors = n_neighbors
        self.weights = weights

    def _fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> "KNNImputer":
        if self.weights not in ("uniform", "distance"):
            raise ValueError(f"weights must be 'uniform' or 'distance', got {self.weights!r}")
        self.encoder_ = MixedEncoder(scaling="minmax").fit(X)
        donors = self.encoder_.encode(X)
        self.donor_observed_ = ~np.isnan(donors)
        self.column_observed_ = X.notna().to_numpy()
        # Fallback per encoded column: the mean of the donors that observe it (mode share for one-hot).
        counts = self.donor_observed_.sum(axis=0)
        self.fallback_ = np.where(counts > 0, np.nansum(donors, axis=0) / np.maximum(counts, 1), 0.0)
        # Distances are translation-invariant: centring on the fallback keeps float32 rounding small.
        self.centre_ = self.fallback_
        self.centred_donors_ = np.where(self.donor_observed_, donors - self.centre_, 0.0)
        mask = self.donor_observed_.astype(np.float32)
        # Right factors of the screening products (left: [q^2, query mask, -2q]; see _screen).
        self.screen_factors_ = np.concatenate(
            [mask, self.centred_donors_ ** 2, self.centred_donors_], axis=1).astype(np.float32)
        self.screen_mask_ = mask
        self.max_donor_norm_ = float((self.centred_donors_ ** 2).sum(axis=1).max(initial=0.0))
        return self

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        Z = self.encoder_.encode(X)
        query_observed = ~np.isnan(Z)
        query = np.where(query_observed, Z - self.centre_, 0.0)
        missing = X.isna().to_numpy()
        filled = np.where(query_observed, np.nan_to_num(Z), self.fallback_)
        rows_to_fill = np.flatnonzero(missing.any(axis=1))
        n_donors = len(self.centred_donors_)
        block = max(1, BLOCK_CELLS // max(n_donors, 1))
        for start in range(0, rows_to_fill.size, block):
            rows = rows_to_fill[start:start + block]
            self._fill_block(filled, rows, query[rows], query_observed[rows], missing[rows])
        return self.encoder_.decode(filled, index=X.index)

    # -- the steps of the module docstring ------------------------------------------------------
    def _screen(self, query: np.ndarray, observed: np.ndarray) -> np.ndarray:
        """float32 nan-euclidean squared distance / coordinates (query rows x donors): squared
        differences over shared coordinates divided by their number; NaN where none is shared.
        Returned as the uint32 bits of the float32 values: with negatives (rounding) clamped to 0,
        those bits sort as the values do and every NaN after +inf."""
        left = np.concatenate([query ** 2, observed, -2.0 * query], axis=1).astype(np.float32)
        screened = left @ self.screen_factors_.T
        shared = observed.astype(np.float32) @ self.screen_mask_.T
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(screened, shared, out=screened)
        np.maximum(screened, 0.0, out=screened)  # NaN stays NaN
        return screened.view(np.uint32)

    def _screening_error(self, query: np.ndarray) -> np.ndarray:
        """Per query row, a bound on |screened - exact| for every donor, up to the division's own
        rounding (the caller's 1 - 4u factor). Before the division by the shared coordinates (at
        least 1, so dividing only shrinks the error): each product term is rounded once on input,
        and a float32 dot product of length m errs by at most m*u times the sum of its absolute
        terms (Higham, Accuracy and Stability of Numerical Algorithms, 3.1), at most 2 (|q|^2 + |d|^2)."""
        terms = 3 * query.shape[1]
        return 2.0 * (terms + 8) * FLOAT32_ROUNDOFF * ((query ** 2).sum(axis=1) + self.max_donor_norm_)

    def _fill_block(self, filled: np.ndarray, rows: np.ndarray, query: np.ndarray, observed: np.ndarray,
                    missing: np.ndarray) -> None:
        screened = self._screen(query, observed)
        error = self._screening_error(query)
        n_donors = screened.shape[1]
        share = self.column_observed_.mean(axis=0)
        # Enough candidates that the rarest-observed column usually finds its k among them.
        n_candidates = int(np.ceil(2 * self.n_neighbors / max(float(share[share > 0].min(initial=1.0)), 1e-3))) + 8
        todo = missing.copy()
        pending: np.ndarray | None = None  # None: every row of the block, taken by slices (no copies)
        while pending is None or pending.size:
            width = min(n_candidates, n_donors)
            n_rows = rows.size if pending is None else pending.size
            step = max(1, EXACT_CELLS // (4 * width * query.shape[1]))
            for start in range(0, n_rows, step):
                part = slice(start, start + step) if pending is None else pending[start:start + step]
                todo[part] = self._fill_from_candidates(
                    filled, rows[part], query[part], observed[part], todo[part], screened[part], error[part], width)
            pending = np.flatnonzero(todo.any(axis=1))
            n_candidates *= 4

    def _fill_from_candidates(self, filled: np.ndarray, rows: np.ndarray, query: np.ndarray, observed: np.ndarray,
                              todo: np.ndarray, screened: np.ndarray, error: np.ndarray, n_candidates: int
                              ) -> np.ndarray:
        """Fill the cells in ``todo`` whose k neighbours are certainly among the rows' candidates
        (the donors screened at most at the ``n_candidates``-th smallest value); returns the cells
        left to do (True where not certified)."""
        n_donors = screened.shape[1]
        if n_candidates >= n_donors:
            candidates = np.broadcast_to(np.arange(n_donors), screened.shape)
            bound = np.full(rows.size, np.inf)
        else:
            candidates, threshold = _screened_candidates(screened, n_candidates)
            # A donor left out screened above the threshold, so its exact value is above it minus the error.
            threshold = threshold.astype(float)
            bound = np.where(np.isnan(threshold), np.inf, threshold * (1 - 4 * FLOAT32_ROUNDOFF) - 1.01 * error)
        padding = candidates < 0
        # Exact distances (float64, difference form) of the candidates, the donors indexed once.
        values = self.centred_donors_[candidates]  # (rows, candidates, encoded)
        both = self.donor_observed_[candidates] & observed[:, None, :] & ~padding[:, :, None]
        diff = np.where(both, query[:, None, :] - values, 0.0)
        shared = both.sum(axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            exact = np.where(shared > 0, np.einsum("rce,rce->rc", diff, diff) / shared, np.inf)
        # Nearest first; distances equal up to float64 rounding form one tie class, ordered by donor row.
        order = np.argsort(exact, axis=1)
        exact = np.take_along_axis(exact, order, axis=1)
        with np.errstate(invalid="ignore"):
            gaps = np.diff(exact, axis=1) > TIE_TOLERANCE  # inf - inf is NaN: the unreachable donors tie
        tie_class = np.concatenate([np.zeros((rows.size, 1), dtype=np.int64), np.cumsum(gaps, axis=1)], axis=1)
        within = np.argsort(tie_class * n_donors + np.take_along_axis(candidates, order, axis=1), axis=1)
        order = np.take_along_axis(order, within, axis=1)  # tie_class stays sorted: 'within' only permutes inside classes
        candidates = np.take_along_axis(candidates, order, axis=1)
        exact = np.take_along_axis(exact, within, axis=1)
        values = np.take_along_axis(values, order[:, :, None], axis=1)
        distance = np.sqrt(exact * query.shape[1])  # sklearn's scaling: coordinates / shared coordinates
        left = todo.copy()
        n_observing = self.column_observed_.sum(axis=0)
        for j, block in enumerate(self.encoder_.blocks_):
            need = todo[:, j]
            if not need.any() or n_observing[j] == 0:
                left[:, j] = False
                continue
            k = min(int(self.n_neighbors), int(n_observing[j]))
            valid = self.column_observed_[candidates, j] & ~padding
            rank = np.cumsum(valid, axis=1)
            chosen = valid & (rank <= k)
            found = rank[:, -1]
            # The k-th neighbour's whole tie class must lie inside the candidates, beyond doubt.
            kth_class = np.where(chosen, tie_class, -1).max(axis=1, keepdims=True)
            kth = np.where(found >= k, np.where(tie_class == kth_class, exact, -np.inf).max(axis=1), np.inf)
            certain = need & (found >= k) & ((kth + TIE_TOLERANCE < bound) | (found == n_observing[j]))
            weight = (chosen & np.isfinite(distance)).astype(float)
            if self.weights == "distance":
                # An exact match (distance 0) takes all the weight, as in scikit-learn.
                with np.errstate(divide="ignore"):
                    inverse = np.where(weight > 0, 1.0 / distance, 0.0)
                exact_match = np.isinf(inverse)
                weight = np.where(exact_match.any(axis=1, keepdims=True), exact_match.astype(float), inverse)
            total = weight.sum(axis=1)
            target = certain & (total > 0)
            cols = slice(block.start, block.stop)
            combined = np.einsum("rc,rce->re", weight[target], values[target, :, cols]) / total[target, None]
            # Numeric: the (weighted) mean; categorical: the summed one-hot rows, decoded by arg-max.
            filled[rows[target], cols] = combined + self.centre_[cols]
            left[:, j] = need & ~certain
        return left


def _screened_candidates(screened: np.ndarray, n_candidates: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, every donor screened at most at the row's ``n_candidates``-th smallest value, as a
    (rows x width) index matrix padded with -1, and that value per row (float32). A row with over
    4x ``n_candidates`` such donors (ties) gets none: it certifies nothing and is searched wider.

    ``partition`` of the values and one comparison are half the cost of an ``argpartition``."""
    n_rows, n_donors = screened.shape
    threshold = kth_smallest(screened, n_candidates)
    row, donor = np.divmod(np.flatnonzero(screened <= threshold[:, None]), n_donors)
    counts = np.bincount(row, minlength=n_rows)
    crowded = counts > 4 * n_candidates
    candidates = padded_rows(donor[~crowded[row]], np.where(crowded, 0, counts), fill=-1)
    return candidates, threshold.view(np.float32)


def padded_rows(flat: np.ndarray, counts: np.ndarray, fill) -> np.ndarray:
    """Ragged rows (``flat`` holds ``counts[i]`` values of row i, row after row) as a matrix of
    ``len(counts)`` rows and at least one column, each row padded with ``fill``."""
    out = np.full((counts.size, max(1, int(counts.max(initial=0)))), fill, dtype=flat.dtype)
    position = np.arange(flat.size) - np.repeat(np.cumsum(counts) - counts, counts)
    out[np.repeat(np.arange(counts.size), counts), position] = flat
    return out


# kth_smallest: every SAMPLE_STRIDE-th donor gives a first guess of the threshold, and only the values
# at most that guess (about SAMPLE_MARGIN times the k needed) are partitioned.
SAMPLE_STRIDE = 16
SAMPLE_MARGIN = 3


def kth_smallest(values: np.ndarray, k: int) -> np.ndarray:
    """Per row, the ``k``-th smallest of ``values`` (rows x n, 1-based ``k``): exactly
    ``np.partition(values, k - 1, axis=1)[:, k - 1]``, at a fraction of its cost on wide rows.

    A partition of a strided sample of each row gives a value that at least ``k`` of the row's
    values are very likely at most; the k-th smallest is then found among those values alone. A row
    for which the guess leaves fewer than ``k`` values (or far too many, on ties) is partitioned whole."""
    n_rows, n = values.shape
    sample = values[:, ::SAMPLE_STRIDE]
    picked = min(sample.shape[1], SAMPLE_MARGIN * (k // SAMPLE_STRIDE + 2))
    if n < 8 * SAMPLE_STRIDE * picked:  # narrow rows: the sample would not save anything
        return np.partition(values, k - 1, axis=1)[:, k - 1]
    guess = np.partition(sample, picked - 1, axis=1)[:, picked - 1]
    below = values <= guess[:, None]
    counts = np.count_nonzero(below, axis=1)
    width = 4 * SAMPLE_MARGIN * SAMPLE_STRIDE * picked
    easy = (counts >= k) & (counts <= width)
    out = np.empty(n_rows, dtype=values.dtype)
    if easy.any():
        # The values at most the guess, row by row, padded with the largest value after them.
        below &= easy[:, None]
        largest = np.iinfo(values.dtype).max if values.dtype.kind in "ui" else np.inf  # pads after every value
        padded = padded_rows(values[below], counts[easy], fill=largest)
        out[easy] = np.partition(padded, k - 1, axis=1)[:, k - 1]
    if not easy.all():
        out[~easy] = np.partition(values[~easy], k - 1, axis=1)[:, k - 1]
    return out
