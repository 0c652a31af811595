"""The transfer track's jobs (PROTOCOL §7): the grid, one job in a worker, the domain-gap cache.

A :class:`TransferJob` runs through the main track's executors (isolation, timeouts, retries, Ray)
and lands in the same store, keyed the same way; its rows carry ``track = "transfer"`` and the
track's columns (task, strategy, n_target, source_rows, domain_gap). Like a main-track job it never
raises: a failure becomes a row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import numpy as np
import pandas as pd

from . import PROTOCOL_VERSION
from .errors import InfeasibleMaskError, UsageError
from .job import DataSource, MemoryLimit, PeakMemory, _device_of, _one_line, versions_json
from .masks import apply_mask, draw_mask
from .store import ResultStore
from .transfer import (N_TARGETS, PARTS, STRATEGIES, Part, TaskParts, domain_gap_auc, draw_parts,
                       fit_strategy, mask_seed, split_adapt_params, supports_adapt)

log = logging.getLogger("imputebench")
TRACK = "transfer"
SETTING = "transfer"  # the store's setting column: target test rows, scored out of sample (PROTOCOL §7)


@dataclass(frozen=True)
class TransferJob:
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
    results_dir: str
    source: DataSource = field(default_factory=DataSource)
    memory_limit_mb: float | None = None
    domain_gap: float | None = None  # shown beside the rows; not part of the key (it is derived)

    track = TRACK
    setting = SETTING

    @property
    def key(self) -> str:
        """The job key, as the main track's: everything that determines the row's numbers."""
        ident = [TRACK, self.task, self.dataset, self.dataset_checksum, self.rule, self.max_rows, self.n_target,
                 self.mechanism, f"{self.rate:.6g}", self.seed, self.imputer, self.params, self.strategy,
                 PROTOCOL_VERSION]
        return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:24]

    def mask_key(self, part: str) -> str:
        """One stored mask per (task, part, mechanism, rate, seed), on that part's exact rows."""
        rows = {"source": self.max_rows, "target-train": self.n_target, "target-test": None}[part]
        ident = [TRACK, self.task, self.dataset_checksum, self.rule, part, rows, self.mechanism,
                 f"{self.rate:.6g}", self.seed]
        return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:24]

    def base_row(self) -> dict[str, Any]:
        return {
            "job_key": self.key, "track": TRACK, "task": self.task, "strategy": self.strategy,
            "n_target": self.n_target, "domain_gap": self.domain_gap, "dataset": self.dataset,
            "dataset_checksum": self.dataset_checksum, "max_rows": self.max_rows, "mechanism": self.mechanism,
            "rate": self.rate, "seed": self.seed, "imputer": self.imputer, "params": self.params,
            "profile": self.profile, "setting": SETTING, "protocol_version": PROTOCOL_VERSION,
            "versions": versions_json(),
        }


# -- data ------------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _domains(task_name: str, source: DataSource):
    """(task, domains, target kind) of a task, from the complete canonical table."""
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


def part_mask(job: TransferJob, part: str, X: pd.DataFrame) -> tuple[np.ndarray, float]:
    """The stored mask of one part (drawn on first use, PROTOCOL §7) and its realised rate."""
    store = ResultStore(job.results_dir)
    key = job.mask_key(part)
    hit = store.load_mask(key)
    if hit is not None and hit[1].get("infeasible"):
        raise InfeasibleMaskError(hit[1]["infeasible"])
    if hit is not None and hit[0].shape == X.shape:
        return hit[0], hit[1]["realised_rate"]
    rng = np.random.default_rng(mask_seed(job.task, part, job.mechanism, job.rate, job.seed))
    try:
        mask = draw_mask(X, job.mechanism, job.rate, rng)
    except InfeasibleMaskError as exc:
        store.save_mask(key, np.zeros((0, 0), bool), {"infeasible": str(exc)})
        raise
    realised = float(1.0 - mask.mean())
    store.save_mask(key, mask, {"task": job.task, "part": part, "mechanism": job.mechanism, "rate": job.rate,
                                "seed": job.seed, "realised_rate": realised})
    return mask, realised


