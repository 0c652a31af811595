"""EM imputation under a multivariate normal model (Dempster, Laird & Rubin 1977; Little & Rubin 2019, ch. 11).

The encoded table (numeric columns standardised, categorical ones one-hot) is modelled as
N(mu, Sigma). E-step: each row's missing part is replaced by its conditional mean given the
observed part, ``mu_m + Sigma_mo Sigma_oo^-1 (x_o - mu_o)``, and the conditional covariance
``Sigma_mm - Sigma_mo Sigma_oo^-1 Sigma_om`` is added to the scatter matrix (the correction that
makes this EM rather than iterated regression). M-step: mean and covariance of the completed rows,
plus ``ridge * I`` so Sigma stays invertible (one-hot blocks are collinear, few rows, constant
columns). Stops when mu and Sigma change by less than ``tol`` (largest absolute change) or after
``max_iter``.

Speed: rows are grouped by missingness pattern and patterns by how many cells they miss, so each
group is one batched inverse over its patterns' *missing* blocks of the precision matrix
(``Sigma_mm|o = (K_mm)^-1`` with ``K = Sigma^-1``: small at low missingness); no Python loop over rows.
New rows (inductive, PROTOCOL §3) get the conditional means under the fitted mu and Sigma.
Categorical cells decode by arg-max of their block's conditional mean.

Multiple imputation (PROTOCOL §9, ``sample``): each of the ``m`` tables draws the missing cells from
their conditional Gaussian given the observed ones under the fitted mean and covariance (the
parameters are the EM estimates, not posterior draws, so between-imputation spread omits their
uncertainty). Categorical cells take the arg-max of their block's drawn values.

Profiles: ``paper`` = ``max_iter=200, tol=1e-5, ridge=1e-3``; ``quick`` = ``max_iter=30, tol=1e-3``
(breast_cancer, 50% MCAR, one thread: about 0.5 s CPU fit+transform).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..protocol.encoding import MixedEncoder
from ..imputer import Imputer, NON_NEGATIVE_REAL, POSITIVE_INT
from .transductive import EncodedMatrixImputer, seed_for
from .info import BUILTIN_INFO

# Batched arrays are cut into pieces of about this many cells.
CHUNK_CELLS = 4_000_000
SEED_DRAWS = 0  # key of seed_for for sample()'s draws


class EMImputer(EncodedMatrixImputer, Imputer):
    info = BUILTIN_INFO["em"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"max_iter": [POSITIVE_INT], "tol": [NON_NEGATIVE_REAL], "ridge": [NON_NEGATIVE_REAL]}

    def __init__(self, max_iter: int = 200, tol: float = 1e-5, ridge: float = 1e-3) -> None:
        self.max_iter = max_iter
        self.tol = tol
        self.ridge = ridge

    def _fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> "EMImputer":
        self.encoder_ = MixedEncoder(scaling="standard").fit(X)
        Z = self.encoder_.encode(X)
        n, p = Z.shape
        missing = np.isnan(Z)
        observed_count = np.maximum((~missing).sum(axis=0), 1)
        mean = np.where(missing, 0.0, Z).sum(axis=0) / observed_count
        completed = np.where(missing, mean, Z)
        ridge = float(self.ridge) * np.eye(p)
        cov = np.cov(completed, rowvar=False, bias=True).reshape(p, p) + ridge
        self.n_iter_ = 0
        for it in range(1, int(self.max_iter) + 1):
            completed, correction = conditional_fill(Z, mean, cov, with_covariance=True)
            new_mean = completed.mean(axis=0)
            centred = completed - new_mean
            new_cov = (centred.T @ centred + correction) / n + ridge
            change = max(np.abs(new_mean - mean).max(initial=0.0), np.abs(new_cov - cov).max(initial=0.0))
            mean, cov, self.n_iter_ = new_mean, new_cov, it
            if change < self.tol:
                break
        self.mean_, self.covariance_ = mean, cov
        self.fit_table_ = table_digest(Z, self.get_params())
        self._finish_fit(X, self._complete_matrix(Z))
        return self

    def _complete_matrix(self, Z: np.ndarray) -> np.ndarray:
        """Conditional means of the missing cells under the fitted Gaussian."""
        return conditional_fill(Z, self.mean_, self.covariance_, with_covariance=False)[0]

    def _sample(self, X: pd.DataFrame, m: int, random_state: int | None) -> list[pd.DataFrame]:
        """``m`` conditional-Gaussian draws of ``X``'s missing cells (module docstring), under the
        parameters of this fit when it was on ``X`` (same encoded table and hyper-parameters), else of a
        fresh fit on ``X`` (this imputer's own fit is left as it is)."""
        fitted = self if self._fitted_on(X) else clone(self).fit(X)
        fitted.__dict__.pop("_fit_filled", None)
        Z = fitted.encoder_.encode(X)
        rng = np.random.default_rng(seed_for(random_state, SEED_DRAWS))
        draws = conditional_draws(Z, fitted.mean_, fitted.covariance_, m, rng)
        return [fitted._decoded(X, D) for D in draws]

    def _fitted_on(self, X: pd.DataFrame) -> bool:
        return fitted_on_table(self, X)


def fitted_on_table(imputer, X: pd.DataFrame) -> bool:
    """Whether ``imputer`` (its ``encoder_`` and the ``fit_table_`` digest its fit recorded) was fitted
    on exactly ``X`` with its current hyper-parameters: ``sample`` may then reuse that fit."""
    encoder = getattr(imputer, "encoder_", None)
    if encoder is None or list(X.columns) != encoder.columns_:
        return False
    return getattr(imputer, "fit_table_", None) == table_digest(encoder.encode(X), imputer.get_params())


def table_digest(Z: np.ndarray, params: dict) -> str:
    """Fingerprint of an encoded table (NaN cells included) and the hyper-parameters fitted on it."""
    digest = hashlib.sha256(repr(sorted(params.items())).encode())
    digest.update(repr(Z.shape).encode())
    digest.update(np.ascontiguousarray(np.nan_to_num(Z, nan=np.inf)).tobytes())
    return digest.hexdigest()


def conditional_draws(Z: np.ndarray, mean: np.ndarray, cov: np.ndarray, m: int, rng: np.random.Generator
                      ) -> list[np.ndarray]:
    """``m`` copies of ``Z`` whose missing cells are drawn from N(mean, cov) given the observed cells.

    Matheron's rule: for ``e ~ N(mean, cov)``, ``e_m - E[e_m | e_o]`` is ``N(0, cov_m|o)`` whatever the
    observed values, so a draw is the conditional mean of ``Z`` plus that residual. Both conditional
    means come from :func:`conditional_fill`, in one call with the ``m`` noise tables stacked under
    ``Z`` (they share its missingness patterns, so the per-pattern inverses are computed once).
    """
    n, p = Z.shape
    missing = np.isnan(Z)
    noise = mean + rng.standard_normal((m * n, p)) @ np.linalg.cholesky(cov).T
    stacked = np.vstack([Z, np.where(np.tile(missing, (m, 1)), np.nan, noise)])
    filled = conditional_fill(stacked, mean, cov, with_covariance=False)[0]
    conditional_mean = filled[:n]
    residuals = (noise - filled[n:]).reshape(m, n, p)
    return [np.where(missing, conditional_mean + residuals[k], Z) for k in range(m)]


def conditional_fill(Z: np.ndarray, mean: np.ndarray, cov: np.ndarray, *, with_covariance: bool
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Missing cells of ``Z`` replaced by their conditional means under N(mean, cov); and, if asked,
    the sum over rows of the conditional covariances of the missing parts (zero elsewhere).

    Through the precision matrix ``K = cov^-1``: given the observed part, the missing part has
    covariance ``K_mm^-1`` and mean ``mu_m - K_mm^-1 K_mo (x_o - mu_o)``. So each pattern costs one
    inverse of the size of its *missing* block (small at low missingness) instead of its observed one.
    """
    n, p = Z.shape
    missing = np.isnan(Z)
    filled = np.where(missing, 0.0, Z)
    correction = np.zeros((p, p))
    precision = np.linalg.inv(cov)
    patterns, pattern_of_row = np.unique(missing, axis=0, return_inverse=True)
    pattern_of_row = pattern_of_row.ravel()
    rows_per_pattern = np.bincount(pattern_of_row, minlength=len(patterns))
    row_order = np.argsort(pattern_of_row, kind="stable")  # rows grouped by pattern
    sorted_patterns = pattern_of_row[row_order]
    n_missing = patterns.sum(axis=1)
    per_chunk = max(1, CHUNK_CELLS // (p * p))
    for m in np.unique(n_missing):
        if m == 0:
            continue
        q = p - m
        group = np.flatnonzero(n_missing == m)
        for start in range(0, group.size, per_chunk):
            pats = group[start:start + per_chunk]
            # Observed coordinates first, then missing ones (stable: each part keeps column order).
            order = np.argsort(patterns[pats], axis=1, kind="stable")
            obs_idx, mis_idx = order[:, :q], order[:, q:]
            cond_cov = np.linalg.inv(precision[mis_idx[:, :, None], mis_idx[:, None, :]])  # (patterns, m, m)
            in_chunk = np.isin(sorted_patterns, pats)
            rows = row_order[in_chunk]
            local = np.searchsorted(pats, sorted_patterns[in_chunk])  # each row's pattern within the chunk
            cond = mean[mis_idx[local]]
            if q:
                gain = cond_cov @ precision[mis_idx[:, :, None], obs_idx[:, None, :]]  # (patterns, m, q)
                deviation = Z[rows[:, None], obs_idx[local]] - mean[obs_idx[local]]
                cond = cond - _rowwise_product(gain, deviation, local)
            filled[rows[:, None], mis_idx[local]] = cond
            if with_covariance:
                weighted = cond_cov * rows_per_pattern[pats][:, None, None]
                flat = (mis_idx[:, :, None] * p + mis_idx[:, None, :]).ravel()
                correction += np.bincount(flat, weights=weighted.ravel(), minlength=p * p).reshape(p, p)
    return filled, correction


def _rowwise_product(gain: np.ndarray, deviation: np.ndarray, local: np.ndarray) -> np.ndarray:
    """``gain[local[r]] @ deviation[r]`` for every row r, in pieces that bound the gathered gains."""
    r, q = deviation.shape
    m = gain.shape[1]
    out = np.empty((r, m))
    per_chunk = max(1, CHUNK_CELLS // max(q * m, 1))
    for start in range(0, r, per_chunk):
        part = slice(start, start + per_chunk)
        out[part] = np.matmul(gain[local[part]], deviation[part, :, None])[:, :, 0]
    return out
