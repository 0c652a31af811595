import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from imputebench import registry
from imputebench.datasets import load_dataset
from imputebench.errors import ContractViolation, UsageError
from imputebench.imputer import restore_observed, validate_output
from imputebench.protocol.masks import apply_mask, draw_mask


@pytest.fixture
def masked():
    ds = load_dataset("diabetes")
    M = draw_mask(ds.X, "mcar", 0.3, np.random.default_rng(0))
    return ds.X, apply_mask(ds.X, M)


@pytest.fixture
def plugin_dist(tmp_path, monkeypatch):
    """A fake installed distribution declaring two entry points, one of them broken."""
    dist = tmp_path / "fakeplugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[imputebench.imputers]\nnoisy_plugin = faulty:Noisy\nbroken_plugin = no_such_module_xyz:Imputer\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.clear_cache()
    yield
    registry.clear_cache()


HEAVY = ("torch", "xgboost", "sklearn", "scipy")
IMPORTED = ("import atexit, sys; atexit.register(lambda: print('IMPORTED=' + ','.join(sorted(m for m in sys.modules "
            "if m.split('.')[0] in %r or m.startswith('imputebench.registry.'))), file=sys.stderr)); " % (HEAVY,))
CLI = "from imputebench.cli import main; sys.exit(main(sys.argv[1:]))"
# The built-ins' declarations (registry/info/): data only, what listing may import of the registry.
DECLARATIONS = {"imputebench.registry.info", "imputebench.registry.info.row", "imputebench.registry.info.classical",
                "imputebench.registry.info.deep", "imputebench.registry.info.seeds"}


def _process(code: str, *argv: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, set[str]]:
    out = subprocess.run([sys.executable, "-c", IMPORTED + code, *argv], capture_output=True, text=True,
                         timeout=120, env=env)
    line = next(x for x in out.stderr.splitlines() if x.startswith("IMPORTED="))
    return out, set(filter(None, line[len("IMPORTED="):].split(",")))


@pytest.mark.parametrize("argv", [["--help"], ["imputers", "list"], ["imputers", "info", "mean"]])
def test_listing_and_help_import_no_implementation(argv):
    out, imported = _process(CLI, *argv)
    assert out.returncode == 0, out.stderr
    assert not {m for m in imported if m.startswith("imputebench.registry.")} - DECLARATIONS, imported
    assert not {m for m in imported if m.split(".")[0] in ("torch", "xgboost")}, imported
    # Listing imports the installed plugins (to say whether they work), and they may import
    # scikit-learn through imputebench.imputer; nothing else may.
    from importlib.metadata import entry_points

    if argv != ["imputers", "list"] or not entry_points(group=registry.ENTRY_POINT_GROUP):
        assert imported <= DECLARATIONS, imported


def test_building_mean_imports_only_mean():
    out, imported = _process("from imputebench.registry import make_imputer; make_imputer('mean')")
    assert out.returncode == 0, out.stderr
    assert {m for m in imported if m.startswith("imputebench.registry.")} == DECLARATIONS | {"imputebench.registry.mean"}
    assert not {m for m in imported if m.split(".")[0] in ("torch", "xgboost")}, imported


def test_a_plugin_raising_base_exceptions_at_import_is_listed_unavailable(tmp_path):
    (tmp_path / "exits_plugin.py").write_text("raise SystemExit(3)\n")
    (tmp_path / "interrupts_plugin.py").write_text("class Stop(BaseException):\n    pass\nraise Stop('no way')\n")
    dist = tmp_path / "hostile-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hostile\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[imputebench.imputers]\nexits = exits_plugin:Imputer\ninterrupts = interrupts_plugin:Imputer\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out, _ = _process(CLI, "imputers", "list", "--json", env=env)
    assert out.returncode == 0, out.stderr
    listed = {d["name"]: d for d in json.loads(out.stdout)}
    assert not listed["exits"]["available"] and listed["exits"]["error"] == "SystemExit: 3"
    assert not listed["interrupts"]["available"] and listed["interrupts"]["error"] == "Stop: no way"
    assert listed["mean"]["available"]
    out, _ = _process(CLI, "imputers", "info", "knn", env=env)
    assert out.returncode == 0 and "family: neighbours" in out.stdout
    out, _ = _process(CLI, "imputers", "info", "exits", env=env)
    assert out.returncode == 0 and "available: False" in out.stdout


