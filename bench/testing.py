"""The imputer contract as a check suite, for plugin authors (``imputebench.testing``).

In the spirit of scikit-learn's ``estimator_checks``: :func:`check_imputer` runs every check on
small generated tables and returns a :class:`CheckReport` with a verdict per check;
:func:`parametrize_with_checks` turns the same checks into pytest cases::

    from imputebench.testing import parametrize_with_checks

    @parametrize_with_checks([MyImputer(), MyImputer(n_neighbors=1)])
    def test_contract(estimator, check):
        check(estimator)

A DataFrame-contract imputer is checked as it is; a numeric-contract one (a scikit-learn imputer of
numeric arrays) is checked through the adapter the harness uses. The output of every table goes
through the harness's own check of PROTOCOL §4 (:func:`imputebench.imputer.validate_output`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone

from .errors import one_line
from .imputer import CONTRACTS, can_sample, contract_of, validate_output

SEED = 0
N_ROWS = 60


# -- small generated tables ------------------------------------------------------------------------
def _numeric(rng: np.random.Generator, n: int = N_ROWS, p: int = 4) -> pd.DataFrame:
    latent = rng.normal(size=(n, 1))
    values = latent @ rng.normal(size=(1, p)) + 0.5 * rng.normal(size=(n, p))
    return pd.DataFrame(values, columns=[f"x{j}" for j in range(p)])


def _categorical(rng: np.random.Generator, n: int = N_ROWS, p: int = 3) -> pd.DataFrame:
    return pd.DataFrame({f"c{j}": pd.Categorical(rng.choice(["a", "b", "c"][: 2 + j % 2], size=n))
                         for j in range(p)})


def _mixed(rng: np.random.Generator, n: int = N_ROWS) -> pd.DataFrame:
    X = _numeric(rng, n, 3)
    X["colour"] = pd.Categorical(np.where(X["x0"] > 0, "red", "blue"), categories=["blue", "green", "red"])
    X["size"] = pd.Categorical(rng.choice(["s", "m", "l"], size=n), categories=["s", "m", "l"])
    return X


def _mask(X: pd.DataFrame, rng: np.random.Generator, rate: float = 0.2) -> pd.DataFrame:
    """``X`` with ``rate`` of its cells missing at random; every column keeps two observed cells."""
    hide = rng.random(X.shape) < rate
    hide[:2] = False
    return X.mask(pd.DataFrame(hide, index=X.index, columns=X.columns))


def _labels(est: Any, X: pd.DataFrame) -> pd.Series | None:
    """A class target for imputers that use the train labels (as the harness passes them, PROTOCOL §3)."""
    if not getattr(getattr(est, "info", None), "uses_labels", False):
        return None
    return pd.Series(np.arange(len(X)) % 2, index=X.index, name="target")


# -- checks --------------------------------------------------------------------------------------
def _fit_transform_ok(est: Any, X: pd.DataFrame) -> pd.DataFrame:
    out = clone(est).fit_transform(X, _labels(est, X))
    validate_output(X, out)
    return out


def check_numeric_only(est: Any) -> None:
    _fit_transform_ok(est, _mask(_numeric(np.random.default_rng(SEED)), np.random.default_rng(1)))


def check_mixed(est: Any) -> None:
    _fit_transform_ok(est, _mask(_mixed(np.random.default_rng(SEED)), np.random.default_rng(2)))


def check_all_categorical(est: Any) -> None:
    _fit_transform_ok(est, _mask(_categorical(np.random.default_rng(SEED)), np.random.default_rng(3)))


def check_constant_column(est: Any) -> None:
    X = _mixed(np.random.default_rng(SEED))
    X["constant"] = 3.0
    _fit_transform_ok(est, _mask(X, np.random.default_rng(4)))


def check_one_missing_cell(est: Any) -> None:
    X = _mixed(np.random.default_rng(SEED))
    X.iloc[7, 1] = np.nan
    _fit_transform_ok(est, X)


def check_row_all_missing(est: Any) -> None:
    X = _mask(_mixed(np.random.default_rng(SEED)), np.random.default_rng(5))
    X.iloc[10] = np.nan
    _fit_transform_ok(est, X)


def check_index_not_range(est: Any) -> None:
    X = _mask(_mixed(np.random.default_rng(SEED)), np.random.default_rng(6))
    X.index = pd.Index(np.random.default_rng(7).permutation(len(X)) * 3 + 1000, name="row_id")
    _fit_transform_ok(est, X)


def check_deterministic(est: Any) -> None:
    """The same ``random_state`` gives the same imputation (PROTOCOL §4). Each fit gets a fresh copy of
    the table, so an imputer that edits its input fails ``no_input_mutation``, not this check."""
    seeded = {"random_state": 7} if "random_state" in est.get_params() else {}

    def impute() -> pd.DataFrame:
        X = _mask(_mixed(np.random.default_rng(SEED)), np.random.default_rng(8))
        return clone(est).set_params(**seeded).fit_transform(X, _labels(est, X))

    first, second = impute(), impute()
    if not first.equals(second):
        diff = [c for c in first.columns if c not in second or not first[c].equals(second[c])]
        raise AssertionError(f"two fits with the same random_state differ in columns {diff}")


def check_clone_and_get_params(est: Any) -> None:
    """No work in ``__init__``: every parameter is stored verbatim, so ``clone`` rebuilds the same imputer."""
    params = est.get_params(deep=False)
    rebuilt = type(est)(**params)
    for name, value in params.items():
        stored = getattr(rebuilt, name, "<not set>")
        if stored is not value:
            raise AssertionError(f"__init__ does not store parameter {name!r} verbatim ({value!r} became {stored!r})")
    twin = clone(est)
    if twin.get_params(deep=False).keys() != params.keys():
        raise AssertionError("clone changed the parameter names")


def check_no_input_mutation(est: Any) -> None:
    X = _mask(_mixed(np.random.default_rng(SEED)), np.random.default_rng(9))
    y = pd.Series(np.arange(len(X)) % 2, index=X.index, name="y")
    X_before, y_before = X.copy(), y.copy()
    fitted = clone(est).fit(X, y)
    fitted.transform(X)
    clone(est).fit_transform(X, y)
    if not X.equals(X_before) or not (X.dtypes == X_before.dtypes).all():
        raise AssertionError("fit/transform changed its input table in place")
    if not y.equals(y_before):
        raise AssertionError("fit changed its input labels in place")


def check_inductive_new_rows(est: Any) -> None:
    """Fit on some rows, impute others it never saw (the downstream setting, PROTOCOL §3)."""
    X = _mask(_mixed(np.random.default_rng(SEED), 2 * N_ROWS), np.random.default_rng(10))
    train, test = X.iloc[:N_ROWS], X.iloc[N_ROWS:]
    fitted = clone(est).fit(train, _labels(est, train))
    validate_output(test, fitted.transform(test))
    validate_output(train, fitted.transform(train))


def check_adapt(est: Any) -> None:
    """``adapt(X, y=None)`` after fit returns the imputer itself, which then keeps the contract."""
    if not hasattr(est, "adapt"):
        raise _Skip("the imputer has no adapt method")
    X = _mask(_mixed(np.random.default_rng(SEED), 2 * N_ROWS), np.random.default_rng(11))
    source, target = X.iloc[:N_ROWS], X.iloc[N_ROWS:]
    fitted = clone(est).fit(source, _labels(est, source))
    adapted = fitted.adapt(target, y=None)
    if adapted is not fitted:
        raise AssertionError(f"adapt returned {type(adapted).__name__}, not the imputer itself")
    validate_output(target, fitted.transform(target))


def _sampled(est: Any, m: int, random_state: int) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """A masked mixed table and ``m`` draws of it; skips an imputer without ``sample`` (optional)."""
    if not can_sample(est):
        raise _Skip("the imputer has no sample method (multiple imputation is optional, PROTOCOL §9)")
    X = _mask(_mixed(np.random.default_rng(SEED)), np.random.default_rng(12))
    tables = clone(est).sample(X, m, random_state=random_state)
    if not isinstance(tables, list) or len(tables) != m:
        got = f"{type(tables).__name__} of length {len(tables)}" if hasattr(tables, "__len__") else type(tables).__name__
        raise AssertionError(f"sample(X, m={m}) returned {got}, not a list of {m} tables")
    return X, tables


def check_sample(est: Any) -> None:
    """``sample(X, m, random_state)`` gives m completed tables, each keeping the contract of PROTOCOL §4."""
    X, tables = _sampled(est, 3, 7)
    for k, table in enumerate(tables):
        try:
            validate_output(X, table)
        except Exception as exc:  # noqa: BLE001  name the draw, keep the breach
            raise AssertionError(f"draw {k}: {exc}") from exc


def check_sample_draws_differ(est: Any) -> None:
    """The draws are draws: the m tables are not all the same at the missing cells."""
    X, tables = _sampled(est, 3, 7)
    if all(tables[0].equals(t) for t in tables[1:]):
        raise AssertionError("sample returned m identical tables; draws from the imputation distribution differ")


def check_sample_reproducible(est: Any) -> None:
    """The same ``random_state`` gives the same draws, another one other draws."""
    _, first = _sampled(est, 2, 7)
    _, again = _sampled(est, 2, 7)
    _, other = _sampled(est, 2, 8)
    if not all(a.equals(b) for a, b in zip(first, again)):
        raise AssertionError("two calls of sample with the same random_state gave different tables")
    if all(a.equals(b) for a, b in zip(first, other)):
        raise AssertionError("sample with another random_state gave the same tables (is random_state used?)")


CHECKS: dict[str, Callable[[Any], None]] = {
    "numeric_only": check_numeric_only,
    "mixed": check_mixed,
    "all_categorical": check_all_categorical,
    "constant_column": check_constant_column,
    "one_missing_cell": check_one_missing_cell,
    "row_all_missing": check_row_all_missing,
    "index_not_range": check_index_not_range,
    "deterministic": check_deterministic,
    "clone_and_get_params": check_clone_and_get_params,
    "no_input_mutation": check_no_input_mutation,
    "inductive_new_rows": check_inductive_new_rows,
    "adapt": check_adapt,
    "sample": check_sample,
    "sample_draws_differ": check_sample_draws_differ,
    "sample_reproducible": check_sample_reproducible,
}


class _Skip(Exception):
    """A check that does not apply to this imputer."""


# -- running them --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckResult:
    check: str
    status: str  # "passed" | "failed" | "skipped"
    message: str = ""
    seconds: float = 0.0

    def line(self) -> str:
        tail = f": {self.message}" if self.message else ""
        return f"{self.status.upper():<7} {self.check}{tail}"


@dataclass(frozen=True)
class CheckReport:
    imputer: str
    contract: str
    results: tuple[CheckResult, ...]
    params: str = ""  # whose hyper-parameters the imputer was built with (a profile, overrides)

    @property
    def passed(self) -> bool:
        return all(r.status != "failed" for r in self.results)

    @property
    def failed(self) -> list[str]:
        return [r.check for r in self.results if r.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        return {"imputer": self.imputer, "contract": self.contract, "params": self.params, "passed": self.passed,
                "checks": [r.__dict__ for r in self.results]}

    def lines(self) -> list[str]:
        verdict = "passed" if self.passed else f"FAILED ({', '.join(self.failed)})"
        head = [f"{self.imputer}: {CONTRACTS[self.contract]}"] + (
            [f"{self.imputer}: hyper-parameters of {self.params}"] if self.params else [])
        return head + [r.line() for r in self.results] + [f"{self.imputer}: {verdict}"]


def as_dataframe_imputer(estimator: Any) -> tuple[Any, str]:
    """The estimator the harness would run, and its contract: numeric-contract ones come wrapped."""
    contract = contract_of(type(estimator))
    if contract == "numeric":
        from .registry.external import ExternalImputer

        return ExternalImputer(estimator=estimator, name=type(estimator).__name__), contract
    return estimator, contract


def run_check(estimator: Any, check: str) -> CheckResult:
    """One named check; an exception (any at all) is its failure, with a one-line message."""
    est, _ = as_dataframe_imputer(estimator)
    t0 = time.perf_counter()
    try:
        CHECKS[check](est)
    except _Skip as why:
        return CheckResult(check, "skipped", str(why), time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001  the check's verdict, whatever the imputer raised
        return CheckResult(check, "failed", one_line(exc, 300), time.perf_counter() - t0)
    return CheckResult(check, "passed", "", time.perf_counter() - t0)


def _known(checks: Sequence[str] | None) -> Sequence[str]:
    unknown = [c for c in checks or () if c not in CHECKS]
    if unknown:
        raise ValueError(f"unknown checks {unknown}; valid: {', '.join(CHECKS)}")
    return checks or tuple(CHECKS)


def check_imputer(estimator: Any, checks: Sequence[str] | None = None, name: str | None = None,
                  params: str = "") -> CheckReport:
    """Run the contract checks (all, or those named) on an unfitted imputer; never raises for a failure.
    ``params`` says whose hyper-parameters it was built with (shown in the report)."""
    checks = _known(checks)
    _, contract = as_dataframe_imputer(estimator)
    results = tuple(run_check(estimator, c) for c in checks)
    return CheckReport(name or type(estimator).__name__, contract, results, params)


def unbuilt_report(name: str, contract: str, reason: str, checks: Sequence[str] | None = None,
                   params: str = "") -> CheckReport:
    """The report of an imputer that could not be built (``reason``): a failed verdict for every check."""
    return CheckReport(name, contract, tuple(CheckResult(c, "failed", f"not built: {reason}") for c in _known(checks)),
                       params)


def _whose(info: Any, profile: str, overrides: Mapping[str, Any]) -> str:
    """Whose hyper-parameters a check uses, in words: the profile's (or the one it falls back to), or the defaults."""
    source = info.params_source(profile)
    if source is None:
        where = f"the constructor's defaults (no {profile!r} profile declared)"
    else:
        where = f"profile {profile!r}" + (f" (its values are the imputer's {source!r} profile's)" if source != profile else "")
    return where + (f", with --param {', '.join(f'{k}={v!r}' for k, v in overrides.items())}" if overrides else "")


