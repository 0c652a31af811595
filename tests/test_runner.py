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

from imputebench.errors import ImputeBenchError
from imputebench.harness.runner import RunConfig, plan, run
from imputebench.harness.store import COLUMNS, ResultStore

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


@pytest.mark.slow
def test_same_numbers_with_one_or_two_workers(tmp_path):
    cfg = dict(datasets=["wine"], imputers=["mean", "median"], mechanisms=["mar", "mnar"],
               settings=["in-sample", "downstream"])
    a = run(small(tmp_path / "a", jobs=1, **cfg)).rows.sort_values("job_key").reset_index(drop=True)
    b = run(small(tmp_path / "b", jobs=2, **cfg)).rows.sort_values("job_key").reset_index(drop=True)
    cols = ["job_key", "mae", "rmse", "armse", "jsdist", "rl", "w1", "downstream", "complete_downstream"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


@pytest.mark.slow
def test_faulty_imputers_become_rows_and_the_run_completes(tmp_path):
    # the timeout leaves room for a worker's first job (imports) on a loaded machine
    s = run(small(tmp_path, imputers=["mean", *FAULTY], timeout=20, jobs=2))
    rows = s.rows.set_index("imputer")
    assert rows.loc["mean", "status"] == "ok"
    for name, (status, text) in FAULTY.items():
        assert rows.loc[name, "status"] == status, (name, rows.loc[name, "error"])
        assert text in rows.loc[name, "error"], (name, rows.loc[name, "error"])
        assert np.isnan(rows.loc[name, "rmse"])


@pytest.mark.slow
def test_a_job_whose_worker_dies_is_retried_once(tmp_path):
    marker = str(tmp_path / "crashed-once")
    s = run(small(tmp_path / "res", imputers=["faulty:CrashesOnce", "faulty:Crashes"],
                  params={"faulty:CrashesOnce": {"marker": marker}}))
    rows = s.rows.set_index("imputer")
    assert rows.loc["faulty:CrashesOnce", "status"] == "ok"  # the retry in a fresh worker succeeded
    assert rows.loc["faulty:Crashes", "status"] == "failed"
    assert rows.loc["faulty:Crashes", "error"].endswith("also on its retry")


@pytest.mark.slow  # allocates until the limit
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


@pytest.mark.slow  # three runs, about 14 s
def test_rows_carry_their_exact_parameters_and_whether_a_param_overrode_the_profile(tmp_path):
    run(small(tmp_path, imputers=["mean", "knn"], profile="ci"))
    run(small(tmp_path, imputers=["knn"], profile="ci", params={"knn": {"n_neighbors": 3}}))
    run(small(tmp_path, imputers=["knn"], profile="ci", params={"knn": {"n_neighbors": 5}}))  # the profile's value
    rows = ResultStore(tmp_path).load()
    knn = rows[rows["imputer"] == "knn"].set_index("params")
    assert len(knn) == 2  # an override equal to the profile's value is the profile's own job
    assert knn.loc['{"n_neighbors": 3}', "params_overridden"] == True  # noqa: E712 (numpy bool)
    assert knn.loc['{"n_neighbors": 5}', "params_overridden"] == False  # noqa: E712
    mean = rows[rows["imputer"] == "mean"].iloc[0]
    assert mean["params"] == "{}" and mean["params_overridden"] == False  # noqa: E712


def test_whether_parameters_depart_from_the_profile_is_one_pure_function():
    from imputebench.imputer_info import overridden_keys
    from imputebench.tracks.grid import declared_params, params_overridden

    assert declared_params("knn", "ci") == {"n_neighbors": 5}  # ci takes quick's
    assert overridden_keys({"n_neighbors": 3, "weights": "distance"}, {"n_neighbors": 5}) == ["n_neighbors", "weights"]
    assert overridden_keys({"max_iter": 5}, {"max_iter": 5, "adapt_epochs": 20}) == []  # adapt_* left out is no departure
    assert overridden_keys({"hidden": (8, 8)}, {"hidden": [8, 8]}) == []  # compared as canonical JSON
    assert params_overridden("knn", '{"n_neighbors": 3}', "ci") and not params_overridden("knn", '{"n_neighbors": 5}', "ci")
    assert not params_overridden("knn", None, "quick")  # a store older than the column: the profile's own
    assert params_overridden("mice_linear", '{"logistic_max_iter": 50, "max_iter": 5}', "paper")


@pytest.mark.slow
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
    (["--timeout", "0"], "--timeout: must be a positive number of seconds, or 'none' for no limit; got '0'"),
    (["--timeout", "-3"], "--timeout: must be a positive number of seconds, or 'none'"),
    (["--memory-limit", "0"], "--memory-limit: must be a positive number of MB, or 'none' for no limit"),
    (["--seeds", "5-2"], "seed range '5-2' is empty (reversed); write it low-high"),
    (["--seeds", ","], "expected a comma-separated list, got ','"),
    (["--datasets", "irs"], "unknown dataset 'irs' (did you mean 'iris'?); valid: "),
    (["--track", "transfer", "--n-target", "50,5x"], "--n-target: expected integers, e.g. 50,200,1000; got '50,5x'"),
])
def test_cli_bad_input_fails_at_once_with_one_line(tmp_path, args, needle):
    results = tmp_path / "results"
    out = subprocess.run([sys.executable, "-m", "imputebench.cli", "run", "--results", str(results), *args],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], out.stderr
    assert not results.exists()  # nothing written


