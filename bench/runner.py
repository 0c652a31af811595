"""The runner: the job grid, resume by job key, execution, and the run's summary."""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd
from tqdm import tqdm

from .errors import UsageError
from .job import DataSource, Job
from .masks import check_mechanism, check_rate
from .profiles import SETTINGS, get_profile
from .store import ResultStore
from .transfer import split_adapt_params

log = logging.getLogger("imputebench")

DEFAULT_DATASETS = ("wine", "iris", "breast_cancer", "diabetes")  # the embedded default


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
    timeout: float | None = None
    memory_limit_mb: float | None = None
    retry_failed: bool = False
    source: DataSource = field(default_factory=DataSource)
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # per-imputer overrides
    executor: str = "local"
    executor_options: Mapping[str, Any] = field(default_factory=dict)
    progress: bool = True
    max_rows: int | None | str = "profile"
    # The transfer track (PROTOCOL §7): same runner, executors and store; None takes the track's defaults.
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


def _canonical_params(params: Mapping[str, Any]) -> str:
    return json.dumps(dict(params), sort_keys=True, default=str)


def resolve_imputers(names: Sequence[str] | None) -> list[str]:
    from .registry import CLASSICAL, resolve

    names = list(CLASSICAL) if not names else list(names)
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
            raise UsageError(f"unknown dataset {n!r}; valid: {', '.join(sorted(valid))}")


def resolve_datasets(cfg: RunConfig) -> tuple[dict[str, Any], dict[str, str]]:
    """Load the canonical tables (validating names); datasets that cannot be had are returned apart."""
    from . import datasets as dsmod
    from .errors import DatasetError

    profile = get_profile(cfg.profile)
    max_rows = profile.max_rows if cfg.max_rows == "profile" else cfg.max_rows
    src = cfg.source
    # Datasets that cannot be had are reported before the run starts, and the rest runs.
    unavailable = {n: why for n, why in dsmod.availability(
        list(cfg.datasets), mirror=src.mirror, data_home=src.data_home, allow_network=src.allow_network).items()
        if why is not None}
    loaded = {}
    for n in cfg.datasets:
        if n in unavailable:
            continue
        try:
            loaded[n] = dsmod.load_dataset(n, max_rows=max_rows, mirror=src.mirror, data_home=src.data_home,
                                           allow_network=src.allow_network)
        except DatasetError as exc:
            unavailable[n] = str(exc)
    return loaded, unavailable


def plan(cfg: RunConfig) -> tuple[list[Job], dict[str, str]]:
    """The job grid: datasets x mechanisms x rates x seeds x imputers x settings."""
    from .registry import resolve

    if cfg.track == "transfer":
        from .transfer_job import plan_transfer

        return plan_transfer(cfg)
    if cfg.track != "main":
        raise UsageError(f"unknown track {cfg.track!r}; valid: main, transfer")

    profile = get_profile(cfg.profile)
    mechanisms = [check_mechanism(m) for m in (cfg.mechanisms or profile.mechanisms)]
    rates = [check_rate(r) for r in (cfg.rates or profile.rates)]
    seeds = [int(s) for s in (cfg.seeds if cfg.seeds is not None else profile.seeds)]
    settings = list(cfg.settings or profile.settings)
    for s in settings:
        if s not in SETTINGS:
            raise UsageError(f"unknown setting {s!r}; valid: {', '.join(SETTINGS)}")
    check_dataset_names(cfg.datasets, cfg.source.data_home)
    imputers = resolve_imputers(cfg.imputers)
    tables, unavailable = resolve_datasets(cfg)
    params = {}
    for name in imputers:
        info = resolve(name).info
        p = info.params_for(cfg.profile) if info else {}
        p.update(cfg.params.get(name, {}))
        p = split_adapt_params(p)[0]  # the fine-tune budget belongs to the transfer track only
        params[name] = _canonical_params(p)
    jobs = [
        Job(dataset=d, dataset_checksum=ds.checksum, max_rows=ds.meta.get("max_rows"), mechanism=m, rate=r,
            seed=s, imputer=i, params=params[i], profile=cfg.profile, setting=st,
            results_dir=str(cfg.results_dir), source=cfg.source, memory_limit_mb=cfg.memory_limit_mb)
        for d, ds in tables.items() for m in mechanisms for r in rates for s in seeds
        for st in settings for i in imputers
    ]
    return jobs, unavailable


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


def run(cfg: RunConfig) -> RunSummary:
    """Run every job of the grid that the store does not hold yet; return the grid's rows."""
    t0 = time.perf_counter()
    timeout = cfg.timeout if cfg.timeout is not None else get_profile(cfg.profile).timeout
    executor = make_executor(cfg, timeout)  # first: a missing engine fails before any dataset loads
    jobs, unavailable = plan(cfg)
    for name, why in sorted(unavailable.items()):
        log.warning("skipped dataset %s", why if why.startswith(f"{name}:") else f"{name}: {why}")
    store = ResultStore(cfg.results_dir)
    done = store.finished_keys(retry_failed=cfg.retry_failed)
    pending = [j for j in jobs if j.key not in done]
    statuses: Counter = Counter()
    imputer_seconds = 0.0
    # disable=None: the bar shows on a terminal only, so CI logs get the summary line, not redraws.
    bar = tqdm(total=len(pending), unit="job", disable=None if cfg.progress and pending else True,
               dynamic_ncols=True)

    def on_row(row: dict) -> None:
        nonlocal imputer_seconds
        store.append([row])  # persisted before anything else: a killed run loses no finished job
        statuses[row["status"]] += 1
        imputer_seconds += (row.get("fit_seconds") or 0.0) + (row.get("transform_seconds") or 0.0)
        bar.update(1)
        bad = sum(n for s, n in statuses.items() if s != "ok")
        if bad:
            bar.set_postfix(not_ok=bad, refresh=False)

    try:
        executor.execute(pending, on_row)
    finally:
        bar.close()
        store.compact()
    keys = {j.key for j in jobs}
    rows = store.load()
    rows = rows[rows["job_key"].isin(keys)].reset_index(drop=True)
    return RunSummary(planned=len(jobs), workers=worker_count(cfg), skipped=len(jobs) - len(pending), statuses=statuses,
                      wall_seconds=time.perf_counter() - t0, imputer_seconds=imputer_seconds,
                      unavailable=unavailable, rows=rows)
