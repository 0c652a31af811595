"""One job of a grid, whatever its track: what runs inside a worker, a pure function of the job.

A job (:class:`Job`, declared by its track in :mod:`imputebench.tracks`) is a frozen identity whose
``run(context, mask, data)`` returns a :class:`JobResult`: its row, its sample of true vs imputed
cells, and its mask when it drew it (deterministically, from the job's identity, PROTOCOL §2).
``data`` is what the job reads (a table, a task's domains), loaded once per run by the driver and
shipped by the executor; a job run without it loads it itself (``load_data``). A job writes
nothing: the driver's :class:`imputebench.harness.store.ResultStore` is the only writer, so a worker needs
no access to the results folder (a Ray worker on another node has none).

A job never raises: any failure becomes a row (status ``failed``, or ``infeasible`` for an
unreachable rate or a table outside the imputer's scope, PROTOCOL §2, §4). Every call into imputer
code goes through :class:`imputebench.harness.guard.ImputerGuard`.

A worker unpickles a job and so imports the job's own module: a track needs no registration in a
worker, and a track defined outside the package runs in spawned and Ray workers alike.
"""

from __future__ import annotations

import hashlib
import json
import platform
import warnings
from collections import Counter, OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator, Mapping, Protocol, TypeVar, runtime_checkable

from .. import PROTOCOL_VERSION, __version__

if TYPE_CHECKING:  # annotations only: a track's declaration imports this module, and stays light
    from ..protocol.masks import PackedMask

T = TypeVar("T")


@dataclass(frozen=True)
class DataSource:
    """Where datasets come from (PROTOCOL §1 sources; ``natural``: the folder of the natural-missingness
    tables, PROTOCOL §10)."""

    mirror: str | None = None
    data_home: str | None = None
    allow_network: bool = True
    natural: str | None = None


@dataclass(frozen=True)
class RunContext:
    """What one run gives every job besides its identity: where data comes from, the run-level
    limits (recorded in each row, so resume can tell a limit failure from an imputer's), the run id."""

    source: DataSource = field(default_factory=DataSource)
    timeout_s: float | None = None
    memory_limit_mb: float | None = None
    run_id: str | None = None


@dataclass
class JobResult:
    """What a job returns to the driver: its row (the store's schema) and, for a job that keeps one,
    a bounded sample of true vs imputed cells as parquet bytes (:mod:`imputebench.protocol.samples`)."""

    row: dict[str, Any]
    samples: bytes | None = None
    mask: PackedMask | None = None  # drawn by this job (the store had none): the driver stores it


@runtime_checkable
class Job(Protocol):
    """A job's identity, as a track declares it: a frozen dataclass, picklable, whose module a
    worker can import."""

    track: ClassVar[str]
    dataset: str
    imputer: str

    @property
    def key(self) -> str:
        """Everything that determines the row's numbers, hashed (resume is by this key)."""

    @property
    def mask_key(self) -> str:
        """The stored mask this job uses (PROTOCOL §2), shared by every job with the same key."""

    @property
    def data_key(self) -> str:
        """The content key of the data the job reads (the driver loads each once, executors ship it)."""

    def mask_shape(self, data: Any) -> tuple[int, int]:
        """The shape its mask must have on ``data`` (the driver checks stored masks by it)."""

    def load_data(self, source: DataSource) -> Any:
        """The data the job reads, loaded here (what the driver ships when it plans)."""

    def base_row(self, context: RunContext) -> dict[str, Any]:
        """The row's identity columns (``job_key``, ``track``, the track's columns, the limits)."""

    def run(self, context: RunContext, mask: PackedMask | None, data: Any) -> JobResult:
        """Run on its stored mask (``None``: draw it and return it) and ``data``; never raise."""


def mask_key(dataset: str, dataset_checksum: str, mechanism: str, rate: float, seed: int) -> str:
    """PROTOCOL §2: one mask per (dataset, mechanism, rate, seed), on this exact table."""
    return identity_key([dataset, dataset_checksum, mechanism, f"{float(rate):.6g}", int(seed)])


