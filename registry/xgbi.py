"""XGBoost imputation: gradient-boosted trees in the chained-equations loop.

The MissForest loop (:mod:`imputebench.registry.iterative`, Stekhoven & Bühlmann's stopping
rule) with an XGBoost regressor (squared error) per numeric column and an XGBoost classifier
(softmax) per categorical column, as HyperImpute's ``xgboost`` plug-in and scikit-learn's
IterativeImputer(XGBRegressor) recipe do.

Profiles: ``paper`` = XGBoost's defaults (100 trees, depth 6, learning rate 0.3), ``max_iter=10``;
``quick`` = 20 trees of depth 3, learning rate 0.3, 32 histogram bins, ``max_iter=2``, one thread (breast_cancer,
50% MCAR, one thread: about 0.7 s CPU fit+transform). Both replay every sweep's boosters on new
rows (``transform_models="every-sweep"``: boosters of shallow trees are small; see
:mod:`imputebench.registry.iterative`).
"""

from __future__ import annotations

from typing import Any, Literal

from xgboost import XGBClassifier, XGBRegressor


from .iterative import ChainedEquationsImputer
from ..imputer import NON_NEGATIVE_INT, POSITIVE_INT, POSITIVE_REAL, SEED, SWEEP_MODELS, Integral, Interval
from .info import BUILTIN_INFO


class XGBImputer(ChainedEquationsImputer):
    info = BUILTIN_INFO["xgbi"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"n_estimators": [POSITIVE_INT], "max_depth": [NON_NEGATIVE_INT], "learning_rate": [POSITIVE_REAL],
                              "max_bin": [Interval(Integral, 2, None, closed="left")], "max_iter": [POSITIVE_INT],
                              "n_jobs": [Integral, None], "transform_models": [SWEEP_MODELS], "random_state": SEED}
    stop_rule = "increase"

    def __init__(self, n_estimators: int = 100, max_depth: int = 6, learning_rate: float = 0.3,
                 max_bin: int = 256, max_iter: int = 10, n_jobs: int = 1,
                 transform_models: Literal["every-sweep", "last-sweep"] = "every-sweep",
                 random_state: int | None = None) -> None:
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.max_bin = max_bin
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.transform_models = transform_models
        self.random_state = random_state

    def _booster_params(self, seed: int) -> dict[str, Any]:
        return {"n_estimators": self.n_estimators, "max_depth": self.max_depth, "learning_rate": self.learning_rate,
                "max_bin": self.max_bin, "n_jobs": self.n_jobs, "random_state": seed, "tree_method": "hist",
                "verbosity": 0}

    def _regressor(self, seed: int) -> Any:
        return XGBRegressor(**self._booster_params(seed))

    def _classifier(self, seed: int) -> Any:
        return XGBClassifier(**self._booster_params(seed))
