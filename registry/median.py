"""Median imputation: numeric columns by the observed median, categorical ones by the mode."""

from __future__ import annotations

import pandas as pd

from .mean import MeanImputer, column_fill_values
from .info import BUILTIN_INFO


class MedianImputer(MeanImputer):
    info = BUILTIN_INFO["median"]  # declared in registry/info/ (read without importing this module)

    def _fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> None:
        self.fill_values_ = column_fill_values(X, "median")
