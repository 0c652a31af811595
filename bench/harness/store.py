"""The result store: one row per job, parquet, resumable by job key (AMLB-style).

Layout of a results directory::

    results/jobs/part-*.parquet     one file per flushed batch of finished jobs (atomic rename)
    results/jobs/store-*.parquet    compacted rows (``compact``)
    results/_masks/*.npz            the stored masks (PROTOCOL §2), shared by every imputer
    results/samples/*.parquet       per job, a bounded sample of true vs imputed cells
    results/runs/*.json             one record per ``imputebench run`` (``record_run``/``runs``)
    results/site/                   the report
    results/.lock                   the store's file lock

The store is the only writer under the results folder: jobs return their rows and samples, the
driver hands them to :class:`RowWriter`, which flushes them in batches. Every write takes the
file lock, so several ``imputebench run`` processes may share one results folder.

``pandas.read_parquet("results/jobs")`` reads every row and never sees a row twice because of a
compaction: the compacted generation is built beside ``jobs/`` and swapped in by one atomic rename.
Two runs that did the same job leave two rows until the next compaction; :meth:`ResultStore.load`
keeps the latest row per job key.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_write, exchange_paths
from ..errors import ImputeBenchError
from ..protocol.metrics import (DRAW_METRICS, IMPUTATION_METRICS, INFERENCE_METRICS, MAX_COLUMN_RMSE, METRIC_REGISTRY,
                                QUALITY_METRICS)
from ..protocol.samples import encode_samples, sample_path

# The core of the results schema, every track's columns; then each registered track's own columns
# (:func:`schema`). Metric columns are NaN where nothing was measured (PROTOCOL §5).
CORE_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("job_key", pa.string()),
    ("dataset", pa.string()),
    ("dataset_checksum", pa.string()),
    ("max_rows", pa.int64()),
    ("n_rows", pa.int64()),
    ("n_features", pa.int64()),
    ("dropped_rows", pa.int64()),  # rows the canonical table dropped for missing values (PROTOCOL §1)
    ("lost_classes", pa.string()),  # the target classes that vanished with them, as JSON ("[]": none; null: unknown)
    ("mechanism", pa.string()),
    ("rate", pa.float64()),
    ("realised_rate", pa.float64()),
    ("seed", pa.int64()),
    ("imputer", pa.string()),
    ("params", pa.string()),  # canonical JSON of the hyper-parameters the job ran with
    ("profile", pa.string()),
    ("params_overridden", pa.bool_()),  # they depart from the profile's (a --param); null in older stores
    ("setting", pa.string()),
    ("status", pa.string()),
    ("error", pa.string()),
    *[(name, pa.float64()) for name in IMPUTATION_METRICS],
    (MAX_COLUMN_RMSE, pa.float64()),  # the diverged check's evidence (PROTOCOL §6)
    *[(name, pa.float64()) for name in DRAW_METRICS + INFERENCE_METRICS],  # PROTOCOL §9: NaN without draws
    ("downstream", pa.float64()),
    ("complete_downstream", pa.float64()),
    ("downstream_metric", pa.string()),
    ("uses_labels", pa.bool_()),
    ("fit_seconds", pa.float64()),
    ("transform_seconds", pa.float64()),
    ("peak_memory_mb", pa.float64()),
    ("device", pa.string()),
    ("protocol_version", pa.int64()),
    ("versions", pa.string()),
    ("run_id", pa.string()),  # the run that computed the row (``ResultStore.runs``)
    ("timeout_s", pa.float64()),  # the run-level limits the job ran under: a job they failed is
    ("memory_limit_mb", pa.float64()),  # re-run by a later run with looser limits
    ("warnings", pa.int64()),  # warnings raised inside the job, and the most frequent one
    ("warning", pa.string()),
    ("finished_at", pa.timestamp("us", tz="UTC")),
    ("track", pa.string()),  # the row's track (imputebench.tracks); its own columns follow the core's
)


def schema() -> pa.Schema:
    """The results schema: the core columns, then every known track's own columns (PROTOCOL §7's
    transfer track: task, strategy, n_target, source_rows, domain_gap), in registration order.
    Stored rows of a track not known here read without its columns; its columns read as nulls
    from rows stored before it."""
    from ..tracks import all_tracks

    fields = dict(CORE_FIELDS)
    for track in all_tracks():
        for name, arrow_type in track.columns:
            fields.setdefault(name, pa.type_for_alias(arrow_type) if isinstance(arrow_type, str) else arrow_type)
    return pa.schema(list(fields.items()))


def stored_schema(files: Iterable[Path]) -> pa.Schema:
    """:func:`schema`, then the columns of stored files that it lacks (a track not known in this
    process): reading and compacting keep every column a run stored."""
    full = schema()
    known = set(full.names)
    extra = []
    for path in files:
        for f in pq.read_schema(path):
            if f.name not in known:
                known.add(f.name)
                extra.append(f)
    return pa.schema([*full, *extra]) if extra else full


def __getattr__(name: str) -> Any:
    """``SCHEMA`` and ``COLUMNS``: the schema as it is when first asked for (:func:`schema`)."""
    if name == "SCHEMA":
        return schema()
    if name == "COLUMNS":
        return tuple(schema().names)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


METRICS = QUALITY_METRICS
# Which way is better, per metric (used by rankings and regression checks).
HIGHER_IS_BETTER = {n: m.higher_is_better for n, m in METRIC_REGISTRY.items()}
# "diverged": finite but absurd output (PROTOCOL §6); the numbers are kept, rankings count it as a failure.
STATUSES = ("ok", "diverged", "failed", "timeout", "infeasible")


def rows_to_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows (dicts) as an Arrow table of :func:`schema`; missing keys become nulls."""
    full = schema()
    df = pd.DataFrame(list(rows))
    for name in full.names:
        if name not in df.columns:
            df[name] = None
    df = df[list(full.names)]
    if df["finished_at"].isna().any():
        df["finished_at"] = df["finished_at"].fillna(pd.Timestamp.now(tz="UTC"))
    df["finished_at"] = pd.to_datetime(df["finished_at"], utc=True)
    return pa.Table.from_pandas(df, schema=full, preserve_index=False)


