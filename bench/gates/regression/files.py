"""The regression gate's files: baselines (a small parquet file with a metadata header), the check of
a results folder against one, and the reports a check writes (JUnit XML, markdown summary,
``$GITHUB_STEP_SUMMARY``)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from ... import PROTOCOL_VERSION, __version__
from ...errors import ImputeBenchError, UsageError
from .compare import BASELINE_COLUMNS, CheckReport, Tolerance, compare, job_rows

BASELINE_FORMAT = 1
METADATA_KEY = b"imputebench.baseline"
HEADER_FIELDS = ("path", "command", "created_at", "package_version", "protocol_version", "jobs")
STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def save_baseline(rows: pd.DataFrame, path: str | Path, *, command: str,
                  created_at: datetime | None = None) -> dict:
    """Write the job rows needed for a later check as a small parquet file with a metadata header.

    Returns the header. Rows are sorted so the same results always give the same table.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ...harness.store import SCHEMA

    table_rows = job_rows(rows)
    if table_rows.empty:
        raise ImputeBenchError("no job rows to save; run `imputebench run` first")
    meta = {
        "format": BASELINE_FORMAT,
        "protocol_version": PROTOCOL_VERSION,
        "package_version": __version__,
        "created_at": (created_at or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "command": command,
        "jobs": int(len(table_rows)),
    }
    # The results schema's column types, so a baseline reads back like a store.
    schema = pa.schema([SCHEMA.field(column) for column in BASELINE_COLUMNS],
                       metadata={METADATA_KEY: json.dumps(meta, sort_keys=True).encode()})
    table = pa.Table.from_pandas(table_rows, schema=schema, preserve_index=False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")
    return meta


def load_baseline(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """The baseline's rows and its metadata header (with ``path`` added)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"baseline file {str(path)!r} not found; create one with `imputebench baseline save {path}`")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UsageError(f"{str(path)!r} is not a readable parquet baseline: {exc}") from exc
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise UsageError(f"{str(path)!r} has no imputebench baseline header; create one with `imputebench baseline save`")
    meta = json.loads(raw)
    if int(meta.get("format", 0)) > BASELINE_FORMAT:
        raise UsageError(f"baseline {str(path)!r} has format {meta['format']}; this imputebench reads up to "
                         f"{BASELINE_FORMAT} (upgrade imputebench)")
    meta["path"] = str(path)
    return table.to_pandas(), meta


def baseline_summary(path: str | Path) -> dict[str, Any]:
    """A baseline's header and its jobs per imputer and status (``baseline show``)."""
    rows, meta = load_baseline(path)
    counts = rows.groupby(["imputer", "status"]).size()
    jobs: dict[str, dict[str, int]] = {}
    for (imputer, status), n in counts.items():
        jobs.setdefault(str(imputer), {})[str(status)] = int(n)
    return {**{key: meta.get(key) for key in HEADER_FIELDS}, "jobs_per_imputer": jobs}


def store_rows(results: str | Path) -> pd.DataFrame:
    """A results folder's job rows; an empty store is an error naming what to run."""
    from ...harness.store import ResultStore

    rows = ResultStore(results).load()
    if rows.empty:
        raise ImputeBenchError(f"no job rows under {results}/jobs; run `imputebench run --results {results}` first")
    return rows


def check_results(baseline: str | Path, results: str | Path, tolerances: Mapping[str, Tolerance], *,
                  allow_missing: bool = False, seed_mean: Mapping[str, float] | None = None) -> CheckReport:
    """``imputebench check``: a results folder against a baseline file."""
    rows, meta = load_baseline(baseline)
    return compare(rows, store_rows(results), tolerances, allow_missing=allow_missing, baseline_meta=meta,
                   seed_mean=seed_mean)


def write_text(path: str | Path, data: str | bytes) -> None:
    """A report file (JUnit XML, markdown), its folder created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")


def append_step_summary(markdown: str) -> str | None:
    """Append to ``$GITHUB_STEP_SUMMARY`` when it is set; a warning line when that fails (the
    verdict must not depend on the summary file), else None."""
    step_summary = os.environ.get(STEP_SUMMARY_ENV)
    if not step_summary:
        return None
    try:
        with open(step_summary, "a", encoding="utf-8") as fh:
            fh.write(markdown + "\n")
    except OSError as exc:
        return f"cannot append to ${STEP_SUMMARY_ENV} ({exc})"
    return None
