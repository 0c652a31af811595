"""imputebench.testing: the contract checks pass the built-ins and name what a broken imputer breaks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import SimpleImputer

from imputebench.imputer import POSITIVE_INT, Imputer, ImputerInfo
from imputebench.registry import CLASSICAL, discover, make_imputer
from imputebench.registry.mean import MeanImputer
from imputebench.testing import CHECKS, check_imputer, parametrize_with_checks

INFO = ImputerInfo(name="broken", family="test", description="deliberately broken")


# -- deliberately broken imputers, one fault each ----------------------------------------------------
class RaisesInFit(MeanImputer):
    def _fit(self, X, y=None):
        raise RuntimeError("boom in fit")


class LeavesNaN(MeanImputer):
    def _transform(self, X):
        out = super()._transform(X)
        for c in X.columns:
            if not isinstance(X[c].dtype, pd.CategoricalDtype):
                out[c] = np.nan
        return out


class DuckMean(TransformerMixin, BaseEstimator):
    """A DataFrame-contract plugin that declares ``info`` without the base class: nothing restores for it."""

    info = INFO

    def fit(self, X, y=None):
        self.means_ = {c: X[c].mean() for c in X.columns if not isinstance(X[c].dtype, pd.CategoricalDtype)}
        self.modes_ = {c: X[c].mode().iloc[0] for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)}
        return self

    def transform(self, X):
        return X.fillna({**self.means_, **self.modes_})


class WrongDtype(DuckMean):
    def transform(self, X):
        out = super().transform(X)
        return out.astype({c: "float32" for c in self.means_})


class ChangesObservedCells(DuckMean):
    def transform(self, X):
        out = super().transform(X)
        for c in self.means_:
            out[c] = out[c] + 1.0
        return out


class MutatesInput(MeanImputer):
    def _fit(self, X, y=None):
        X.iloc[0, 0] = np.nan  # edits the caller's table in place
        return super()._fit(X, y)


class Nondeterministic(Imputer):
    info = INFO

    def __init__(self, random_state=None):
        self.random_state = random_state

    def _fit(self, X, y=None):
        self.fill_ = MeanImputer().fit(X)

    def _transform(self, X):
        out = self.fill_._transform(X)
        rng = np.random.default_rng()  # ignores random_state
        for c in X.columns:
            if not isinstance(X[c].dtype, pd.CategoricalDtype):
                out[c] = out[c].astype(float) + rng.normal(size=len(X))
        return out


class StoresAlteredParam(MeanImputer):
    def __init__(self, k=3):
        self.k = int(k) + 1  # work in __init__: clone cannot rebuild it


@pytest.mark.parametrize("imputer, check, message", [
    (RaisesInFit(), "mixed", "RuntimeError: boom in fit"),
    (LeavesNaN(), "numeric_only", "NaN"),
    (WrongDtype(), "mixed", "dtype changed from float64 to float32"),
    (ChangesObservedCells(), "numeric_only", "observed cells were changed"),
    (MutatesInput(), "no_input_mutation", "changed its input table in place"),
    (Nondeterministic(), "deterministic", "two fits with the same random_state differ"),
    (StoresAlteredParam(), "clone_and_get_params", "does not store parameter 'k' verbatim"),
])
def test_each_broken_imputer_fails_the_check_that_names_its_fault(imputer, check, message):
    report = check_imputer(imputer)
    assert not report.passed
    assert check in report.failed
    result = next(r for r in report.results if r.check == check)
    assert message in result.message
    assert f"FAILED  {check}" in "\n".join(report.lines())


def test_a_good_imputer_passes_and_adapt_is_skipped_without_the_method():
    report = check_imputer(MeanImputer())
    assert report.passed and report.failed == []
    assert {r.check: r.status for r in report.results}["adapt"] == "skipped"
    assert report.contract == "dataframe"


def test_adapt_is_checked_when_present():
    class Adapts(MeanImputer):
        def adapt(self, X, y=None):
            return self.fit(X)

    class AdaptReturnsNone(MeanImputer):
        def adapt(self, X, y=None):
            self.fit(X)

    assert {r.check: r.status for r in check_imputer(Adapts()).results}["adapt"] == "passed"
    report = check_imputer(AdaptReturnsNone(), ["adapt"])
    assert report.failed == ["adapt"] and "not the imputer itself" in report.results[0].message


def test_a_numeric_scikit_learn_imputer_is_checked_through_the_adapter():
    report = check_imputer(SimpleImputer(strategy="mean"))
    assert report.contract == "numeric" and report.passed


@parametrize_with_checks([MeanImputer(), SimpleImputer(strategy="median")])
def test_parametrize_with_checks(estimator, check):
    check(estimator)


def test_parametrize_with_checks_fails_with_the_check_name():
    decorator = parametrize_with_checks([LeavesNaN()], checks=["numeric_only"])
    (estimator, check), = decorator.args[1]
    with pytest.raises(AssertionError, match="numeric_only: ContractViolation"):
        check(estimator)


# -- every built-in passes -------------------------------------------------------------------------
# Budgets small enough for a unit test; the contract does not depend on how long a model trains.
TINY = {
    "gain": {"iterations": 20, "batch_size": 32},
    "midae": {"epochs": 2, "batch_size": 32, "n_imputations": 2},
    "vaei": {"epochs": 2, "batch_size": 32, "impute_iterations": 2},
    "hivae": {"epochs": 2, "batch_size": 32},
    "miwae": {"epochs": 2, "batch_size": 32, "n_samples": 2, "n_impute_samples": 4},
    "metagain": {"n_iterations": 10, "batch_size": 16, "hidden_dim": 8, "n_layers": 2, "latent_dim": 8},
    "diffputer": {"n_em_iterations": 1, "n_epochs": 3, "width": 16, "n_steps": 3, "n_samples": 2,
                  "resample_steps": 1, "batch_size": 32},
    "remasker": {"embed_dim": 8, "depth": 1, "decoder_depth": 1, "num_heads": 2, "max_epochs": 2, "warmup_epochs": 1,
                 "batch_size": 32},
    "hyperimpute": {"pool": "small", "max_iter": 2},
}
FAST = [n for n in CLASSICAL if n not in ("mice", "missforest", "xgbi")]
SLOW = [n for n in discover() if n not in FAST]


def _builtin(name: str):
    entry = discover()[name]
    if not entry.available:
        pytest.skip(f"{name} is unavailable: {entry.error}")
    params = {**entry.info.params_for("ci"), **TINY.get(name, {})}
    if "device" in entry.cls().get_params():
        params["device"] = "cpu"
    return make_imputer(name, params, random_state=0)


@pytest.mark.parametrize("name", FAST)
def test_fast_builtins_pass_every_check(name):
    report = check_imputer(_builtin(name), name=name)
    assert report.passed, "\n".join(report.lines())


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_other_builtins_pass_every_check(name):
    report = check_imputer(_builtin(name), name=name)
    assert report.passed, "\n".join(report.lines())


@pytest.mark.slow  # runs the contract checks in subprocesses
def test_cli_check_verdicts_and_exit_status(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}  # this module, by dotted path

    def cli(*argv):
        return subprocess.run([sys.executable, "-m", "imputebench.cli", "imputers", "check", *argv],
                              capture_output=True, text=True, timeout=300, env=env)

    out = cli("median", "--json")
    assert out.returncode == 0, out.stderr
    verdict = json.loads(out.stdout)
    assert verdict["passed"] and [c["check"] for c in verdict["checks"]] == list(CHECKS)
    assert verdict["params"] == "the constructor's defaults (no 'ci' profile declared)"
    out = cli(f"{__name__}:ChangesObservedCells", "--checks", "mixed,clone_and_get_params")
    assert out.returncode == 1
    assert "FAILED  mixed: ContractViolation: column 'x0': observed cells were changed" in out.stdout
    assert "PASSED  clone_and_get_params" in out.stdout
    out = cli("knn", "--param", "n_neighbors=-1")
    assert out.returncode == 2 and "must be an int in the range [1, inf)" in out.stderr


# -- the verdicts say what they judged --------------------------------------------------------------
class ShiftsItsInput(DuckMean):
    """Deterministic, but it edits the caller's table: its observed numbers move by one on every fit."""

    def fit(self, X, y=None):
        for c in X.columns:
            if not isinstance(X[c].dtype, pd.CategoricalDtype):
                X[c] += 1.0
        return super().fit(X, y)


