"""The main track's grid (PROTOCOL §2-§3): its validation and its plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from ...errors import UsageError
from ...protocol.profiles import SETTINGS, get_profile
from ..base import Plan
from ..grid import check_dataset_names, check_shared_axes, load_tables, unique
from .job import MainJob, table_key

if TYPE_CHECKING:
    from ...harness.config import RunConfig


@dataclass
class Grid:
    """The validated, de-duplicated axes of a main-track run's grid."""

    datasets: list[str]
    imputers: list[str]
    mechanisms: list[str]
    rates: list[float]
    seeds: list[int]
    settings: list[str]
    params: dict[str, str] = field(default_factory=dict)  # imputer -> canonical JSON of its hyper-parameters

    def as_record(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in self.__dict__.items()}


def check_grid(cfg: "RunConfig") -> Grid:
    """Validate every axis of the grid (nothing is loaded or written): one line for bad input."""
    axes = check_shared_axes(cfg)
    settings = unique(cfg.settings or get_profile(cfg.profile).settings)
    for s in settings:
        if s not in SETTINGS:
            raise UsageError(f"unknown setting {s!r}; valid: {', '.join(SETTINGS)}")
    datasets = unique(cfg.datasets or ())
    if not datasets:
        raise UsageError("no datasets to run; give e.g. --datasets iris,wine or --all")
    check_dataset_names(datasets, cfg.source.data_home)
    return Grid(datasets, axes.imputers, axes.mechanisms, axes.rates, axes.seeds, settings, axes.params)


def resolve_datasets(cfg: "RunConfig", names: Sequence[str] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Load the canonical tables (once, in the driver); datasets that cannot be had are returned apart."""
    return load_tables(cfg, list(cfg.datasets if names is None else names))


def plan(cfg: "RunConfig", grid: Grid) -> Plan:
    """The job grid: datasets x mechanisms x rates x seeds x settings x imputers."""
    tables, unavailable = resolve_datasets(cfg, grid.datasets)
    jobs, data = [], {}
    for d, ds in tables.items():
        max_rows = ds.meta.get("max_rows")
        data[table_key(d, ds.checksum, max_rows)] = ds
        jobs += [MainJob(dataset=d, dataset_checksum=ds.checksum, max_rows=max_rows, mechanism=m, rate=r, seed=s,
                         imputer=i, params=grid.params[i], profile=cfg.profile, setting=st)
                 for m in grid.mechanisms for r in grid.rates for s in grid.seeds
                 for st in grid.settings for i in grid.imputers]
    return Plan(grid, jobs, unavailable, data)