def identity_key(ident: list[Any]) -> str:
    """A job's or a mask's key: the hash of its identity's canonical JSON."""
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:24]


@lru_cache(maxsize=1)
def versions_json() -> str:
    import importlib.metadata as md

    out = {"imputebench": __version__, "python": platform.python_version()}
    for pkg in ("numpy", "pandas", "scikit-learn", "scipy", "xgboost", "torch"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return json.dumps(out, sort_keys=True)


def core_row(job: Job, context: RunContext) -> dict[str, Any]:
    """The columns every track's row has besides its own identity: key, track, protocol, run, limits."""
    return {"job_key": job.key, "track": job.track, "protocol_version": PROTOCOL_VERSION,
            "versions": versions_json(), "run_id": context.run_id, "timeout_s": context.timeout_s,
            "memory_limit_mb": context.memory_limit_mb}


def table_columns(data: Any) -> dict[str, Any]:
    """The row's columns that describe the canonical table a job ran on (PROTOCOL §1): its size, the
    rows dropped from the source and the target classes lost with them (canonical JSON, so a store
    column compares and groups as text)."""
    return {"n_rows": data.X.shape[0], "n_features": data.X.shape[1], "dropped_rows": data.dropped_rows,
            "lost_classes": json.dumps([str(c) for c in data.lost_classes])}


def warning_summary(caught: list[warnings.WarningMessage]) -> tuple[int, str | None]:
    """How many warnings a job raised, and the most frequent one as one line."""
    if not caught:
        return 0, None
    lines = Counter(f"{w.category.__name__}: {' '.join(str(w.message).split())}"[:300] for w in caught)
    return len(caught), lines.most_common(1)[0][0]


@contextmanager
def counted_warnings(row: dict[str, Any]) -> Iterator[None]:
    """Warnings raised in the block are counted into ``row`` (``warnings``, ``warning``), not
    printed: a run's terminal stays readable."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    row["warnings"], row["warning"] = warning_summary(caught)


class KeyedMemo:
    """A small in-worker memo by content key (a job's data key and what it derives from it): the jobs
    of one mask or one split in a worker share one computation."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        value = compute()
        self.items[key] = value
        if len(self.items) > self.maxsize:
            self.items.popitem(last=False)
        return value

    def clear(self) -> None:
        self.items.clear()


# -- in a worker ---------------------------------------------------------------------------------
SHIPPED: dict[str, Any] = {}  # this worker's copy of the run's data, by data key (the local executor's)


def receive_data(data: Mapping[str, Any]) -> None:
    """Keep the run's data in this worker (called once per worker by the local executor)."""
    SHIPPED.update(data)


def run_job(job: Job, context: RunContext, mask: PackedMask | None = None, data: Any = None) -> JobResult:
    """Run one job (its track's ``run``) and return its result; nothing is written anywhere.

    ``data``: the job's data as the driver shipped it; ``None`` takes this worker's shipped copy,
    else the job loads it. Whatever escapes the job's own handling still becomes a row.
    """
    from ..errors import one_line

    try:
        if data is None:
            data = SHIPPED.get(job.data_key)
        if data is None:
            data = job.load_data(context.source)
    except Exception as exc:
        return failure_result(job, context, "failed", "dataset: " + one_line(exc))
    try:
        return job.run(context, mask, data)
    except BaseException as exc:  # workers ignore SIGINT: nothing here is the user's Ctrl-C
        return failure_result(job, context, "failed", f"{one_line(exc)} (outside the imputer's calls)")


def failure_result(job: Job, context: RunContext, status: str, error: str) -> JobResult:
    """The result of a job whose worker never returned (crash, timeout, killed for memory)."""
    row = job.base_row(context)
    row.update(status=status, error=error)
    return JobResult(row)