# -- one job ---------------------------------------------------------------------------------------
def run_transfer_job(job: TransferJob) -> dict[str, Any]:
    """Fit by the job's strategy, transform the target test part, score it (PROTOCOL §7, §5)."""
    from .downstream import downstream_score
    from .imputer import validate_output
    from .metrics import imputation_metrics
    from .registry import make_imputer, resolve

    row = job.base_row()
    try:
        _, dom, target_kind, _ = _domains(job.task, job.source)
        parts = task_parts(job.task, job.source, job.n_target, job.seed, job.max_rows)
        masks = {p: part_mask(job, p, parts.part(p).X) for p in PARTS}
        row.update(n_rows=len(parts.target_test.X), n_features=parts.target_test.X.shape[1],
                   source_rows=len(parts.source.X), realised_rate=masks["target-test"][1])
    except InfeasibleMaskError as exc:
        row.update(status="infeasible", error=_one_line(exc))
        return row
    except Exception as exc:
        row.update(status="failed", error="dataset: " + _one_line(exc))
        return row

    try:
        init, budget = split_adapt_params(json.loads(job.params))
        info = getattr(resolve(job.imputer), "info", None)
        uses_labels = bool(getattr(info, "uses_labels", False))
        row["uses_labels"] = uses_labels
        # One random_state per mask: every strategy of an imputer starts from the same seed.
        state = mask_seed(job.task, "imputer", job.mechanism, job.rate, job.seed) % (2 ** 31)
        masked = {p: Part(apply_mask(parts.part(p).X, masks[p][0]), parts.part(p).y) for p in PARTS}
        test, train = masked["target-test"], masked["target-train"]
        with MemoryLimit(job.memory_limit_mb), PeakMemory() as mem:
            t0 = time.perf_counter()
            imputer = fit_strategy(lambda: make_imputer(job.imputer, init, random_state=state), job.strategy,
                                   masked["source"], train, budget, uses_labels)
            t1 = time.perf_counter()
            out_test, out_train = imputer.transform(test.X), imputer.transform(train.X)
            t2 = time.perf_counter()
            validate_output(test.X, out_test)  # PROTOCOL §4: the harness checks
            validate_output(train.X, out_train)
            # PROTOCOL §7: scored on the target test part, scaled by the complete target domain.
            scores = imputation_metrics(parts.target_test.X, out_test, masks["target-test"][0],
                                        reference=dom.X_target)
            if parts.target_test.y is not None and target_kind is not None:
                scores["downstream"] = downstream_score(out_train, parts.target_train.y, out_test,
                                                        parts.target_test.y, target_kind)
                scores["complete_downstream"] = complete_score(job.task, job.source, job.n_target, job.seed,
                                                               job.max_rows)
                row["downstream_metric"] = "accuracy" if target_kind == "classification" else "r2"
        row.update(scores)
        row.update(status="ok", fit_seconds=t1 - t0, transform_seconds=t2 - t1, peak_memory_mb=mem.mb,
                   device=_device_of(imputer))
    except MemoryError as exc:
        row.update(status="failed", error=f"MemoryError: memory limit of {job.memory_limit_mb} MB exceeded"
                   if job.memory_limit_mb else _one_line(exc))
    except Exception as exc:
        row.update(status="failed", error=_one_line(exc))
    return row


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
    return list(values)


def plan_transfer(cfg) -> tuple[list[TransferJob], dict[str, str]]:
    """The transfer grid (PROTOCOL §7): tasks x n_target x mechanisms x rates x seeds x imputers x
    strategies; ``fine-tune`` only for imputers with ``adapt``. ``cfg`` is a :class:`RunConfig`."""
    from .datasets import data_home
    from .datasets.transfer_tasks import BUILTIN_TASKS, all_tasks
    from .errors import DatasetError
    from .masks import check_mechanism, check_rate
    from .profiles import get_profile
    from .registry import resolve
    from .runner import _canonical_params as canonical_params, resolve_imputers

    profile = get_profile(cfg.profile)
    valid_tasks = sorted(all_tasks(data_home(cfg.source.data_home)))
    tasks = _check_choices(list(cfg.tasks or BUILTIN_TASKS), valid_tasks, "transfer task")
    n_targets = [int(n) for n in (cfg.n_targets or N_TARGETS)]
    for n in n_targets:
        if n < 2:
            raise UsageError(f"--n-target values must be at least 2, got {n}")
    strategies = _check_choices(list(cfg.strategies or STRATEGIES), STRATEGIES, "strategy")
    mechanisms = [check_mechanism(m) for m in (cfg.mechanisms or profile.mechanisms)]
    rates = [check_rate(r) for r in (cfg.rates or profile.rates)]
    seeds = [int(s) for s in (cfg.seeds if cfg.seeds is not None else profile.seeds)]
    imputers = resolve_imputers(cfg.imputers)
    max_rows = profile.max_rows if cfg.max_rows == "profile" else cfg.max_rows
    params, adapts = {}, {}
    for name in imputers:
        entry = resolve(name)
        p = entry.info.params_for(cfg.profile) if entry.info else {}
        p.update(cfg.params.get(name, {}))
        params[name] = canonical_params(p)
        adapts[name] = supports_adapt(entry.cls)
    unavailable: dict[str, str] = {}
    jobs: list[TransferJob] = []
    for t in tasks:
        try:
            task, dom, _, checksum = _domains(t, cfg.source)
            gap = domain_gap(t, cfg.source)
        except (DatasetError, UsageError) as exc:
            unavailable[t] = str(exc)
            continue
        source_cap = max_rows if max_rows is not None and max_rows < len(dom.X_source) else None
        jobs += [
            TransferJob(task=t, dataset=task.dataset, dataset_checksum=checksum, rule=task.rule, max_rows=source_cap,
                        n_target=n, mechanism=m, rate=r, seed=s, imputer=i, params=params[i], strategy=st,
                        profile=cfg.profile, results_dir=str(cfg.results_dir), source=cfg.source,
                        memory_limit_mb=cfg.memory_limit_mb, domain_gap=gap)
            for n in n_targets for m in mechanisms for r in rates for s in seeds for i in imputers
            for st in strategies if st != "fine-tune" or adapts[i]
        ]
    return jobs, unavailable


def user_task_check(task, source: DataSource) -> dict[str, Any]:
    """Split the task's dataset by its rule (raising a one-line error when it does not give a usable
    target domain); the sizes, for ``transfer add`` to print."""
    from .datasets import load_dataset
    from .datasets.transfer_tasks import split_domains

    ds = load_dataset(task.dataset, mirror=source.mirror, data_home=source.data_home,
                      allow_network=source.allow_network)
    dom = split_domains(task, ds.X, ds.y)
    return {"source_rows": len(dom.X_source), "target_rows": len(dom.X_target)}


__all__ = ["TransferJob", "run_transfer_job", "plan_transfer", "domain_gap", "task_summary"]
