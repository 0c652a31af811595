import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
# Spawned workers inherit sys.path, so test-only imputers (tests/faulty.py) resolve there too.
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto``: one worker per core, at most 4 (the runner's own tests start worker processes too)."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def mirror_dir() -> Path | None:
    """The shared dataset mirror, if present (never committed to the repo)."""
    env = os.environ.get("IMPUTEBENCH_MIRROR")
    # ../shared beside the clone (CI), or one level further up (a git worktree in a subfolder)
    for cand in ([Path(env)] if env else []) + [p / "shared" / "datasets" for p in REPO.parents[:2]]:
        if cand.is_dir() and (cand / "MANIFEST.tsv").exists():
            return cand
    return None


def natural_tables_dir() -> Path | None:
    """The shared natural-missingness tables (PROTOCOL §10), if present (never committed to the repo):
    ``$IMPUTEBENCH_NATURAL``, or ../shared/datasets-natural beside the clone or one level further up."""
    env = os.environ.get("IMPUTEBENCH_NATURAL")
    for cand in ([Path(env)] if env else []) + [p / "shared" / "datasets-natural" for p in REPO.parents[:2]]:
        if (cand / "MANIFEST.tsv").is_file():
            return cand
    return None


@pytest.fixture
def mirror() -> Path:
    d = mirror_dir()
    if d is None:
        pytest.skip("dataset mirror ../shared/datasets is absent (set IMPUTEBENCH_MIRROR to run this test)")
    return d


# -- a small user dataset with a domain column, and a transfer task on it (no mirror needed) ---------
@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    """A data home holding a 3,600-row user dataset ``shifty`` and a task ``shifty-b`` on it
    (1,800 source and 1,800 target rows, the target domain shifted by 2 sd)."""
    import numpy as np
    import pandas as pd

    from imputebench import datasets
    from imputebench.cli import main as cli
    from imputebench.tracks.transfer.job import clear_memos

    rng = np.random.default_rng(0)
    n = 3600
    group = np.where(np.arange(n) < 1800, "a", "b")
    shift = (group == "b") * 2.0
    x1 = rng.normal(shift, 1.0)
    frame = pd.DataFrame({"x1": x1, "x2": x1 + rng.normal(0, 0.3, n), "x3": rng.normal(0, 1, n) - shift,
                          "colour": rng.choice(["red", "green"], n), "group": group,
                          "label": (x1 > 1).astype(int)})
    path = tmp_path / "shifty.csv"
    frame.to_csv(path, index=False)
    home = tmp_path / "home"
    monkeypatch.setenv("IMPUTEBENCH_DATA_HOME", str(home))
    datasets.clear_memo()
    clear_memos()
    assert cli(["datasets", "add", "shifty", str(path), "--target", "label", "--categorical", "colour,group",
                "--data-home", str(home)]) == 0
    assert cli(["transfer", "add", "shifty-b", "--dataset", "shifty", "--column", "group", "--values", "b",
                "--data-home", str(home)]) == 0
    yield home
    datasets.clear_memo()
    clear_memos()
