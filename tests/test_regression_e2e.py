"""The regression gate end to end: real runs of a tiny grid, a baseline, and a plugin imputer whose
author "breaks" it (adds noise to its output) between two runs."""

from __future__ import annotations

import importlib
import sys
import textwrap
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

runner = pytest.importorskip("imputebench.harness.runner", reason="the runner (imputebench.harness.runner) is not on this branch")

from imputebench import cli  # noqa: E402
from imputebench.gates.regression import REGRESSED, UNCHANGED, compare, job_rows  # noqa: E402
from imputebench.harness.store import METRICS  # noqa: E402

PLUGIN = "regress_plugin"
PLUGIN_IMPUTER = f"{PLUGIN}:PluginImputer"

# Version 1: the author's imputer, a mean imputer. Version 2 (the "bad commit"): the same with
# noise added to the imputed numeric cells. Version 2 is longer, so a stale bytecode cache (same
# mtime second, same size) cannot hand back version 1.
PLUGIN_V1 = '''
from imputebench.imputer import ImputerInfo
from imputebench.registry.mean import MeanImputer


class PluginImputer(MeanImputer):
    info = ImputerInfo(name="plugin", family="simple", description="A plugin author's imputer.")
'''
PLUGIN_V2 = PLUGIN_V1 + '''
    def __init__(self, random_state=None):
        self.random_state = random_state

    def transform(self, X):
        import numpy as np
        import pandas as pd

        out = super().transform(X)
        rng = np.random.default_rng(self.random_state)
        for column in X.columns:
            missing = X[column].isna().to_numpy()
            if missing.any() and not isinstance(X[column].dtype, pd.CategoricalDtype):
                spread = float(np.nanstd(X[column].to_numpy(dtype=float)))
                values = out[column].to_numpy(dtype=float, copy=True)
                values[missing] += rng.normal(0.0, spread, missing.sum())
                out[column] = values
        return out
'''


def _write_plugin(folder, source: str) -> None:
    (folder / f"{PLUGIN}.py").write_text(textwrap.dedent(source))
    sys.modules.pop(PLUGIN, None)
    importlib.invalidate_caches()


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    folder = tmp_path / "plugin"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))  # spawned workers inherit sys.path (tests/conftest.py)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    yield folder
    sys.modules.pop(PLUGIN, None)


def _run(results) -> pd.DataFrame:
    cfg = runner.RunConfig(datasets=("iris",), imputers=("mean", PLUGIN_IMPUTER), mechanisms=("mcar",),
                           rates=(0.2,), seeds=(0,), settings=("in-sample", "downstream"), profile="ci",
                           results_dir=results, jobs=1, progress=False)
    return runner.run(cfg).rows


def _check(baseline, results, junit) -> int:
    return cli.main(["check", "--baseline", str(baseline), "--results", str(results), "--junit", str(junit)])


@pytest.mark.slow
def test_unchanged_run_passes_twice_and_a_degraded_imputer_fails(tmp_path, plugin_dir, capsys):
    _write_plugin(plugin_dir, PLUGIN_V1)
    first = _run(tmp_path / "first")
    assert set(first["status"]) == {"ok"} and len(first) == 4
    baseline = tmp_path / "ci-baseline.parquet"
    assert cli.main(["baseline", "save", str(baseline), "--results", str(tmp_path / "first")]) == 0

    # An unchanged re-run gives identical numbers and the same passing verdict, twice.
    second = _run(tmp_path / "second")
    pd.testing.assert_frame_equal(job_rows(first)[list(METRICS)], job_rows(second)[list(METRICS)])
    capsys.readouterr()
    assert _check(baseline, tmp_path / "second", tmp_path / "a.xml") == 0
    verdict_a = capsys.readouterr().out
    assert _check(baseline, tmp_path / "second", tmp_path / "b.xml") == 0
    verdict_b = capsys.readouterr().out
    assert verdict_a == verdict_b and "regression check: passed" in verdict_a
    assert (tmp_path / "a.xml").read_bytes() == (tmp_path / "b.xml").read_bytes()
    assert compare(first, second).count(UNCHANGED) == 4

    # The author's next commit adds noise to the imputed cells.
    _write_plugin(plugin_dir, PLUGIN_V2)
    degraded = _run(tmp_path / "degraded")
    assert set(degraded["status"]) == {"ok"}
    assert _check(baseline, tmp_path / "degraded", tmp_path / "bad.xml") == 1
    out = capsys.readouterr()
    assert "regression check: FAILED" in out.out
    failures = [line for line in out.err.splitlines() if line.startswith("REGRESSED")]
    assert failures and all(line.startswith(f"REGRESSED {PLUGIN_IMPUTER} ") and "worst on iris" in line
                            for line in failures)
    assert any(line.startswith(f"REGRESSED {PLUGIN_IMPUTER} rmse: ") for line in failures)
    report = compare(first, degraded)
    assert {v.job.imputer for v in report.failures} == {PLUGIN_IMPUTER}
    assert report.count(REGRESSED) == 2 and report.count(UNCHANGED) == 2  # mean is untouched
    root = ET.parse(tmp_path / "bad.xml").getroot()
    assert root.get("failures") == "2"
    assert {s.get("name"): s.get("failures") for s in root.findall("testsuite")} == {
        f"imputebench.{PLUGIN_IMPUTER}": "2", "imputebench.mean": "0"}
