"""The result store: one row per job, parquet, resumable by job key (AMLB-style).

Layout of a results directory::

    results/jobs/part-*.parquet   one file per flushed batch of finished jobs (atomic rename)
    results/jobs/store-*.parquet  compacted rows (``compact``)
    results/_masks/*.npz          the stored masks (PROTOCOL §2), shared by every imputer
    results/site/                 the report

``pandas.read_parquet("results/jobs")`` reads every row; :meth:`ResultStore.load` also drops
superseded duplicates of a job key (a re-run of a failed job, or a crash mid-compaction).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .atomic import atomic_write
from .errors import ImputeBenchError
from .metrics import METRIC_REGISTRY, QUALITY_METRICS

# The one results schema. Metric columns are NaN where nothing was measured (PROTOCOL §5).
SCHEMA = pa.schema([
    ("job_key", pa.string()),
    ("dataset", pa.string()),
    ("dataset_checksum", pa.string()),
    ("max_rows", pa.int64()),
    ("n_rows", pa.int64()),
    ("n_features", pa.int64()),
    ("mechanism", pa.string()),
    ("rate", pa.float64()),
    ("realised_rate", pa.float64()),
    ("seed", pa.int64()),
    ("imputer", pa.string()),
    ("params", pa.string()),
    ("profile", pa.string()),
    ("setting", pa.string()),
    ("status", pa.string()),
    ("error", pa.string()),
    ("mae", pa.float64()),
    ("rmse", pa.float64()),
    ("armse", pa.float64()),
    ("cat_accuracy", pa.float64()),
    ("jsdist", pa.float64()),
    ("rl", pa.float64()),
    ("w1", pa.float64()),
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
    ("finished_at", pa.timestamp("us", tz="UTC")),
    # The transfer track (PROTOCOL §7); main-track rows have track "main" and nulls in the rest.
    ("track", pa.string()),
    ("task", pa.string()),
    ("strategy", pa.string()),
    ("n_target", pa.int64()),
    ("source_rows", pa.int64()),
    ("domain_gap", pa.float64()),
])
COLUMNS = tuple(SCHEMA.names)
METRICS = QUALITY_METRICS
# Which way is better, per metric (used by rankings and regression checks).
HIGHER_IS_BETTER = {n: m.higher_is_better for n, m in METRIC_REGISTRY.items()}
# "diverged": finite but absurd output (PROTOCOL §6); the numbers are kept, rankings count it as a failure.
STATUSES = ("ok", "diverged", "failed", "timeout", "infeasible")


def rows_to_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows (dicts) as an Arrow table of :data:`SCHEMA`; missing keys become nulls."""
    df = pd.DataFrame(list(rows))
    for name in COLUMNS:
        if name not in df.columns:
            df[name] = None
    df = df[list(COLUMNS)]
    if df["finished_at"].isna().any():
        df["finished_at"] = df["finished_at"].fillna(pd.Timestamp.now(tz="UTC"))
    df["finished_at"] = pd.to_datetime(df["finished_at"], utc=True)
    return pa.Table.from_pandas(df, schema=SCHEMA, preserve_index=False)


class ResultStore:
    """A results directory: job rows, masks, and the site beside them."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.jobs_dir = self.root / "jobs"
        self.masks_dir = self.root / "_masks"
        self.site_dir = self.root / "site"

    # -- rows ---------------------------------------------------------------------------------
    def append(self, rows: list[Mapping[str, Any]]) -> Path | None:
        """Persist finished rows at once, as one new part file."""
        if not rows:
            return None
        table = rows_to_table(rows)
        path = self.jobs_dir / f"part-{uuid.uuid4().hex}.parquet"
        atomic_write(path, lambda tmp: pq.write_table(table, tmp))
        return path

    def files(self) -> list[Path]:
        if not self.jobs_dir.is_dir():
            return []
        return sorted(p for p in self.jobs_dir.glob("*.parquet") if not p.name.startswith("."))

    def load(self) -> pd.DataFrame:
        """Every job's latest row (by ``finished_at``); an empty frame of the schema if none."""
        files = self.files()
        if not files:
            return SCHEMA.empty_table().to_pandas()
        try:
            tables = [pq.read_table(p, schema=SCHEMA) for p in files]
        except (pa.ArrowInvalid, OSError) as exc:
            raise ImputeBenchError(f"cannot read the result store in {self.jobs_dir}: {exc}") from exc
        df = pa.concat_tables(tables).to_pandas()
        df = df.sort_values("finished_at", kind="stable").drop_duplicates("job_key", keep="last")
        return df.reset_index(drop=True)

    def finished_keys(self, retry_failed: bool = False) -> set[str]:
        """Job keys that need no re-run; with ``retry_failed`` only ok and infeasible ones count."""
        df = self.load()
        if retry_failed:
            df = df[df["status"].isin(["ok", "infeasible"])]
        return set(df["job_key"])

    def compact(self) -> None:
        """Merge part files into one (written first, then the parts removed: no row is ever lost)."""
        files = self.files()
        if len(files) <= 1:
            return
        table = pa.Table.from_pandas(self.load(), schema=SCHEMA, preserve_index=False)
        digest = hashlib.sha256("".join(p.name for p in files).encode()).hexdigest()[:12]
        target = self.jobs_dir / f"store-{digest}.parquet"
        atomic_write(target, lambda tmp: pq.write_table(table, tmp))
        for p in files:
            if p != target:
                p.unlink(missing_ok=True)

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
