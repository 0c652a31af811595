"""The runner: the job grid, resume by job key, execution, and the run's summary.

The driver is the only writer under the results folder (through :class:`ResultStore`): it reads
each stored mask at plan time (PROTOCOL §2) and ships it with the jobs; a mask not stored yet is
drawn by the job from the job's identity (the same in every worker) and stored when it comes back,
with the rows and samples jobs return.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from .. import PROTOCOL_VERSION, __version__
from ..errors import UsageError
from .config import DEFAULT_DATASETS, DEFAULT_TRACK, NO_LIMIT, RunConfig
from .job import Job, JobResult, RunContext, versions_json
from ..protocol.masks import PackedMask
from ..protocol.profiles import get_profile
from .progress import Progress
from .store import ResultStore
from ..tracks import Plan, TrackGrid, get_track
from ..tracks.grid import check_dataset_names, imputer_params, job_params, params_overridden, resolve_imputers

log = logging.getLogger("imputebench")

# Re-exported: what callers of the runner have always imported from here.
__all__ = ["DEFAULT_DATASETS", "DEFAULT_TRACK", "NO_LIMIT", "Plan", "RunConfig", "RunSummary", "check_dataset_names",
           "check_grid", "check_limits", "imputer_params", "job_params", "plan", "resolve_imputers", "run"]


@dataclass
class RunSummary:
    planned: int
    workers: int
    skipped: int
    statuses: Counter
    wall_seconds: float
    imputer_seconds: float
    unavailable: dict[str, str]
    rows: pd.DataFrame
    run_id: str = ""
    warnings: int = 0  # warnings raised inside this run's jobs
    warned_jobs: int = 0
    warning_messages: Counter = field(default_factory=Counter)  # most frequent message per job -> jobs

    def add(self, row: Mapping[str, Any]) -> None:
        """Count one finished job's row."""
        self.statuses[row["status"]] += 1
        self.imputer_seconds += (row.get("fit_seconds") or 0.0) + (row.get("transform_seconds") or 0.0)
        if row.get("warnings"):
            self.warnings += int(row["warnings"])
            self.warned_jobs += 1
            self.warning_messages[row["warning"]] += 1

    @property
    def overhead_share(self) -> float:
        """Harness overhead: the share of worker time (wall x workers) not spent in imputers."""
        capacity = self.wall_seconds * self.workers
        return max(0.0, 1.0 - self.imputer_seconds / capacity) if capacity > 0 else 0.0

    def line(self) -> str:
        ran = sum(self.statuses.values())
        parts = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items()))
        msg = f"{self.planned} jobs: {self.skipped} already in the store, {ran} run ({parts or 'none'}) in {self.wall_seconds:.1f} s"
        if self.unavailable:
            msg += f"; unavailable datasets skipped: {', '.join(sorted(self.unavailable))}"
        return msg

    def warning_line(self) -> str | None:
        """The run's warnings, summarised once (each job's count is in the store's ``warnings`` column)."""
        if not self.warnings:
            return None
        top = "; ".join(f"{m} ({n} jobs)" for m, n in self.warning_messages.most_common(2))
        return (f"{self.warnings} warnings in {self.warned_jobs} jobs (per job in the store's 'warnings' "
                f"column); most frequent: {top}")


def check_limits(cfg: RunConfig) -> tuple[float | None, float | None]:
    """The run-level limits as (timeout seconds, memory MB), ``None`` = none; bad values fail at once."""
    for flag, value in (("--timeout", cfg.timeout), ("--memory-limit", cfg.memory_limit_mb)):
        if value is not None and not (value > 0):
            raise UsageError(f"{flag} must be a positive number, got {value:g}; use '{flag} none' for no limit")
    timeout = get_profile(cfg.profile).timeout if cfg.timeout is None else cfg.timeout
    memory = cfg.memory_limit_mb
    return (None if timeout == NO_LIMIT else timeout), (None if memory == NO_LIMIT else memory)


