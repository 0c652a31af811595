"""The transfer track's jobs (PROTOCOL §7): the grid, one job in a worker, the domain-gap cache.

A :class:`TransferJob` is a job like :class:`imputebench.job.Job`: its identity only, run by
:func:`imputebench.job.run_job` (which hands it to :func:`run_transfer_job`) through the same
executors (isolation, timeouts, retries, Ray), keyed the same way, and its :class:`JobResult` lands in
the one store; it writes nothing. Its rows carry ``track = "transfer"`` and the track's columns (task,
strategy, n_target, source_rows, domain_gap). Like a main-track job it never raises: a failure becomes
a row.

Masks: one stored mask per (task, n_target, mechanism, rate, seed), shared by every imputer and
strategy. It stacks the three parts' masks (source, target train, target test rows, in that order), each
drawn from its own seed of (task, part, mechanism, rate, seed), so the source and test parts' masks are
the same for every ``n_target``. The driver ships the stored one; a job that finds none draws it and
returns it for the store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar, Sequence

import numpy as np

from . import PROTOCOL_VERSION
from .errors import InfeasibleMaskError, UsageError
from .job import (DataSource, JobResult, MemoryLimit, PeakMemory, RunContext, _device_of, _one_line,
                  _warning_summary, versions_json)
from .masks import PackedMask, apply_mask, draw_mask
from .transfer import (N_TARGETS, PARTS, STRATEGIES, Part, TaskParts, domain_gap_auc, draw_parts,
                       fit_strategy, mask_seed, part_rows, split_adapt_params, supports_adapt)

log = logging.getLogger("imputebench")
TRACK = "transfer"
SETTING = "transfer"  # the store's setting column: target test rows, scored out of sample (PROTOCOL §7)


@dataclass(frozen=True)
class TransferJob:
    """A transfer job's identity: everything that determines its numbers (and the task's domain gap,
    shown beside the rows; derived from the task, so not part of the key)."""

    task: str
    dataset: str
    dataset_checksum: str
    rule: str
    max_rows: int | None  # the source cap (the profile's max_rows)
    n_target: int
    mechanism: str
    rate: float
    seed: int
    imputer: str
    params: str  # canonical JSON of the imputer's hyper-parameters, fine-tune budget (adapt_*) included
    strategy: str
    profile: str
    domain_gap: float | None = field(default=None, compare=False)

    track: ClassVar[str] = TRACK
    setting: ClassVar[str] = SETTING

    @property
    def key(self) -> str:
        """The job key, as the main track's: everything that determines the row's numbers."""
        ident = [TRACK, self.task, self.dataset, self.dataset_checksum, self.rule, self.max_rows, self.n_target,
                 self.mechanism, f"{self.rate:.6g}", self.seed, self.imputer, self.params, self.strategy,
                 PROTOCOL_VERSION]
        return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:24]

    @property
    def mask_key(self) -> str:
        """One stored mask (the three parts stacked) per (task, n_target, mechanism, rate, seed) on
        these exact rows: no imputer, strategy or profile in it."""
        ident = [TRACK, self.task, self.dataset_checksum, self.rule, self.max_rows, self.n_target, self.mechanism,
                 f"{self.rate:.6g}", self.seed]
        return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:24]

    def mask_shape(self, tables: dict[str, "TaskTable"]) -> tuple[int, int]:
        """The stacked mask's shape, from the planned task (the driver checks stored masks by it)."""
        return tables[self.task].mask_shape(self.n_target, self.max_rows)

    def base_row(self, context: RunContext) -> dict[str, Any]:
        return {
            "job_key": self.key, "track": TRACK, "task": self.task, "strategy": self.strategy,
            "n_target": self.n_target, "domain_gap": self.domain_gap, "dataset": self.dataset,
            "dataset_checksum": self.dataset_checksum, "max_rows": self.max_rows, "mechanism": self.mechanism,
            "rate": self.rate, "seed": self.seed, "imputer": self.imputer, "params": self.params,
            "profile": self.profile, "setting": SETTING, "protocol_version": PROTOCOL_VERSION,
            "versions": versions_json(), "run_id": context.run_id, "timeout_s": context.timeout_s,
            "memory_limit_mb": context.memory_limit_mb,
        }


