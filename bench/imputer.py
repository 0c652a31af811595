"""The imputer contract (PROTOCOL §4) and the metadata every imputer declares.

An imputer is a scikit-learn estimator: hyper-parameters are constructor arguments stored
verbatim (no work in ``__init__``), ``fit(X, y=None)`` learns, ``transform(X)`` fills, and
randomness comes only from ``random_state``. ``X`` is a pandas DataFrame whose columns are
``float64`` (numeric) or ``category`` (categorical); missing cells are NaN.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from .errors import ContractViolation
from .imputer_info import PROFILES, ImputerInfo  # noqa: F401  (re-exported: plugins import it from here)

class Imputer(TransformerMixin, BaseEstimator):
    """Base class of built-in imputers. Subclasses set ``info`` and implement ``fit``/``transform``.

    Subclasses usually call :func:`check_frame` on entry and :func:`restore_observed` on exit so
    that observed cells come back bit-for-bit and categorical output stays categorical.
    """

    info: ClassVar[ImputerInfo]

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> "Imputer":  # pragma: no cover
        raise NotImplementedError

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError


def categorical_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]


def numeric_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if not isinstance(X[c].dtype, pd.CategoricalDtype)]


def check_frame(X: Any) -> pd.DataFrame:
    """Accept a DataFrame of float and category columns (PROTOCOL §1, §4); raise otherwise."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"imputers take a pandas DataFrame, got {type(X).__name__}")
    for c in X.columns:
        dt = X[c].dtype
        if not (isinstance(dt, pd.CategoricalDtype) or pd.api.types.is_numeric_dtype(dt)):
            raise TypeError(f"column {c!r} has dtype {dt}; expected a number or a pandas category")
    return X


def restore_observed(X: pd.DataFrame, filled: pd.DataFrame) -> pd.DataFrame:
    """Observed cells of ``X``, missing cells of ``filled``, with ``X``'s index, columns and dtypes."""
    out = X.copy()
    num = [c for c in numeric_columns(X) if X[c].dtype == np.float64]
    if num:
        a = X[num].to_numpy(dtype=float)
        out[num] = np.where(np.isnan(a), np.asarray(filled[num].to_numpy(dtype=float)), a)
    for c in X.columns:
        col = X[c]
        if c in num or not col.isna().any():
            continue
        miss = col.isna().to_numpy()
        if isinstance(col.dtype, pd.CategoricalDtype):
            values = pd.Categorical(np.asarray(filled[c].to_numpy())[miss], categories=col.cat.categories)
            codes = col.cat.codes.to_numpy().copy()
            codes[miss] = values.codes
            out[c] = pd.Categorical.from_codes(codes, dtype=col.dtype)
        else:
            merged = col.to_numpy(dtype=float, copy=True)
            merged[miss] = np.asarray(filled[c].to_numpy(dtype=float))[miss]
            out[c] = pd.Series(merged, index=X.index, name=c).astype(col.dtype)
    return out


def validate_output(X_in: pd.DataFrame, X_out: Any) -> None:
    """The harness's check of PROTOCOL §4; raises :class:`ContractViolation` naming the breach."""
    if not isinstance(X_out, pd.DataFrame):
        raise ContractViolation(f"transform returned {type(X_out).__name__}, not a DataFrame")
    if list(X_out.columns) != list(X_in.columns):
        raise ContractViolation("transform changed the columns")
    if not X_out.index.equals(X_in.index):
        raise ContractViolation("transform changed the index")
    for c in X_in.columns:
        a, b = X_in[c], X_out[c]
        if isinstance(a.dtype, pd.CategoricalDtype):
            if not isinstance(b.dtype, pd.CategoricalDtype) or not b.cat.categories.equals(a.cat.categories):
                raise ContractViolation(f"column {c!r}: output is not a category of the input's categories")
            if b.isna().any():
                raise ContractViolation(f"column {c!r}: output still has missing values (or values outside its categories)")
            obs = a.notna().to_numpy()
            if not np.array_equal(a.cat.codes.to_numpy()[obs], b.cat.codes.to_numpy()[obs]):
                raise ContractViolation(f"column {c!r}: observed cells were changed")
        else:
            if b.dtype != a.dtype:
                raise ContractViolation(f"column {c!r}: dtype changed from {a.dtype} to {b.dtype}")
            vb = b.to_numpy(dtype=float)
            if not np.isfinite(vb).all():
                raise ContractViolation(f"column {c!r}: output has NaN or infinite values")
            va = a.to_numpy(dtype=float)
            obs = ~np.isnan(va)
            if not np.array_equal(va[obs], vb[obs]):
                raise ContractViolation(f"column {c!r}: observed cells were changed")
