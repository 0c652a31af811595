"""The runner: the job grid, resume by job key, execution, and the run's summary.

The driver is the only writer under the results folder (through :class:`ResultStore`): it reads
each stored mask at plan time (PROTOCOL §2) and ships it with the jobs; a mask not stored yet is
drawn by the job from the job's identity (the same in every worker) and stored when it comes back,
with the rows and samples jobs return.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import PROTOCOL_VERSION, __version__
from .errors import UsageError
from .job import DataSource, Job, JobResult, RunContext, versions_json
from .masks import PackedMask, check_mechanism, check_rate
from .profiles import SETTINGS, get_profile
from .progress import Progress
from .store import ResultStore

log = logging.getLogger("imputebench")

DEFAULT_DATASETS = ("wine", "iris", "breast_cancer", "diabetes")  # the embedded default
NO_LIMIT = math.inf  # ``--timeout none``: no per-job limit at all (None means "the profile's")


@dataclass
class RunConfig:
    """What to run. ``None`` fields take the profile's value."""

    datasets: Sequence[str] = DEFAULT_DATASETS
    imputers: Sequence[str] | None = None  # None: the classical imputers
    mechanisms: Sequence[str] | None = None
    rates: Sequence[float] | None = None
    seeds: Sequence[int] | None = None
    settings: Sequence[str] | None = None
    profile: str = "quick"
    results_dir: Path = Path("results")
    jobs: int | None = None  # workers; None: one per core
    timeout: float | None = None  # seconds per job; None: the profile's; NO_LIMIT: none
    memory_limit_mb: float | None = None  # None: no limit
    retry_failed: bool = False
    source: DataSource = field(default_factory=DataSource)
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # per-imputer overrides
    executor: str = "local"
    executor_options: Mapping[str, Any] = field(default_factory=dict)
    progress: bool = True
    progress_seconds: float = 10.0  # without a terminal: one progress line this often
    max_rows: int | None | str = "profile"
    command: str | None = None  # the command line, for the run record
    flush_rows: int = 64  # the store's batched appends: by count...
    flush_seconds: float = 5.0  # ...and by age
    # The transfer track (PROTOCOL §7): same runner, executors and store; None takes the track's defaults.
    # A reference set to rank against (PROTOCOL §8): recorded in the run record, merged by the report.
    reference: Mapping[str, str] | None = None  # {"name": ..., "path": ..., "sha256": ...}
    only_keys: frozenset[str] | None = None  # run only these jobs of the grid (``reference verify``)
    track: str = "main"  # "main" or "transfer"
    tasks: Sequence[str] | None = None
    n_targets: Sequence[int] | None = None
    strategies: Sequence[str] | None = None


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


def _canonical_params(params: Mapping[str, Any]) -> str:
    return json.dumps(dict(params), sort_keys=True, default=str)


def _unique(values: Sequence) -> list:
    """The grid's values once each, in the order given (``--rates 0.2,0.2`` runs one rate)."""
    return list(dict.fromkeys(values))


def resolve_imputers(names: Sequence[str] | None) -> list[str]:
    from .registry import CLASSICAL, resolve

    names = list(CLASSICAL) if not names else _unique(names)
    for n in names:
        entry = resolve(n)  # raises a UsageError for an unknown name
        if not entry.available:
            raise UsageError(f"imputer {n!r} is unavailable: {entry.error}")
    return names


def check_dataset_names(names: Sequence[str], data_home: str | None = None) -> None:
    from . import datasets as dsmod

    valid = set(dsmod.dataset_names(data_home=data_home))
    for n in names:
        if n not in valid:
            close = difflib.get_close_matches(n, sorted(valid), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"unknown dataset {n!r}{hint}; valid: {', '.join(sorted(valid))}")


def check_limits(cfg: RunConfig) -> tuple[float | None, float | None]:
    """The run-level limits as (timeout seconds, memory MB), ``None`` = none; bad values fail at once."""
    for flag, value in (("--timeout", cfg.timeout), ("--memory-limit", cfg.memory_limit_mb)):
        if value is not None and not (value > 0):
            raise UsageError(f"{flag} must be a positive number, got {value:g}; use '{flag} none' for no limit")
    timeout = get_profile(cfg.profile).timeout if cfg.timeout is None else cfg.timeout
    memory = cfg.memory_limit_mb
    return (None if timeout == NO_LIMIT else timeout), (None if memory == NO_LIMIT else memory)


@dataclass
class Grid:
    """The validated, de-duplicated axes of a run's grid."""

    datasets: list[str]
    imputers: list[str]
    mechanisms: list[str]
    rates: list[float]
    seeds: list[int]
    settings: list[str]
    params: dict[str, str] = field(default_factory=dict)  # imputer -> canonical JSON of its hyper-parameters

    def as_record(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in self.__dict__.items()}