def test_determinism_is_judged_on_a_fresh_table_so_mutation_is_blamed_once():
    verdicts = {r.check: r for r in check_imputer(ShiftsItsInput(), ["deterministic", "no_input_mutation"]).results}
    assert verdicts["deterministic"].status == "passed", verdicts["deterministic"].message
    assert verdicts["no_input_mutation"].status == "failed"


class RefusesItsQuickProfile(MeanImputer):
    """A plugin whose declared quick profile holds a value its own constraints refuse."""

    info = ImputerInfo(name="refuses", family="test", description="bad profile", profiles={"quick": {"k": 0}})
    _parameter_constraints = {"k": [POSITIVE_INT]}

    def __init__(self, k=1):
        self.k = k


def test_check_names_the_profile_it_used_and_gives_a_verdict_per_check():
    from imputebench.errors import UsageError
    from imputebench.testing import check_registered

    name = f"{__name__}:RefusesItsQuickProfile"
    lines = check_registered(name, "ci", {}, ["mixed", "deterministic"]).lines()
    assert lines[1] == f"{name}: hyper-parameters of profile 'ci' (its values are the imputer's 'quick' profile's)"
    assert [line.split(":")[0] for line in lines[2:4]] == ["FAILED  mixed", "FAILED  deterministic"]
    assert all("not built: profile 'ci'" in line and "Got 0 instead" in line for line in lines[2:4]), lines
    assert lines[4] == f"{name}: FAILED (mixed, deterministic)"
    # An override the caller gives is reported as used; one the imputer refuses is the caller's error.
    report = check_registered(name, "paper", {"k": 2}, ["mixed"])
    assert report.passed and report.params == "the constructor's defaults (no 'paper' profile declared), with --param k=2"
    with pytest.raises(UsageError, match=r"'k' parameter .* Got -1 instead"):
        check_registered(name, "ci", {"k": -1})
    with pytest.raises(UsageError, match="unknown profile 'nosuch'"):
        check_registered("median", "nosuch")
