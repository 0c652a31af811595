"""User datasets: a table you bring, registered under a name (``imputebench datasets add``).

``add`` copies the table into the data home (:mod:`.table_store`, content-addressed) and records in
``<data home>/user_datasets.json`` where it came from (the original path or ``openml:ID``/``uci:ID``,
its sha256, the date), the column roles (:class:`.roles.Roles`) and the canonical checksum measured
then; every load checks that checksum, so a name always means the same benchmark table (PROTOCOL §1).
A moved or edited source file changes nothing. Entries written before copies were kept hold only a
path: they load from it and are copied into the data home on that first load.

``--keep-missing`` records the table's own missing values for the natural-missingness track
(PROTOCOL §10): :func:`load_user` gives the table with its holes when asked ``keep_missing=True``,
and the complete rows (§1) otherwise, like every other table.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

from ..atomic import atomic_write
from ..errors import DatasetError, UsageError, one_line
from . import table_store
from .canonical import Dataset, TargetKind, canonicalize, holes_kept
from .online import download_table, parse_service_id
from .roles import Roles, check_feature_types, check_named_columns, identifier_suspects, infer_target_kind

REGISTRY_FILE = "user_datasets.json"
_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
# The smallest table worth benchmarking: masks need rows to hide cells in and columns to impute from.
MIN_COMPLETE_ROWS = 10
MIN_FEATURES = 2


@dataclass(frozen=True)
class UserDataset:
    """A registry entry. ``checksum``, ``shape``, ``dropped_rows`` describe the complete-row table
    (PROTOCOL §1); the ``*_kept`` fields the table with its holes, when added with ``keep_missing``."""

    name: str
    target: str
    target_kind: TargetKind
    categorical: tuple[str, ...]
    checksum: str
    shape: tuple[int, int]
    dropped_rows: int = 0  # PROTOCOL §1: rows with a missing value, dropped when it was added
    lost_classes: tuple[str, ...] = ()  # target classes that only occurred in dropped rows
    drop: tuple[str, ...] = ()  # columns removed (--drop)
    ids: tuple[str, ...] = ()  # identifier columns removed (--id)
    keep_missing: bool = False
    checksum_kept: str = ""
    shape_kept: tuple[int, int] | None = None
    missing_cells: int = 0  # kept missing feature cells
    copy: str = ""  # the copy's file name in the data home's table store
    origin: str = ""  # where it came from: the original file's absolute path, or openml:ID / uci:ID
    sha256: str = ""  # of the table's bytes as added (the copy's name)
    added: str = ""  # UTC date and time it was added
    path: str = ""  # entries written before copies were kept: the file's path only

    @property
    def roles(self) -> Roles:
        return Roles(self.target, self.categorical, self.drop, self.ids)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, entry: dict) -> "UserDataset":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in entry.items() if k in known}
        for key in ("categorical", "lost_classes", "drop", "ids", "shape", "shape_kept"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        return cls(**values)


# --- the registry ----------------------------------------------------------------------------------

def _registry_path(home: Path) -> Path:
    return Path(home) / REGISTRY_FILE


def user_datasets(home: Path) -> dict[str, UserDataset]:
    path = _registry_path(home)
    if not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise DatasetError(f"user dataset registry {path} is corrupt; fix or delete it") from None
    return {n: UserDataset.from_dict({**e, "name": n}) for n, e in entries.items()}


def _write_registry(home: Path, registry: dict[str, UserDataset]) -> None:
    payload = json.dumps({n: e.to_dict() for n, e in sorted(registry.items())}, indent=1)
    atomic_write(_registry_path(home), lambda f: f.write(payload.encode()))


def _copies_in_use(registry: dict[str, UserDataset]) -> set[str]:
    return {e.copy for e in registry.values() if e.copy}


# --- canonical tables ------------------------------------------------------------------------------

def canonical_table(name: str, raw: pd.DataFrame, roles: Roles, target_kind: TargetKind, *, source: str,
                    keep_missing: bool = False) -> Dataset:
    """A brought table's canonical table: identifier and dropped columns removed, types checked
    (every offending column named), then PROTOCOL §1's canonicalisation."""
    check_named_columns(list(raw.columns), roles)
    check_feature_types(name, raw, roles, target_kind)
    try:
        return canonicalize(name, raw, target=roles.target, target_kind=target_kind, categorical=list(roles.categorical),
                            drop=list(roles.removed), source=source, keep_missing=keep_missing)
    except (ValueError, TypeError) as exc:  # what the checks above cannot foresee
        raise DatasetError(f"{name}: the table cannot be read as numbers and categories "
                           f"({one_line(exc, typed=False, first_line=True)})") from None


