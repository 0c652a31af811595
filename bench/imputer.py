"""The imputer contract (PROTOCOL §4) and the base class of every DataFrame-contract imputer.

An imputer is a scikit-learn estimator: hyper-parameters are constructor arguments stored
verbatim (no work in ``__init__``), ``fit(X, y=None)`` learns, ``transform(X)`` fills, and
randomness comes only from ``random_state``. ``X`` is a pandas DataFrame whose columns are
``float64`` (numeric) or ``category`` (categorical); missing cells are NaN.

Two contracts, told apart explicitly (never by guessing from behaviour):

- **DataFrame contract**: a subclass of :class:`Imputer` (or a class that declares an
  :class:`ImputerInfo` as ``info``). It receives the DataFrame and returns one; categories stay
  categories.
- **numeric contract**: a plain scikit-learn imputer of numeric arrays (any subclass of
  scikit-learn's ``_BaseImputer``, a class that sets ``imputebench_contract = "numeric"``, or a
  dotted path written ``numeric:module:Class``). imputebench one-hot encodes the table, the
  estimator fills the matrix, categories decode by arg-max (``imputebench.registry.external``).
"""

from __future__ import annotations

import contextlib
from numbers import Integral, Real
from typing import Any, ClassVar, Iterator, Literal, Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions

from .errors import ContractViolation
from .imputer_info import PROFILES, Deviation, ImputerInfo  # noqa: F401  (re-exported: plugins import them from here)

Contract = Literal["dataframe", "numeric"]
CONTRACTS: dict[str, str] = {
    "dataframe": "DataFrame contract (a subclass of imputebench.imputer.Imputer: DataFrame in, DataFrame out)",
    "numeric": "numeric contract (a scikit-learn imputer of numeric arrays, adapted through the one-hot encoder)",
}

# Shorthands for ``_parameter_constraints`` (scikit-learn's declarative format; see check_params).
POSITIVE_INT = Interval(Integral, 1, None, closed="left")
NON_NEGATIVE_INT = Interval(Integral, 0, None, closed="left")
POSITIVE_REAL = Interval(Real, 0, None, closed="neither")
NON_NEGATIVE_REAL = Interval(Real, 0, None, closed="left")
FRACTION = Interval(Real, 0, 1, closed="both")
SHARE = Interval(Real, 0, 1, closed="left")  # a share that must leave something: 0 <= x < 1
SWEEP_MODELS = StrOptions({"every-sweep", "last-sweep"})
DEVICE = [str]  # "auto", "cpu", "cuda", "cuda:1", ...
SEED = ["random_state"]


