"""A bare install works (issue: README's first command on a fresh machine).

The dev environment has every extra installed, which hides an import that only arrives as another
package's dependency. These tests hide modules from a subprocess (a meta-path finder installed by
``sitecustomize``) to see what a user without them gets: the base commands work without the
extras, and a store that cannot lock fails in one line before any job runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

BLOCKER = textwrap.dedent("""
    import sys
    BLOCKED = set(filter(None, {blocked!r}.split(",")))

    class Hiding:
        # Wraps a finder: blocked modules are not found (find_spec gives None, import raises), as if absent.
        def __init__(self, finder):
            self.finder = finder

        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                return None
            find = getattr(self.finder, "find_spec", None)
            return find(name, path, target) if find else None

        def __getattr__(self, attr):
            return getattr(self.finder, attr)

    sys.meta_path[:] = [Hiding(f) for f in sys.meta_path]
""")


def run_without(blocked: str, argv: list[str], tmp_path: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(BLOCKER.format(blocked=blocked))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "imputebench.cli", *argv], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=tmp_path)


def test_the_blocker_hides_a_module(tmp_path):
    # The harness itself: a blocked module really is missing in the subprocess.
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER.format(blocked="filelock"))
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-c", "import filelock"], capture_output=True, text=True, env=env)
    assert out.returncode != 0 and "No module named 'filelock'" in out.stderr


def test_a_store_that_cannot_lock_fails_before_any_job(tmp_path):
    t0 = time.perf_counter()
    out = run_without("filelock", ["run", "--profile", "ci", "--datasets", "iris", "--imputers", "mean",
                                   "--results", str(tmp_path / "res"), "--quiet"], tmp_path)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "filelock" in lines[0], out.stderr
    # Nothing was computed: no job rows, no run record.
    assert not list((tmp_path / "res").rglob("*.parquet"))
    assert time.perf_counter() - t0 < 60


@pytest.mark.slow
def test_base_commands_need_no_extra(tmp_path):
    """torch (deep), ray (ray) and matplotlib (paper export) are extras: the default path never imports them."""
    blocked = "torch,ray,matplotlib"
    listing = run_without(blocked, ["imputers", "list"], tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "mean" in listing.stdout
    res = tmp_path / "res"
    out = run_without(blocked, ["run", "--profile", "ci", "--datasets", "iris,diabetes", "--imputers", "mean,knn",
                                "--results", str(res), "--quiet"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert (res / "site" / "index.html").is_file()
    import pandas as pd

    rows = pd.read_parquet(res / "jobs")
    assert len(rows) and (rows["status"] == "ok").all()


@pytest.mark.parametrize("module", ["filelock", "joblib", "markupsafe", "threadpoolctl"])
def test_directly_imported_modules_are_declared(module):
    """Each module the package imports directly is a declared base dependency (not someone else's)."""
    import importlib.metadata as md
    import re

    declared = {re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower().replace("_", "-")
                for r in md.requires("imputebench") or [] if "extra ==" not in r}
    assert module.replace("_", "-") in declared
