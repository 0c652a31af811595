"""Mean imputation: numeric columns by the observed mean, categorical ones by the mode."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..imputer import Imputer
from .info import BUILTIN_INFO


def column_fill_values(X: pd.DataFrame, numeric_stat: str) -> dict:
    """Per column: ``numeric_stat`` ('mean' or 'median') of observed numbers, or the modal category."""
    values = {}
    for c in X.columns:
        col = X[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            counts = col.value_counts(sort=False)
            # Ties break towards the first category, so the fill is deterministic.
            values[c] = counts.index[int(counts.to_numpy().argmax())] if counts.sum() else col.cat.categories[0]
        else:
            v = getattr(col, numeric_stat)()
            values[c] = 0.0 if pd.isna(v) else float(v)
    return values


class MeanImputer(Imputer):
    info = BUILTIN_INFO["mean"]  # declared in registry/info/ (read without importing this module)

    def _fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> None:
        self.fill_values_ = column_fill_values(X, "mean")

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({c: np.repeat(np.asarray([self.fill_values_[c]], dtype=object), len(X))
                             for c in X.columns}, index=X.index)
