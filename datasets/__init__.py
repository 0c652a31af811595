"""Datasets as canonical tables (PROTOCOL §1).

``load_dataset(name)`` is the one entry point. A table comes from the first of the sources in
:data:`imputebench.datasets.sources.SOURCES` that offers it, in the PROTOCOL's order: the cache, the
mirror directory, scikit-learn where it ships the same table, then the network (UCI through
ucimlrepo, OpenML through openml), and the tables users registered. Every catalog table is checked
against the catalog's shape and checksum before it is used or cached.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from ..errors import DatasetError
from .builtin import BUILTIN_CITES, BUILTIN_LOADERS
from .canonical import Dataset, canonicalize, subsample, table_checksum
from .catalog import CATALOG, CatalogEntry
from .sources import Cache, Where, available_from, data_home, load_from_sources, mirror_dir, unavailable_reason
from .user import add_user_dataset, user_datasets

__all__ = [
    "dataset_cites",
    "Dataset", "CatalogEntry", "canonicalize", "table_checksum", "subsample", "load_dataset",
    "dataset_names", "availability", "catalog", "add_user_dataset", "data_home", "mirror_dir",
    "clear_memo", "CATALOG",
]

PathLike = str | os.PathLike | None


def catalog() -> dict[str, CatalogEntry]:
    """The catalog entries (PROTOCOL §1 table), by name."""
    return dict(CATALOG)


def dataset_cites(name: str) -> tuple[str, ...]:
    """Keys of the package's references.bib a result on dataset ``name`` cites (its declaration's)."""
    entry = CATALOG.get(name)
    return entry.cites if entry is not None and entry.cites else BUILTIN_CITES.get(name, ())


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
    if name not in dataset_names(data_home=home):
        raise DatasetError(f"unknown dataset {name!r}; see `imputebench datasets list` "
                           f"(valid: {', '.join(dataset_names(data_home=home))})")
    return load_from_sources(name, Where(Path(home), None if mirror is None else Path(mirror), allow_network))


def availability(names: list[str], *, mirror: PathLike = None, data_home: PathLike = None,
                 allow_network: bool = True) -> dict[str, str | None]:
    """For each name: ``None`` when it can be had, else why not. Downloads nothing: it asks each
    source whether it offers the name (the cache, the mirror file, a quick connect to a service)."""
    where = Where(_home(data_home), mirror_dir(mirror), allow_network)
    return {name: None if available_from(name, where) else unavailable_reason(name, where) for name in names}
