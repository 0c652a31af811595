"""Datasets as canonical tables (PROTOCOL §1).

``load_dataset(name)`` is the one entry point. A table comes from the first of the sources in
:data:`imputebench.datasets.sources.SOURCES` that offers it, in the PROTOCOL's order: the cache, the
mirror directory, scikit-learn where it ships the same table, then the network (UCI through
ucimlrepo, OpenML through openml), and the tables users registered. Every catalog table is checked
against the catalog's shape and checksum before it is used or cached.

Every table loads complete (PROTOCOL §1: rows that already miss a value are dropped), except with
``load_dataset(name, keep_missing=True)``, the natural-missingness track's load (PROTOCOL §10): the
table with its own holes as NaN (only rows without a target dropped), for the names
:func:`natural_names` gives: the five natural tables (:mod:`.natural`, read from ``natural=DIR`` or
``$IMPUTEBENCH_NATURAL``) and the user tables added with ``keep_missing`` (``datasets add
--keep-missing``). Such a table's ``meta`` has ``keep_missing: True`` and ``missing_cells``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from ..errors import DatasetError
from .builtin import BUILTIN_CITES, BUILTIN_LOADERS
from .canonical import Dataset, canonicalize, subsample, table_checksum
from .catalog import CATALOG, CatalogEntry
from .natural import NATURAL_TABLES, natural_dir
from .sources import Cache, Where, available_from, data_home, load_from_sources, mirror_dir, unavailable_reason
from .user import add_user_dataset, remove_user_dataset, user_datasets

__all__ = [
    "dataset_cites",
    "Dataset", "CatalogEntry", "canonicalize", "table_checksum", "subsample", "load_dataset",
    "dataset_names", "natural_names", "reserved_names", "availability", "catalog", "add_user_dataset",
    "remove_user_dataset", "data_home", "mirror_dir", "natural_dir", "clear_memo", "CATALOG", "NATURAL_TABLES",
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


def natural_names(*, data_home: PathLike = None) -> list[str]:
    """Every name ``load_dataset(name, keep_missing=True)`` takes (PROTOCOL §10): the natural tables and
    the user tables added with ``keep_missing``."""
    kept = [n for n, e in user_datasets(_home(data_home)).items() if e.keep_missing]
    return sorted(set(NATURAL_TABLES) | set(kept))


def reserved_names() -> set[str]:
    """Names a user table may not take: the catalog's, the built-ins' and the natural tables'."""
    return set(CATALOG) | set(BUILTIN_LOADERS) | set(NATURAL_TABLES)


def _home(path: PathLike) -> Path:
    # The public keyword ``data_home`` shadows the function of that name inside the API functions.
    return data_home(path)


def load_dataset(name: str, *, max_rows: int | None = None, mirror: PathLike = None,
                 data_home: PathLike = None, allow_network: bool = True, refresh: bool = False,
                 keep_missing: bool = False, natural: PathLike = None) -> Dataset:
    """The canonical table of ``name``, subsampled to ``max_rows`` (PROTOCOL §1).

    ``refresh`` ignores (and replaces) the cache entry. ``keep_missing`` gives a natural table or a
    user table added with ``keep_missing`` with its own holes (PROTOCOL §10; ``natural``: the natural
    tables' directory, default ``$IMPUTEBENCH_NATURAL``). Memoised in-process per source settings.
    """
    home = _home(data_home)
    where = Where(home, mirror_dir(mirror), allow_network, keep_missing, natural_dir(natural) if keep_missing else None)
    if refresh:
        _load_full.cache_clear()
        if name in CATALOG:
            Cache(home).remove(name)
    return subsample(_load_full(name, where), max_rows)


def clear_memo() -> None:
    """Forget the in-process memo (tests, and after ``datasets add``)."""
    _load_full.cache_clear()


@lru_cache(maxsize=32)  # the whole catalog fits; tables are small
def _load_full(name: str, where: Where) -> Dataset:
    _check_name(name, where)
    return load_from_sources(name, where)


def _check_name(name: str, where: Where) -> None:
    if where.keep_missing and name not in natural_names(data_home=where.home):
        if name in dataset_names(data_home=where.home):
            raise DatasetError(f"{name}: its missing values were not kept; keep_missing loads the natural tables "
                               "and tables added with `imputebench datasets add --keep-missing` "
                               f"(valid: {', '.join(natural_names(data_home=where.home))})")
        raise DatasetError(f"unknown dataset {name!r} (valid with kept missing values: "
                           f"{', '.join(natural_names(data_home=where.home))})")
    if not where.keep_missing and name not in dataset_names(data_home=where.home):
        natural = " (a natural-missingness table: it loads with keep_missing=True)" if name in NATURAL_TABLES else ""
        raise DatasetError(f"unknown dataset {name!r}{natural}; see `imputebench datasets list` "
                           f"(valid: {', '.join(dataset_names(data_home=where.home))})")


def availability(names: list[str], *, mirror: PathLike = None, data_home: PathLike = None,
                 allow_network: bool = True, keep_missing: bool = False,
                 natural: PathLike = None) -> dict[str, str | None]:
    """For each name: ``None`` when it can be had, else why not. Downloads nothing: it asks each
    source whether it offers the name (the cache, the mirror file, a quick connect to a service);
    ``keep_missing``/``natural`` as for :func:`load_dataset`."""
    where = Where(_home(data_home), mirror_dir(mirror), allow_network, keep_missing,
                  natural_dir(natural) if keep_missing else None)
    return {name: None if available_from(name, where) else unavailable_reason(name, where) for name in names}
