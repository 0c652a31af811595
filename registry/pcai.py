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

Profiles: ``paper`` = imputePCA's defaults (``ncp=2``, ``coeff_ridge=1``, ``threshold=1e-6``,
``maxiter=1000``); ``quick`` = ``ncp=2``, ``threshold=1e-4``, ``max_iter=100`` (breast_cancer,
50% MCAR, one thread: about 0.05 s fit+transform).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..imputer import ImputerInfo
from .lowrank import LowRankImputer


class PCAImputer(LowRankImputer):
    info = ImputerInfo(
        name="pcai", family="low-rank",
        description="Regularised iterative PCA (missMDA imputePCA); categories through one-hot blocks.",
        reference="Josse & Husson (2012), Handling missing values in exploratory multivariate data analysis "
                  "methods, J. SFdS 153(2); Josse & Husson (2016), missMDA, J. Stat. Softw. 70(1)",
        native_categorical=False,
        profiles={"quick": {"ncp": 2, "tol": 1e-4, "max_iter": 100},
                  "paper": {"ncp": 2, "tol": 1e-6, "max_iter": 1000}},
    )
    recenter = True
    criterion = "objective"

    def __init__(self, ncp: int = 2, method: Literal["regularized", "em"] = "regularized", coeff_ridge: float = 1.0,
                 tol: float = 1e-6, max_iter: int = 1000) -> None:
        self.ncp = ncp
        self.method = method
        self.coeff_ridge = coeff_ridge
        self.tol = tol
        self.max_iter = max_iter

    def _factors(self, d: np.ndarray, n: int, p: int) -> np.ndarray:
        if self.method not in ("regularized", "em"):
            raise ValueError(f"method must be 'regularized' or 'em', got {self.method!r}")
        vs = (d / np.sqrt(n))[:min(p, n - 1)]
        ncp = max(0, min(int(self.ncp), p - 1, n - 2, vs.size - 1))
        if ncp == 0:
            return np.zeros(0)  # nothing to keep: the column means
        dof = (n - 1) * p - (n - 1) * ncp - p * ncp + ncp ** 2
        sigma2 = n * p / min(p, n - 1) * float((vs[ncp:] ** 2).sum()) / max(dof, 1)
        sigma2 = 0.0 if self.method == "em" else min(self.coeff_ridge * sigma2, float(vs[ncp] ** 2))
        head = vs[:ncp] ** 2
        return np.where(head > 0, (head - sigma2) / np.where(head > 0, head, 1.0), 0.0)