def test_imputer_name_typo_suggests_the_closest():
    with pytest.raises(UsageError, match="did you mean 'mean'"):
        registry.resolve("mena")


def test_entry_points_are_found_and_a_broken_one_is_listed_unavailable(plugin_dist, masked):
    found = registry.discover()
    assert found["noisy_plugin"].available and found["noisy_plugin"].source == "entry-point"
    broken = found["broken_plugin"]
    assert not broken.available and "no_such_module_xyz" in broken.error
    assert found["mean"].available  # the rest still work
    X, Xm = masked
    out = registry.make_imputer("noisy_plugin", random_state=1).fit(Xm).transform(Xm)
    validate_output(Xm, out)
    with pytest.raises(UsageError, match="unavailable"):
        registry.make_imputer("broken_plugin")


def test_dotted_path_to_a_sklearn_imputer(masked):
    X, Xm = masked
    imp = registry.make_imputer("sklearn.impute:KNNImputer", {"n_neighbors": 3}, random_state=0)
    out = imp.fit(Xm).transform(Xm)
    validate_output(Xm, out)
    assert isinstance(out["sex"].dtype, pd.CategoricalDtype)
    assert registry.resolve("sklearn.impute:KNNImputer").info.family == "external"


def test_unknown_names():
    with pytest.raises(UsageError, match="valid: .*mean"):
        registry.resolve("nosuch")
    entry = registry.resolve("no_module_here:Thing")
    assert not entry.available and "No module named" in entry.error


def test_random_state_is_passed_only_when_accepted():
    assert registry.make_imputer("faulty:Noisy", random_state=5).random_state == 5
    registry.make_imputer("mean", random_state=5)  # no random_state parameter: not passed, no error


def test_builtin_imputers_follow_the_estimator_contract():
    from sklearn.base import clone
    for name, entry in registry.discover().items():
        if not entry.available:
            continue
        est = registry.make_imputer(name, entry.info.params_for("quick"), random_state=0)
        params = est.get_params()
        assert clone(est).get_params().keys() == params.keys(), name  # no work in __init__
        assert entry.info.name == name


def test_validate_output_catches_each_breach(masked):
    X, Xm = masked
    good = registry.make_imputer("mean").fit(Xm).transform(Xm)
    validate_output(Xm, good)
    bad = good.copy(); bad.iloc[0, 0] = np.nan
    with pytest.raises(ContractViolation, match="NaN"):
        validate_output(Xm, bad)
    obs_row = int(np.flatnonzero(Xm["age"].notna().to_numpy())[0])
    bad = good.copy(); bad.loc[obs_row, "age"] += 1
    with pytest.raises(ContractViolation, match="observed cells were changed"):
        validate_output(Xm, bad)
    bad = good.copy(); bad["sex"] = bad["sex"].cat.codes.astype(float)
    with pytest.raises(ContractViolation, match="category"):
        validate_output(Xm, bad)
    with pytest.raises(ContractViolation, match="columns"):
        validate_output(Xm, good[good.columns[::-1]])
    with pytest.raises(ContractViolation, match="index"):
        validate_output(Xm, good.reset_index(drop=True).set_axis(good.index + 1))
    with pytest.raises(ContractViolation, match="DataFrame"):
        validate_output(Xm, good.to_numpy())


def test_restore_observed_keeps_observed_and_dtypes(masked):
    X, Xm = masked
    filled = X.copy()
    filled[[c for c in X.columns if c != "sex"]] += 1000.0
    out = restore_observed(Xm, filled)
    num = [c for c in X.columns if c != "sex"]
    obs = Xm[num].notna().to_numpy()
    o, m, f = out[num].to_numpy(), Xm[num].to_numpy(), filled[num].to_numpy()
    assert np.array_equal(o[obs], m[obs]) and np.array_equal(o[~obs], f[~obs])
    assert (out["sex"][Xm["sex"].isna()] == filled["sex"][Xm["sex"].isna()]).all()
    assert (out.dtypes == X.dtypes).all() and out.notna().all().all()