def check_grid(cfg: RunConfig) -> Grid:
    """Validate every axis of the grid (nothing is loaded or written): one line for bad input."""
    if cfg.track == "transfer":
        from .transfer_job import check_transfer_grid

        return check_transfer_grid(cfg)  # type: ignore[return-value]
    if cfg.track != "main":
        raise UsageError(f"unknown track {cfg.track!r}; valid: main, transfer")
    profile = get_profile(cfg.profile)
    mechanisms = _unique(check_mechanism(m) for m in (cfg.mechanisms or profile.mechanisms))
    rates = _unique(check_rate(r) for r in (cfg.rates or profile.rates))
    seeds = _unique(int(s) for s in (cfg.seeds if cfg.seeds is not None else profile.seeds))
    if not seeds:
        raise UsageError("no seeds to run; give e.g. --seeds 0,1 or 0-4")
    settings = _unique(cfg.settings or profile.settings)
    for s in settings:
        if s not in SETTINGS:
            raise UsageError(f"unknown setting {s!r}; valid: {', '.join(SETTINGS)}")
    datasets = _unique(cfg.datasets)
    if not datasets:
        raise UsageError("no datasets to run; give e.g. --datasets iris,wine or --all")
    check_dataset_names(datasets, cfg.source.data_home)
    imputers = resolve_imputers(cfg.imputers)
    stray = sorted(set(cfg.params) - set(imputers))
    if stray:
        raise UsageError(f"--param names imputer {stray[0]!r}, which is not in this run's imputers: {', '.join(imputers)}")
    return Grid(datasets, imputers, mechanisms, rates, seeds, settings, imputer_params(cfg, imputers))


def imputer_params(cfg: RunConfig, imputers: Sequence[str], fine_tune_budget: bool = False) -> dict[str, str]:
    """Each imputer's hyper-parameters (its profile's, then --param overrides), checked against its
    declared constraints: a bad --param fails before any dataset is loaded or anything written.

    The ``adapt_*`` keys (the transfer track's fine-tune budget, PROTOCOL §7) are checked too but kept
    only with ``fine_tune_budget``: they do not change a main-track job's numbers, so not its key."""
    from .registry import check_params, resolve

    params = {}
    for name in imputers:
        info = resolve(name).info
        p = info.params_for(cfg.profile) if info else {}
        p.update(cfg.params.get(name, {}))
        check_params(name, p)
        params[name] = job_params(p, fine_tune_budget)
    return params


def job_params(params: Mapping[str, Any], fine_tune_budget: bool = False) -> str:
    """The canonical JSON of a job's hyper-parameters, as its key has it (``adapt_*`` left out of
    main-track jobs: the fine-tune budget does not change their numbers)."""
    from .imputer_info import split_adapt_params

    return _canonical_params(params if fine_tune_budget else split_adapt_params(params)[0])


