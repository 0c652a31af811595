"""The copies of the tables users bring, content-addressed in the data home (PROTOCOL §1).

``imputebench datasets add`` keeps the table it was given as ``<data home>/user-tables/<sha256><suffix>``:
the file's own bytes (a CSV, TSV or parquet file) or, for a table fetched by id (``openml:ID``), the
table as a CSV. The name is the content's sha256, so a source file moved or edited afterwards changes
nothing, two names for one table share one copy, and a copy is never overwritten by other content.
"""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pandas as pd

from ..atomic import atomic_write
from ..errors import DatasetError

TABLES_DIR = "user-tables"
PARQUET_SUFFIXES = (".parquet", ".pq")
_CHUNK = 1 << 20


def tables_dir(home: Path) -> Path:
    return Path(home) / TABLES_DIR


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return ".parquet"
    return ".tsv" if suffix in (".tsv", ".tab") else ".csv"


def store_file(home: Path, file: Path) -> tuple[str, str]:
    """Copy ``file`` into the store (once per content): ``(sha256, name of the copy)``."""
    sha = file_sha256(file)
    name = f"{sha}{_suffix(file)}"
    target = tables_dir(home) / name
    if not target.is_file():
        with open(file, "rb") as src:
            atomic_write(target, lambda f: shutil.copyfileobj(src, f))
    return sha, name


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A fetched table as the CSV the store keeps (and reads back with :func:`read_csv_bytes`)."""
    return frame.to_csv(index=False).encode()


def store_bytes(home: Path, data: bytes, suffix: str = ".csv") -> tuple[str, str]:
    """Keep ``data`` (a table file's bytes) in the store: ``(sha256, name of the copy)``."""
    sha = hashlib.sha256(data).hexdigest()
    name = f"{sha}{suffix}"
    target = tables_dir(home) / name
    if not target.is_file():
        atomic_write(target, lambda f: f.write(data))
    return sha, name


def copy_path(home: Path, name: str) -> Path:
    return tables_dir(home) / name


def discard(home: Path, name: str, still_used: set[str]) -> None:
    """Delete the copy ``name`` unless another registered table still uses it."""
    if name and name not in still_used:
        copy_path(home, name).unlink(missing_ok=True)


def _read_text(source: Path | io.BytesIO, sep: str = ",") -> pd.DataFrame:
    # Every cell as text, nothing read as missing: canonicalize decides types and missing markers.
    return pd.read_csv(source, dtype=str, keep_default_na=False, na_filter=False, sep=sep)


def read_csv_bytes(data: bytes) -> pd.DataFrame:
    return _read_text(io.BytesIO(data))


def read_table(path: Path) -> pd.DataFrame:
    """CSV or TSV (read as text, so typing is canonicalize's) or parquet."""
    if not path.is_file():
        raise DatasetError(f"no such file {path}")
    kind = _suffix(path)
    try:
        if kind == ".parquet":
            return pd.read_parquet(path)
        return _read_text(path, sep="\t" if kind == ".tsv" else ",")
    except Exception as exc:  # any parse failure is the same user-facing fault
        raise DatasetError(f"cannot read {path} as {kind[1:].upper()} ({type(exc).__name__}); give a CSV or TSV "
                           "with a header row, or a parquet file") from None
