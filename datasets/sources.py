"""Where canonical tables come from (PROTOCOL §1): :data:`SOURCES`, a list of source objects tried in
order: the cache, a mirror directory of raw files, the tables that ship with scikit-learn, the network
(UCI through ``ucimlrepo``, then OpenML through ``openml``), the tables users registered (their
copies in the data home), and, for a load that keeps missing values (PROTOCOL §10), the natural tables.

A source says whether it can serve a name now without downloading anything (``offers``) and loads it
(``load``); :func:`load_from_sources` takes the first that offers, caches what a ``cacheable`` source
gave, and hands over to the next source only when one raises :class:`SourceFailed` (a service that did
not deliver). Any other :class:`DatasetError`, such as a table that is not the catalog's, stops the
load at once, never replaced by another source's table (PROTOCOL §1). Catalog tables pass through
``canonical_from_raw``, which checks them against the catalog's shape and checksum before anything is
cached. **To add a source**, write a class with ``name``, ``cacheable``, ``offers`` and ``load`` and
put an instance in :data:`SOURCES` where it belongs in that order.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Protocol

import pandas as pd

from ..atomic import atomic_write
from ..errors import DatasetError, one_line
from .online import DownloadFailed, download_table, openml_server_url, reachable, uci_api_url
from .builtin import BUILTIN_LOADERS
from .canonical import Dataset, canonicalize, table_checksum
from .catalog import CATALOG, CatalogEntry
from .natural import NATURAL_TABLES, read_natural
from .user import load_user, user_datasets
from .user import unavailable_reason as user_unavailable_reason

DATA_HOME_ENV = "IMPUTEBENCH_DATA_HOME"
MIRROR_ENV = "IMPUTEBENCH_MIRROR"

_TARGET_COLUMN = "__target__"  # the target's column in a cached parquet file


# --- locations ---------------------------------------------------------------------------------

def data_home(path: str | os.PathLike | None = None) -> Path:
    """The cache root: ``path``, else ``$IMPUTEBENCH_DATA_HOME``, else the user's cache directory."""
    if path:
        return Path(path).expanduser()
    if os.environ.get(DATA_HOME_ENV):
        return Path(os.environ[DATA_HOME_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "imputebench"


def mirror_dir(path: str | os.PathLike | None = None) -> Path | None:
    """The mirror of raw files: ``path``, else ``$IMPUTEBENCH_MIRROR``, else none."""
    chosen = path or os.environ.get(MIRROR_ENV)
    return Path(chosen).expanduser() if chosen else None


# --- canonical tables from raw frames ------------------------------------------------------------

def canonical_from_raw(entry: CatalogEntry, raw: pd.DataFrame, source: str) -> Dataset:
    """Raw frame with the catalog's columns -> verified canonical table (PROTOCOL §1)."""
    if tuple(raw.columns) != entry.columns:
        raise DatasetError(
            f"{entry.name}: {source} has columns {_short(raw.columns)}, the catalog expects "
            f"{_short(entry.columns)}; the source differs from the UCI original"
        )
    try:
        ds = canonicalize(entry.name, raw, target=entry.target, target_kind=entry.target_kind,
                          categorical=list(entry.categorical), drop=list(entry.drop), source=source)
    except (ValueError, TypeError) as exc:
        raise DatasetError(f"{entry.name}: {source} cannot be parsed ({one_line(exc, typed=False, first_line=True)})"
                           "; the file is corrupt or not the UCI original") from None
    verify(entry, ds)
    return ds


def verify(entry: CatalogEntry, ds: Dataset, *, remedy: str = "the source is corrupt or differs "
           "from the UCI original") -> None:
    """PROTOCOL §1: a table that is not the catalog's is an error, never a silent reload."""
    if entry.shape is not None and ds.X.shape != entry.shape:
        raise DatasetError(
            f"{entry.name}: {ds.source} gives {ds.X.shape[0]} x {ds.X.shape[1]} after canonicalisation, "
            f"the catalog expects {entry.shape[0]} x {entry.shape[1]}; {remedy}"
        )
    if entry.checksum is not None and ds.checksum != entry.checksum:
        raise DatasetError(
            f"{entry.name}: checksum mismatch for {ds.source} (got {ds.checksum}, catalog "
            f"{entry.checksum}); {remedy}"
        )


def _short(columns: Any, n: int = 4) -> str:
    cols = list(columns)
    return "[" + ", ".join(map(str, cols[:n])) + (", ...]" if len(cols) > n else "]")


# --- the cache: parquet + checksum sidecar, written atomically -----------------------------------

class Cache:
    """``<data home>/datasets/NAME.parquet`` with ``NAME.json`` beside it. The sidecar is written
    last and marks an entry complete; a parquet file without one is ignored and overwritten."""

    def __init__(self, home: Path) -> None:
        self.dir = home / "datasets"

    def table_path(self, name: str) -> Path:
        return self.dir / f"{name}.parquet"

    def sidecar_path(self, name: str) -> Path:
        return self.dir / f"{name}.json"

    def has(self, name: str) -> bool:
        return self.sidecar_path(name).is_file() and self.table_path(name).is_file()

    def read(self, name: str) -> Dataset:
        table, sidecar = self.table_path(name), self.sidecar_path(name)
        try:
            meta = json.loads(sidecar.read_text())
            frame = pd.read_parquet(table)
        except Exception as exc:  # any unreadable file is the same fault for the user
            raise DatasetError(f"{name}: cache entry {table} is unreadable ({type(exc).__name__}); "
                               f"delete it or run `imputebench datasets fetch {name} --refresh`") from None
        y = frame.pop(_TARGET_COLUMN).rename(meta["target"]) if meta.get("target") else None
        checksum = table_checksum(frame, y)
        if checksum != meta.get("checksum"):
            raise DatasetError(f"{name}: cache entry {table} fails its checksum (got {checksum}, "
                               f"recorded {meta.get('checksum')}); run `imputebench datasets fetch "
                               f"{name} --refresh`")
        return Dataset(name=name, X=frame, y=y, target_kind=meta.get("target_kind"), checksum=checksum,
                       source=meta.get("source", "cache"), dropped_rows=int(meta.get("dropped_rows", 0)),
                       lost_classes=tuple(meta.get("lost_classes", ())),
                       meta={"cache_path": str(table), "cached": True})

    def write(self, ds: Dataset) -> Path:
        """Write atomically: temporary files in the same directory, then ``os.replace``."""
        self.dir.mkdir(parents=True, exist_ok=True)
        frame = ds.X.copy()
        if ds.y is not None:
            frame[_TARGET_COLUMN] = ds.y.to_numpy() if not isinstance(ds.y.dtype, pd.CategoricalDtype) \
                else ds.y.array
        meta = {"name": ds.name, "checksum": ds.checksum, "source": ds.source,
                "target": None if ds.y is None else ds.y.name, "target_kind": ds.target_kind,
                "dropped_rows": ds.dropped_rows, "lost_classes": list(ds.lost_classes),
                "shape": list(ds.X.shape)}
        table, sidecar = self.table_path(ds.name), self.sidecar_path(ds.name)
        sidecar.unlink(missing_ok=True)  # the entry is incomplete until the new sidecar lands
        atomic_write(table, lambda f: frame.to_parquet(f, index=False))
        atomic_write(sidecar, lambda f: f.write(json.dumps(meta, indent=1).encode()))
        return table

    def remove(self, name: str) -> None:
        self.sidecar_path(name).unlink(missing_ok=True)
        self.table_path(name).unlink(missing_ok=True)


# --- the mirror ----------------------------------------------------------------------------------

def read_mirror(entry: CatalogEntry, mirror: Path) -> Dataset:
    """A raw CSV in the mirror layout: header row, UCI values, ``?``/``NA`` kept."""
    path = mirror / entry.mirror_file
    try:
        # All text: canonicalize decides the types, the same way for every source.
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except FileNotFoundError:
        raise DatasetError(f"{entry.name}: no mirror file {path}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise DatasetError(f"{entry.name}: mirror file {path} is corrupt "
                           f"({one_line(exc, typed=False, first_line=True)}); replace it with the UCI original") from None
    return canonical_from_raw(entry, raw, source=f"mirror:{path.resolve()}")


# --- the network: online.py; column names as the catalog spells them ---------------------------

def _normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def align_columns(entry: CatalogEntry, raw: pd.DataFrame) -> pd.DataFrame:
    """Give an online frame the catalog's columns: by name, ignoring case and punctuation (UCI's
    CSVs and OpenML spell some names differently from the original files, e.g. wine's
    ``0D280_0D315...``); the columns no name matches pair up in their order. The checksum then
    says whether the values are the original's."""
    by_name = {_normalised(c): c for c in raw.columns}
    matched = {c: by_name[_normalised(c)] for c in entry.columns if _normalised(c) in by_name}
    left_raw = [c for c in raw.columns if c not in set(matched.values())]
    left_entry = [c for c in entry.columns if c not in matched]
    if len(left_raw) != len(left_entry):
        raise DatasetError(f"{entry.name}: the online table has columns {_short(raw.columns)}, which do not "
                           f"match the catalog's {_short(entry.columns)}")
    matched.update(zip(left_entry, left_raw))
    return raw[[matched[c] for c in entry.columns]].set_axis(list(entry.columns), axis=1)


# --- the sources, in order ------------------------------------------------------------------------

@dataclass(frozen=True)
class Where:
    """Where a load may look: the data home (cache, user registry), the mirror, and the network;
    ``keep_missing`` asks for a table with its own holes (PROTOCOL §10), from the user tables added
    with them kept or the natural tables' directory ``natural``."""

    home: Path
    mirror: Path | None
    allow_network: bool
    keep_missing: bool = False
    natural: Path | None = None


class SourceFailed(DatasetError):
    """A source could not deliver (a service down or too slow): the next source is tried."""


class Source(Protocol):
    name: str
    cacheable: bool  # whether what it gives is written to the cache

    def offers(self, name: str, where: Where) -> bool:
        """Can it serve ``name`` now? Downloads nothing (a file check, a quick connect)."""

    def load(self, name: str, where: Where) -> Dataset:
        """The canonical, verified table of ``name``."""


class CacheSource:
    name, cacheable = "cache", False

    def offers(self, name: str, where: Where) -> bool:
        return name in CATALOG and Cache(where.home).has(name)

    def load(self, name: str, where: Where) -> Dataset:
        ds = Cache(where.home).read(name)
        verify(CATALOG[name], ds, remedy=f"the cache entry is stale; run `imputebench datasets fetch {name} --refresh`")
        return ds


class MirrorSource:
    name, cacheable = "mirror", True

    def offers(self, name: str, where: Where) -> bool:
        return name in CATALOG and where.mirror is not None and (where.mirror / CATALOG[name].mirror_file).is_file()

    def load(self, name: str, where: Where) -> Dataset:
        return read_mirror(CATALOG[name], where.mirror)


class ScikitLearnSource:
    """Tables that ship with scikit-learn: no network, nothing to cache (PROTOCOL §1)."""

    name, cacheable = "scikit-learn", False

    def offers(self, name: str, where: Where) -> bool:
        return name in BUILTIN_LOADERS

    def load(self, name: str, where: Where) -> Dataset:
        ds = BUILTIN_LOADERS[name]()
        if name in CATALOG:
            verify(CATALOG[name], ds)
        return ds


class ServiceSource:
    """An online service that serves catalog tables by id, through its client (:mod:`.online`: each
    download retried with backoff within one deadline)."""

    cacheable = True

    def __init__(self, name: str, id_field: str, url: Callable[[], str]) -> None:
        self.name, self.id_field, self.url = name, id_field, url

    def offers(self, name: str, where: Where) -> bool:
        entry = CATALOG.get(name)
        return (where.allow_network and entry is not None and getattr(entry, self.id_field) is not None
                and reachable(self.url()))

    def load(self, name: str, where: Where) -> Dataset:
        entry = CATALOG[name]
        try:
            raw = download_table(self.name, getattr(entry, self.id_field), where.home, what=name)
        except DownloadFailed as exc:
            raise SourceFailed(str(exc)) from None
        return canonical_from_raw(entry, align_columns(entry, raw), source=self.name)


class UserSource:
    """Tables registered with ``imputebench datasets add`` (their copies in the data home), checked
    against the checksum recorded then."""

    name, cacheable = "user", False

    def offers(self, name: str, where: Where) -> bool:
        entry = user_datasets(where.home).get(name)
        return entry is not None and user_unavailable_reason(entry, where.home) is None

    def load(self, name: str, where: Where) -> Dataset:
        return load_user(user_datasets(where.home)[name], where.home, keep_missing=where.keep_missing)


class NaturalSource:
    """The natural-missingness tables (PROTOCOL §10) in the directory ``where.natural``, holes kept."""

    name, cacheable = "natural", False

    def offers(self, name: str, where: Where) -> bool:
        return (where.keep_missing and name in NATURAL_TABLES and where.natural is not None
                and (where.natural / NATURAL_TABLES[name].file).is_file())

    def load(self, name: str, where: Where) -> Dataset:
        return read_natural(NATURAL_TABLES[name], where.natural)


SOURCES: list[Source] = [
    CacheSource(), MirrorSource(), ScikitLearnSource(),
    ServiceSource("uci", "uci_id", uci_api_url),
    ServiceSource("openml", "openml_id", openml_server_url),
    UserSource(),
    NaturalSource(),
]


def load_from_sources(name: str, where: Where) -> Dataset:
    """``name``'s table from the first source that offers it (PROTOCOL §1 order), cached when that
    source's tables are; a :class:`SourceFailed` hands over to the next source, any other error stops."""
    failures = []
    for source in SOURCES:
        if not source.offers(name, where):
            continue
        try:
            ds = source.load(name, where)
        except SourceFailed as exc:
            failures.append(str(exc))
            continue
        return _cached(ds, where) if source.cacheable else ds
    raise DatasetError("; ".join(failures) if failures else unavailable_reason(name, where))


def _cached(ds: Dataset, where: Where) -> Dataset:
    try:
        path = Cache(where.home).write(ds)
    except OSError as exc:  # a read-only cache must not stop a run
        warnings.warn(f"{ds.name}: not cached ({exc})", stacklevel=4)
        return ds
    return replace(ds, meta={**ds.meta, "cache_path": str(path)})


def available_from(name: str, where: Where) -> bool:
    """Whether some source offers ``name`` now (nothing is downloaded)."""
    return any(source.offers(name, where) for source in SOURCES)


def unavailable_reason(name: str, where: Where) -> str:
    """Why no source offers ``name``, in one line."""
    if name in CATALOG:
        entry = CATALOG[name]
        place = f"no {entry.mirror_file} in the mirror {where.mirror}" if where.mirror else "no mirror directory (--mirror)"
        if entry.uci_id is None and entry.openml_id is None:
            net = "no online source"
        elif not where.allow_network:
            net = "network use is off"
        else:
            net = "UCI/OpenML unreachable"
        return f"{name}: needs the network (not cached, {place}, {net})"
    users = user_datasets(where.home)
    if name in users:
        return user_unavailable_reason(users[name], where.home) or f"{name}: its table cannot be loaded"
    if name in NATURAL_TABLES:
        place = (f"no {NATURAL_TABLES[name].file} in {where.natural}" if where.natural
                 else "no directory of natural tables (--natural DIR or $IMPUTEBENCH_NATURAL)")
        return f"{name}: a natural-missingness table: {place}"
    return f"unknown dataset {name!r}; see `imputebench datasets list`"
