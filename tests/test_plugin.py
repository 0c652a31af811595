"""The plugin author's path end to end: the example plugin (examples/imputebench-example), a
DataFrame-contract imputer, runs ok by dotted path and through its entry point, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_SRC = REPO / "examples" / "imputebench-example" / "src"


@pytest.fixture
def plugin_env(tmp_path):
    """An environment where the example package is importable and its entry point is declared (what
    `pip install -e examples/imputebench-example` gives), without installing anything."""
    dist = tmp_path / "imputebench_example-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: imputebench-example\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[imputebench.imputers]\nhotdeck = imputebench_example:HotDeckImputer\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(EXAMPLE_SRC)]), "OMP_NUM_THREADS": "1"}


def _imputebench(env, *argv, timeout=600):
    return subprocess.run([sys.executable, "-m", "imputebench.cli", *map(str, argv)], capture_output=True,
                          text=True, env=env, timeout=timeout)


@pytest.mark.slow
def test_dataframe_plugin_runs_ok_by_entry_point_and_by_dotted_path(plugin_env, tmp_path):
    results = tmp_path / "results"
    out = _imputebench(plugin_env, "run", "--imputers", "hotdeck,imputebench_example:HotDeckImputer",
                       "--datasets", "iris,diabetes", "--profile", "ci", "--mechanisms", "mcar",
                       "--results", results, "--no-report", "--quiet", "--jobs", "1")
    assert out.returncode == 0, out.stderr
    rows = pd.read_parquet(results / "jobs")
    assert set(rows["imputer"]) == {"hotdeck", "imputebench_example:HotDeckImputer"}
    assert (rows["status"] == "ok").all(), rows[["imputer", "status", "error"]]
    assert len(rows) == 2 * 2 * 2  # two names x two datasets x two settings
    # The same class under two names: the same numbers on the same masks.
    by_name = rows.pivot_table(index=["dataset", "setting"], columns="imputer", values="rmse")
    assert (by_name["hotdeck"] == by_name["imputebench_example:HotDeckImputer"]).all()


def test_the_example_plugin_is_listed_and_passes_the_checks(plugin_env):
    out = _imputebench(plugin_env, "imputers", "list")
    assert out.returncode == 0 and any(line.startswith("hotdeck ") and "random hot deck" in line
                                       for line in out.stdout.splitlines()), out.stdout
    out = _imputebench(plugin_env, "imputers", "check", "hotdeck")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().endswith("hotdeck: passed")
