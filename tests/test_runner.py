import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imputebench.runner import RunConfig, plan, run
from imputebench.store import COLUMNS, ResultStore

FAULTY = {
    "faulty:Raises": ("failed", "boom in fit"),
    "faulty:Hangs": ("timeout", "timeout"),
    "faulty:ReturnsNaN": ("failed", "NaN"),
    "faulty:ChangesObserved": ("failed", "observed cells were changed"),
    "faulty:Crashes": ("failed", "worker crashed: exit code 3, also on its retry"),
}


def small(tmp_path, **kw):
    base = dict(datasets=["iris"], imputers=["mean"], mechanisms=["mcar"], rates=[0.2], seeds=[0],
                settings=["in-sample"], results_dir=tmp_path, jobs=1, progress=False)
    base.update(kw)
    return RunConfig(**base)


def test_grid_rows_schema_and_values(tmp_path):
    s = run(small(tmp_path, datasets=["iris", "diabetes"], mechanisms=["mcar", "mnar"], rates=[0.2, 0.5],
                  settings=["in-sample", "downstream"], imputers=["mean", "median"]))
    rows = s.rows
    assert len(rows) == 2 * 2 * 2 * 2 * 2 and (rows["status"] == "ok").all()
    assert set(COLUMNS) <= set(rows.columns)
    # readable as a plain parquet dataset
    assert len(pd.read_parquet(tmp_path / "jobs")) == len(rows)
    ok = rows.set_index(["dataset", "mechanism", "rate", "setting", "imputer"])
    assert (rows["realised_rate"] - rows["rate"]).abs().max() < 0.06
    ds = rows[rows.setting == "downstream"]
    assert ds["downstream"].notna().all() and ds["complete_downstream"].notna().all()
    assert set(ds["downstream_metric"]) == {"accuracy", "r2"}
    assert rows.loc[rows.dataset == "diabetes", "cat_accuracy"].notna().all()  # 'sex' is categorical
    assert rows.loc[rows.dataset == "iris", "cat_accuracy"].isna().all()
    # complete-data iris accuracy with a fixed XGBoost is high
    assert ds.loc[ds.dataset == "iris", "complete_downstream"].min() > 0.85
    assert json.loads(rows["versions"].iloc[0])["imputebench"]
    assert ok.index.is_unique


def test_masks_are_shared_by_all_imputers(tmp_path):
    run(small(tmp_path, imputers=["mean", "median"]))
    masks = list((tmp_path / "_masks").glob("*.npz"))
    assert len(masks) == 1  # one mask per (dataset, mechanism, rate, seed)
    rows = ResultStore(tmp_path).load()
    assert rows["realised_rate"].nunique() == 1


def test_rerun_skips_finished_jobs(tmp_path):
    first = run(small(tmp_path, seeds=[0, 1]))
    assert first.skipped == 0 and sum(first.statuses.values()) == 2
    again = run(small(tmp_path, seeds=[0, 1, 2]))
    assert again.skipped == 2 and sum(again.statuses.values()) == 1
    assert len(again.rows) == 3