LOCK_TIMEOUT_S = 600  # a compaction of a very large store holds the lock for seconds, not minutes
_NEXT, _OLD = ".jobs-next", ".jobs-old"  # siblings of jobs/: pyarrow and pandas never read them


def write_samples(results_dir: str | os.PathLike, job_key: str, samples: pd.DataFrame | bytes) -> Path:
    """Write one job's sample (a frame, or its :func:`encode_samples` bytes) atomically; its path."""
    data = samples if isinstance(samples, bytes) else encode_samples(job_key, samples)
    path = sample_path(results_dir, job_key)
    atomic_write(path, lambda f: f.write(data))
    return path


class ResultStore:
    """A results directory: job rows, masks, samples and run records, and the site beside them."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.jobs_dir = self.root / "jobs"
        self.masks_dir = self.root / "_masks"
        self.runs_dir = self.root / "runs"
        self.site_dir = self.root / "site"

    def lock(self):
        """The store's inter-process lock (``filelock``), held by every write."""
        from filelock import FileLock

        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / ".lock"), timeout=LOCK_TIMEOUT_S)

    def check_writable(self) -> None:
        """Fail at once, with one line, when the store could not write: its folder and its lock are
        checked before the first job starts, so a missing piece costs a second, not a run. Creates
        nothing (a run that then fails on bad input leaves no folder behind)."""
        try:
            import filelock  # noqa: F401  the lock every write takes
        except ImportError as exc:
            raise ImputeBenchError(f"the result store cannot lock {self.root}: {exc}; reinstall imputebench "
                                   "with its dependencies (pip install imputebench)") from None
        try:
            if self.root.is_dir():
                probe = self.root / f".write-probe-{uuid.uuid4().hex}"
                probe.touch()
                probe.unlink()
                return
            parent = next(p for p in self.root.parents if p.exists())  # the folder the run would create it in
            if not parent.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
            if not os.access(parent, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        except OSError as exc:
            raise ImputeBenchError(f"cannot write the results folder {self.root}: {exc.strerror or exc}; "
                                   "choose another with --results DIR") from None

    # -- rows ---------------------------------------------------------------------------------
    def append(self, rows: list[Mapping[str, Any]], samples: Mapping[str, bytes] | None = None) -> Path | None:
        """Persist finished rows at once, as one new part file, after their samples (by job key).

        Samples go first: a kill in between leaves a sample without a row, and the re-run job
        overwrites it; never a row whose sample is missing.
        """
        if not rows:
            return None
        table = rows_to_table(rows)
        path = self.jobs_dir / f"part-{uuid.uuid4().hex}.parquet"
        with self.lock():
            for key, frame in (samples or {}).items():
                write_samples(self.root, key, frame)
            atomic_write(path, lambda tmp: pq.write_table(table, tmp))
        return path

    def files(self) -> list[Path]:
        if not self.jobs_dir.is_dir():
            return []
        return sorted(p for p in self.jobs_dir.glob("*.parquet") if not p.name.startswith("."))

    def load(self) -> pd.DataFrame:
        """Every job's latest row (by ``finished_at``); an empty frame of the schema if none."""
        for attempt in range(5):
            files = self.files()
            if not files:
                return schema().empty_table().to_pandas()
            try:
                full = stored_schema(files)
                tables = [pq.read_table(p, schema=full) for p in files]
                break
            except FileNotFoundError:  # another process compacted between listing and reading
                time.sleep(0.05 * (attempt + 1))
            except (pa.ArrowInvalid, OSError) as exc:
                raise ImputeBenchError(f"cannot read the result store in {self.jobs_dir}: {exc}") from exc
        else:
            raise ImputeBenchError(f"the result store in {self.jobs_dir} kept changing while it was read; try again")
        return latest_rows(pa.concat_tables(tables).to_pandas())

    def finished_keys(self, retry_failed: bool = False, timeout_s: float | None = None,
                      memory_limit_mb: float | None = None) -> set[str]:
        """Job keys that need no re-run.

        With ``retry_failed`` only ok, diverged and infeasible rows count. A row that a run-level
        limit failed counts only when this run's limit is no looser (``None`` = no limit).
        """
        df = self.load()
        if retry_failed:
            df = df[df["status"].isin(["ok", "diverged", "infeasible"])]
        error = df["error"].fillna("")
        failed_by = {"timeout_s": df["status"] == "timeout",
                     "memory_limit_mb": (df["status"] == "failed") & error.str.contains("memory limit")}
        rerun = pd.Series(False, index=df.index)
        for column, now in (("timeout_s", timeout_s), ("memory_limit_mb", memory_limit_mb)):
            was = df[column]  # NaN: a row from before limits were recorded, kept as finished
            looser = was.notna() if now is None else was.notna() & (was < now)
            rerun |= failed_by[column] & looser
        return set(df.loc[~rerun, "job_key"])

    def compact(self) -> None:
        """Merge part files into one generation and swap it in atomically (PROTOCOL-independent).

        The new generation is built in ``.jobs-next/`` and exchanged with ``jobs/`` in one step, so
        a reader sees the old files or the new one, never both; a kill at any point leaves
        ``jobs/`` whole (leftovers are removed by the next compaction).
        """
        with self.lock():
            self._recover()
            files = self.files()
            if len(files) <= 1:
                return
            rows = self.load()
            full = stored_schema(files)
            table = pa.Table.from_pandas(rows[list(full.names)], schema=full, preserve_index=False)
            nxt, old = self.root / _NEXT, self.root / _OLD
            nxt.mkdir()
            atomic_write(nxt / f"store-{uuid.uuid4().hex[:12]}.parquet", lambda tmp: pq.write_table(table, tmp))
            if exchange_paths(nxt, self.jobs_dir):
                shutil.rmtree(nxt)
            else:  # two renames; a kill between them is repaired by _recover
                os.rename(self.jobs_dir, old)
                os.rename(nxt, self.jobs_dir)
                shutil.rmtree(old)

    def _recover(self) -> None:
        """Finish or undo a compaction that was killed (called under the lock)."""
        nxt, old = self.root / _NEXT, self.root / _OLD
        if not self.jobs_dir.exists() and nxt.is_dir() and old.is_dir():
            os.rename(nxt, self.jobs_dir)  # killed between the two renames: the new generation was whole
        for leftover in (nxt, old):
            if leftover.exists():
                shutil.rmtree(leftover)

    def writer(self, max_rows: int = 64, max_seconds: float = 5.0) -> "RowWriter":
        return RowWriter(self, max_rows=max_rows, max_seconds=max_seconds)

    # -- masks (PROTOCOL §2: drawn once, stored, handed to every imputer alike) ----------------
    def mask_path(self, key: str) -> Path:
        return self.masks_dir / f"{key}.npz"

    def load_mask(self, key: str) -> tuple[np.ndarray, dict] | None:
        path = self.mask_path(key)
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as z:
            shape = tuple(z["shape"])
            mask = np.unpackbits(z["bits"], count=int(np.prod(shape))).reshape(shape).astype(bool)
            meta = json.loads(str(z["meta"]))
        return mask, meta

    def save_mask(self, key: str, mask: np.ndarray, meta: Mapping[str, Any]) -> None:
        bits = np.packbits(mask.astype(bool).ravel())
        payload = {"bits": bits, "shape": np.asarray(mask.shape), "meta": np.asarray(json.dumps(dict(meta)))}
        atomic_write(self.mask_path(key), lambda tmp: np.savez_compressed(tmp, **payload))

    # -- run records ---------------------------------------------------------------------------
    def record_run(self, record: Mapping[str, Any]) -> Path:
        """Write (or overwrite) the record of one run, keyed by its ``run_id``."""
        run_id = str(record["run_id"])
        path = self.runs_dir / f"{run_id}.json"
        text = json.dumps(dict(record), sort_keys=True, default=str, indent=1).encode()
        atomic_write(path, lambda f: f.write(text))
        return path

    def runs(self) -> list[dict]:
        """Every run's record, oldest first (by ``started_at``)."""
        if not self.runs_dir.is_dir():
            return []
        records = [json.loads(p.read_text()) for p in self.runs_dir.glob("*.json")]
        return sorted(records, key=lambda r: (str(r.get("started_at", "")), str(r.get("run_id", ""))))


def latest_rows(df: pd.DataFrame) -> pd.DataFrame:
    """One row per job key: the latest by ``finished_at`` (re-runs and concurrent runs supersede)."""
    df = df.sort_values("finished_at", kind="stable").drop_duplicates("job_key", keep="last")
    return df.reset_index(drop=True)


class RowWriter:
    """Buffers finished jobs and flushes them as one part file by count or by age (18.2).

    Each flush is atomic; a SIGKILL loses at most the rows not flushed yet, which the next run
    re-runs. ``tick()`` flushes an old buffer when no job finishes for a while.
    """

    def __init__(self, store: ResultStore, max_rows: int = 64, max_seconds: float = 5.0) -> None:
        self.store = store
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self.rows: list[Mapping[str, Any]] = []
        self.samples: dict[str, bytes] = {}
        self.oldest: float | None = None

    def add(self, row: Mapping[str, Any], samples: bytes | None = None) -> None:
        row = dict(row)
        row.setdefault("finished_at", pd.Timestamp.now(tz="UTC"))  # when it finished, not when flushed
        self.rows.append(row)
        if samples is not None:
            self.samples[str(row["job_key"])] = samples
        if self.oldest is None:
            self.oldest = time.monotonic()
        if len(self.rows) >= self.max_rows:
            self.flush()
        else:
            self.tick()

    def tick(self) -> None:
        if self.oldest is not None and time.monotonic() - self.oldest >= self.max_seconds:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.store.append(self.rows, self.samples)
        self.rows, self.samples, self.oldest = [], {}, None

    def __enter__(self) -> "RowWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.flush()
