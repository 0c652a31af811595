"""User datasets: a local CSV or parquet table registered under a name (``imputebench datasets add``).

The registry is ``<data home>/user_datasets.json``; each entry keeps the file's absolute path, the
column roles and the canonical checksum measured when it was added, so a file changed afterwards is
an error rather than a different benchmark under the same name (PROTOCOL §1).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ..errors import DatasetError, UsageError, one_line
from .canonical import Dataset, TargetKind, canonicalize
from ..atomic import atomic_write

REGISTRY_FILE = "user_datasets.json"
_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
# The smallest table worth benchmarking: masks need rows to hide cells in and columns to impute from.
MIN_COMPLETE_ROWS = 10
MIN_FEATURES = 2


@dataclass(frozen=True)
class UserDataset:
    name: str
    path: str
    target: str
    target_kind: TargetKind
    categorical: tuple[str, ...]
    checksum: str
    shape: tuple[int, int]
    dropped_rows: int = 0  # PROTOCOL §1: rows with a missing value, dropped when it was added
    lost_classes: tuple[str, ...] = ()  # target classes that only occurred in dropped rows

    def to_dict(self) -> dict:
        return asdict(self)


def _registry_path(home: Path) -> Path:
    return home / REGISTRY_FILE


def user_datasets(home: Path) -> dict[str, UserDataset]:
    path = _registry_path(home)
    if not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise DatasetError(f"user dataset registry {path} is corrupt; fix or delete it") from None
    return {n: UserDataset(**{**e, "categorical": tuple(e["categorical"]), "shape": tuple(e["shape"]),
                              "lost_classes": tuple(e.get("lost_classes", ()))})
            for n, e in entries.items()}


def read_table(path: Path) -> pd.DataFrame:
    """CSV (read as text, so typing is canonicalize's) or parquet."""
    if not path.is_file():
        raise DatasetError(f"no such file {path}")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except Exception as exc:  # any parse failure is the same user-facing fault
        raise DatasetError(f"cannot read {path} as {'parquet' if path.suffix in ('.parquet', '.pq') else 'CSV'}"
                           f" ({type(exc).__name__}); give a CSV with a header row or a parquet file") from None


def _infer_target_kind(values: pd.Series) -> TargetKind:
    # A class when any label is text, or when it has at most 20 distinct integers; else a number.
    text = values.astype("string").str.strip()
    present = text[text.notna() & ~text.isin(["", "?", "NA"])]
    numeric = pd.to_numeric(present, errors="coerce")
    if numeric.isna().any():
        return "classification"
    distinct = numeric.unique()
    integral = all(float(v).is_integer() for v in distinct)
    return "classification" if integral and len(distinct) <= 20 else "regression"


def canonical_user(entry: UserDataset) -> Dataset:
    raw = read_table(Path(entry.path))
    return _canonicalize_user(entry.name, raw, entry.target, entry.target_kind, entry.categorical,
                              source=f"user:{entry.path}")


def _canonicalize_user(name: str, raw: pd.DataFrame, target: str, target_kind: TargetKind,
                       categorical: tuple[str, ...], source: str) -> Dataset:
    missing = [c for c in (target, *categorical) if c not in raw.columns]
    if missing:
        raise UsageError(f"column(s) {', '.join(missing)} not in the table; its columns: "
                         f"{', '.join(map(str, raw.columns))}")
    try:
        return canonicalize(name, raw, target=target, target_kind=target_kind,
                            categorical=list(categorical), source=source)
    except (ValueError, TypeError) as exc:
        raise DatasetError(f"{name}: a column not declared categorical holds text ({one_line(exc, typed=False, first_line=True)}); "
                           "list it with --categorical") from None


def check_size(ds: Dataset, file: Path) -> None:
    """Refuse a table too small to benchmark: fewer than :data:`MIN_COMPLETE_ROWS` complete rows
    (after PROTOCOL §1 drops the rows with a missing value) or fewer than :data:`MIN_FEATURES` features."""
    rows, features = ds.X.shape
    if rows < MIN_COMPLETE_ROWS:
        raise DatasetError(f"{ds.name}: {file.name} has {rows} complete row(s) ({ds.dropped_rows} dropped for "
                           f"missing values); a dataset needs at least {MIN_COMPLETE_ROWS}")
    if features < MIN_FEATURES:
        raise DatasetError(f"{ds.name}: {file.name} has {features} feature column(s) besides the target "
                           f"{ds.y.name!r}; a dataset needs at least {MIN_FEATURES}")


def add_user_dataset(home: Path, name: str, file: Path, *, target: str, categorical: tuple[str, ...] = (),
                     target_kind: TargetKind | None = None, reserved: set[str] = frozenset(),
                     replace: bool = False) -> UserDataset:
    """Canonicalise ``file`` once and register it under ``name``."""
    if not re.fullmatch(_NAME, name):
        raise UsageError(f"dataset name {name!r} must be letters, digits, '_', '.' or '-'")
    if name in reserved:
        raise UsageError(f"{name!r} is a catalog or built-in dataset; choose another name")
    registry = user_datasets(home)
    if name in registry and not replace:
        raise UsageError(f"user dataset {name!r} exists; add --replace to register it again")
    file = Path(file).expanduser().resolve()
    raw = read_table(file)
    if target not in raw.columns:
        raise UsageError(f"target {target!r} is not a column of {file}; its columns: "
                         f"{', '.join(map(str, raw.columns))}")
    kind = target_kind or _infer_target_kind(raw[target])
    ds = _canonicalize_user(name, raw, target, kind, tuple(categorical), source=f"user:{file}")
    check_size(ds, file)
    entry = UserDataset(name=name, path=str(file), target=target, target_kind=kind,
                        categorical=tuple(categorical), checksum=ds.checksum, shape=ds.X.shape,
                        dropped_rows=ds.dropped_rows, lost_classes=ds.lost_classes)
    registry[name] = entry
    home.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({n: e.to_dict() for n, e in sorted(registry.items())}, indent=1)
    atomic_write(_registry_path(home), lambda f: f.write(payload.encode()))
    return entry
