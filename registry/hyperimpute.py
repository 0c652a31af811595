"""HyperImpute (Jarrett, Cebere, Liu, Curth & van der Schaar, "HyperImpute: Generalized Iterative
Imputation with Automatic Model Selection", ICML 2022).

Iterative column-wise imputation (the suite's chained-equations loop,
:mod:`imputebench.registry.iterative`: mean/mode start, columns with missing cells swept fewest
missing first, each regressed or classified on the others, stop at ``max_iter`` or when the largest
change falls below ``tol`` times the largest absolute value) where the learner of every column is
*chosen automatically*: each candidate of a pool (linear, random forest, XGBoost; the paper profile
adds stronger/deeper variants of each) is scored by k-fold cross-validation on that column's
observed rows (R^2 for numbers, accuracy for categories) and the best one imputes the column.
Selection runs the first time a column is visited and, with ``reselect_every_iteration``, in every
sweep (the reference's ``select_model_by_iteration``). The reference's default ``optimizer="simple"``
scores each learner at its default settings (its other optimizers search hyper-parameters), from a pool
that also holds CatBoost; the departures are declared in :mod:`imputebench.registry.info.seeds`.

Inductive use (PROTOCOL §3) is the loop's: stored sweeps replayed on new rows.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBClassifier, XGBRegressor


from .iterative import MIN_OBSERVED_TO_LEARN, ChainedEquationsImputer, predictors_of
from ..imputer import NON_NEGATIVE_REAL, POSITIVE_INT, SEED, SWEEP_MODELS, Integral, Interval, StrOptions
from .info import BUILTIN_INFO


def candidates(kind: str, pool: str, seed: int) -> dict[str, Any]:
    """The learners a column chooses from: name -> unfitted estimator (linear ones scale their inputs)."""
    xgb = dict(n_jobs=1, random_state=seed, verbosity=0, tree_method="hist")
    if kind == "numeric":
        base = {
            "linear": make_pipeline(StandardScaler(), Ridge(alpha=1.0)),
            "random_forest": RandomForestRegressor(n_estimators=50, max_depth=10, n_jobs=1, random_state=seed),
            "xgboost": XGBRegressor(n_estimators=100, max_depth=4, learning_rate=0.1, **xgb),
        }
        extra = {
            "linear_strong": make_pipeline(StandardScaler(), Ridge(alpha=10.0)),
            "random_forest_deep": RandomForestRegressor(n_estimators=200, n_jobs=1, random_state=seed),
            "xgboost_deep": XGBRegressor(n_estimators=300, max_depth=6, learning_rate=0.05, **xgb),
        }
    else:
        base = {
            "logistic": make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
            "random_forest": RandomForestClassifier(n_estimators=50, max_depth=10, n_jobs=1, random_state=seed),
            "xgboost": XGBClassifier(n_estimators=100, max_depth=4, learning_rate=0.1, **xgb),
        }
        extra = {
            "logistic_strong": make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=500)),
            "random_forest_deep": RandomForestClassifier(n_estimators=200, n_jobs=1, random_state=seed),
            "xgboost_deep": XGBClassifier(n_estimators=300, max_depth=6, learning_rate=0.05, **xgb),
        }
    return base if pool == "small" else {**base, **extra}


class HyperImputeImputer(ChainedEquationsImputer):
    info = BUILTIN_INFO["hyperimpute"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"pool": [StrOptions({"small", "full"})], "max_iter": [POSITIVE_INT], "tol": [NON_NEGATIVE_REAL],
                              "cv_folds": [Interval(Integral, 2, None, closed="left")], "selection_rows": [POSITIVE_INT, None],
                              "reselect_every_iteration": ["boolean"], "transform_models": [SWEEP_MODELS], "random_state": SEED}
    stop_rule = "tolerance"

    def __init__(self, pool: str = "full", max_iter: int = 100, tol: float = 1e-3, cv_folds: int = 3,
                 selection_rows: int | None = None, reselect_every_iteration: bool = True,
                 transform_models: Literal["every-sweep", "last-sweep"] = "every-sweep",
                 random_state: int | None = None) -> None:
        self.pool = pool
        self.max_iter = max_iter
        self.tol = tol
        self.cv_folds = cv_folds
        self.selection_rows = selection_rows
        self.reselect_every_iteration = reselect_every_iteration
        self.transform_models = transform_models
        self.random_state = random_state

    def _fit(self, X, y=None) -> "HyperImputeImputer":
        if self.pool not in ("small", "full"):
            raise ValueError(f"pool must be 'small' or 'full', got {self.pool!r}")
        self.chosen_: dict[str, str] = {}  # column -> learner of its latest selection
        self.selection_scores_: list[dict[str, Any]] = []
        return super()._fit(X, y)

    # The loop asks for "the" regressor/classifier; the column being fitted decides which one.
    def _regressor(self, seed: int) -> Any:
        return candidates("numeric", self.pool, seed)[self._learner]

    def _classifier(self, seed: int) -> Any:
        return candidates("categorical", self.pool, seed)[self._learner]

    def _fit_column(self, design: np.ndarray, observed: np.ndarray, j: int, seed: int):
        block = self.encoder_.blocks_[j]
        if self.reselect_every_iteration or block.name not in self.chosen_:
            self.chosen_[block.name] = self._select(design, observed[:, j], j, seed)
        self._learner = self.chosen_[block.name]
        return super()._fit_column(design, observed, j, seed)

    def _select(self, design: np.ndarray, rows: np.ndarray, j: int, seed: int) -> str:
        """The pool's learner with the best k-fold score on column ``j``'s observed rows."""
        block = self.encoder_.blocks_[j]
        pool = candidates(block.kind, self.pool, seed)
        first = next(iter(pool))
        idx = np.flatnonzero(rows)
        if self.selection_rows is not None and idx.size > self.selection_rows:
            idx = np.sort(np.random.default_rng(seed).choice(idx, self.selection_rows, replace=False))
        Xp = predictors_of(design, block)[idx]
        if block.kind == "numeric":
            target = design[idx, block.start]
            if idx.size < max(self.cv_folds, MIN_OBSERVED_TO_LEARN) or np.ptp(target) == 0:
                return first  # the loop fills such a column with a constant anyway
            folds, scoring = KFold(self.cv_folds, shuffle=True, random_state=seed % 2**32), "r2"
        else:
            _, target = np.unique(design[idx, block.start:block.stop].argmax(axis=1), return_inverse=True)
            smallest = np.bincount(target).min() if target.size else 0
            if target.max(initial=0) < 1 or smallest < 2:
                return first  # one class, or too few of one for stratified folds
            folds = StratifiedKFold(min(self.cv_folds, smallest), shuffle=True, random_state=seed % 2**32)
            scoring = "accuracy"
        scores = {name: float(np.nanmean(cross_val_score(est, Xp, target, cv=folds, scoring=scoring,
                                                         error_score=np.nan)))
                  for name, est in pool.items()}
        self.selection_scores_.append({"column": block.name, **scores})
        finite = {k: v for k, v in scores.items() if np.isfinite(v)}
        return max(finite, key=finite.get) if finite else first
