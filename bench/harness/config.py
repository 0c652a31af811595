"""What to run: a run's configuration, read by the runner, the tracks and the executors' factory."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from .job import DataSource

DEFAULT_DATASETS = ("wine", "iris", "breast_cancer", "diabetes")  # the embedded default
NO_LIMIT = math.inf  # ``--timeout none``: no per-job limit at all (None means "the profile's")
DEFAULT_TRACK = "main"


@dataclass
class RunConfig:
    """What to run. ``None`` fields take the profile's (or the track's) value.

    ``datasets`` and ``settings`` are the main track's axes (PROTOCOL §1, §3); another track takes
    its own options in ``track_options`` (e.g. the transfer track's ``tasks``, ``n_target``,
    ``strategies``), as its :class:`imputebench.tracks.Track` declares them.
    """

    datasets: Sequence[str] | None = DEFAULT_DATASETS
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
    # A reference set to rank against (PROTOCOL §8): recorded in the run record, merged by the report.
    reference: Mapping[str, str] | None = None  # {"name": ..., "path": ..., "sha256": ...}
    only_keys: frozenset[str] | None = None  # run only these jobs of the grid (``reference verify``)
    track: str = DEFAULT_TRACK  # a registered track's name (imputebench.tracks)
    track_options: Mapping[str, Any] = field(default_factory=dict)  # the track's own options, by name