@dataclass(frozen=True)
class TaskTable:
    """What the driver knows of a planned task: its domains' sizes and its table's identity."""

    task: str
    dataset: str
    checksum: str
    rule: str
    source_rows: int
    target_rows: int
    features: int

    def mask_shape(self, n_target: int, max_source_rows: int | None) -> tuple[int, int]:
        rows = part_rows(self.source_rows, self.target_rows, n_target, max_source_rows)
        return sum(rows.values()), self.features


# -- data ------------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _domains(task_name: str, source: DataSource):
    """(task, domains, target kind, checksum) of a task, from the complete canonical table."""
    from .datasets import data_home, load_dataset
    from .datasets.transfer_tasks import get_task, split_domains

    task = get_task(task_name, data_home(source.data_home))
    ds = load_dataset(task.dataset, mirror=source.mirror, data_home=source.data_home,
                      allow_network=source.allow_network)
    return task, split_domains(task, ds.X, ds.y), ds.target_kind, ds.checksum


@lru_cache(maxsize=8)
def task_parts(task_name: str, source: DataSource, n_target: int, seed: int, max_rows: int | None) -> TaskParts:
    _, dom, _, _ = _domains(task_name, source)
    return draw_parts(dom.X_source, dom.y_source, dom.X_target, dom.y_target, task=task_name,
                      n_target=n_target, seed=seed, max_source_rows=max_rows)


@lru_cache(maxsize=16)
def complete_score(task_name: str, source: DataSource, n_target: int, seed: int, max_rows: int | None) -> float:
    """PROTOCOL §3 beside §7: the downstream model on the complete target train and test rows (one per
    task, n_target and seed, shared by every imputer and strategy)."""
    from .downstream import downstream_score

    _, _, target_kind, _ = _domains(task_name, source)
    parts = task_parts(task_name, source, n_target, seed, max_rows)
    return downstream_score(parts.target_train.X, parts.target_train.y, parts.target_test.X, parts.target_test.y,
                            target_kind)


def draw_part_masks(parts: TaskParts, task: str, mechanism: str, rate: float, seed: int) -> PackedMask:
    """PROTOCOL §7: each part's mask from its own seed of (task, part, mechanism, rate, seed), stacked
    in :data:`PARTS` order; an unreachable rate on any part makes the whole mask infeasible."""
    masks, realised = [], {}
    for p in PARTS:
        X = parts.part(p).X
        rng = np.random.default_rng(mask_seed(task, p, mechanism, rate, seed))
        try:
            m = draw_mask(X, mechanism, rate, rng)
        except InfeasibleMaskError as exc:
            return PackedMask.of_infeasible(f"{p}: {exc}")
        masks.append(m)
        realised[p] = float(1.0 - m.mean())
    meta = {"task": task, "mechanism": mechanism, "rate": rate, "seed": seed,
            "parts": {p: len(parts.part(p).X) for p in PARTS}, "realised_rates": realised,
            "realised_rate": realised["target-test"]}
    return PackedMask.pack(np.vstack(masks), meta)


def split_part_masks(mask: np.ndarray, parts: TaskParts) -> dict[str, np.ndarray]:
    """The stacked mask cut back into its parts; a mask that does not fit the parts is an error."""
    sizes = [len(parts.part(p).X) for p in PARTS]
    if mask.shape != (sum(sizes), parts.target_test.X.shape[1]):
        raise ValueError(f"the stored mask is {mask.shape}, the task's parts {sum(sizes)} x "
                         f"{parts.target_test.X.shape[1]}")
    bounds = np.cumsum([0, *sizes])
    return {p: mask[bounds[i]:bounds[i + 1]] for i, p in enumerate(PARTS)}


