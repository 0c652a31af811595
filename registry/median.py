"""Median imputation: numeric columns by the observed median, categorical ones by the mode."""

from __future__ import annotations

import pandas as pd

from ..imputer import ImputerInfo, check_frame
from .mean import MeanImputer, column_fill_values


class MedianImputer(MeanImputer):
    info = ImputerInfo(
        name="median", family="simple", native_categorical=True,
        description="Column median for numbers, most frequent category for categories.",
    )

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> "MedianImputer":
        self.fill_values_ = column_fill_values(check_frame(X), "median")
        return self