def check_size(ds: Dataset, what: str) -> None:
    """Refuse a table too small to benchmark: fewer than :data:`MIN_COMPLETE_ROWS` rows (complete rows,
    after PROTOCOL §1 drops the rows with a missing value) or fewer than :data:`MIN_FEATURES` features."""
    rows, features = ds.X.shape
    kept = bool(ds.meta.get("keep_missing"))
    if rows < MIN_COMPLETE_ROWS:
        kind = "row(s) with a target" if kept else "complete row(s)"
        raise DatasetError(f"{ds.name}: {what} has {rows} {kind} ({ds.dropped_rows} dropped for missing "
                           f"values); a dataset needs at least {MIN_COMPLETE_ROWS}")
    if features < MIN_FEATURES:
        raise DatasetError(f"{ds.name}: {what} has {features} feature column(s) besides the target "
                           f"{ds.y.name!r}; a dataset needs at least {MIN_FEATURES}")


def table_file(entry: UserDataset, home: Path) -> Path:
    """Where the table is read from: its copy in the data home (or, for an old entry, its path)."""
    return table_store.copy_path(home, entry.copy) if entry.copy else Path(entry.path)


def unavailable_reason(entry: UserDataset, home: Path) -> str | None:
    """Why ``entry`` cannot be loaded now, in one line (None: it can)."""
    again = f"add it again: imputebench datasets add {entry.name} FILE --target {entry.target} --replace"
    file = table_file(entry, home)
    if file.is_file():
        return None
    if entry.copy:
        return f"{entry.name}: its copy {file} is missing from the data home (it came from {entry.origin}); {again}"
    return (f"{entry.name}: added by an older imputebench, which kept no copy, and its file {file} has moved "
            f"or been deleted; {again}")


def load_user(entry: UserDataset, home: Path, *, keep_missing: bool = False) -> Dataset:
    """The canonical table of ``entry``, checked against the checksum recorded when it was added;
    ``keep_missing`` gives the table with its own holes (only for tables added with ``keep_missing``)."""
    if keep_missing and not entry.keep_missing:
        raise DatasetError(f"{entry.name} was added without --keep-missing: its missing values were not kept; "
                           f"add it again with `imputebench datasets add {entry.name} FILE --target {entry.target} "
                           "--keep-missing --replace`")
    why = unavailable_reason(entry, home)
    if why:
        raise DatasetError(why)
    file = table_file(entry, home)
    ds = canonical_table(entry.name, table_store.read_table(file), entry.roles, entry.target_kind,
                         source=f"user:{entry.origin or entry.path}", keep_missing=keep_missing)
    recorded = entry.checksum_kept if keep_missing else entry.checksum
    if ds.checksum != recorded:
        what = f"its copy {file} was changed" if entry.copy else f"{file} changed since it was added"
        raise DatasetError(f"{entry.name}: {what} (checksum {ds.checksum}, registered {recorded}); add it again "
                           f"with `imputebench datasets add {entry.name} FILE --target {entry.target} --replace`")
    if not keep_missing and len(ds.X) < MIN_COMPLETE_ROWS:
        raise DatasetError(f"{entry.name}: {len(ds.X)} complete rows (PROTOCOL §1 drops the {ds.dropped_rows} with a "
                           f"missing value); the table was added with --keep-missing for the natural-missingness "
                           f"track, and a synthetic-mask track needs at least {MIN_COMPLETE_ROWS} complete rows")
    if not entry.copy:
        _migrate(entry, home)
    return holes_kept(ds) if keep_missing else ds


def _migrate(entry: UserDataset, home: Path) -> None:
    """Copy an old entry's file into the data home once it has loaded (and matched its checksum)."""
    try:
        sha, copy = table_store.store_file(home, Path(entry.path))
        registry = user_datasets(home)
        if registry.get(entry.name) == entry:
            registry[entry.name] = replace(entry, copy=copy, sha256=sha, origin=entry.path, path="")
            _write_registry(home, registry)
    except OSError:  # a read-only data home: keep reading from the path
        pass


# --- add and remove --------------------------------------------------------------------------------