def check_registered(name: str, profile: str = "ci", overrides: Mapping[str, Any] | None = None,
                     checks: Sequence[str] | None = None) -> CheckReport:
    """The contract checks of a registered imputer (a name, ``module:Class`` or ``numeric:module:Class``)
    built with ``profile``'s hyper-parameters and ``overrides``, the report saying whose they were.

    What the caller got wrong (an unknown or unavailable imputer, profile or check, a bad override) is a
    one-line :class:`~imputebench.errors.UsageError`; a profile value the imputer refuses is its
    declaration's fault, reported as a failed verdict for every check.
    """
    from .errors import UsageError
    from .protocol.profiles import PROFILES
    from .registry import check_params, make_imputer, resolve

    entry = resolve(name)
    if not entry.available:
        raise UsageError(f"imputer {name!r} is unavailable: {entry.error}")
    if profile not in PROFILES:
        raise UsageError(f"unknown profile {profile!r}; valid: {', '.join(PROFILES)}")
    unknown = [c for c in checks or () if c not in CHECKS]
    if unknown:
        raise UsageError(f"unknown check {unknown[0]!r}; valid: {', '.join(CHECKS)}")
    overrides = dict(overrides or {})
    check_params(name, overrides)
    whose = _whose(entry.info, profile, overrides)
    params = {**entry.info.params_for(profile), **overrides}
    try:
        check_params(name, params)
        # The numeric contract is checked through the same adapter the harness uses (check_imputer wraps it).
        estimator = entry.cls(**params) if entry.contract == "numeric" else make_imputer(name, params, random_state=0)
    except Exception as exc:  # noqa: BLE001  whatever the constructor raised is the verdict
        return unbuilt_report(name, entry.contract, f"{whose}: {one_line(exc)}", checks, whose)
    return check_imputer(estimator, checks, name=name, params=whose)


def parametrize_with_checks(estimators: Iterable[Any], checks: Sequence[str] | None = None):
    """A ``pytest.mark.parametrize`` over (estimator, check) pairs; the test calls ``check(estimator)``,
    which raises ``AssertionError`` naming the failed check (and skips a check that does not apply)."""
    import pytest

    def make(name: str) -> Callable[[Any], None]:
        def check(estimator: Any) -> None:
            result = run_check(estimator, name)
            if result.status == "skipped":
                pytest.skip(result.message)
            if result.status == "failed":
                raise AssertionError(f"{name}: {result.message}")
        check.__name__ = name
        return check

    pairs = [(est, make(c)) for est in estimators for c in (checks or CHECKS)]
    ids = [f"{type(est).__name__}-{check.__name__}" for est, check in pairs]
    return pytest.mark.parametrize("estimator, check", pairs, ids=ids)