def test_same_numbers_with_one_or_two_workers(tmp_path):
    cfg = dict(datasets=["wine"], imputers=["mean", "median"], mechanisms=["mar", "mnar"],
               settings=["in-sample", "downstream"])
    a = run(small(tmp_path / "a", jobs=1, **cfg)).rows.sort_values("job_key").reset_index(drop=True)
    b = run(small(tmp_path / "b", jobs=2, **cfg)).rows.sort_values("job_key").reset_index(drop=True)
    cols = ["job_key", "mae", "rmse", "armse", "jsdist", "rl", "w1", "downstream", "complete_downstream"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_faulty_imputers_become_rows_and_the_run_completes(tmp_path):
    # the timeout leaves room for a worker's first job (imports) on a loaded machine
    s = run(small(tmp_path, imputers=["mean", *FAULTY], timeout=20, jobs=2))
    rows = s.rows.set_index("imputer")
    assert rows.loc["mean", "status"] == "ok"
    for name, (status, text) in FAULTY.items():
        assert rows.loc[name, "status"] == status, (name, rows.loc[name, "error"])
        assert text in rows.loc[name, "error"], (name, rows.loc[name, "error"])
        assert np.isnan(rows.loc[name, "rmse"])


def test_a_job_whose_worker_dies_is_retried_once(tmp_path):
    marker = str(tmp_path / "crashed-once")
    s = run(small(tmp_path / "res", imputers=["faulty:CrashesOnce", "faulty:Crashes"],
                  params={"faulty:CrashesOnce": {"marker": marker}}))
    rows = s.rows.set_index("imputer")
    assert rows.loc["faulty:CrashesOnce", "status"] == "ok"  # the retry in a fresh worker succeeded
    assert rows.loc["faulty:Crashes", "status"] == "failed"
    assert rows.loc["faulty:Crashes", "error"].endswith("also on its retry")


def test_memory_limit_turns_greedy_imputer_into_failed_row(tmp_path):
    s = run(small(tmp_path, imputers=["faulty:Greedy", "mean"], memory_limit_mb=500))
    rows = s.rows.set_index("imputer")
    assert rows.loc["faulty:Greedy", "status"] == "failed"
    assert "memory limit" in rows.loc["faulty:Greedy", "error"]
    assert rows.loc["mean", "status"] == "ok"


def test_dotted_path_plugin_with_params(tmp_path):
    s = run(small(tmp_path, imputers=["faulty:Noisy"], params={"faulty:Noisy": {"scale": 0.5}}))
    row = s.rows.iloc[0]
    assert row["status"] == "ok" and json.loads(row["params"]) == {"scale": 0.5}


def test_sigkill_midway_loses_no_flushed_job(tmp_path):
    """Rows are flushed in batches (by age here: 5 s); a kill loses only unflushed rows, re-run later."""
    results = tmp_path / "res"
    cmd = [sys.executable, "-m", "imputebench.cli", "run", "--datasets", "wine,iris", "--imputers", "faulty:Slow,mean",
           "--mechanisms", "mcar,mar", "--rates", "0.2,0.5", "--seeds", "0-2", "--setting", "in-sample",
           "--results", str(results), "--jobs", "1", "--no-report", "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env)
    store = ResultStore(results)
    deadline = time.time() + 180
    while time.time() < deadline and not store.files():
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = store.load()
    assert 1 <= len(before) < 48, "the kill should land midway"
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    after = store.load()
    assert len(after) == 48 and after["job_key"].is_unique
    assert len(pd.read_parquet(results / "jobs")) == 48
    assert set(before["job_key"]) <= set(after["job_key"])
    assert f"{len(before)} already in the store" in out.stdout
    # a finished job's row is kept as it was, not recomputed
    merged = before.merge(after, on="job_key", suffixes=("_b", "_a"))
    assert (merged["finished_at_b"] == merged["finished_at_a"]).all()


@pytest.mark.parametrize("args,needle", [
    (["--imputers", "nosuch"], "unknown imputer 'nosuch'; valid: "),
    (["--rates", "1.5"], "missing rate 1.5 is outside (0, 1)"),
    (["--datasets", "nosuch"], "unknown dataset 'nosuch'; valid: "),
    (["--mechanisms", "mcarr"], "unknown mechanism 'mcarr'; valid: mcar"),
    (["--seeds", "x"], "seeds must be integers"),
    (["--profile", "huge"], "unknown profile 'huge'; valid: "),
])
def test_cli_bad_input_fails_at_once_with_one_line(tmp_path, args, needle):
    out = subprocess.run([sys.executable, "-m", "imputebench.cli", "run", "--results", str(tmp_path), *args],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], out.stderr
    assert not (tmp_path / "jobs").exists()


def test_plan_is_the_full_grid():
    planned = plan(RunConfig(profile="quick"))
    jobs, unavailable = planned.jobs, planned.unavailable
    # 4 datasets x 3 mechanisms x 2 rates x 2 seeds x 2 settings x classical imputers
    from imputebench.registry import CLASSICAL
    assert len(jobs) == 4 * 3 * 2 * 2 * 2 * len(CLASSICAL) and not unavailable
    assert len({j.key for j in jobs}) == len(jobs)
