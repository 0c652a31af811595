"""The numeric contract's adapter: a scikit-learn imputer of numeric arrays on a mixed table.

The table is one-hot encoded (:class:`~imputebench.protocol.encoding.MixedEncoder`), the wrapped estimator
imputes the matrix, and categorical blocks decode by arg-max, so categories stay categories.
The adapter does not hide a broken estimator: NaN left in the matrix, a changed shape or a changed
observed cell raises :class:`~imputebench.errors.ContractViolation` naming the numeric contract.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..protocol.encoding import MixedEncoder
from ..errors import ContractViolation
from ..imputer import CONTRACTS, Imputer


class ExternalImputer(Imputer):
    def __init__(self, estimator: Any = None, name: str = "external", random_state: int | None = None):
        self.estimator = estimator
        self.name = name
        self.random_state = random_state

    def _fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> None:
        self.encoder_ = MixedEncoder("minmax").fit(X)
        est = clone(self.estimator)
        if self.random_state is not None and "random_state" in est.get_params():
            est.set_params(random_state=self.random_state)
        if "keep_empty_features" in est.get_params():
            est.set_params(keep_empty_features=True)
        self.estimator_ = est.fit(self.encoder_.encode(X))

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        encoded = self.encoder_.encode(X)
        filled = np.asarray(self.estimator_.transform(encoded), dtype=float)
        self._check_matrix(encoded, filled)
        return self.encoder_.decode(filled, index=X.index)

    def _check_matrix(self, encoded: np.ndarray, filled: np.ndarray) -> None:
        who = f"{self.name} ({CONTRACTS['numeric']})"
        if filled.shape != encoded.shape:
            raise ContractViolation(f"{who}: transform returned shape {filled.shape} for an input of shape "
                                    f"{encoded.shape} (a column that was dropped?)")
        observed = ~np.isnan(encoded)
        left = int(np.isnan(filled).sum())
        if left:
            raise ContractViolation(f"{who}: transform left {left} cells NaN")
        changed = int((filled[observed] != encoded[observed]).sum())
        if changed:
            raise ContractViolation(f"{who}: transform changed {changed} observed cells of the encoded matrix")