def test_an_unwritable_results_folder_fails_at_once_with_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = subprocess.run([sys.executable, "-m", "imputebench.cli", "run", "--results", str(blocker / "results")],
                         capture_output=True, text=True, timeout=60)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1, out.stderr
    # the command line refuses it when read (options.folder); the library's run, when it starts
    assert f"argument --results: '{blocker / 'results'}' cannot be a folder: '{blocker}' is a file" in lines[0]
    with pytest.raises(ImputeBenchError, match=f"cannot write the results folder {blocker / 'results'}.*--results DIR"):
        run(RunConfig(results_dir=blocker / "results", imputers=["mean"], progress=False))


def test_limits_in_the_api_are_checked_too(tmp_path):
    from imputebench.errors import UsageError

    with pytest.raises(UsageError, match="--timeout must be a positive number, got 0; use '--timeout none'"):
        run(small(tmp_path / "r", timeout=0))
    assert not (tmp_path / "r").exists()


def test_duplicate_names_rates_and_seeds_are_run_once():
    planned = plan(RunConfig(datasets=["iris", "iris"], imputers=["mean", "mean"], mechanisms=["mcar", "mcar"],
                             rates=[0.2, 0.2, 0.5], seeds=[0, 0], settings=["in-sample", "in-sample"]))
    assert len(planned.jobs) == 2 and planned.grid.rates == [0.2, 0.5]


