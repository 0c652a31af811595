"""The Ray executor (issue 8): same rows as the local executor, faults become rows, resume works.

One local Ray cluster (2 CPUs and one declared GPU, so GPU scheduling is exercised on any machine)
serves the whole module. Tests need Ray (the ``ray`` extra) and are skipped without it.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imputebench.errors import UsageError
from imputebench.imputer import ImputerInfo
from imputebench.registry import resolve
from imputebench.registry.mean import MeanImputer
from imputebench.harness.runner import RunConfig, run
from imputebench.harness.store import METRICS, ResultStore

# A Ray cluster costs seconds to start: the whole file is in the slow tier.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]  # one local Ray cluster at a time

MODULE = Path(__file__).stem  # test-only imputers below are named by dotted path: f"{MODULE}:Class"
COMPARED = ["job_key", "status", "n_rows", "realised_rate", *METRICS, "complete_downstream"]


# -- test-only imputers (run inside Ray workers) -----------------------------------------------
class GpuProbe(MeanImputer):
    """Declares a GPU need and reports, as its device, the GPU ids Ray assigned to its task."""

    info = ImputerInfo(name="gpu_probe", family="test", description="mean, reporting Ray's GPU ids", gpu=True)

    def fit(self, X, y=None):
        import ray

        self.device_ = f"ray-gpus:{ray.get_gpu_ids()}"
        return super().fit(X, y)


class CrashesCounted(MeanImputer):
    """Appends a line to ``tally`` per attempt, then kills its process (on every attempt, or the first only)."""

    info = ImputerInfo(name="crashes_counted", family="test", description="kills its process, counting attempts")

    def __init__(self, tally: str = "", always: bool = True):
        self.tally = tally
        self.always = always

    def fit(self, X, y=None):
        with open(self.tally, "a") as f:
            f.write("attempt\n")
        if self.always or len(Path(self.tally).read_text().splitlines()) == 1:
            os._exit(3)
        return super().fit(X, y)


class Hog(MeanImputer):
    """Grows its memory in steps (up to 5 GB) until Ray's out-of-memory monitor kills it; counts attempts."""

    info = ImputerInfo(name="hog", family="test", description="grows until killed, counting attempts")

    def __init__(self, tally: str = ""):
        self.tally = tally

    def fit(self, X, y=None):
        with open(self.tally, "a") as f:
            f.write("attempt\n")
        self.hoard_ = []
        for _ in range(50):
            self.hoard_.append(np.ones(100 * 2 ** 20 // 8))  # touched pages: resident, not just mapped
            time.sleep(0.05)
        return super().fit(X, y)


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="the ray executor tests need Ray: pip install 'imputebench[ray]'")
    from imputebench.harness.ray_executor import DRIVER_ENV, LOCAL_OBJECT_STORE_MB, WORKER_ENV

    saved = {k: os.environ.get(k) for k in DRIVER_ENV}
    os.environ.update(DRIVER_ENV)
    ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, runtime_env={"env_vars": WORKER_ENV},
             object_store_memory=LOCAL_OBJECT_STORE_MB * 1024 * 1024, log_to_driver=False)
    yield ray
    ray.shutdown()
    for k, v in saved.items():
        os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def ci_grid(results: Path, **kw) -> RunConfig:
    classical = [n for n in ("knn", "softimpute", "pcai") if resolve(n).available][:1]
    base = dict(profile="ci", datasets=["wine", "iris"], imputers=["mean", "median", *classical],
                settings=["in-sample", "downstream"], results_dir=results, jobs=2, progress=False)
    base.update(kw)
    return RunConfig(**base)


def small(results: Path, imputers: list[str], **kw) -> RunConfig:
    base = dict(profile="ci", datasets=["iris"], imputers=imputers, mechanisms=["mcar"], settings=["in-sample"],
                results_dir=results, jobs=2, progress=False, executor="ray")
    base.update(kw)
    return RunConfig(**base)


