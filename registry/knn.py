"""KNNI: k-nearest-neighbour imputation (Troyanskaya et al. 2001), inductive.

Rows are compared on the min-max-scaled encoded table (:class:`~imputebench.encoding.MixedEncoder`,
one-hot blocks for categorical columns) by the nan-euclidean distance: the squared differences
over the coordinates both rows observe, scaled up by ``coordinates / shared coordinates``
(scikit-learn's ``nan_euclidean_distances``). Donors are the rows of the *fit* table. A missing
cell of column j takes, among the donors that observe j, the k nearest: the mean of their values
(numeric; ``weights="distance"`` weights by inverse distance) or their majority category (the
arg-max of their summed one-hot rows, so the output is a real category). A cell with no donor at
a finite distance takes the fit table's mean / modal category.

Vectorised: distances by matrix products for a chunk of query rows against all donors, then one
``argpartition`` per column; no Python loop over cells.

Profiles: ``paper`` = ``quick`` = ``n_neighbors=5``, uniform weights (scikit-learn's KNNImputer
defaults); breast_cancer, 50% MCAR, one thread: about 0.05 s CPU fit+transform.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ..encoding import MixedEncoder
from ..imputer import Imputer, POSITIVE_INT, StrOptions
from .info import BUILTIN_INFO

# Query rows per chunk are chosen so a chunk's distance matrix holds about this many cells.
CHUNK_CELLS = 4_000_000


class KNNImputer(Imputer):
    info = BUILTIN_INFO["knn"]  # metadata lives in registry/info.py (read without importing this module)
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
        self.donors_ = np.nan_to_num(donors)
        self.column_observed_ = X.notna().to_numpy()
        # Fallback per encoded column: the mean of the donors that observe it (mode share for one-hot).
        counts = self.donor_observed_.sum(axis=0)
        self.fallback_ = np.where(counts > 0, self.donors_.sum(axis=0) / np.maximum(counts, 1), 0.0)
        return self

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        Z = self.encoder_.encode(X)
        query_observed = ~np.isnan(Z)
        query = np.nan_to_num(Z)
        missing = X.isna().to_numpy()
        filled = np.where(query_observed, query, self.fallback_)
        rows_to_fill = np.flatnonzero(missing.any(axis=1))
        chunk = max(1, CHUNK_CELLS // max(len(self.donors_), 1))
        for start in range(0, rows_to_fill.size, chunk):
            rows = rows_to_fill[start:start + chunk]
            dist = self._distances(query[rows], query_observed[rows])
            self._fill_chunk(filled, rows, dist, missing[rows])
        return self.encoder_.decode(filled, index=X.index)

    def _distances(self, query: np.ndarray, observed: np.ndarray) -> np.ndarray:
        """nan-euclidean distances (query rows x donors); inf where two rows share no coordinate."""
        qm, dm = observed.astype(float), self.donor_observed_.astype(float)
        q, d = query * qm, self.donors_ * dm  # zeros where unobserved
        squared = (q ** 2) @ dm.T + qm @ (d ** 2).T - 2.0 * q @ d.T
        shared = qm @ dm.T
        with np.errstate(divide="ignore", invalid="ignore"):
            dist = np.sqrt(np.maximum(squared, 0.0) * (query.shape[1] / shared))
        dist[shared == 0] = np.inf
        return dist

    def _fill_chunk(self, filled: np.ndarray, rows: np.ndarray, dist: np.ndarray, missing: np.ndarray) -> None:
        k_max = int(self.n_neighbors)
        for j, block in enumerate(self.encoder_.blocks_):
            queries = np.flatnonzero(missing[:, j])
            donors = np.flatnonzero(self.column_observed_[:, j])
            if queries.size == 0 or donors.size == 0:
                continue
            sub = dist[np.ix_(queries, donors)]
            k = min(k_max, donors.size)
            nearest = np.argpartition(sub, k - 1, axis=1)[:, :k] if k < donors.size else \
                np.broadcast_to(np.arange(donors.size), (queries.size, donors.size))
            near_dist = np.take_along_axis(sub, nearest, axis=1)
            weight = np.isfinite(near_dist).astype(float)
            if self.weights == "distance":
                # An exact match (distance 0) takes all the weight, as in scikit-learn.
                with np.errstate(divide="ignore"):
                    inverse = np.where(weight > 0, 1.0 / near_dist, 0.0)
                exact = np.isinf(inverse)
                weight = np.where(exact.any(axis=1, keepdims=True), exact.astype(float), inverse)
            total = weight.sum(axis=1)
            has_donor = total > 0
            values = self.donors_[donors[nearest], block.start:block.stop]  # (queries, k, block width)
            combined = (values * weight[:, :, None]).sum(axis=1) / np.maximum(total, 1e-300)[:, None]
            target_rows = rows[queries[has_donor]]
            if block.kind == "numeric":
                filled[target_rows, block.start] = combined[has_donor, 0]
            else:
                # Majority vote: the summed one-hot rows decode by arg-max to the commonest category.
                filled[target_rows, block.start:block.stop] = combined[has_donor]
