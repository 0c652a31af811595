"""HyperImpute (Jarrett, Cebere, Liu, Curth & van der Schaar, "HyperImpute: Generalized Iterative
Imputation with Automatic Model Selection", ICML 2022).

Iterative column-wise imputation: start from mean/mode, then sweep the columns that have missing
cells (fewest missing first, as the reference's default order); for each column, regress it (numbers)
or classify it (categories) on the other columns' current values using the rows where it is observed,
and refill its missing cells. What sets HyperImpute apart is that the learner of every column is
*chosen automatically*: each candidate of a pool (linear, random forest, XGBoost; the paper profile adds
hyper-parameter variants) is scored by k-fold cross-validation on that column and the best one is used.
Selection runs in the first sweep and, with ``reselect_every_iteration``, again in every sweep (the
reference's ``select_model_by_iteration``). Sweeps stop at ``max_iter`` or when the imputed values stop
moving (mean absolute change of the scaled imputations below ``tol``).

The fitted sweeps are kept, so ``transform`` replays them on new rows (inductive, PROTOCOL §3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from xgboost import XGBClassifier, XGBRegressor

from ..encoding import MixedEncoder
from ..imputer import Imputer, ImputerInfo, check_frame, restore_observed
from .mean import column_fill_values


def _candidates(kind: str, pool: str, seed: int) -> dict[str, Any]:
    """The learners a column chooses from: name -> unfitted estimator."""
    if kind == "numeric":
        base = {
            "linear": Ridge(alpha=1.0),
            "random_forest": RandomForestRegressor(n_estimators=50, max_depth=10, n_jobs=1, random_state=seed),
            "xgboost": XGBRegressor(n_estimators=100, max_depth=4, learning_rate=0.1, n_jobs=1,
                                    random_state=seed, verbosity=0),
        }
        extra = {
            "linear_strong": Ridge(alpha=10.0),
            "random_forest_deep": RandomForestRegressor(n_estimators=200, n_jobs=1, random_state=seed),
            "xgboost_deep": XGBRegressor(n_estimators=300, max_depth=6, learning_rate=0.05, n_jobs=1,
                                         random_state=seed, verbosity=0),
        }
    else:
        base = {
            "logistic": LogisticRegression(max_iter=500),
            "random_forest": RandomForestClassifier(n_estimators=50, max_depth=10, n_jobs=1, random_state=seed),
            "xgboost": XGBClassifier(n_estimators=100, max_depth=4, learning_rate=0.1, n_jobs=1,
                                     random_state=seed, verbosity=0),
        }
        extra = {
            "logistic_strong": LogisticRegression(C=0.1, max_iter=500),
            "random_forest_deep": RandomForestClassifier(n_estimators=200, n_jobs=1, random_state=seed),
            "xgboost_deep": XGBClassifier(n_estimators=300, max_depth=6, learning_rate=0.05, n_jobs=1,
                                          random_state=seed, verbosity=0),
        }
    return base if pool == "small" else {**base, **extra}


@dataclass
class ColumnStep:
    """One fitted column update of one sweep: which column, which learner, the fitted model."""

    column: str
    learner: str
    model: Any
    classes: np.ndarray | None  # category codes the classifier's outputs stand for


class HyperImputeImputer(Imputer):
    info = ImputerInfo(
        name="hyperimpute", family="iterative",
        description="Iterative column-wise imputation with per-column model selection by cross-validation "
                    "from a pool of regressors/classifiers (linear, random forest, XGBoost).",
        reference="Jarrett et al., HyperImpute: Generalized Iterative Imputation with Automatic Model "
                  "Selection, ICML 2022",
        native_categorical=True,
        profiles={
            "quick": {"pool": "small", "max_iter": 3, "cv_folds": 3, "selection_rows": 300,
                      "reselect_every_iteration": False},
            "paper": {"pool": "full", "max_iter": 100, "cv_folds": 3, "selection_rows": None,
                      "reselect_every_iteration": True},
        },
    )

    def __init__(self, pool: str = "full", max_iter: int = 100, tol: float = 1e-3, cv_folds: int = 3,
                 selection_rows: int | None = None, reselect_every_iteration: bool = True,
                 random_state: int | None = None) -> None:
        self.pool = pool
        self.max_iter = max_iter
        self.tol = tol
        self.cv_folds = cv_folds
        self.selection_rows = selection_rows
        self.reselect_every_iteration = reselect_every_iteration
        self.random_state = random_state

    def _features(self, current: pd.DataFrame, column: str) -> np.ndarray:
        """The other columns as numbers (min-max scaled, one-hot categories), no missing cells."""
        enc = self.encoder_.encode(current)
        own = next(b for b in self.encoder_.blocks_ if b.name == str(column))
        return np.delete(enc, np.arange(own.start, own.stop), axis=1)

    def _target(self, current: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray | None]:
        col = current[column]
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes = col.cat.codes.to_numpy()
            return codes, np.unique(codes[codes >= 0])
        return col.to_numpy(dtype=float), None

    def _select(self, kind: str, features: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> str:
        """The pool's learner with the best k-fold score on this column (R^2 / accuracy)."""
        seed = int(rng.integers(2**31 - 1))
        candidates = _candidates(kind, self.pool, seed)
        rows = np.arange(len(target))
        if self.selection_rows is not None and len(rows) > self.selection_rows:
            rows = np.sort(rng.choice(rows, self.selection_rows, replace=False))
        X_sel, y_sel = features[rows], target[rows]
        if kind == "numeric":
            folds = KFold(self.cv_folds, shuffle=True, random_state=seed)
            scoring = "r2"
        else:
            smallest = np.bincount(y_sel).min(initial=len(y_sel)) if len(y_sel) else 0
            if len(np.unique(y_sel)) < 2:
                return next(iter(candidates))
            folds = (StratifiedKFold(min(self.cv_folds, smallest), shuffle=True, random_state=seed)
                     if smallest >= 2 else KFold(self.cv_folds, shuffle=True, random_state=seed))
            scoring = "accuracy"
        scores = {}
        for name, est in candidates.items():
            try:
                scores[name] = float(np.nanmean(cross_val_score(est, X_sel, y_sel, cv=folds, scoring=scoring,
                                                                error_score=np.nan)))
            except ValueError:
                scores[name] = np.nan
        finite = {k: v for k, v in scores.items() if np.isfinite(v)}
        self.selection_scores_.append(scores)
        return max(finite, key=finite.get) if finite else next(iter(candidates))

    def _fit_column(self, current: pd.DataFrame, column: str, learner: str | None,
                    miss: np.ndarray, rng: np.random.Generator) -> ColumnStep:
        features = self._features(current, column)
        target, classes = self._target(current, column)
        obs = ~miss
        kind = "numeric" if classes is None else "categorical"
        if classes is not None:
            # Re-index the observed categories to 0..k-1 (XGBoost needs contiguous labels).
            target = np.searchsorted(classes, target[obs])
        else:
            target = target[obs]
        if learner is None:
            learner = self._select(kind, features[obs], target, rng)
        if classes is not None and len(classes) < 2:
            model = DummyClassifier(strategy="most_frequent").fit(features[obs], target)
        else:
            model = clone(_candidates(kind, self.pool, int(rng.integers(2**31 - 1)))[learner])
            model.fit(features[obs], target)
        return ColumnStep(column, learner, model, classes)

    def _apply(self, step: ColumnStep, current: pd.DataFrame, miss: np.ndarray) -> None:
        """Refill ``step.column``'s missing cells of ``current`` in place."""
        if not miss.any():
            return
        pred = step.model.predict(self._features(current, step.column)[miss])
        col = current[step.column]
        if step.classes is not None:
            codes = col.cat.codes.to_numpy().copy()
            codes[miss] = step.classes[np.asarray(pred, dtype=int)]
            current[step.column] = pd.Categorical.from_codes(codes, categories=col.cat.categories)
        else:
            values = col.to_numpy(dtype=float).copy()
            values[miss] = pred
            current[step.column] = values

    def _initial(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.fillna(self.fill_values_) if len(X) else X.copy()

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> "HyperImputeImputer":
        X = check_frame(X)
        rng = np.random.default_rng(self.random_state)
        self.fill_values_ = column_fill_values(X, "mean")
        self.encoder_ = MixedEncoder("minmax").fit(X)
        missing = X.isna()
        # Fewest missing first; columns with nothing missing are only features.
        self.order_ = [c for c in missing.sum().sort_values(kind="stable").index if missing[c].any()]
        current = self._initial(X)
        self.sweeps_: list[list[ColumnStep]] = []
        self.selection_scores_: list[dict] = []
        self.chosen_: dict[str, str] = {}
        previous = self.encoder_.encode(current)
        miss_enc = ~self.encoder_.observed(X)
        for it in range(self.max_iter):
            sweep = []
            for column in self.order_:
                miss = missing[column].to_numpy()
                reuse = None if (it == 0 or self.reselect_every_iteration) else self.chosen_[column]
                step = self._fit_column(current, column, reuse, miss, rng)
                self.chosen_[column] = step.learner
                self._apply(step, current, miss)
                sweep.append(step)
            self.sweeps_.append(sweep)
            now = self.encoder_.encode(current)
            change = float(np.abs(now - previous)[miss_enc].mean()) if miss_enc.any() else 0.0
            previous = now
            if change < self.tol:
                break
        self.n_iter_ = len(self.sweeps_)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = check_frame(X)
        current = self._initial(X)
        missing = X.isna()
        for sweep in self.sweeps_:
            for step in sweep:
                self._apply(step, current, missing[step.column].to_numpy())
        # Columns complete at fit time but missing here: the fill value (no model was fitted for them).
        return restore_observed(X, current)
