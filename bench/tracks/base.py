"""What a track is (:class:`Track`), what it declares, and what its ``plan`` returns (:class:`Plan`).

A track is one module or package declaring, in one :class:`Track` object:

- ``name`` and ``description``;
- ``options``: its own ``imputebench run`` flags (:class:`TrackOption`), which land in
  ``RunConfig.track_options`` (``configure``);
- ``columns``: its extra store columns, ``(name, arrow type alias)``; the store's schema is the core
  columns, then every registered track's, in registration order;
- ``axes``: the axes of its grid as store columns (the grid line of the site and the paper export),
  chosen so that their counts multiply to the job count;
- ``check_grid(cfg)``: every grid value validated, one line for bad input, nothing loaded or written;
- ``plan(cfg, grid)``: the jobs (frozen :class:`imputebench.harness.job.Job` dataclasses of the track's own
  module), each dataset loaded once, every remaining value checked against the data;
- ``pages`` and ``paper_exports``: the site pages it contributes (each computes its summary frames
  with pure functions and renders them) and its own tables in ``imputebench export paper``, as dotted
  ``module:function`` names (imported only by the report or the export);
- ``reference_sets``: whether its grid is the one reference sets hold (PROTOCOL §8).

The runner, executors, job wrapper and store know no track by name: they look tracks up in
:mod:`imputebench.tracks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Mapping, Protocol

if TYPE_CHECKING:  # annotations only: a track declaration imports nothing heavy
    from ..harness.config import RunConfig
    from ..harness.job import Job

OPTION_KINDS = ("list", "ints", "flag")  # comma-separated names, comma-separated integers, on/off
# A grid axis: (label, the store columns whose distinct value combinations are its points). An axis
# of several columns is a part of the grid that is not a full product (e.g. strategies only some
# imputers have): counted as its combinations, the axes still multiply to the job count.
Axis = tuple[str, tuple[str, ...]]
CORE_AXES: tuple[Axis, ...] = (
    ("datasets", ("dataset",)), ("mechanisms", ("mechanism",)), ("rates", ("rate",)), ("seeds", ("seed",)),
    ("settings", ("setting",)), ("imputers", ("imputer",)),
)


@dataclass(frozen=True)
class TrackOption:
    """One ``imputebench run`` flag of a track: ``--n-target 50,200`` -> ``track_options["n_target"]``."""

    flag: str
    dest: str
    kind: str = "list"  # one of OPTION_KINDS
    help: str = ""
    metavar: str | None = None


class TrackGrid(Protocol):
    """A track's validated grid: the datasets planning loads, and what the run record keeps."""

    datasets: list[str]

    def as_record(self) -> dict[str, Any]: ...


@dataclass
class Plan:
    """A planned grid: its jobs, what could not be had (name -> why), and the data the jobs read,
    by data key (loaded once, in the driver; the executors ship it to the workers)."""

    grid: Any
    jobs: list["Job"]
    unavailable: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


class Track:
    """A track's declaration (subclass it; see the module's docstring)."""

    name: str = ""
    description: str = ""
    options: tuple[TrackOption, ...] = ()
    columns: tuple[tuple[str, str], ...] = ()  # extra store columns: (name, arrow type alias, e.g. "int64")
    axes: tuple[Axis, ...] = CORE_AXES  # its grid's axes, as store columns
    pages: tuple[str, ...] = ()  # "module:function" site pages, called by the report's page seam
    # "module:function(rows, folder, metrics)": the track's own tables and figures in `export paper`
    # (the default track's leaderboard tables are the export's core).
    paper_exports: tuple[str, ...] = ()
    reference_sets: bool = False  # whether `run --reference` ranks this track's rows against a set (PROTOCOL §8)

    def configure(self, cfg: "RunConfig", options: Mapping[str, Any]) -> "RunConfig":
        """``cfg`` with the track's command-line options (only those given) applied."""
        return replace(cfg, track_options={**cfg.track_options, **options})

    def check_grid(self, cfg: "RunConfig") -> TrackGrid:
        raise NotImplementedError

    def plan(self, cfg: "RunConfig", grid: Any) -> Plan:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<track {self.name}>"