def check_grid(cfg: RunConfig) -> TrackGrid:
    """Validate every value of the run's track's grid (nothing is loaded or written): one line for bad input."""
    return get_track(cfg.track).check_grid(cfg)


def plan(cfg: RunConfig, grid: TrackGrid | None = None) -> Plan:
    """The run's job grid, as its track plans it (each dataset loaded once, here in the driver)."""
    track = get_track(cfg.track)
    planned = track.plan(cfg, grid or track.check_grid(cfg))
    if cfg.only_keys is not None:
        planned.jobs = [j for j in planned.jobs if j.key in cfg.only_keys]
    return planned


def stored_masks(store: ResultStore, jobs: Sequence[Job], data: Mapping[str, Any]) -> dict[str, PackedMask]:
    """The masks the store holds for these jobs (PROTOCOL §2), by mask key; the others are drawn by
    the jobs themselves (in parallel, in the workers) and stored by :func:`keep_mask`. ``data``: the
    plan's data by data key (a stored mask must fit its job's data)."""
    masks: dict[str, PackedMask] = {}
    for key, job in {j.mask_key: j for j in jobs}.items():
        hit = store.load_mask(key)
        if hit is None:
            continue
        if hit[1].get("infeasible"):
            masks[key] = PackedMask.of_infeasible(hit[1]["infeasible"])
        elif hit[0].shape == job.mask_shape(data[job.data_key]):
            masks[key] = PackedMask.pack(*hit)
    return masks


def keep_mask(store: ResultStore, key: str, mask: PackedMask) -> None:
    """Store a mask a job drew, so that later runs and every other imputer get this very mask."""
    if mask.infeasible:
        store.save_mask(key, np.zeros((0, 0), bool), {"infeasible": mask.infeasible})
    else:
        store.save_mask(key, mask.unpack(), mask.meta)


def worker_count(cfg: RunConfig) -> int:
    return cfg.jobs or os.cpu_count() or 1


def make_executor(cfg: RunConfig, timeout: float | None):
    workers = worker_count(cfg)
    if cfg.executor == "local":
        from .executors import LocalExecutor

        return LocalExecutor(workers, timeout)
    if cfg.executor == "ray":
        from .ray_executor import RayExecutor

        return RayExecutor(workers, timeout, **dict(cfg.executor_options))
    raise UsageError(f"unknown executor {cfg.executor!r}; valid: local, ray")


def machine_record() -> dict[str, Any]:
    """What a run ran on (a reference set's provenance, PROTOCOL §8)."""
    import platform

    import psutil

    return {"platform": platform.platform(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1), "python": platform.python_version()}


def cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (the local executor's workers)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ctrl-C is ignored inside the block (the run's last writes), in the main thread; a second
    Ctrl-C cannot leave rows unflushed or a run record unwritten."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_record(cfg: RunConfig, run_id: str, started: datetime, grid: TrackGrid, planned: Plan, pending: int,
               timeout: float | None, memory_mb: float | None) -> dict[str, Any]:
    """What a run's record starts as (``ResultStore.record_run``); completed when the run ends."""
    return {
        "run_id": run_id, "started_at": started.isoformat(timespec="seconds"), "finished_at": None,
        "command": cfg.command, "imputebench_version": __version__, "protocol_version": PROTOCOL_VERSION,
        "profile": cfg.profile, "track": cfg.track, "grid": grid.as_record(), "executor": cfg.executor,
        "timeout_s": timeout, "memory_limit_mb": memory_mb, "jobs_planned": len(planned.jobs),
        "jobs_skipped": len(planned.jobs) - pending, "unavailable_datasets": sorted(planned.unavailable),
        "statuses": {}, "versions": json.loads(versions_json()), "machine": machine_record(),
        "reference": cfg.reference,
    }