class Imputer(TransformerMixin, BaseEstimator):
    """Base class of DataFrame-contract imputers (template method, as scikit-learn's ``_BaseImputer``).

    Subclasses set ``info``, declare ``_parameter_constraints`` (scikit-learn's format, checked when a
    job plan is built and on ``fit``) and implement ``_fit(X, y)`` and ``_transform(X) -> DataFrame``.
    The public ``fit``/``transform``/``fit_transform`` check the frame, call those and give back
    observed cells bit for bit with the input's dtypes, so a subclass only fills missing cells.
    A transductive imputer (one whose fit already imputes the fit table) overrides
    ``_fit_transform(X, y)``: the in-sample setting (PROTOCOL §3) calls ``fit_transform``.

    Multiple imputation (PROTOCOL §9) is optional: a subclass whose method defines draws implements
    ``_sample(X, m, random_state) -> list[DataFrame]``, and the public :meth:`sample` checks the frame
    and every table and restores observed cells; :func:`can_sample` tells whether an imputer has it.
    """

    info: ClassVar[ImputerInfo]
    imputebench_contract: ClassVar[Contract] = "dataframe"
    _parameter_constraints: ClassVar[dict] = {}

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> "Imputer":
        self._validate_params()
        self._fit(check_frame(X), y)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = check_frame(X)
        return restore_observed(X, self._checked_fill(X, self._transform(X), "_transform"))

    def fit_transform(self, X: pd.DataFrame, y: pd.Series | None = None, **fit_params: Any) -> pd.DataFrame:
        if type(self)._fit_transform is Imputer._fit_transform:
            return self.fit(X, y).transform(X)  # public methods, so a subclass overriding them is honoured
        self._validate_params()
        X = check_frame(X)
        return restore_observed(X, self._checked_fill(X, self._fit_transform(X, y), "_fit_transform"))

    def sample(self, X: pd.DataFrame, m: int, random_state: int | None = None) -> list[pd.DataFrame]:
        """``m`` completed copies of ``X`` drawn from the imputer's imputation distribution (PROTOCOL §9).

        The optional multiple-imputation contract: ``X`` is imputed in-sample (the imputer fits on it
        as ``fit_transform`` would, or reuses a fit on the same table), every table keeps ``X``'s
        observed cells, index and dtypes, the draws differ where ``X`` misses cells, and the same
        ``random_state`` gives the same tables.
        """
        if not can_sample(self):
            raise NotImplementedError(f"{type(self).__name__} has no sample(): its method defines no draws "
                                      "(multiple imputation is optional, PROTOCOL §9)")
        if isinstance(m, bool) or not isinstance(m, Integral) or m < 1:
            raise ValueError(f"{type(self).__name__}.sample: m must be a positive integer, got {m!r}")
        self._validate_params()
        X = check_frame(X)
        tables = self._sample(X, int(m), random_state)
        if not isinstance(tables, list) or len(tables) != m:
            raise ContractViolation(f"{type(self).__name__}._sample returned {type(tables).__name__} "
                                    f"of length {len(tables) if hasattr(tables, '__len__') else '?'}; "
                                    f"sample wants a list of m={m} DataFrames")
        return [restore_observed(X, self._checked_fill(X, t, "_sample")) for t in tables]

    def _sample(self, X: pd.DataFrame, m: int, random_state: int | None) -> list[pd.DataFrame]:  # pragma: no cover
        raise NotImplementedError

    def _fit(self, X: pd.DataFrame, y: pd.Series | None) -> None:  # pragma: no cover
        raise NotImplementedError(f"{type(self).__name__} must implement _fit(X, y)")

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError(f"{type(self).__name__} must implement _transform(X)")

    def _fit_transform(self, X: pd.DataFrame, y: pd.Series | None) -> pd.DataFrame:
        self._fit(X, y)
        return self._transform(X)

    def _checked_fill(self, X: pd.DataFrame, filled: Any, method: str) -> pd.DataFrame:
        if not isinstance(filled, pd.DataFrame) or filled.shape != X.shape or list(filled.columns) != list(X.columns):
            got = type(filled).__name__ + (f" of shape {filled.shape}" if hasattr(filled, "shape") else "")
            raise ContractViolation(f"{type(self).__name__}.{method} returned {got}; the {CONTRACTS['dataframe']} "
                                    f"wants a DataFrame with the input's {X.shape[1]} columns and {X.shape[0]} rows")
        return filled


class AdaptableImputer(Imputer):
    """An imputer with the optional transfer contract (PROTOCOL §7 fine-tune): after ``fit`` on a
    source table, ``adapt(X, y=None, **budget)`` goes on training on ``X`` (the target's rows) from
    the fitted state, a warm start. ``budget`` sets training-length hyper-parameters for this call
    only (a profile's ``adapt_*`` keys, e.g. ``adapt_epochs=20`` gives ``epochs=20``).

    The public ``adapt`` checks that the imputer is fitted and the frame, applies the budget and calls
    ``_adapt(X, y)``, which subclasses implement; the output contract is ``transform``'s, as after ``fit``.
    """

    def adapt(self, X: pd.DataFrame, y: pd.Series | None = None, **budget: Any) -> "AdaptableImputer":
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, msg=f"{type(self).__name__}.adapt needs a fitted model: call fit (on the source) first")
        X = check_frame(X)
        with overridden(self, budget):
            self._adapt(X, y)
        return self

    def _adapt(self, X: pd.DataFrame, y: pd.Series | None) -> None:  # pragma: no cover
        raise NotImplementedError(f"{type(self).__name__} must implement _adapt(X, y)")


