"""MICE: multivariate imputation by chained equations (van Buuren & Groothuis-Oudshoorn 2011).

Numeric columns by Bayesian ridge regression (on predictors in their own units, as scikit-learn's
IterativeImputer fits it: standardising them measurably hurt on wine and digits), categorical ones
by multinomial logistic regression on standardised predictors,
each on every other column (one-hot for categorical predictors), in the shared chained-equations
loop of :mod:`imputebench.registry.iterative`. Single imputation by default: the posterior
predictive mean / most probable category; ``sample_posterior=True`` draws from the posterior
predictive instead (normal with BayesianRidge's predictive std; a category from the class
probabilities), as one draw of multiple imputation.

Profiles: ``paper`` = scikit-learn IterativeImputer's defaults (``max_iter=10``, ``tol=1e-3``,
logistic ``max_iter=100``); ``quick`` = ``max_iter=5``, logistic ``max_iter=50``. Both replay every
sweep's models on new rows (``transform_models="every-sweep"``, as IterativeImputer; see
:mod:`imputebench.registry.iterative` for why) (breast_cancer,
50% MCAR, one thread: about 0.4 s CPU fit+transform).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from sklearn.linear_model import BayesianRidge, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


from .iterative import ChainedEquationsImputer
from ..imputer import NON_NEGATIVE_REAL, POSITIVE_INT, POSITIVE_REAL, SEED, SWEEP_MODELS
from .info import BUILTIN_INFO


class MICEImputer(ChainedEquationsImputer):
    info = BUILTIN_INFO["mice"]  # metadata lives in registry/info.py (read without importing this module)
    _parameter_constraints = {"max_iter": [POSITIVE_INT], "tol": [NON_NEGATIVE_REAL], "sample_posterior": ["boolean"],
                              "logistic_max_iter": [POSITIVE_INT], "logistic_C": [POSITIVE_REAL],
                              "transform_models": [SWEEP_MODELS], "random_state": SEED}
    stop_rule = "tolerance"

    def __init__(self, max_iter: int = 10, tol: float = 1e-3, sample_posterior: bool = False,
                 logistic_max_iter: int = 100, logistic_C: float = 1.0,
                 transform_models: Literal["every-sweep", "last-sweep"] = "every-sweep",
                 random_state: int | None = None) -> None:
        self.max_iter = max_iter
        self.tol = tol
        self.sample_posterior = sample_posterior
        self.logistic_max_iter = logistic_max_iter
        self.logistic_C = logistic_C
        self.transform_models = transform_models
        self.random_state = random_state

    def _regressor(self, seed: int) -> Any:
        return BayesianRidge()

    def _classifier(self, seed: int) -> Any:
        # Predictors come in their own units; lbfgs and the L2 penalty want them on one scale.
        return make_pipeline(StandardScaler(), LogisticRegression(C=self.logistic_C, max_iter=self.logistic_max_iter))

    def _predict_numeric(self, estimator: Any, Xp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if not self.sample_posterior:
            return estimator.predict(Xp)
        mean, std = estimator.predict(Xp, return_std=True)
        return rng.normal(mean, std)

    def _predict_categorical(self, estimator: Any, Xp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if not self.sample_posterior:
            return estimator.predict(Xp).astype(int)
        proba = estimator.predict_proba(Xp)
        # One uniform per row against the cumulative probabilities: a categorical draw per row.
        draws = (proba.cumsum(axis=1) < rng.random((len(proba), 1))).sum(axis=1)
        return estimator.classes_[np.minimum(draws, proba.shape[1] - 1)].astype(int)