def test_imputers_cli_list_and_info_json():
    out = subprocess.run([sys.executable, "-m", "imputebench.cli", "imputers", "list", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    listed = {d["name"]: d for d in json.loads(out.stdout)}
    assert listed["mean"]["available"] and listed["mean"]["native_categorical"]
    out = subprocess.run([sys.executable, "-m", "imputebench.cli", "imputers", "info", "median", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert json.loads(out.stdout)["family"] == "simple"
    out = subprocess.run([sys.executable, "-m", "imputebench.cli", "imputers", "info", "nosuch"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "unknown imputer 'nosuch'" in out.stderr


@pytest.mark.parametrize("name, params, message", [
    ("knn", {"n_neighbors": -3}, r"'n_neighbors' parameter of imputer 'knn' must be an int in the range \[1, inf\)"),
    ("knn", {"n_neighbors": "abc"}, r"must be an int .* Got 'abc'"),
    ("knn", {"n_neighbours": 3}, r"no parameter 'n_neighbours'; did you mean 'n_neighbors'\?"),
    ("mice", {"max_iter": 2.5}, r"'max_iter' parameter of imputer 'mice' must be an int"),
    ("missforest", {"max_features": "all"}, r"'max_features' parameter"),
    ("sklearn.impute:KNNImputer", {"n_neighbors": 0}, r"'n_neighbors' parameter of imputer 'sklearn.impute:KNNImputer'"),
])
def test_bad_parameters_are_rejected_before_any_job(name, params, message):
    with pytest.raises(UsageError, match=message):
        registry.check_params(name, params)


def test_every_profile_of_every_builtin_satisfies_its_constraints():
    for name, entry in registry.discover().items():
        if entry.source == "builtin" and entry.available:
            for profile in ("quick", "paper", "ci"):
                registry.check_params(name, entry.info.params_for(profile))


def test_cli_rejects_a_bad_param_with_one_line_and_writes_nothing(tmp_path):
    results = tmp_path / "results"
    out = subprocess.run([sys.executable, "-m", "imputebench.cli", "run", "--imputers", "knn", "--datasets", "iris",
                          "--param", "knn.n_neighbors=-3", "--results", str(results), "--no-report", "--quiet"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "imputebench: error: The 'n_neighbors' parameter of imputer 'knn' must be an int in the range [1, inf). "
        "Got -3 instead."]
    assert not results.exists()


def test_contracts_are_explicit():
    from sklearn.impute import KNNImputer, SimpleImputer

    from imputebench.imputer import contract_of
    from imputebench.registry.mean import MeanImputer

    assert contract_of(MeanImputer) == "dataframe"
    assert contract_of(KNNImputer) == contract_of(SimpleImputer) == "numeric"

    class Undeclared:
        def fit(self, X, y=None):
            return self

    with pytest.raises(TypeError, match="declares no imputer contract: subclass imputebench.imputer.Imputer"):
        contract_of(Undeclared)
    Undeclared.imputebench_contract = "numeric"
    assert contract_of(Undeclared) == "numeric"
    # 'numeric:' in front of a dotted path declares the numeric contract for a class one cannot edit.
    entry = registry.resolve("numeric:sklearn.impute:SimpleImputer")
    assert entry.available and entry.contract == "numeric"
    undeclared = registry.resolve("collections:OrderedDict")
    assert not undeclared.available and "declares no imputer contract" in undeclared.error


class _ShiftsEverything:
    """A numeric-contract estimator that breaks the contract: it moves observed cells too."""

    imputebench_contract = "numeric"

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.nan_to_num(X) + 0.5


def test_numeric_adapter_reports_a_breach_instead_of_hiding_it(masked):
    from imputebench.registry.external import ExternalImputer

    X, Xm = masked
    with pytest.raises(ContractViolation, match=r"numeric contract .* changed \d+ observed cells"):
        ExternalImputer(estimator=_ShiftsEverything(), name="shifts").fit(Xm).transform(Xm)


# -- one declaration per built-in ----------------------------------------------------------------------
def test_each_builtin_is_declared_once_and_every_view_follows_it():
    from imputebench.registry.info import BUILTIN_IMPUTERS, BUILTIN_INFO

    assert list(registry.BUILTINS) == list(BUILTIN_INFO) == list(BUILTIN_IMPUTERS)
    assert registry.CLASSICAL == tuple(n for n, row in BUILTIN_IMPUTERS.items() if row.default_run)
    for name, row in BUILTIN_IMPUTERS.items():
        entry = registry.resolve(name)
        assert entry.target == row.target and entry.info is row.info and row.info.name == name
        if entry.available:
            assert entry.cls.info is row.info, name  # the class reads its row, it does not restate it
    torch_rows = [n for n, row in BUILTIN_IMPUTERS.items() if row.requires]
    assert all(BUILTIN_IMPUTERS[n].extra == "deep" for n in torch_rows) and "gain" in torch_rows


def test_profile_names_are_declared_once():
    from imputebench import imputer, imputer_info
    from imputebench.protocol import profiles

    assert imputer.PROFILES is imputer_info.PROFILES is profiles.PROFILES
    assert registry.resolve("knn").info.params_source("ci") == "quick"  # ci falls back, as profiles.py says
    with pytest.raises(ValueError, match="unknown profile.*'papr'"):
        registry.ImputerInfo(name="x", family="test", description="typo", profiles={"papr": {}})


# -- deviations: one checked declaration ---------------------------------------------------------------
def _defaults(cls) -> dict:
    import inspect

    return {p.name: p.default for p in inspect.signature(cls.__init__).parameters.values() if p.default is not p.empty}


def test_every_profile_cut_of_every_builtin_is_listed():
    from imputebench.imputer_info import profile_cut_problems

    checked = 0
    for name, entry in registry.discover().items():
        if entry.source == "builtin" and entry.available and "paper" in entry.info.profiles:
            assert profile_cut_problems(entry.info, _defaults(entry.cls)) == [], name
            checked += 1
    assert checked >= 9


def test_a_cut_removed_from_a_declaration_is_caught():
    from dataclasses import replace

    from imputebench.imputer_info import profile_cut_problems
    from imputebench.registry.info import BUILTIN_INFO

    info = BUILTIN_INFO["diffputer"]
    defaults = {"weight_decay": 0.0, "lr_patience": 50, "patience": 500, "batch_size": 4096}
    assert profile_cut_problems(info, defaults) == []
    doctored = replace(info, deviations=tuple(d for d in info.deviations if d.kind != "profile-cut"))
    problems = profile_cut_problems(doctored, defaults)
    assert any("'weight_decay' is 1e-06 in quick and 0.0 in paper" in p for p in problems), problems
    assert any("'lr_patience'" in p for p in problems) and len(problems) == 9
    # A cut that no longer differs is stale, and caught too.
    cut = next(d for d in info.deviations if d.kind == "profile-cut")
    stale = replace(info, profiles={**info.profiles, "quick": {**info.profiles["quick"], "weight_decay": 0.0}})
    assert profile_cut_problems(stale, defaults) == [
        "diffputer: a quick profile-cut names 'weight_decay', which is the same as in paper"]
    assert "weight_decay" in cut.params


def test_the_corrected_deviations_say_what_the_reference_does():
    from imputebench.registry.info import BUILTIN_INFO

    def lines(name):
        return [str(d) for d in BUILTIN_INFO[name].deviations]

    remasker = next(d for d in BUILTIN_INFO["remasker"].deviations if "weight_decay" in d.params)
    assert remasker.kind == "code" and "never passes it" in remasker.text and "0.01" in remasker.text
    diffputer = next(line for line in lines("diffputer") if "Categorical" in line)
    assert "binary digits" in diffputer and "thresholds" not in diffputer
    assert any("remove.lindep" in line for line in lines("mice"))
    out = subprocess.run([sys.executable, "-m", "imputebench.cli", "imputers", "info", "mice"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "remove.lindep" in out.stdout
    info = json.loads(subprocess.run([sys.executable, "-m", "imputebench.cli", "imputers", "info", "diffputer",
                                      "--json"], capture_output=True, text=True, timeout=120).stdout)
    cut = next(d for d in info["deviations"] if d["kind"] == "profile-cut")
    assert cut["profile"] == "quick" and {"weight_decay", "lr_patience"} <= set(cut["params"])
    assert cut["line"].startswith("quick profile: ")


# -- plugins: scikit-learn's imputers, clashing names, one family vocabulary -----------------------------
def _sklearn_imputers() -> list[str]:
    import sklearn.experimental.enable_iterative_imputer  # noqa: F401  (so __all__ lists it)
    import sklearn.impute

    return [f"sklearn.impute:{n}" for n in sklearn.impute.__all__ if n.endswith("Imputer")]


@pytest.mark.parametrize("checks", [("mixed", "deterministic"), pytest.param(None, marks=pytest.mark.slow)],
                         ids=["two-checks", "every-check"])
def test_every_scikit_learn_imputer_works_by_dotted_path(checks):
    from imputebench.testing import check_imputer

    names = _sklearn_imputers()
    assert "sklearn.impute:IterativeImputer" in names and len(names) >= 3
    for name in names:
        entry = registry.resolve(name)
        assert entry.available, (name, entry.error)
        assert entry.contract == "numeric" and registry.family_of(name) == registry.EXTERNAL_FAMILY
        report = check_imputer(entry.cls(), checks, name=name)
        assert report.passed, "\n".join(report.lines())


def test_iterative_imputer_is_enabled_in_a_fresh_process():
    out = subprocess.run([sys.executable, "-c", "from imputebench.registry import resolve; "
                          "e = resolve('sklearn.impute:IterativeImputer'); print(e.available, e.error)"],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["True", "None"], out.stdout + out.stderr


@pytest.fixture
def clashing_plugins(tmp_path, monkeypatch):
    """Two distributions: one declares a plugin under a built-in's name, both declare 'shared'."""
    for dist, body in (("clash_a", "mean = faulty:Noisy\nshared = faulty:Raises\n"),
                       ("clash_b", "shared = faulty:Slow\n")):
        info = tmp_path / f"{dist}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[imputebench.imputers]\n{body}")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.clear_cache()
    yield
    registry.clear_cache()


def test_a_plugin_clashing_with_a_builtin_or_another_plugin_is_named_not_ignored(clashing_plugins):
    found = registry.discover()
    assert found["mean"].source == "builtin" and registry.resolve("mean").source == "builtin"
    squatter = found["faulty:Noisy"]
    assert squatter.available and squatter.source == "entry-point"
    assert "entry point 'mean' of plugin faulty:Noisy (from clash_a) clashes with the built-in 'mean'" in squatter.note
    assert "run it as 'faulty:Noisy'" in squatter.note
    assert {"faulty:Raises", "faulty:Slow"} <= set(found) and "shared" not in found
    with pytest.raises(UsageError, match=r"'shared' is declared by several plugins: faulty:Raises \(from clash_a\) "
                                         r"and faulty:Slow \(from clash_b\)"):
        registry.resolve("shared")
    from imputebench.cli import main

    assert main(["imputers", "list"]) == 0


def test_family_of_is_the_declared_family_everywhere(plugin_dist):
    assert registry.family_of("knn") == "neighbours"
    assert registry.family_of("noisy_plugin") == "test"  # what the plugin declares, not "plugin"
    assert registry.family_of("faulty:Noisy") == "test"
    assert registry.family_of("sklearn.impute:SimpleImputer") == registry.EXTERNAL_FAMILY == "external"
    assert registry.family_of("broken_plugin") == registry.family_of("gone_since_the_run") == "external"
    assert registry.info_of("gone_since_the_run") is None


def test_one_line_error_text():
    from imputebench.errors import one_line

    assert one_line(ValueError("bad\n  value\tthere")) == "ValueError: bad value there"
    assert one_line(KeyError()) == "KeyError"
    assert one_line(OSError("first\nsecond"), typed=False, first_line=True) == "first"
    assert one_line(RuntimeError("x" * 900)) == ("RuntimeError: " + "x" * 900)[:500]
    assert one_line("  stored\nerror ", limit=None) == "stored error"
