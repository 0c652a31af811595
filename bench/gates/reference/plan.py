"""Reference-set grids (pure): which rows of a store belong to a set, the parameters each imputer has
now, a run planned on a set's grid (``run --reference``) and a grid extended by ``reference compute``."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

from ... import PROTOCOL_VERSION
from ..comparison import stale_params
from ...errors import UsageError

if TYPE_CHECKING:
    from .files import ReferenceSet

# A grid axis -> the store column it selects.
AXIS_COLUMNS = {"datasets": "dataset", "imputers": "imputer", "mechanisms": "mechanism", "rates": "rate",
                "seeds": "seed", "settings": "setting"}


def select_grid(rows: pd.DataFrame, grid: Mapping[str, Sequence], profile: str,
                params: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The main-track rows of ``profile`` inside ``grid``, in a fixed order (a set's file is reproducible).
    ``params``: imputer -> the job parameters it has now (:func:`expected_params`); rows of those
    imputers computed with other parameters are left out (stale: the imputer has changed since)."""
    from ...tracks import rows_of

    rows = rows_of(rows)
    rows = rows[(rows["profile"] == profile) & (rows["protocol_version"] == PROTOCOL_VERSION)]
    if params:
        rows = rows[~stale_params(rows, params)]
    for axis in ("datasets", "imputers", "mechanisms", "settings"):
        rows = rows[rows[AXIS_COLUMNS[axis]].isin(list(grid[axis]))]
    rows = rows[rows["rate"].astype(float).isin([float(r) for r in grid["rates"]])
                & rows["seed"].astype(int).isin([int(s) for s in grid["seeds"]])]
    return rows.sort_values(["dataset", "imputer", "setting", "mechanism", "rate", "seed"], kind="stable").reset_index(drop=True)


def expected_params(profile: str, imputers: Iterable[str]) -> dict[str, str]:
    """This imputebench's parameters of each built-in imputer under ``profile``, as job keys have them
    (from the metadata table: nothing is imported)."""
    from ...registry.info import BUILTIN_INFO
    from ...harness.runner import job_params

    return {name: job_params(BUILTIN_INFO[name].params_for(profile)) for name in imputers if name in BUILTIN_INFO}


def extend_grid(grid: Mapping[str, Sequence], asked: Mapping[str, Sequence | None],
                defaults: Mapping[str, Callable[[], Sequence]]) -> dict[str, list]:
    """A set's grid with the asked values appended per axis (order kept, nothing twice). A new set
    (empty ``grid``) takes an axis it is not asked for from ``defaults`` (called only then)."""
    out = {}
    for axis in AXIS_COLUMNS:
        have = list(grid.get(axis, []))
        given = asked.get(axis) or ([] if grid else list(defaults[axis]()))
        out[axis] = have + [v for v in given if v not in have]
    return out


# -- a run on a set's grid (``run --reference``) ------------------------------------------------------
def within_reference(ref: "ReferenceSet", axis: str, asked: Sequence | None) -> list:
    """The set's values on one grid axis, or the asked subset of them (anything outside the set's
    grid is refused: there are no reference rows to rank it against)."""
    have = list(ref.grid[axis])
    if asked is None:
        return have
    norm = (lambda v: float(v)) if axis == "rates" else (lambda v: int(v)) if axis == "seeds" else (lambda v: v)
    outside = [a for a in asked if norm(a) not in {norm(h) for h in have}]
    if outside:
        flag = "--setting" if axis == "settings" else f"--{axis}"
        raise UsageError(f"{flag}: {outside[0]} is not in reference set {ref.name!r}, whose {axis} are "
                         f"{', '.join(map(str, have))}")
    return list(asked)


def reference_run_config(cfg: Any, ref: "ReferenceSet", profile_given: bool) -> Any:
    """``cfg`` (a :class:`imputebench.harness.runner.RunConfig`) planned on the set's grid (PROTOCOL §8): its
    datasets, masks, settings and profile; flags may narrow the grid but not leave it."""
    if not cfg.imputers:
        raise UsageError("--reference ranks your imputers against the set: name them with --imputers "
                         "(e.g. --imputers mypackage:MyImputer)")
    if profile_given and cfg.profile != ref.profile:
        raise UsageError(f"reference set {ref.name!r} is a {ref.profile!r}-profile set; drop --profile {cfg.profile} "
                         f"or use a set of that profile (imputebench reference list)")
    datasets = within_reference(ref, "datasets", None if cfg.datasets is None else list(cfg.datasets))
    return replace(cfg, profile=ref.profile, datasets=datasets,
                   mechanisms=within_reference(ref, "mechanisms", cfg.mechanisms),
                   rates=within_reference(ref, "rates", cfg.rates),
                   seeds=within_reference(ref, "seeds", cfg.seeds),
                   settings=within_reference(ref, "settings", cfg.settings),
                   reference={"name": ref.name, "path": str(ref.manifest_path), "sha256": ref.sha256})