def _bring(home: Path, table: str | Path, *, allow_network: bool, reuse: dict[str, UserDataset],
           what: str) -> tuple[pd.DataFrame, str, Callable[[], tuple[str, str]]]:
    """(raw table, origin, a function that stores the copy) for a file path or ``openml:ID``/``uci:ID``."""
    text = str(table)
    service = None if Path(text).expanduser().is_file() else parse_service_id(text)
    if service is None:
        file = Path(text).expanduser().resolve()
        raw = table_store.read_table(file)
        return raw, str(file), lambda: table_store.store_file(home, file)
    origin = f"{service[0]}:{service[1]}"
    cached = next((e for e in reuse.values() if e.origin == origin and e.copy
                   and table_store.copy_path(home, e.copy).is_file()), None)
    if cached is not None:  # fetched before: the copy is the cache
        raw = table_store.read_table(table_store.copy_path(home, cached.copy))
        return raw, origin, lambda: (cached.sha256, cached.copy)
    if not allow_network:
        raise DatasetError(f"{what}: {origin} needs the network, and network use is off")
    data = table_store.csv_bytes(download_table(service[0], service[1], home, what=what))
    # Read back from the bytes the store keeps, so this table is exactly what later loads read.
    return table_store.read_csv_bytes(data), origin, lambda: table_store.store_bytes(home, data)


def add_user_dataset(home: Path, name: str, table: str | Path, *, target: str, categorical: tuple[str, ...] = (),
                     drop: tuple[str, ...] = (), ids: tuple[str, ...] = (), keep_missing: bool = False,
                     target_kind: TargetKind | None = None, reserved: set[str] = frozenset(), replace: bool = False,
                     allow_network: bool = True, note: Callable[[str], None] | None = None) -> UserDataset:
    """Canonicalise ``table`` (a CSV/TSV/parquet file, or ``openml:ID``/``uci:ID``), keep a copy of it in
    the data home and register it under ``name``. ``note`` receives hints (columns that look like
    identifiers)."""
    home = Path(home)
    if not re.fullmatch(_NAME, name):
        raise UsageError(f"dataset name {name!r} must be letters, digits, '_', '.' or '-'")
    if name in reserved:
        raise UsageError(f"{name!r} is a catalog, built-in or natural-missingness dataset; choose another name")
    registry = user_datasets(home)
    if name in registry and not replace:
        raise UsageError(f"user dataset {name!r} exists; add --replace to register it again")
    raw, origin, store = _bring(home, table, allow_network=allow_network, reuse=registry, what=name)
    roles = Roles(target, tuple(categorical), tuple(drop), tuple(ids))
    check_named_columns(list(map(str, raw.columns)), roles)
    kind = target_kind or infer_target_kind(raw[target])
    source = f"user:{origin}"
    ds = canonical_table(name, raw, roles, kind, source=source)
    kept = holes_kept(canonical_table(name, raw, roles, kind, source=source, keep_missing=True)) if keep_missing else None
    check_size(kept or ds, Path(origin).name if Path(origin).is_absolute() else origin)
    for column in identifier_suspects(raw, roles):
        if note:
            note(f"{column} has a different whole number or text in every row: if it is an identifier, "
                 f"add the table again with --id {column} --replace (PROTOCOL §1 removes identifiers)")
    sha, copy = store()
    entry = UserDataset(
        name=name, target=target, target_kind=kind, categorical=roles.categorical, checksum=ds.checksum,
        shape=ds.X.shape, dropped_rows=ds.dropped_rows, lost_classes=ds.lost_classes, drop=roles.drop, ids=roles.ids,
        keep_missing=keep_missing, checksum_kept=kept.checksum if kept else "",
        shape_kept=kept.X.shape if kept else None, missing_cells=kept.meta["missing_cells"] if kept else 0,
        copy=copy, origin=origin, sha256=sha, added=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    old = registry.get(name)
    registry[name] = entry
    home.mkdir(parents=True, exist_ok=True)
    _write_registry(home, registry)
    if old is not None:
        table_store.discard(home, old.copy, _copies_in_use(registry))
    return entry


def remove_user_dataset(home: Path, name: str, *, reserved: set[str] = frozenset()) -> UserDataset:
    """Unregister ``name`` and delete its copy (unless another name shares it)."""
    home = Path(home)
    if name in reserved:
        raise UsageError(f"{name!r} is a catalog, built-in or natural-missingness dataset; only datasets you "
                         "added can be removed")
    registry = user_datasets(home)
    if name not in registry:
        yours = ", ".join(sorted(registry)) or "none"
        raise UsageError(f"no user dataset {name!r} in {home}; yours: {yours}")
    entry = registry.pop(name)
    _write_registry(home, registry)
    table_store.discard(home, entry.copy, _copies_in_use(registry))
    return entry
