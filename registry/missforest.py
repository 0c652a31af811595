"""MissForest (Stekhoven & Bühlmann 2012): random forests in the chained-equations loop.

A random-forest regressor (numeric) or classifier (categorical) per column, columns visited in
increasing order of missingness, stopping as soon as the change between successive imputations
increases (for every variable type present) or after ``max_iter`` sweeps; the previous imputation
and its forests are kept (:mod:`imputebench.registry.iterative`). ``transform`` on new rows
applies the stored forests in the same chained sweeps.

Profiles: ``paper`` = the R package's defaults (``ntree=100``, ``mtry=sqrt(p)``, ``maxiter=10``,
fully grown trees), new rows through the last sweep's forests only (``transform_models=
"last-sweep"``: ten sweeps of fully grown forests would not fit in memory on the larger tables);
with ``"last-sweep"`` a fit holds one forest at a time: each is dropped once it has imputed its
column and rebuilt, identical, only if new rows come (:mod:`imputebench.registry.forests`; on
Letter, one forest is about 60 MB, a sweep's 1 GB). ``n_jobs`` grows a forest's trees in
parallel threads (``"auto"``: on the cores the machine's load leaves idle); the result does not
depend on it (each tree's seed is drawn up front).
``quick`` = 20 fully grown trees (a smaller forest is the same model with more variance; a depth cap
would be a different, biased one), ``max_iter=2``, one thread, new rows through both sweeps' forests
(``"every-sweep"``: small, and better out of sample; see :mod:`imputebench.registry.iterative`)
(breast_cancer, 50% MCAR, one thread: about 3.3 s CPU fit+transform). The profiles' values and
the quick profile's cuts are declared in :mod:`imputebench.registry.info.classical`.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

from ..imputer import POSITIVE_INT, SEED, SWEEP_MODELS, Integral, Interval, Real, StrOptions
from .forests import RebuildableForest
from .info import BUILTIN_INFO
from .iterative import ChainedEquationsImputer


class MissForestImputer(ChainedEquationsImputer):
    info = BUILTIN_INFO["missforest"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"n_estimators": [POSITIVE_INT], "max_depth": [POSITIVE_INT, None],
                              "max_features": [StrOptions({"sqrt", "log2"}), Interval(Real, 0, 1, closed="right"), POSITIVE_INT, None],
                              "min_samples_leaf": [POSITIVE_INT], "max_iter": [POSITIVE_INT], "n_jobs": [Integral, None],
                              "transform_models": [SWEEP_MODELS], "random_state": SEED}
    stop_rule = "increase"

    def __init__(self, n_estimators: int = 100, max_depth: int | None = None, max_features: str | float = "sqrt",
                 min_samples_leaf: int = 1, max_iter: int = 10, n_jobs: int | Literal["auto"] = 1,
                 transform_models: Literal["every-sweep", "last-sweep"] = "last-sweep",
                 random_state: int | None = None) -> None:
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.transform_models = transform_models
        self.random_state = random_state

    def _forest_params(self, seed: int) -> dict[str, Any]:
        return {"n_estimators": self.n_estimators, "max_depth": self.max_depth, "max_features": self.max_features,
                "min_samples_leaf": self.min_samples_leaf, "n_jobs": forest_threads(self.n_jobs),
                "random_state": seed}

    def _regressor(self, seed: int) -> Any:
        return self._bounded(RandomForestRegressor(**self._forest_params(seed)))

    def _classifier(self, seed: int) -> Any:
        return self._bounded(RandomForestClassifier(**self._forest_params(seed)))

    def _bounded(self, forest: Any) -> Any:
        """With ``"last-sweep"`` models a forest's trees are dropped once the fit has used them and
        rebuilt (identical) only if new rows come: a fit holds one forest at a time
        (:mod:`imputebench.registry.forests`). ``"every-sweep"`` keeps them (small forests, replayed often)."""
        return RebuildableForest(forest, drop_trees=self.transform_models == "last-sweep")


def forest_threads(n_jobs: int | str) -> int:
    """``n_jobs`` as scikit-learn takes it; ``"auto"``: the cores this process may use that the
    machine's load leaves idle, at least 1 (asked again for every forest), so the last long jobs of
    a run spread over the cores its finished workers freed. The result does not depend on it."""
    if n_jobs == "auto":
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else float(cores)
        return int(min(cores, max(1, cores - round(busy) + 1)))  # + 1: the load counts this process
    if isinstance(n_jobs, int) and not isinstance(n_jobs, bool):
        return n_jobs
    raise ValueError(f"n_jobs must be an integer or 'auto', got {n_jobs!r}")