@lru_cache(maxsize=8)
def _drawn_part_masks(task: str, source: DataSource, n_target: int, max_rows: int | None, mechanism: str,
                      rate: float, seed: int) -> PackedMask:
    """Cached: every imputer and strategy of a mask in this worker shares one draw."""
    return draw_part_masks(task_parts(task, source, n_target, seed, max_rows), task, mechanism, rate, seed)


# -- one job ---------------------------------------------------------------------------------------
def run_transfer_job(job: TransferJob, context: RunContext, mask: PackedMask | None = None) -> JobResult:
    """Fit by the job's strategy, transform the target test part, score it (PROTOCOL §7, §5); nothing
    is written anywhere. ``mask``: the stored stacked mask, or None to draw it (and return it)."""
    row = job.base_row(context)
    drawn = None
    try:
        parts = task_parts(job.task, context.source, job.n_target, job.seed, job.max_rows)
        if mask is None:
            mask = drawn = _drawn_part_masks(job.task, context.source, job.n_target, job.max_rows, job.mechanism,
                                             job.rate, job.seed)
        if mask.infeasible:
            row.update(status="infeasible", error=mask.infeasible)
            return JobResult(row, mask=drawn)
        masks = split_part_masks(mask.unpack(), parts)
        row.update(n_rows=len(parts.target_test.X), n_features=parts.target_test.X.shape[1],
                   source_rows=len(parts.source.X), realised_rate=float(1.0 - masks["target-test"].mean()))
    except Exception as exc:
        row.update(status="failed", error="dataset: " + _one_line(exc))
        return JobResult(row, mask=drawn)
    # Warnings are counted into the row, as on the main track.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _impute_and_score(job, context, parts, masks, row)
    row["warnings"], row["warning"] = _warning_summary(caught)
    return JobResult(row, None, drawn)


def _impute_and_score(job: TransferJob, context: RunContext, parts: TaskParts, masks: dict[str, np.ndarray],
                      row: dict[str, Any]) -> None:
    from .downstream import downstream_score
    from .imputer import validate_output
    from .metrics import diverged_reason, imputation_metrics
    from .registry import make_imputer, resolve

    try:
        _, dom, target_kind, _ = _domains(job.task, context.source)
        init, budget = split_adapt_params(json.loads(job.params))
        info = getattr(resolve(job.imputer), "info", None)
        uses_labels = bool(getattr(info, "uses_labels", False))
        row["uses_labels"] = uses_labels
        # One random_state per mask: every strategy of an imputer starts from the same seed.
        state = mask_seed(job.task, "imputer", job.mechanism, job.rate, job.seed) % (2 ** 31)
        masked = {p: Part(apply_mask(parts.part(p).X, masks[p]), parts.part(p).y) for p in PARTS}
        test, train = masked["target-test"], masked["target-train"]
        with MemoryLimit(context.memory_limit_mb), PeakMemory() as mem:
            t0 = time.perf_counter()
            imputer = fit_strategy(lambda: make_imputer(job.imputer, init, random_state=state), job.strategy,
                                   masked["source"], train, budget, uses_labels)
            t1 = time.perf_counter()
            out_test, out_train = imputer.transform(test.X), imputer.transform(train.X)
            t2 = time.perf_counter()
            validate_output(test.X, out_test)  # PROTOCOL §4: the harness checks
            validate_output(train.X, out_train)
            # PROTOCOL §7: scored on the target test part, scaled by the complete target domain.
            scores = imputation_metrics(parts.target_test.X, out_test, masks["target-test"], reference=dom.X_target)
            if parts.target_test.y is not None and target_kind is not None:
                scores["downstream"] = downstream_score(out_train, parts.target_train.y, out_test,
                                                        parts.target_test.y, target_kind)
                scores["complete_downstream"] = complete_score(job.task, context.source, job.n_target, job.seed,
                                                               job.max_rows)
                row["downstream_metric"] = "accuracy" if target_kind == "classification" else "r2"
        row.update(scores)
        diverged = diverged_reason(scores)  # PROTOCOL §6: numbers kept, status marks them
        row.update(status="diverged" if diverged else "ok", error=diverged, fit_seconds=t1 - t0,
                   transform_seconds=t2 - t1, peak_memory_mb=mem.mb, device=_device_of(imputer))
    except MemoryError as exc:
        row.update(status="failed", error=f"MemoryError: memory limit of {context.memory_limit_mb} MB exceeded"
                   if context.memory_limit_mb else _one_line(exc))
    except Exception as exc:
        row.update(status="failed", error=_one_line(exc))


