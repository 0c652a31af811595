"""The result store under batching, concurrency and kills: no lost row, no duplicate visible."""

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from imputebench.harness.store import ResultStore


def rows(n: int, start: int = 0, **extra) -> list[dict]:
    return [{"job_key": f"k{i:05d}", "dataset": "d", "imputer": "mean", "status": "ok", "rmse": float(i), **extra}
            for i in range(start, start + n)]


def test_writer_flushes_by_count_and_by_age(tmp_path):
    store = ResultStore(tmp_path)
    writer = store.writer(max_rows=3, max_seconds=3600)
    for r in rows(2):
        writer.add(r)
    assert store.files() == []  # buffered
    writer.add(rows(1, start=2)[0])
    assert len(store.files()) == 1 and len(store.load()) == 3  # three rows, one atomic part
    aged = store.writer(max_rows=100, max_seconds=0.2)
    aged.add(rows(1, start=3)[0])
    time.sleep(0.25)
    aged.tick()
    assert len(store.files()) == 2 and len(store.load()) == 4


def test_samples_are_written_with_their_rows(tmp_path):
    from imputebench.reports.samples import read_samples
    from imputebench.protocol.samples import encode_samples

    store = ResultStore(tmp_path)
    sample = pd.DataFrame({"feature": pd.Series(["a"], dtype="string"), "categorical": [False],
                           "true_value": [1.0], "imputed_value": [2.0],
                           "true_label": pd.Series([None], dtype="string"),
                           "imputed_label": pd.Series([None], dtype="string")})
    with store.writer() as writer:
        writer.add(rows(1)[0], encode_samples("k00000", sample))
    back = read_samples(tmp_path, ["k00000"])
    assert back["imputed_value"].tolist() == [2.0] and back["job_key"].tolist() == ["k00000"]


def test_a_limit_failure_is_rerun_only_under_looser_limits(tmp_path):
    store = ResultStore(tmp_path)
    store.append([
        {"job_key": "t", "status": "timeout", "error": "timeout: no result after 5 s", "timeout_s": 5.0},
        {"job_key": "m", "status": "failed", "error": "MemoryError: memory limit of 500 MB exceeded",
         "memory_limit_mb": 500.0, "timeout_s": 5.0},
        {"job_key": "f", "status": "failed", "error": "RuntimeError: boom", "timeout_s": 5.0},
    ])
    assert store.finished_keys(timeout_s=5.0, memory_limit_mb=500.0) == {"t", "m", "f"}
    assert store.finished_keys(timeout_s=2.0, memory_limit_mb=100.0) == {"t", "m", "f"}  # tighter: fails again
    assert store.finished_keys(timeout_s=10.0, memory_limit_mb=500.0) == {"m", "f"}
    assert store.finished_keys(timeout_s=5.0, memory_limit_mb=None) == {"t", "f"}
    assert store.finished_keys(timeout_s=None, memory_limit_mb=1000.0) == {"f"}
    assert store.finished_keys(timeout_s=5.0, memory_limit_mb=500.0, retry_failed=True) == set()


def test_run_records_oldest_first(tmp_path):
    store = ResultStore(tmp_path)
    store.record_run({"run_id": "b", "started_at": "2026-01-02T00:00:00+00:00"})
    store.record_run({"run_id": "a", "started_at": "2026-01-01T00:00:00+00:00"})
    store.record_run({"run_id": "b", "started_at": "2026-01-02T00:00:00+00:00", "statuses": {"ok": 3}})
    assert [r["run_id"] for r in store.runs()] == ["a", "b"] and store.runs()[1]["statuses"] == {"ok": 3}
    assert not (tmp_path / "jobs").exists()  # records live outside jobs/, which pyarrow reads whole


def _compact_forever(root: str) -> None:
    store = ResultStore(root)
    while True:
        store.compact()
        store.append(rows(1, start=0))  # one more part (a duplicate key), so there is always work


