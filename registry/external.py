"""Adapter for any scikit-learn-style imputer that works on numeric arrays (named by dotted path).

The table is one-hot encoded (:class:`~imputebench.encoding.MixedEncoder`), the wrapped estimator
imputes the matrix, and categorical blocks decode by arg-max, so categories stay categories.
"""

from __future__ import annotations

import inspect
from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone

from ..encoding import MixedEncoder
from ..imputer import ImputerInfo, check_frame, restore_observed


class ExternalImputer(TransformerMixin, BaseEstimator):
    def __init__(self, estimator: Any = None, name: str = "external", random_state: int | None = None):
        self.estimator = estimator
        self.name = name
        self.random_state = random_state

    @staticmethod
    def info_for(name: str, cls: type) -> ImputerInfo:
        doc = (inspect.getdoc(cls) or "").splitlines()
        return ImputerInfo(
            name=name, family="external", description=doc[0] if doc else f"{cls.__module__}.{cls.__name__}",
            reference=f"{cls.__module__}:{cls.__name__}",
        )

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> "ExternalImputer":
        X = check_frame(X)
        self.encoder_ = MixedEncoder("minmax").fit(X)
        est = clone(self.estimator)
        if self.random_state is not None and "random_state" in est.get_params():
            est.set_params(random_state=self.random_state)
        if "keep_empty_features" in est.get_params():
            est.set_params(keep_empty_features=True)
        self.estimator_ = est.fit(self.encoder_.encode(X))
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = check_frame(X)
        filled = self.estimator_.transform(self.encoder_.encode(X))
        return restore_observed(X, self.encoder_.decode(filled, index=X.index))