# -- the grid --------------------------------------------------------------------------------------
def domain_gap(task_name: str, source: DataSource) -> float:
    """The task's domain-gap AUC (PROTOCOL §7), cached in the data home by task, rule and table checksum."""
    from .datasets import data_home

    task, dom, _, checksum = _domains(task_name, source)
    ident = json.dumps([task.to_dict(), checksum], sort_keys=True)
    path = data_home(source.data_home) / "transfer" / f"gap-{hashlib.sha256(ident.encode()).hexdigest()[:16]}.json"
    if path.is_file():
        return float(json.loads(path.read_text())["auc"])
    auc = domain_gap_auc(dom.X_source, dom.X_target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"task": task.name, "checksum": checksum, "auc": auc}))
    except OSError:  # a read-only data home must not stop a run
        pass
    return auc


def task_summary(task_name: str, source: DataSource) -> dict[str, Any]:
    """What ``transfer tasks`` lists: dataset, rule, domain sizes, domain gap."""
    task, dom, target_kind, checksum = _domains(task_name, source)
    return {"task": task.name, "dataset": task.dataset, "rule": task.rule, "source_rows": len(dom.X_source),
            "target_rows": len(dom.X_target), "features": dom.X_target.shape[1], "target_kind": target_kind,
            "domain_gap_auc": round(domain_gap(task_name, source), 4), "note": task.note,
            "dataset_checksum": checksum}


def _check_choices(values: Sequence, valid: Sequence, what: str) -> list:
    for v in values:
        if v not in valid:
            raise UsageError(f"unknown {what} {v!r}; valid: {', '.join(map(str, valid))}")
    return list(dict.fromkeys(values))


@dataclass
class TransferGrid:
    """The validated, de-duplicated axes of a transfer run (the main track's :class:`Grid`'s twin)."""

    tasks: list[str]
    datasets: list[str]  # the tasks' datasets (what planning loads)
    n_targets: list[int]
    strategies: list[str]
    imputers: list[str]
    mechanisms: list[str]
    rates: list[float]
    seeds: list[int]
    params: dict[str, str] = field(default_factory=dict)
    adapts: dict[str, bool] = field(default_factory=dict)  # imputer -> has the transfer contract

    def as_record(self) -> dict[str, Any]:
        return {"track": TRACK, **{k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in self.__dict__.items()}}