@pytest.mark.slow
def test_sigkill_during_compaction_leaves_no_duplicate_visible(tmp_path):
    store = ResultStore(tmp_path)
    for i in range(0, 300, 3):
        store.append(rows(3, start=i))
    ctx = multiprocessing.get_context("spawn")
    for delay in (0.3, 0.5, 0.8, 1.1, 1.5, 2.0):
        proc = ctx.Process(target=_compact_forever, args=(str(tmp_path),))
        proc.start()
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        df = pd.read_parquet(tmp_path / "jobs")
        # every compaction swaps a whole generation: a reader never sees a row twice from it
        dup = df["job_key"].duplicated()
        assert set(df.loc[dup, "job_key"]) <= {"k00000"}, "only the test's own re-appended key may repeat"
        assert set(df["job_key"]) == {f"k{i:05d}" for i in range(300)}  # and none is lost
    store.compact()
    df = pd.read_parquet(tmp_path / "jobs")
    assert len(df) == 300 and df["job_key"].is_unique
    assert not (tmp_path / ".jobs-next").exists() and not (tmp_path / ".jobs-old").exists()


@pytest.mark.slow  # a race run for many rounds
def test_readers_never_see_a_compaction_half_done(tmp_path):
    store = ResultStore(tmp_path)
    seen, stop = [], threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                df = pd.read_parquet(tmp_path / "jobs")
            except (FileNotFoundError, OSError):  # a file removed between listing and reading
                continue
            seen.append((len(df), df["job_key"].is_unique))

    for i in range(0, 60, 2):
        store.append(rows(2, start=i))
    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(60, 120, 2):
            store.append(rows(2, start=i))
            store.compact()
    finally:
        stop.set()
        reader.join()
    assert seen and all(unique for _, unique in seen)
    assert all(n >= 60 for n, _ in seen)


def test_a_compaction_killed_between_two_renames_is_recovered(tmp_path, monkeypatch):
    """Where the atomic exchange is missing, a kill between the two renames is repaired on next use."""
    store = ResultStore(tmp_path)
    store.append(rows(2))
    store.append(rows(2, start=2))
    nxt = tmp_path / ".jobs-next"
    nxt.mkdir()
    # the state a kill leaves: jobs/ moved aside, the whole new generation beside it
    shutil.copytree(tmp_path / "jobs", nxt, dirs_exist_ok=True)
    os.rename(tmp_path / "jobs", tmp_path / ".jobs-old")
    store.compact()
    df = pd.read_parquet(tmp_path / "jobs")
    assert len(df) == 4 and df["job_key"].is_unique
    assert not nxt.exists() and not (tmp_path / ".jobs-old").exists()


def test_compaction_without_an_atomic_exchange_still_works(tmp_path, monkeypatch):
    import imputebench.harness.store as store_mod

    monkeypatch.setattr(store_mod, "exchange_paths", lambda a, b: False)
    store = ResultStore(tmp_path)
    store.append(rows(2))
    store.append(rows(2, start=1))
    store.compact()
    df = pd.read_parquet(tmp_path / "jobs")
    assert len(df) == 3 and df["job_key"].is_unique and len(store.files()) == 1


@pytest.mark.slow
def test_two_runs_on_one_results_folder_lose_nothing_and_duplicate_nothing(tmp_path):
    results = tmp_path / "res"
    common = [sys.executable, "-m", "imputebench.cli", "run", "--mechanisms", "mcar,mar", "--rates", "0.2",
              "--setting", "in-sample", "--results", str(results), "--jobs", "1", "--no-report", "--quiet"]
    a = common + ["--datasets", "iris,wine", "--imputers", "mean,median", "--seeds", "0-2"]
    b = common + ["--datasets", "iris", "--imputers", "mean,knn", "--seeds", "0-3"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for cmd in (a, b)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    df = pd.read_parquet(results / "jobs")
    expected = 2 * 2 * 2 * 3 + 2 * 2 * 4 - 2 * 3  # a's 24 + b's 16 - the 6 iris/mean/seeds 0-2 jobs both have
    loaded = ResultStore(results).load()
    assert len(loaded) == expected and (loaded["status"] == "ok").all()
    assert df["job_key"].is_unique and len(df) == expected
    assert len(ResultStore(results).runs()) == 2


def test_a_store_written_before_the_params_overridden_column_reads_it_as_null(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "jobs").mkdir()
    old = pa.table({"job_key": ["k"], "imputer": ["knn"], "params": ['{"n_neighbors": 5}'], "profile": ["quick"],
                    "status": ["ok"], "finished_at": pa.array([pd.Timestamp("2026-01-01", tz="UTC")],
                                                             pa.timestamp("us", tz="UTC"))})
    pq.write_table(old, tmp_path / "jobs" / "part-old.parquet")
    rows = ResultStore(tmp_path).load()
    assert len(rows) == 1 and rows["params_overridden"].isna().all() and rows["params"].iloc[0] == '{"n_neighbors": 5}'
