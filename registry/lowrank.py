"""Iterative low-rank imputation, shared by regularised iterative PCA and SoftImpute.

Both methods alternate "fill the missing cells with a low-rank reconstruction" and "recompute the
reconstruction from the filled matrix". Their reconstructions have the same form: with the
column-standardised filled matrix ``Xc = U diag(d) V'``, the fit is ``Xc V diag(f) V'`` where the
per-component *factors* ``f`` shrink the singular values:

- regularised iterative PCA (Josse & Husson 2012; missMDA ``imputePCA``): the first ``ncp``
  components, ``f = (vs^2 - sigma2) / vs^2`` with ``vs = d / sqrt(n)``;
- SoftImpute (Mazumder, Hastie & Tibshirani 2010): ``f = max(d - lambda, 0) / d``.

So one loop serves both (:func:`fit_low_rank`, subclasses give the factors), and one inductive
fill serves both: new rows start at the column means and are iterated to the fixed point
``x_missing = (Xc V diag(f) V')_missing`` with the fitted ``V`` and ``f`` (:meth:`LowRankModel.complete`).
Categorical columns enter as one-hot blocks (:class:`~imputebench.protocol.encoding.MixedEncoder`) and
decode by arg-max.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from ..protocol.encoding import MixedEncoder
from ..imputer import Imputer
from .transductive import EncodedMatrixImputer

Criterion = Literal["objective", "change"]


@dataclass
class LowRankModel:
    """Column centring/scaling and the shrunk low-rank projection fitted on the fit table."""

    mean: np.ndarray
    scale: np.ndarray
    components: np.ndarray  # (rank, p): right singular vectors
    factors: np.ndarray  # (rank,): shrinkage per component

    def reconstruct(self, standardised: np.ndarray) -> np.ndarray:
        return ((standardised @ self.components.T) * self.factors) @ self.components

    def complete(self, Z: np.ndarray, max_iter: int, tol: float) -> np.ndarray:
        """Fill the NaNs of ``Z`` (original units) by iterating the fitted projection to its fixed point."""
        missing = np.isnan(Z)
        Xc = np.where(missing, 0.0, (Z - self.mean) / self.scale)
        if missing.any() and self.components.size:
            for _ in range(max_iter):
                previous = Xc[missing]
                Xc[missing] = self.reconstruct(Xc)[missing]
                if _relative_change(previous, Xc[missing]) < tol:
                    break
        return Xc * self.scale + self.mean


@dataclass
class LowRankFit:
    """What :func:`fit_low_rank` returns."""

    model: LowRankModel
    filled: np.ndarray  # the fit table, missing cells imputed (original units)
    n_iter: int
    residual_ss: float  # sum over observed cells of the squared standardised reconstruction error
    n_observed: int


def fit_low_rank(Z: np.ndarray, factors_for, *, standardise: bool, recenter: bool, max_iter: int,
                 tol: float, criterion: Criterion) -> LowRankFit:
    """Iterative low-rank imputation of ``Z`` (NaN = missing).

    ``factors_for(d, n, p)`` maps the singular values ``d`` of the standardised filled matrix to the
    shrinkage factors of the leading components. ``recenter``: re-estimate column means (and scales)
    from the filled matrix every iteration, as imputePCA does. ``criterion``: ``"objective"``
    (imputePCA: relative change of the fit error on observed cells, at least 5 iterations) or
    ``"change"`` (SoftImpute: relative change of the imputed cells).
    """
    n, p = Z.shape
    missing = np.isnan(Z)
    mean, scale = _column_stats(Z, standardise)
    X = np.where(missing, mean, Z)
    old_objective = np.inf
    residual_ss = float((((Z - mean) / scale)[~missing] ** 2).sum())  # rank 0: the means
    model = LowRankModel(mean, scale, np.zeros((0, p)), np.zeros(0))
    iterations = 0
    for iterations in range(1, max_iter + 1):
        if recenter:
            mean, scale = _column_stats(X, standardise)
        Xc = (X - mean) / scale
        _, d, vt = np.linalg.svd(Xc, full_matrices=False)
        factors = factors_for(d, n, p)
        model = LowRankModel(mean, scale, vt[:factors.size], factors)
        fitted = model.reconstruct(Xc)
        previous = X[missing]
        X[missing] = (fitted * scale + mean)[missing]
        residual_ss = float(((Xc - fitted)[~missing] ** 2).sum())
        if criterion == "objective":
            objective = residual_ss / n
            # A perfect fit (constant observed columns) leaves 0 before: no ratio to take, and done.
            done = iterations > 5 and (objective < tol or (old_objective > 0 and abs(1 - objective / old_objective) < tol))
            old_objective = objective
        else:
            done = _relative_change(previous, X[missing]) < tol
        if done or not missing.any():
            break
    return LowRankFit(model, X, iterations, residual_ss, int((~missing).sum()))


def _column_stats(Z: np.ndarray, standardise: bool) -> tuple[np.ndarray, np.ndarray]:
    """Observed mean and standard deviation per column; a constant column gets scale 1."""
    observed = ~np.isnan(Z)
    count = np.maximum(observed.sum(axis=0), 1)
    mean = np.where(observed, Z, 0.0).sum(axis=0) / count
    if not standardise:
        return mean, np.ones(Z.shape[1])
    std = np.sqrt(np.where(observed, (Z - mean) ** 2, 0.0).sum(axis=0) / count)
    return mean, np.where(std > 1e-12, std, 1.0)


def _relative_change(old: np.ndarray, new: np.ndarray) -> float:
    return float(np.sqrt(((new - old) ** 2).sum()) / max(np.sqrt((old ** 2).sum()), 1e-12))


class LowRankImputer(EncodedMatrixImputer, Imputer):
    """Fit/transform around :func:`fit_low_rank`; subclasses set the factors and the loop's options."""

    recenter: ClassVar[bool]
    criterion: ClassVar[Criterion]
    max_iter: int
    tol: float

    def _factors(self, d: np.ndarray, n: int, p: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_matrix(self, Z: np.ndarray) -> LowRankFit:
        return fit_low_rank(Z, self._factors, standardise=True, recenter=self.recenter,
                            max_iter=int(self.max_iter), tol=float(self.tol), criterion=self.criterion)

    def _fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> "LowRankImputer":
        self.encoder_ = MixedEncoder(scaling="none").fit(X)
        result = self._fit_matrix(self.encoder_.encode(X))
        self.model_, self.n_iter_ = result.model, result.n_iter
        self._finish_fit(X, result.filled)
        return self

    def _complete_matrix(self, Z: np.ndarray) -> np.ndarray:
        """New rows through the fitted low-rank model's fixed-point step."""
        return self.model_.complete(Z, int(self.max_iter), float(self.tol))
