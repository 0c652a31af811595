"""The transfer track's grid (PROTOCOL §7): its validation and its plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import DatasetError, UsageError
from ..base import Plan
from ..grid import check_choices, check_shared_axes, max_rows_of, unique
from .domains import TaskDomains, domain_gap, load_domains
from .job import TRACK, TransferJob, domains_key
from .parts import N_TARGETS, STRATEGIES, supports_adapt

if TYPE_CHECKING:
    from ...harness.config import RunConfig


@dataclass
class TransferGrid:
    """The validated, de-duplicated axes of a transfer run."""

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


def check_grid(cfg: "RunConfig") -> TransferGrid:
    """Validate every axis of the transfer grid (nothing loaded or written): one line for bad input.
    ``n_target`` against each task's target domain is checked by :func:`plan`, which loads it."""
    from ...datasets import data_home
    from .tasks import BUILTIN_TASKS, all_tasks
    from ...registry import resolve

    opts = cfg.track_options
    catalog = all_tasks(data_home(cfg.source.data_home))
    tasks = check_choices(list(opts.get("tasks") or BUILTIN_TASKS), sorted(catalog), "transfer task")
    n_targets = unique(int(n) for n in (opts.get("n_target") or N_TARGETS))
    for n in n_targets:
        if n < 2:
            raise UsageError(f"--n-target values must be at least 2, got {n}")
    strategies = check_choices(list(opts.get("strategies") or STRATEGIES), STRATEGIES, "strategy")
    axes = check_shared_axes(cfg, fine_tune_budget=True)
    adapts = {name: supports_adapt(resolve(name).cls) for name in axes.imputers}
    datasets = unique(catalog[t].dataset for t in tasks)
    return TransferGrid(tasks, datasets, n_targets, strategies, axes.imputers, axes.mechanisms, axes.rates,
                        axes.seeds, axes.params, adapts)


def check_n_targets(grid: TransferGrid, loaded: dict[str, TaskDomains]) -> None:
    """Every ``n_target`` must leave each task's target domain its test set (PROTOCOL §7): one line,
    before any job runs or anything is written."""
    for name, d in loaded.items():
        too_large = [n for n in grid.n_targets if n > d.max_n_target()]
        if too_large:
            raise UsageError(f"--n-target {too_large[0]} is too large for transfer task {name}: its target domain "
                             f"has {d.target_rows} rows, of which the test set takes "
                             f"{d.target_rows - d.max_n_target()}; use --n-target {d.max_n_target()} or less")


def plan(cfg: "RunConfig", grid: TransferGrid) -> Plan:
    """The transfer grid (PROTOCOL §7): tasks x n_target x mechanisms x rates x seeds x imputers x
    strategies; ``fine-tune`` only for imputers with ``adapt``. Each task's domains are loaded once."""
    max_rows = max_rows_of(cfg)
    unavailable: dict[str, str] = {}
    loaded: dict[str, TaskDomains] = {}
    for t in grid.tasks:
        try:
            loaded[t] = load_domains(t, cfg.source)
        except (DatasetError, UsageError) as exc:
            unavailable[t] = str(exc)
    check_n_targets(grid, loaded)  # before the domain gaps: bad input fails at once
    gaps = {t: domain_gap(d, cfg.source.data_home) for t, d in loaded.items()}
    jobs: list[TransferJob] = []
    data: dict[str, TaskDomains] = {}
    for t, d in loaded.items():
        data[domains_key(t, d.checksum, d.task.rule)] = d
        source_cap = max_rows if max_rows is not None and max_rows < d.source_rows else None
        jobs += [
            TransferJob(task=t, dataset=d.task.dataset, dataset_checksum=d.checksum, rule=d.task.rule,
                        max_rows=source_cap, n_target=n, mechanism=m, rate=r, seed=s, imputer=i,
                        params=grid.params[i], strategy=st, profile=cfg.profile, domain_gap=gaps[t])
            for n in grid.n_targets for m in grid.mechanisms for r in grid.rates for s in grid.seeds
            for i in grid.imputers for st in grid.strategies if st != "fine-tune" or grid.adapts[i]
        ]
    return Plan(grid, jobs, unavailable, data)
