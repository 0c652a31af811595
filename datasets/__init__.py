"""Datasets as canonical tables (PROTOCOL §1).

``load_dataset(name)`` is the one entry point. A catalog dataset comes from, in the PROTOCOL's order:
the cache, the mirror directory, scikit-learn where it ships the same table (wine), then the network
(UCI through ucimlrepo, OpenML through openml). Built-ins and user datasets are read locally.
Every table is checked against the catalog's shape and checksum before it is used or cached.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from ..errors import DatasetError
from .builtin import BUILTIN_LOADERS
from .canonical import Dataset, canonicalize, subsample, table_checksum
from .catalog import CATALOG, CatalogEntry
from .sources import (Cache, data_home, fetch_online, mirror_dir, online_sources, read_mirror, verify)
from .user import UserDataset, add_user_dataset, canonical_user, user_datasets

__all__ = [
    "Dataset", "CatalogEntry", "canonicalize", "table_checksum", "subsample", "load_dataset",
    "dataset_names", "availability", "catalog", "add_user_dataset", "data_home", "mirror_dir",
    "clear_memo", "CATALOG",
]

PathLike = str | os.PathLike | None


def catalog() -> dict[str, CatalogEntry]:
    """The catalog entries (PROTOCOL §1 table), by name."""
    return dict(CATALOG)


def dataset_names(*, data_home: PathLike = None) -> list[str]:
    """Every dataset name a run may ask for: catalog, built-ins and user datasets."""
    users = user_datasets(_home(data_home))
    return sorted(set(CATALOG) | set(BUILTIN_LOADERS) | set(users))


def _home(path: PathLike) -> Path:
    # The public keyword ``data_home`` shadows the function of that name inside the API functions.
    return data_home(path)


def load_dataset(name: str, *, max_rows: int | None = None, mirror: PathLike = None,
                 data_home: PathLike = None, allow_network: bool = True, refresh: bool = False) -> Dataset:
    """The canonical table of ``name``, subsampled to ``max_rows`` (PROTOCOL §1).

    ``refresh`` ignores (and replaces) the cache entry. Memoised in-process per source settings.
    """
    home = _home(data_home)
    mdir = mirror_dir(mirror)
    if refresh:
        _load_full.cache_clear()
        if name in CATALOG:
            Cache(home).remove(name)
    ds = _load_full(name, str(home), None if mdir is None else str(mdir), allow_network)
    return subsample(ds, max_rows)


def clear_memo() -> None:
    """Forget the in-process memo (tests, and after ``datasets add``)."""
    _load_full.cache_clear()


@lru_cache(maxsize=32)  # the whole catalog fits; tables are small
def _load_full(name: str, home: str, mirror: str | None, allow_network: bool) -> Dataset:
    home_path = Path(home)
    if name in CATALOG:
        return _load_catalog(CATALOG[name], home_path, None if mirror is None else Path(mirror), allow_network)
    if name in BUILTIN_LOADERS:
        return BUILTIN_LOADERS[name]()
    users = user_datasets(home_path)
    if name in users:
        return _load_user(users[name])
    raise DatasetError(f"unknown dataset {name!r}; see `imputebench datasets list` "
                       f"(valid: {', '.join(dataset_names(data_home=home))})")


def _load_catalog(entry: CatalogEntry, home: Path, mirror: Path | None, allow_network: bool) -> Dataset:
    cache = Cache(home)
    if cache.has(entry.name):  # PROTOCOL §1 source order: cache, mirror, network
        ds = cache.read(entry.name)
        verify(entry, ds, remedy="the cache entry is stale; run "
                                 f"`imputebench datasets fetch {entry.name} --refresh`")
        return ds
    if mirror is not None and (mirror / entry.mirror_file).is_file():
        ds = read_mirror(entry, mirror)
    elif entry.name in BUILTIN_LOADERS:
        ds = BUILTIN_LOADERS[entry.name]()
        verify(entry, ds)
        return ds  # ships with scikit-learn: nothing to cache
    elif allow_network:
        (home / "tmp").mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=home / "tmp", prefix=f"{entry.name}-") as work:
            ds = fetch_online(entry, Path(work))
    else:
        raise DatasetError(_unavailable_reason(entry, home, mirror, allow_network))
    try:
        path = cache.write(ds)
    except OSError as exc:  # a read-only cache must not stop a run
        warnings.warn(f"{entry.name}: not cached ({exc})", stacklevel=3)
        return ds
    return replace(ds, meta={**ds.meta, "cache_path": str(path)})


def _load_user(entry: UserDataset) -> Dataset:
    ds = canonical_user(entry)
    if ds.checksum != entry.checksum:
        raise DatasetError(f"{entry.name}: {entry.path} changed since it was added (checksum {ds.checksum}, "
                           f"registered {entry.checksum}); re-add it with `imputebench datasets add "
                           f"{entry.name} FILE --target {entry.target} --replace`")
    return ds


def _unavailable_reason(entry: CatalogEntry, home: Path, mirror: Path | None, allow_network: bool) -> str:
    where = f"no {entry.mirror_file} in the mirror {mirror}" if mirror else "no mirror directory (--mirror)"
    if entry.uci_id is None and entry.openml_id is None:
        net = "no online source"
    elif not allow_network:
        net = "network use is off"
    else:
        net = "UCI/OpenML unreachable"
    return f"{entry.name}: needs the network (not cached, {where}, {net})"


def availability(names: list[str], *, mirror: PathLike = None, data_home: PathLike = None,
                 allow_network: bool = True) -> dict[str, str | None]:
    """For each name: ``None`` when it can be had, else why not. Downloads nothing: it looks at the
    cache, the mirror file and a quick connect to the online services."""
    home = _home(data_home)
    mdir = mirror_dir(mirror)
    cache = Cache(home)
    users = user_datasets(home)
    out: dict[str, str | None] = {}
    for name in names:
        if name in CATALOG:
            entry = CATALOG[name]
            local = (cache.has(name) or name in BUILTIN_LOADERS
                     or (mdir is not None and (mdir / entry.mirror_file).is_file()))
            online = allow_network and bool(online_sources(entry))
            out[name] = None if local or online else _unavailable_reason(entry, home, mdir, allow_network)
        elif name in BUILTIN_LOADERS:
            out[name] = None
        elif name in users:
            path = Path(users[name].path)
            out[name] = None if path.is_file() else f"{name}: user file {path} is missing"
        else:
            out[name] = f"unknown dataset {name!r}; see `imputebench datasets list`"
    return out
