"""Regularised iterative PCA imputation (Josse & Husson 2012; missMDA ``imputePCA``, "Regularized").

Iterate: re-estimate column means and standard deviations from the filled matrix, standardise,
SVD, keep ``ncp`` components with singular values shrunk by the noise variance, re-impute the
missing cells from the reconstruction; until the fit error on observed cells changes by less than
``threshold`` (relative, after at least 5 iterations) or ``maxiter`` (loop in
:mod:`imputebench.registry.lowrank`). As in missMDA, with ``vs`` the singular values of
``Xc / sqrt(n)``::

    sigma2 = n p / min(p, n-1) * sum_{s>ncp} vs_s^2 / ((n-1) p - (n-1) ncp - p ncp + ncp^2)
    sigma2 = min(coeff_ridge * sigma2, vs_{ncp+1}^2)
    fitted = Xc V diag((vs^2 - sigma2) / vs^2) V'        (method "em": sigma2 = 0)

Categorical columns enter as one-hot blocks (standardised like the rest) and decode by arg-max.
New rows: the fitted means, scales and shrunk loadings, iterated to the fixed point on their
missing cells.

``ncp="gcv"`` chooses the number of components as missMDA's ``estim_ncpPCA(method.cv="gcv")``
does: fit ncp = 0, 1, ..., ``ncp_max`` and keep the first local minimum of
``((n p - n_missing) / ((n-1) p - n_missing - ncp (n + p - ncp - 1)))^2 * mean observed squared
residual`` (residuals in standardised units here, where missMDA uses raw units: the encoded
table mixes one-hot cells with numbers on any scale).

Profiles: ``paper`` = missMDA's workflow with its defaults: ``estim_ncpPCA`` (GCV, ncp 0..5), then
imputePCA with ``coeff_ridge=1``, ``threshold=1e-6``, ``maxiter=1000``; ``quick`` = the same GCV
choice with ``threshold=1e-4``, ``max_iter=50`` (breast_cancer, 50% MCAR, one thread: about
0.3 s CPU fit+transform; fixed ``ncp=2`` would take 0.05 s but loses 0.02 RMSE there).
"""

from __future__ import annotations

from typing import Literal

import numpy as np


from .lowrank import LowRankFit, LowRankImputer
from ..imputer import NON_NEGATIVE_INT, NON_NEGATIVE_REAL, POSITIVE_INT, StrOptions
from .info import BUILTIN_INFO


class PCAImputer(LowRankImputer):
    info = BUILTIN_INFO["pcai"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"ncp": [NON_NEGATIVE_INT, StrOptions({"gcv"})], "ncp_max": [POSITIVE_INT],
                              "method": [StrOptions({"regularized", "em"})], "coeff_ridge": [NON_NEGATIVE_REAL],
                              "tol": [NON_NEGATIVE_REAL], "max_iter": [POSITIVE_INT]}
    recenter = True
    criterion = "objective"

    def __init__(self, ncp: int | Literal["gcv"] = 2, ncp_max: int = 5,
                 method: Literal["regularized", "em"] = "regularized", coeff_ridge: float = 1.0,
                 tol: float = 1e-6, max_iter: int = 1000) -> None:
        self.ncp = ncp
        self.ncp_max = ncp_max
        self.method = method
        self.coeff_ridge = coeff_ridge
        self.tol = tol
        self.max_iter = max_iter

    def _fit_matrix(self, Z: np.ndarray) -> LowRankFit:
        if self.method not in ("regularized", "em"):
            raise ValueError(f"method must be 'regularized' or 'em', got {self.method!r}")
        if self.ncp != "gcv":
            self.ncp_ = int(self.ncp)
            return super()._fit_matrix(Z)
        # estim_ncpPCA(method.cv="gcv"): ncp = 0..ncp_max, the first local minimum of the criterion.
        n, p = Z.shape
        n_missing = int(np.isnan(Z).sum())
        fits, criteria = [], []
        for ncp in range(0, max(0, min(int(self.ncp_max), p - 1, n - 2)) + 1):
            self.ncp_ = ncp
            fit = super()._fit_matrix(Z)
            dof = (n - 1) * p - n_missing - ncp * (n + p - ncp - 1)
            criteria.append(np.inf if dof <= 0 else
                            ((n * p - n_missing) / dof) ** 2 * fit.residual_ss / max(fit.n_observed, 1))
            fits.append(fit)
            if len(criteria) > 1 and criteria[-1] > criteria[-2]:
                break
        best = len(criteria) - 2 if len(criteria) > 1 and criteria[-1] > criteria[-2] else int(np.argmin(criteria))
        self.ncp_, self.gcv_criteria_ = best, criteria
        return fits[best]

    def _factors(self, d: np.ndarray, n: int, p: int) -> np.ndarray:
        vs = (d / np.sqrt(n))[:min(p, n - 1)]
        ncp = max(0, min(self.ncp_, p - 1, n - 2, vs.size - 1))
        if ncp == 0:
            return np.zeros(0)  # nothing to keep: the column means
        dof = (n - 1) * p - (n - 1) * ncp - p * ncp + ncp ** 2
        sigma2 = n * p / min(p, n - 1) * float((vs[ncp:] ** 2).sum()) / max(dof, 1)
        sigma2 = 0.0 if self.method == "em" else min(self.coeff_ridge * sigma2, float(vs[ncp] ** 2))
        head = vs[:ncp] ** 2
        return np.where(head > 0, (head - sigma2) / np.where(head > 0, head, 1.0), 0.0)