def check_transfer_grid(cfg) -> TransferGrid:
    """Validate every axis of the transfer grid (nothing loaded or written); ``cfg`` a :class:`RunConfig`."""
    from .datasets import data_home
    from .datasets.transfer_tasks import BUILTIN_TASKS, all_tasks
    from .masks import check_mechanism, check_rate
    from .profiles import get_profile
    from .registry import resolve
    from .runner import _unique, imputer_params, resolve_imputers

    profile = get_profile(cfg.profile)
    catalog = all_tasks(data_home(cfg.source.data_home))
    tasks = _check_choices(list(cfg.tasks or BUILTIN_TASKS), sorted(catalog), "transfer task")
    n_targets = _unique(int(n) for n in (cfg.n_targets or N_TARGETS))
    for n in n_targets:
        if n < 2:
            raise UsageError(f"--n-target values must be at least 2, got {n}")
    strategies = _check_choices(list(cfg.strategies or STRATEGIES), STRATEGIES, "strategy")
    mechanisms = _unique(check_mechanism(m) for m in (cfg.mechanisms or profile.mechanisms))
    rates = _unique(check_rate(r) for r in (cfg.rates or profile.rates))
    seeds = _unique(int(s) for s in (cfg.seeds if cfg.seeds is not None else profile.seeds))
    if not seeds:
        raise UsageError("no seeds to run; give e.g. --seeds 0,1 or 0-4")
    imputers = resolve_imputers(cfg.imputers)
    stray = sorted(set(cfg.params) - set(imputers))
    if stray:
        raise UsageError(f"--param names imputer {stray[0]!r}, which is not in this run's imputers: {', '.join(imputers)}")
    adapts = {name: supports_adapt(resolve(name).cls) for name in imputers}
    datasets = list(dict.fromkeys(catalog[t].dataset for t in tasks))
    return TransferGrid(tasks, datasets, n_targets, strategies, imputers, mechanisms, rates, seeds,
                        imputer_params(cfg, imputers, fine_tune_budget=True), adapts)


def plan_transfer(cfg, grid: TransferGrid):
    """The transfer grid (PROTOCOL §7): tasks x n_target x mechanisms x rates x seeds x imputers x
    strategies; ``fine-tune`` only for imputers with ``adapt``. A :class:`imputebench.runner.Plan`
    whose ``tables`` are the planned tasks (:class:`TaskTable`)."""
    from .errors import DatasetError
    from .profiles import get_profile
    from .runner import Plan

    profile = get_profile(cfg.profile)
    max_rows = profile.max_rows if cfg.max_rows == "profile" else cfg.max_rows
    unavailable: dict[str, str] = {}
    tables: dict[str, TaskTable] = {}
    jobs: list[TransferJob] = []
    for t in grid.tasks:
        try:
            task, dom, _, checksum = _domains(t, cfg.source)
            gap = domain_gap(t, cfg.source)
        except (DatasetError, UsageError) as exc:
            unavailable[t] = str(exc)
            continue
        tables[t] = TaskTable(t, task.dataset, checksum, task.rule, len(dom.X_source), len(dom.X_target),
                              dom.X_target.shape[1])
        source_cap = max_rows if max_rows is not None and max_rows < len(dom.X_source) else None
        jobs += [
            TransferJob(task=t, dataset=task.dataset, dataset_checksum=checksum, rule=task.rule, max_rows=source_cap,
                        n_target=n, mechanism=m, rate=r, seed=s, imputer=i, params=grid.params[i], strategy=st,
                        profile=cfg.profile, domain_gap=gap)
            for n in grid.n_targets for m in grid.mechanisms for r in grid.rates for s in grid.seeds
            for i in grid.imputers for st in grid.strategies if st != "fine-tune" or grid.adapts[i]
        ]
    return Plan(grid, jobs, unavailable, tables)


def user_task_check(task, source: DataSource) -> dict[str, Any]:
    """Split the task's dataset by its rule (raising a one-line error when it does not give a usable
    target domain); the sizes, for ``transfer add`` to print."""
    from .datasets import load_dataset
    from .datasets.transfer_tasks import split_domains

    ds = load_dataset(task.dataset, mirror=source.mirror, data_home=source.data_home,
                      allow_network=source.allow_network)
    dom = split_domains(task, ds.X, ds.y)
    return {"source_rows": len(dom.X_source), "target_rows": len(dom.X_target)}


__all__ = ["TransferJob", "TransferGrid", "run_transfer_job", "check_transfer_grid", "plan_transfer", "domain_gap",
           "task_summary"]