def run(cfg: RunConfig) -> RunSummary:
    """Run every job of the grid that the store does not hold yet; return the grid's rows.

    Ctrl-C (KeyboardInterrupt in this process) stops the run: the finished rows are flushed, the
    store compacted and the run recorded as interrupted, then the KeyboardInterrupt goes on."""
    from .executors import Task

    t0, cpu0 = time.perf_counter(), cpu_seconds()
    timeout, memory_mb = check_limits(cfg)
    grid = check_grid(cfg)  # bad input fails here, before anything is loaded or written
    store = ResultStore(cfg.results_dir)
    store.check_writable()
    executor = make_executor(cfg, timeout)  # a missing engine fails before any dataset loads
    progress = Progress(cfg.progress, every_seconds=cfg.progress_seconds)
    with progress.phase(f"planning: loading {len(grid.datasets)} datasets"):
        planned = plan(cfg, grid)  # values checked against the data (e.g. --n-target) fail here: nothing written
    jobs, unavailable = planned.jobs, planned.unavailable
    for name, why in sorted(unavailable.items()):
        log.warning("skipped dataset %s", why if why.startswith(f"{name}:") else f"{name}: {why}")
    with progress.phase("reading the store: finished jobs and stored masks", announce=False):
        done = store.finished_keys(retry_failed=cfg.retry_failed, timeout_s=timeout, memory_limit_mb=memory_mb)
        pending = [j for j in jobs if j.key not in done]
        masks = stored_masks(store, pending, planned.data)
    mask_key_of = {j.key: j.mask_key for j in pending}
    started = datetime.now(timezone.utc)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    context = RunContext(source=cfg.source, timeout_s=timeout, memory_limit_mb=memory_mb, run_id=run_id)
    record = run_record(cfg, run_id, started, grid, planned, len(pending), timeout, memory_mb)
    store.record_run(record)
    summary = RunSummary(planned=len(jobs), workers=worker_count(cfg), skipped=len(jobs) - len(pending),
                         statuses=Counter(), wall_seconds=0.0, imputer_seconds=0.0, unavailable=unavailable,
                         rows=pd.DataFrame(), run_id=run_id)
    writer = store.writer(max_rows=cfg.flush_rows, max_seconds=cfg.flush_seconds)
    overridden: dict[tuple[Any, Any, Any], bool] = {}  # one declaration lookup per imputer's parameters

    def on_result(result: JobResult) -> None:
        row = result.row
        config = (row.get("imputer"), row.get("params"), row.get("profile"))
        if config not in overridden:
            overridden[config] = params_overridden(*config)
        row["params_overridden"] = overridden[config]
        if result.mask is not None:
            key = mask_key_of[row["job_key"]]
            if key not in masks:  # the first job of this mask to come back stores it
                keep_mask(store, key, result.mask)
                masks[key] = result.mask
        writer.add(row, result.samples)  # flushed by count and age: a kill loses only unflushed rows
        summary.add(row)
        progress.done(row["status"])

    tasks = [Task(j, masks.get(j.mask_key), planned.data.get(j.data_key)) for j in pending]
    interrupted = False
    try:
        with progress.phase(f"running {len(pending)} jobs on {summary.workers} workers", total=len(pending)):
            executor.execute(tasks, context, on_result, writer.tick)
    except KeyboardInterrupt:  # the user's Ctrl-C (workers ignore SIGINT)
        interrupted = True
        raise
    finally:
        with interrupts_deferred(), progress.phase("writing the store", announce=False):
            writer.flush()
            store.compact()
            record.update(finished_at=_utc_now(), statuses=dict(summary.statuses),
                          complete=sum(summary.statuses.values()) == len(pending), interrupted=interrupted,
                          cpu_seconds=round(cpu_seconds() - cpu0, 1))
            store.record_run(record)
    keys = {j.key for j in jobs}
    with progress.phase("reading the grid's rows", announce=False):
        rows = store.load()
    summary.rows = rows[rows["job_key"].isin(keys)].reset_index(drop=True)
    summary.wall_seconds = time.perf_counter() - t0
    return summary
