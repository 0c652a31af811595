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


def mirror_dir() -> Path | None:
    """The shared dataset mirror, if present (never committed to the repo)."""
    env = os.environ.get("IMPUTEBENCH_MIRROR")
    for cand in ([Path(env)] if env else []) + [REPO.parent / "shared" / "datasets"]:
        if cand.is_dir() and (cand / "MANIFEST.tsv").exists():
            return cand
    return None


@pytest.fixture
def mirror() -> Path:
    d = mirror_dir()
    if d is None:
        pytest.skip("dataset mirror ../shared/datasets is absent (set IMPUTEBENCH_MIRROR to run this test)")
    return d