def resolve_datasets(cfg: RunConfig, names: Sequence[str] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Load the canonical tables; datasets that cannot be had are returned apart."""
    from . import datasets as dsmod
    from .errors import DatasetError

    names = list(cfg.datasets if names is None else names)
    profile = get_profile(cfg.profile)
    max_rows = profile.max_rows if cfg.max_rows == "profile" else cfg.max_rows
    src = cfg.source
    # Datasets that cannot be had are reported before the run starts, and the rest runs.
    unavailable = {n: why for n, why in dsmod.availability(
        names, mirror=src.mirror, data_home=src.data_home, allow_network=src.allow_network).items()
        if why is not None}
    loaded = {}
    for n in names:
        if n in unavailable:
            continue
        try:
            loaded[n] = dsmod.load_dataset(n, max_rows=max_rows, mirror=src.mirror, data_home=src.data_home,
                                           allow_network=src.allow_network)
        except DatasetError as exc:
            unavailable[n] = str(exc)
    return loaded, unavailable


@dataclass
class Plan:
    grid: Grid
    jobs: list[Job]
    unavailable: dict[str, str]
    tables: dict[str, Any]


def plan(cfg: RunConfig, grid: Grid | None = None) -> Plan:
    """The job grid: datasets x mechanisms x rates x seeds x imputers x settings (the transfer track's
    grid with ``track="transfer"``, PROTOCOL §7)."""
    grid = grid or check_grid(cfg)
    if cfg.track == "transfer":
        from .transfer_job import plan_transfer

        return plan_transfer(cfg, grid)
    params = grid.params
    tables, unavailable = resolve_datasets(cfg, grid.datasets)
    jobs = [
        Job(dataset=d, dataset_checksum=ds.checksum, max_rows=ds.meta.get("max_rows"), mechanism=m, rate=r,
            seed=s, imputer=i, params=params[i], profile=cfg.profile, setting=st)
        for d, ds in tables.items() for m in grid.mechanisms for r in grid.rates for s in grid.seeds
        for st in grid.settings for i in grid.imputers
    ]
    if cfg.only_keys is not None:
        jobs = [j for j in jobs if j.key in cfg.only_keys]
    return Plan(grid, jobs, unavailable, tables)


def stored_masks(store: ResultStore, jobs: Sequence[Job], tables: Mapping[str, Any]) -> dict[str, PackedMask]:
    """The masks the store holds for these jobs (PROTOCOL §2), by mask key; the others are drawn by
    the jobs themselves (in parallel, in the workers) and stored by :func:`keep_mask`."""
    masks: dict[str, PackedMask] = {}
    for key, job in {j.mask_key: j for j in jobs}.items():
        hit = store.load_mask(key)
        if hit is None:
            continue
        if hit[1].get("infeasible"):
            masks[key] = PackedMask.of_infeasible(hit[1]["infeasible"])
        elif hit[0].shape == job.mask_shape(tables):
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


def run(cfg: RunConfig) -> RunSummary:
    """Run every job of the grid that the store does not hold yet; return the grid's rows."""
    from .executors import Task

    t0, cpu0 = time.perf_counter(), cpu_seconds()
    timeout, memory_mb = check_limits(cfg)
    grid = check_grid(cfg)  # bad input fails here, before anything is loaded or written
    store = ResultStore(cfg.results_dir)
    store.check_writable()
    executor = make_executor(cfg, timeout)  # a missing engine fails before any dataset loads
    progress = Progress(cfg.progress, every_seconds=cfg.progress_seconds)
    progress.status(f"planning: loading {len(grid.datasets)} datasets")
    planned = plan(cfg, grid)
    jobs, unavailable = planned.jobs, planned.unavailable
    for name, why in sorted(unavailable.items()):
        log.warning("skipped dataset %s", why if why.startswith(f"{name}:") else f"{name}: {why}")
    done = store.finished_keys(retry_failed=cfg.retry_failed, timeout_s=timeout, memory_limit_mb=memory_mb)
    pending = [j for j in jobs if j.key not in done]
    masks = stored_masks(store, pending, planned.tables)
    mask_key_of = {j.key: j.mask_key for j in pending}
    started = datetime.now(timezone.utc)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    context = RunContext(source=cfg.source, timeout_s=timeout, memory_limit_mb=memory_mb, run_id=run_id)
    record = {
        "run_id": run_id, "started_at": started.isoformat(timespec="seconds"), "finished_at": None,
        "command": cfg.command, "imputebench_version": __version__, "protocol_version": PROTOCOL_VERSION,
        "profile": cfg.profile, "grid": grid.as_record(), "executor": cfg.executor,
        "timeout_s": timeout, "memory_limit_mb": memory_mb, "jobs_planned": len(jobs),
        "jobs_skipped": len(jobs) - len(pending), "unavailable_datasets": sorted(unavailable), "statuses": {},
        "versions": json.loads(versions_json()), "machine": machine_record(), "reference": cfg.reference,
    }
    store.record_run(record)
    summary = RunSummary(planned=len(jobs), workers=worker_count(cfg), skipped=len(jobs) - len(pending),
                         statuses=Counter(), wall_seconds=0.0, imputer_seconds=0.0, unavailable=unavailable,
                         rows=pd.DataFrame(), run_id=run_id)
    writer = store.writer(max_rows=cfg.flush_rows, max_seconds=cfg.flush_seconds)

    def on_result(result: JobResult) -> None:
        row = result.row
        if result.mask is not None:
            key = mask_key_of[row["job_key"]]
            if key not in masks:  # the first job of this mask to come back stores it
                keep_mask(store, key, result.mask)
                masks[key] = result.mask
        writer.add(row, result.samples)  # flushed by count and age: a kill loses only unflushed rows
        summary.statuses[row["status"]] += 1
        summary.imputer_seconds += (row.get("fit_seconds") or 0.0) + (row.get("transform_seconds") or 0.0)
        if row.get("warnings"):
            summary.warnings += int(row["warnings"])
            summary.warned_jobs += 1
            summary.warning_messages[row["warning"]] += 1
        progress.done(row["status"])

    def on_tick() -> None:
        writer.tick()
        progress.tick()

    progress.start(len(pending))
    try:
        executor.execute([Task(j, masks.get(j.mask_key)) for j in pending], context, on_result, on_tick)
    finally:
        progress.close()
        writer.flush()
        store.compact()
        record.update(finished_at=_utc_now(), statuses=dict(summary.statuses),
                      complete=sum(summary.statuses.values()) == len(pending),
                      cpu_seconds=round(cpu_seconds() - cpu0, 1))
        store.record_run(record)
    keys = {j.key for j in jobs}
    rows = store.load()
    summary.rows = rows[rows["job_key"].isin(keys)].reset_index(drop=True)
    summary.wall_seconds = time.perf_counter() - t0
    return summary