def by_key(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[COMPARED].sort_values("job_key").reset_index(drop=True)


# -- tests ------------------------------------------------------------------------------------
def test_ci_profile_on_ray_matches_the_local_executor_exactly(ray_cluster, tmp_path):
    on_ray = run(ci_grid(tmp_path / "ray", executor="ray"))
    local = run(ci_grid(tmp_path / "local", executor="local"))
    assert on_ray.planned == local.planned >= 16
    assert (on_ray.rows["status"] == "ok").all(), on_ray.rows[["imputer", "error"]]
    pd.testing.assert_frame_equal(by_key(on_ray.rows), by_key(local.rows), check_exact=True)


def test_rerun_on_ray_resumes_and_runs_no_job_twice(ray_cluster, tmp_path):
    first = run(small(tmp_path, ["mean"], mechanisms=["mcar", "mar"]))
    assert sum(first.statuses.values()) == 2
    before = ResultStore(tmp_path).load().set_index("job_key")["finished_at"]
    again = run(small(tmp_path, ["mean", "median"], mechanisms=["mcar", "mar"]))
    assert again.skipped == 2 and sum(again.statuses.values()) == 2  # only median's jobs ran
    after = ResultStore(tmp_path).load().set_index("job_key")["finished_at"]
    assert len(after) == 4 and after.index.is_unique
    assert (after[before.index] == before).all()  # finished rows kept as they were, not recomputed
    third = run(small(tmp_path, ["mean", "median"], mechanisms=["mcar", "mar"]))
    assert third.skipped == 4 and not third.statuses


def test_memory_limit_turns_greedy_imputer_into_failed_row_on_ray(ray_cluster, tmp_path):
    s = run(small(tmp_path, ["faulty:Greedy", "mean"], memory_limit_mb=500))
    rows = s.rows.set_index("imputer")
    assert rows.loc["faulty:Greedy", "status"] == "failed"
    assert "memory limit of 500" in rows.loc["faulty:Greedy", "error"]
    assert np.isnan(rows.loc["faulty:Greedy", "rmse"])
    assert rows.loc["mean", "status"] == "ok"  # the run completes; the worker survives the MemoryError


def test_crashed_worker_is_retried_once_then_a_failed_row(ray_cluster, tmp_path):
    always, once = tmp_path / "always.txt", tmp_path / "once.txt"
    name = f"{MODULE}:CrashesCounted"
    cfg = small(tmp_path / "res", [name])
    cfg.params = {name: {"tally": str(always), "always": True}}
    t0 = time.perf_counter()
    row = run(cfg).rows.iloc[0]
    assert time.perf_counter() - t0 < 120  # no hang
    assert row["status"] == "failed" and "worker crashed" in row["error"], row["error"]
    assert len(always.read_text().splitlines()) == 2  # first attempt and exactly one retry
    cfg.params = {name: {"tally": str(once), "always": False}}
    row = run(cfg).rows.iloc[0]
    assert row["status"] == "ok", row["error"]  # the retry of a once-killed worker gives the row
    assert len(once.read_text().splitlines()) == 2


def test_hanging_imputer_times_out_on_ray(ray_cluster, tmp_path):
    t0 = time.perf_counter()
    # 10 s: room for a fresh worker's first job (data, imports) when the machine is shared
    s = run(small(tmp_path, ["faulty:Hangs", "mean"], timeout=10))
    assert time.perf_counter() - t0 < 120
    rows = s.rows.set_index("imputer")
    assert rows.loc["faulty:Hangs", "status"] == "timeout"
    assert "no result after 10 s" in rows.loc["faulty:Hangs", "error"]
    assert rows.loc["mean", "status"] == "ok"


def test_gpu_imputers_get_a_gpu_share_and_others_none(ray_cluster, tmp_path):
    probe = f"{MODULE}:GpuProbe"
    s = run(small(tmp_path, [probe, "mean"], mechanisms=["mcar", "mar"]))
    rows = s.rows
    assert (rows["status"] == "ok").all(), rows["error"]
    assert set(rows.loc[rows.imputer == probe, "device"]) == {"ray-gpus:[0]"}
    assert set(rows.loc[rows.imputer == "mean", "device"]) == {"cpu"}


def test_cli_on_ray_turns_an_out_of_memory_kill_into_a_failed_row_after_one_retry(tmp_path):
    """Ray's own memory monitor (threshold set 1.5 GB above the node's use now) kills the hog; the CLI
    starts and stops its own local cluster, retries the job once, records it as failed and completes."""
    pytest.importorskip("ray", reason="the ray executor tests need Ray: pip install 'imputebench[ray]'")
    import psutil

    vm = psutil.virtual_memory()
    threshold = (vm.total - vm.available + 1.5e9) / vm.total
    tally = tmp_path / "hog.txt"
    env = dict(os.environ, RAY_memory_usage_threshold=f"{threshold:.4f}",
               PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "imputebench.cli", "run", "--executor", "ray", "--jobs", "1", "--profile", "ci",
           "--datasets", "iris", "--mechanisms", "mcar", "--setting", "in-sample",
           "--imputers", f"mean,{MODULE}:Hog", "--param", f"{MODULE}:Hog.tally={tally}",
           "--results", str(tmp_path / "res"), "--no-report", "--quiet"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    rows = ResultStore(tmp_path / "res").load().set_index("imputer")
    hog = rows.loc[f"{MODULE}:Hog"]
    assert hog["status"] == "failed" and "out-of-memory" in hog["error"], hog["error"]
    assert len(tally.read_text().splitlines()) == 2  # killed, retried once, killed again: not retried forever
    assert rows.loc["mean", "status"] == "ok"
    assert "2 jobs: 0 already in the store, 2 run (1 failed, 1 ok)" in out.stdout


def test_cli_joins_an_existing_cluster_by_address_and_leaves_it_running(ray_cluster, tmp_path):
    address = ray_cluster.get_runtime_context().gcs_address
    cmd = [sys.executable, "-m", "imputebench.cli", "run", "--executor", "ray", "--address", address,
           "--profile", "ci", "--datasets", "iris", "--imputers", "mean,median", "--mechanisms", "mcar",
           "--setting", "in-sample", "--results", str(tmp_path), "--no-report", "--quiet"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "2 jobs: 0 already in the store, 2 run (2 ok)" in out.stdout
    assert ray_cluster.cluster_resources().get("CPU") == 2  # the cluster it joined is still up
    ran_here = run(small(tmp_path / "here", ["mean", "median"]))
    pd.testing.assert_frame_equal(by_key(ResultStore(tmp_path).load()), by_key(ran_here.rows), check_exact=True)


def test_without_ray_the_ray_executor_fails_at_once_with_one_line(tmp_path):
    code = ("import sys; sys.modules['ray'] = None\n"  # makes `import ray` raise ImportError
            "from imputebench.cli import main\n"
            f"sys.exit(main(['run', '--executor', 'ray', '--datasets', 'iris', '--imputers', 'mean',"
            f" '--results', {str(tmp_path)!r}, '--no-report', '--quiet']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "the ray executor needs Ray: pip install 'imputebench[ray]'" in lines[0]
    assert not (tmp_path / "jobs").exists()


def test_ray_executor_names_ray_when_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    from imputebench.harness.ray_executor import RayExecutor

    with pytest.raises(UsageError, match=r"pip install 'imputebench\[ray\]'"):
        RayExecutor(2, None)
