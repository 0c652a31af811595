"""Where canonical tables come from (PROTOCOL §1), in order: the cache, a mirror directory of raw
files, the network (UCI through ``ucimlrepo``, then OpenML through ``openml``).

Every source yields a raw frame with the catalog's columns; ``canonical_from_raw`` turns it into the
canonical table and checks it against the catalog's shape and checksum before anything is cached.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

import pandas as pd
import tenacity

from ..atomic import atomic_write
from ..errors import DatasetError, one_line
from .canonical import Dataset, canonicalize, table_checksum
from .catalog import CatalogEntry

DATA_HOME_ENV = "IMPUTEBENCH_DATA_HOME"
MIRROR_ENV = "IMPUTEBENCH_MIRROR"

# Network policy: every online fetch gets this many attempts with exponential backoff, all within
# one deadline; read at call time so a test can shorten them.
NETWORK_ATTEMPTS = 3
NETWORK_BACKOFF_S = 1.0
NETWORK_TIMEOUT_S = 300.0
PROBE_TIMEOUT_S = 2.0

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
        raise DatasetError(f"{entry.name}: {source} cannot be parsed ({one_line(exc, typed=False, first_line=True)}); "
                           "the file is corrupt or not the UCI original") from None
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
        raise DatasetError(f"{entry.name}: mirror file {path} is corrupt ({one_line(exc, typed=False, first_line=True)}); "
                           "replace it with the UCI original") from None
    return canonical_from_raw(entry, raw, source=f"mirror:{path.resolve()}")


# --- the network -----------------------------------------------------------------------------------

def uci_api_url() -> str:
    """ucimlrepo's endpoint, read where ucimlrepo reads it (its module constant ``API_BASE_URL``)."""
    import ucimlrepo.fetch

    return ucimlrepo.fetch.API_BASE_URL


def openml_server_url() -> str:
    import openml

    return openml.config.server


_probe_results: dict[tuple[str, int], bool] = {}


def reachable(url: str) -> bool:
    """A quick TCP connect to ``url``'s host (memoised in-process): is that service reachable?"""
    parsed = urlparse(url)
    key = (parsed.hostname or "", parsed.port or (443 if parsed.scheme == "https" else 80))
    if key not in _probe_results:
        try:
            with socket.create_connection(key, timeout=PROBE_TIMEOUT_S):
                _probe_results[key] = True
        except OSError:
            _probe_results[key] = False
    return _probe_results[key]


def online_sources(entry: CatalogEntry) -> list[str]:
    """The network sources that can serve ``entry`` and answer now."""
    out = []
    if entry.uci_id is not None and reachable(uci_api_url()):
        out.append("uci")
    if entry.openml_id is not None and reachable(openml_server_url()):
        out.append("openml")
    return out


def fetch_online(entry: CatalogEntry, work_dir: Path) -> Dataset:
    """UCI through ucimlrepo, then OpenML through openml, each retried with backoff within a deadline.

    A service that fails to deliver hands over to the next; a table that arrives but is not the
    catalog's (shape, checksum) is an error at once, never replaced by another source (PROTOCOL §1).
    """
    services = online_sources(entry)
    if not services:
        raise DatasetError(f"{entry.name}: needs the network (UCI/OpenML unreachable); fetch it where "
                           f"there is a network, or put {entry.mirror_file} in a mirror directory (--mirror)")
    failures = []
    for service in services:
        fetch = _retrying(_fetch_uci if service == "uci" else _fetch_openml)
        try:
            raw = _with_deadline(lambda: fetch(entry, work_dir), NETWORK_TIMEOUT_S,
                                 f"{entry.name}: {service} download")
        except DatasetError as exc:
            failures.append(str(exc))
            continue
        except Exception as exc:  # a client's own error type (not found, server error): try the next
            failures.append(f"{entry.name}: {service} failed ({one_line(exc, first_line=True)})")
            continue
        return canonical_from_raw(entry, align_columns(entry, raw), source=service)
    raise DatasetError("; ".join(failures))


def _retrying(fetch: Callable) -> Callable:
    # Transient faults are OS-level: ucimlrepo reports any HTTP or URL failure as ConnectionError,
    # openml's requests errors are OSErrors too; anything else (not found, bad data) fails at once.
    return tenacity.retry(
        stop=tenacity.stop_after_attempt(NETWORK_ATTEMPTS),
        wait=tenacity.wait_exponential(multiplier=NETWORK_BACKOFF_S, max=30 * NETWORK_BACKOFF_S),
        retry=tenacity.retry_if_exception_type(OSError),
        reraise=True,
    )(fetch)


def _with_deadline(call: Callable[[], Any], seconds: float, what: str) -> Any:
    """Run ``call`` in a daemon thread and give up after ``seconds``: neither client has a timeout
    of its own. An abandoned call writes nothing we keep (the cache is written by the caller)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True, name="imputebench-download")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise DatasetError(f"{what} timed out after {seconds:g} s; try again or use a mirror (--mirror)")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _fetch_uci(entry: CatalogEntry, work_dir: Path) -> pd.DataFrame:
    import ucimlrepo

    repo = ucimlrepo.fetch_ucirepo(id=entry.uci_id)
    return repo.data.original


def _fetch_openml(entry: CatalogEntry, work_dir: Path) -> pd.DataFrame:
    import openml

    # openml keeps its own download cache; give it a scratch directory so a broken download never
    # lingers there, and let our retry policy be the only one.
    openml.config.set_root_cache_directory(str(work_dir))
    openml.config.set_retry_policy("robot", n_retries=1)
    ds = openml.datasets.get_dataset(entry.openml_id, download_data=True, download_qualities=False,
                                     download_features_meta_data=False)
    # Every column, IDs included: the catalog says what is dropped, the same for every source.
    frame, _, _, _ = ds.get_data(include_row_id=True, include_ignore_attribute=True)
    return frame


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