def test_reproduce_help_prints_help():
    out = subprocess.run([sys.executable, "-m", "imputebench.cli", "reproduce", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("usage: imputebench reproduce"), out.stderr
    assert "gain" in out.stdout


@pytest.mark.slow
def test_run_exits_non_zero_when_a_requested_dataset_cannot_be_loaded(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "IMPUTEBENCH_MIRROR"}
    out = subprocess.run([sys.executable, "-m", "imputebench.cli", "run", "--datasets", "iris,adult", "--offline",
                          "--imputers", "mean", "--mechanisms", "mcar", "--rates", "0.2", "--seeds", "0",
                          "--setting", "in-sample", "--data-home", str(tmp_path / "home"), "--jobs", "1",
                          "--results", str(tmp_path / "res"), "--no-report", "--quiet"],
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 1, out.stderr
    assert "1 jobs: 0 already in the store, 1 run (1 ok)" in out.stdout  # the rest ran
    err = out.stderr.strip().splitlines()
    assert "1 requested dataset could not be loaded" in err[-1]
    adult = [line for line in err if "adult" in line]  # once on stderr: the runner's line, saying why
    assert len(adult) == 1 and adult[0].startswith("imputebench: skipped dataset adult: "), err


@pytest.mark.slow
def test_killing_the_main_process_leaves_no_worker_behind(tmp_path):
    import psutil

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "imputebench.cli", "run", "--datasets", "iris",
                             "--imputers", "faulty:Hangs", "--mechanisms", "mcar", "--rates", "0.2,0.5", "--seeds", "0",
                             "--setting", "in-sample", "--timeout", "none", "--jobs", "2",
                             "--results", str(tmp_path), "--no-report", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    main = psutil.Process(proc.pid)
    deadline = time.time() + 120
    workers: list = []
    while time.time() < deadline and len(workers) < 2:
        workers = [c for c in main.children(recursive=True) if "spawn_main" in " ".join(c.cmdline())]
        time.sleep(0.5)
    assert len(workers) == 2, "two workers should be computing the hung imputer"
    time.sleep(3)  # let them start their jobs
    proc.send_signal(signal.SIGKILL)  # the main process only, as the OOM killer would
    proc.wait()
    gone, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, [p.pid for p in alive]


def test_run_records_and_rows_carry_the_run_id(tmp_path):
    first = run(small(tmp_path, command="imputebench run --test"))
    second = run(small(tmp_path, seeds=[0, 1]))
    runs = ResultStore(tmp_path).runs()
    assert [r["run_id"] for r in runs] == [first.run_id, second.run_id]
    assert runs[0]["command"] == "imputebench run --test" and runs[0]["statuses"] == {"ok": 1}
    assert runs[1]["jobs_planned"] == 2 and runs[1]["jobs_skipped"] == 1 and runs[1]["finished_at"]
    assert runs[0]["grid"]["datasets"] == ["iris"] and runs[0]["profile"] == "quick"
    assert {"imputebench_version", "protocol_version", "started_at"} <= set(runs[0])
    assert dict(zip(second.rows["seed"], second.rows["run_id"])) == {0: first.run_id, 1: second.run_id}


def test_without_a_terminal_progress_is_a_line_every_few_seconds(tmp_path):
    import logging

    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    log = logging.getLogger("imputebench")
    log.addHandler(handler)
    old_level = log.level
    log.setLevel(logging.INFO)
    try:
        s = run(small(tmp_path, imputers=["mean", "faulty:Warns"], progress=True, progress_seconds=0))
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
    assert lines[0].startswith("planning: loading 1 datasets")
    assert any(ln.startswith("2/2 jobs (2 ok)") and "left" in ln for ln in lines), lines
    assert s.warnings == 3 and s.warned_jobs == 1
    assert "3 warnings in 1 jobs" in s.warning_line() and "UserWarning: careful: not converged (1 jobs)" in s.warning_line()
    assert s.rows.set_index("imputer").loc["faulty:Warns", "warnings"] == 3


def test_plan_is_the_full_grid():
    planned = plan(RunConfig(profile="quick"))
    jobs, unavailable = planned.jobs, planned.unavailable
    # 4 datasets x 3 mechanisms x 2 rates x 2 seeds x 2 settings x classical imputers
    from imputebench.registry import CLASSICAL
    assert len(jobs) == 4 * 3 * 2 * 2 * 2 * len(CLASSICAL) and not unavailable
    assert len({j.key for j in jobs}) == len(jobs)


@pytest.mark.slow
def test_a_job_a_timeout_failed_is_rerun_only_with_a_longer_timeout(tmp_path):
    first = run(small(tmp_path, imputers=["faulty:Hangs"], timeout=2))
    assert first.rows.loc[0, "status"] == "timeout" and first.rows.loc[0, "timeout_s"] == 2
    same = run(small(tmp_path, imputers=["faulty:Hangs"], timeout=2))
    assert same.skipped == 1 and not same.statuses  # the same limit would fail it again
    longer = run(small(tmp_path, imputers=["faulty:Hangs"], timeout=3))
    assert longer.skipped == 0 and longer.statuses == {"timeout": 1}
    assert longer.rows.loc[0, "timeout_s"] == 3 and len(longer.rows) == 1


def test_progress_lines_keep_time_in_every_phase_on_a_fake_clock(caplog):
    """A line whenever the interval passed without one: a phase's heartbeat, then the jobs' counts;
    none on a terminal's jobs phase (the bar) and none with --quiet."""
    import logging

    from imputebench.harness.progress import Progress

    now = [0.0]
    progress = Progress(every_seconds=10, tty=False, clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="imputebench")

    def at(t: float, then=None) -> list[str]:
        caplog.clear()
        now[0] = t
        (then or progress.tick)()
        return [r.getMessage() for r in caplog.records]

    with progress.phase("planning: loading 2 datasets"):  # the heartbeat thread sleeps 10 real s: not here
        assert [r.getMessage() for r in caplog.records] == ["planning: loading 2 datasets"]
        assert at(9.9) == []
        assert at(10) == ["planning: loading 2 datasets: still working, 10 s"]
        assert at(19) == [] and at(75) == ["planning: loading 2 datasets: still working, 1 min 15 s"]
    now[0] = 100.0
    with progress.phase("running 3 jobs on 2 workers", total=3):
        assert at(105, lambda: progress.done("ok")) == []
        assert at(110) == ["1/3 jobs (1 ok), 10 s, about 20 s left"]
        assert at(121, lambda: progress.done("failed")) == ["2/3 jobs (1 failed, 1 ok), 21 s, about 10 s left"]
    with progress.phase("writing the store", announce=False):
        assert at(121) == [] and at(131) == ["writing the store: still working, 10 s"]
    quiet = Progress(enabled=False, every_seconds=0, tty=False, clock=lambda: now[0])
    with quiet.phase("planning"):
        assert at(1000, quiet.tick) == []


def test_the_heartbeat_writes_while_a_phase_blocks_and_stops_with_it():
    import logging
    import threading

    from imputebench.harness.progress import Progress

    lines: list[str] = []
    three = threading.Event()

    def emit(record) -> None:
        lines.append(record.getMessage())
        if len(lines) >= 3:
            three.set()

    handler = logging.Handler()
    handler.emit = emit
    log = logging.getLogger("imputebench")
    old_level = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        with Progress(every_seconds=0.01, tty=False).phase("loading data"):
            assert three.wait(timeout=20), lines  # the block says nothing: the heartbeat does
        after = len(lines)
        assert lines[0] == "loading data" and all(ln.startswith("loading data: still working, ") for ln in lines[1:])
        with Progress(every_seconds=0.01, tty=True).phase("running 0 jobs", total=0):
            pass
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
    assert len(lines) == after  # the thread ended with its phase; an empty jobs phase says nothing
