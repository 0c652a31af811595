"""The natural-missingness track's grid (PROTOCOL §10): its validation and its plan.

Jobs: per table, seed and imputer, one ``downstream`` job and one job per truth-free score; and one
``masked`` job per extra mask (mechanism x rate, PROTOCOL §2, on the observed cells). The rates of
the extra masks are 10 % and 20 % of the observed cells unless ``--rates`` says otherwise; the
mechanisms and seeds are the profile's (or ``--mechanisms``, ``--seeds``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ...errors import UsageError
from ..base import Plan
from ..grid import check_choices, check_shared_axes, load_tables, unique
from .holes import missing_share, pattern_json
from .job import TRACK, NaturalJob, table_key
from .scores import MASKED, settings

if TYPE_CHECKING:
    from ...harness.config import RunConfig
    from ...harness.job import DataSource

EXTRA_MASK_RATES = (0.1, 0.2)  # PROTOCOL §10 b: shares of the observed cells
NO_TABLES = ("no natural-missingness tables here: give --natural DIR (or set $IMPUTEBENCH_NATURAL) for the shared "
             "tables, or add one with `imputebench datasets add NAME FILE --target COLUMN --keep-missing`")


@dataclass
class NaturalGrid:
    """The validated, de-duplicated axes of a natural-track run."""

    datasets: list[str]  # the tables, with their own holes
    settings: list[str]  # downstream, masked, truth-free scores
    imputers: list[str]
    mechanisms: list[str]  # of the extra masks
    rates: list[float]  # of the extra masks: shares of the observed cells
    seeds: list[int]
    params: dict[str, str] = field(default_factory=dict)

    def as_record(self) -> dict[str, Any]:
        return {"track": TRACK, **{k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in self.__dict__.items()}}


def available_tables(source: "DataSource") -> list[str]:
    """Every table with its own holes that can be had here (the shared ones need their folder)."""
    from ... import datasets as dsmod

    names = dsmod.natural_names(data_home=source.data_home)
    found = dsmod.availability(names, mirror=source.mirror, data_home=source.data_home,
                               allow_network=source.allow_network, keep_missing=True, natural=source.natural)
    return [n for n in names if found[n] is None]


def check_tables(named: list[str] | None, source: "DataSource") -> list[str]:
    """The named tables, each one that ``load_dataset(keep_missing=True)`` knows; by default every one
    available here (none at all is one line saying how to get some)."""
    from ... import datasets as dsmod

    if not named:
        tables = available_tables(source)
        if not tables:
            raise UsageError(NO_TABLES)
        return tables
    valid = dsmod.natural_names(data_home=source.data_home)
    for n in named:
        if n not in valid:
            close = difflib.get_close_matches(n, valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            kept = "" if n not in dsmod.dataset_names(data_home=source.data_home) else (
                f" ({n} was added without its holes: add it again with --keep-missing)")
            raise UsageError(f"unknown natural-missingness table {n!r}{hint}{kept}; valid: {', '.join(valid)}")
    return unique(named)


def check_grid(cfg: "RunConfig") -> NaturalGrid:
    """Validate every axis (nothing loaded or written): one line for bad input."""
    opts = cfg.track_options
    chosen = check_choices(list(opts.get("scores") or settings()), settings(), "natural-track score")
    axes = check_shared_axes(replace(cfg, rates=cfg.rates or EXTRA_MASK_RATES))
    tables = check_tables(opts.get("tables"), cfg.source)
    return NaturalGrid(tables, chosen, axes.imputers, axes.mechanisms, axes.rates, axes.seeds, axes.params)


def natural_tables(cfg: "RunConfig", names: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Each table with its holes (once, in the driver); those that cannot be had are returned apart."""
    return load_tables(cfg, names, keep_missing=True, natural=cfg.source.natural)


def plan(cfg: "RunConfig", grid: NaturalGrid) -> Plan:
    """The grid: tables x settings x (extra masks) x seeds x imputers."""
    tables, unavailable = natural_tables(cfg, grid.datasets)
    jobs: list[NaturalJob] = []
    data = {}
    for name, ds in tables.items():
        max_rows = ds.meta.get("max_rows")
        data[table_key(name, ds.checksum, max_rows)] = ds
        table = dict(dataset=name, dataset_checksum=ds.checksum, max_rows=max_rows, profile=cfg.profile,
                     natural_missing=missing_share(ds.X), pattern=pattern_json(ds.X))
        for setting in grid.settings:
            masks = ([(m, r) for m in grid.mechanisms for r in grid.rates] if setting == MASKED else [(None, None)])
            jobs += [NaturalJob(setting=setting, mechanism=m, rate=r, seed=s, imputer=i, params=grid.params[i],
                                **table)
                     for m, r in masks for s in grid.seeds for i in grid.imputers]
    return Plan(grid, jobs, unavailable, data)
