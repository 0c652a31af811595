"""The downstream setting (PROTOCOL §3): a fixed 70/30 split and a fixed XGBoost model."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split

TEST_SIZE = 0.3  # PROTOCOL §3: split rows 70/30
# PROTOCOL §3: "an XGBoost model with fixed parameters and seed".
XGB_PARAMS = dict(n_estimators=100, max_depth=4, learning_rate=0.1, subsample=1.0, tree_method="hist",
                  enable_categorical=True, max_cat_to_onehot=16, random_state=0, n_jobs=1)


def split_rows(n: int, y: pd.Series | None, target_kind: str | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row indices: 70/30, stratified by class when every class has two rows."""
    strat = None
    if target_kind == "classification" and y is not None and y.value_counts().min() >= 2:
        strat = y.to_numpy()
    train, test = train_test_split(np.arange(n), test_size=TEST_SIZE, random_state=seed, stratify=strat)
    return np.sort(train), np.sort(test)


def downstream_score(
    X_train: pd.DataFrame, y_train: pd.Series, X_test: pd.DataFrame, y_test: pd.Series,
    target_kind: Literal["classification", "regression"],
) -> float:
    """Accuracy (class target) or R^2 (regression) of the fixed XGBoost model (PROTOCOL §5 downstream)."""
    import xgboost as xgb

    # XGBoost rejects feature names with '[', ']' or '<'; the model needs no names, only positions.
    X_train, X_test = _positional_names(X_train), _positional_names(X_test)
    if target_kind == "classification":
        classes, y_codes = np.unique(y_train.astype(str).to_numpy(), return_inverse=True)
        if classes.size < 2:
            return float("nan")
        model = xgb.XGBClassifier(**XGB_PARAMS)
        model.fit(X_train, y_codes)
        pred = classes[model.predict(X_test).astype(int)]
        return float(accuracy_score(y_test.astype(str).to_numpy(), pred))
    model = xgb.XGBRegressor(**XGB_PARAMS)
    model.fit(X_train, y_train.to_numpy(dtype=float))
    return float(r2_score(y_test.to_numpy(dtype=float), model.predict(X_test)))


def _positional_names(X: pd.DataFrame) -> pd.DataFrame:
    """``X`` with columns named ``f0, f1, ...`` (a shallow relabel, not a copy of the data)."""
    return X.set_axis([f"f{i}" for i in range(X.shape[1])], axis=1)