@contextlib.contextmanager
def overridden(estimator: Any, values: Mapping[str, Any]) -> Iterator[None]:
    """Hyper-parameters of ``estimator`` set to ``values`` inside the block, restored after it."""
    known = estimator.get_params(deep=False)
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"{type(estimator).__name__}.adapt: unknown budget parameter(s) {', '.join(unknown)}; "
                         f"valid: {', '.join(sorted(known))}")
    saved = {k: known[k] for k in values}
    estimator.set_params(**values)
    try:
        yield
    finally:
        estimator.set_params(**saved)


def can_sample(estimator: Any) -> bool:
    """Whether ``estimator`` offers the optional ``sample(X, m, random_state)`` (PROTOCOL §9): an
    :class:`Imputer` subclass that implements ``_sample``, or any other class with a ``sample`` method."""
    if isinstance(estimator, Imputer):
        cls = type(estimator)
        return cls._sample is not Imputer._sample or cls.sample is not Imputer.sample
    return callable(getattr(estimator, "sample", None))


def contract_of(cls: type) -> Contract:
    """Which contract ``cls`` declares; raises ``TypeError`` naming both when it declares none."""
    if isinstance(cls, type) and issubclass(cls, Imputer):
        return "dataframe"
    declared = getattr(cls, "imputebench_contract", None)
    if declared in CONTRACTS:
        return declared
    if isinstance(getattr(cls, "info", None), ImputerInfo):
        return "dataframe"
    # scikit-learn's own imputers declare what they are by their base class.
    if any(base.__module__.startswith("sklearn.impute") and base.__name__ == "_BaseImputer" for base in cls.__mro__):
        return "numeric"
    raise TypeError(
        f"{cls.__module__}:{cls.__qualname__} declares no imputer contract: subclass imputebench.imputer.Imputer "
        f"(DataFrame in/out), or for a scikit-learn imputer of numeric arrays set imputebench_contract = 'numeric' "
        f"on the class or name it 'numeric:{cls.__module__}:{cls.__qualname__}' (see docs/plugins.md)")


def categorical_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]


def numeric_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if not isinstance(X[c].dtype, pd.CategoricalDtype)]


def check_frame(X: Any) -> pd.DataFrame:
    """Accept a DataFrame of float and category columns (PROTOCOL §1, §4); raise otherwise."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"imputers of the DataFrame contract take a pandas DataFrame, got {type(X).__name__}")
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
    """The harness's check of PROTOCOL §4; raises :class:`ContractViolation` naming the breach and the contract."""
    breach = _output_breach(X_in, X_out)
    if breach:
        raise ContractViolation(f"{breach} (the harness's check of the DataFrame contract, PROTOCOL §4)")


def _output_breach(X_in: pd.DataFrame, X_out: Any) -> str | None:
    if not isinstance(X_out, pd.DataFrame):
        return f"transform returned {type(X_out).__name__}, not a DataFrame"
    if list(X_out.columns) != list(X_in.columns):
        return "transform changed the columns"
    if not X_out.index.equals(X_in.index):
        return "transform changed the index"
    for c in X_in.columns:
        a, b = X_in[c], X_out[c]
        if isinstance(a.dtype, pd.CategoricalDtype):
            if not isinstance(b.dtype, pd.CategoricalDtype) or not b.cat.categories.equals(a.cat.categories):
                return f"column {c!r}: output is not a category of the input's categories"
            if b.isna().any():
                return f"column {c!r}: output still has missing values (or values outside its categories)"
            obs = a.notna().to_numpy()
            if not np.array_equal(a.cat.codes.to_numpy()[obs], b.cat.codes.to_numpy()[obs]):
                return f"column {c!r}: observed cells were changed"
        else:
            if b.dtype != a.dtype:
                return f"column {c!r}: dtype changed from {a.dtype} to {b.dtype}"
            vb = b.to_numpy(dtype=float)
            if not np.isfinite(vb).all():
                return f"column {c!r}: output has NaN or infinite values"
            va = a.to_numpy(dtype=float)
            obs = ~np.isnan(va)
            if not np.array_equal(va[obs], vb[obs]):
                return f"column {c!r}: observed cells were changed"
    return None
