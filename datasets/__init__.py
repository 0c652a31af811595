"""Datasets as canonical tables (PROTOCOL §1).

``load_dataset(name)`` is the one entry point; sources are tried in the PROTOCOL's order.
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import DatasetError
from .builtin import BUILTIN_LOADERS
from .canonical import Dataset, canonicalize, subsample, table_checksum

__all__ = ["Dataset", "canonicalize", "table_checksum", "subsample", "load_dataset", "dataset_names"]


def dataset_names() -> list[str]:
    """Every dataset name a run may ask for."""
    return sorted(BUILTIN_LOADERS)


@lru_cache(maxsize=8)
def _load_full(name: str) -> Dataset:
    if name not in BUILTIN_LOADERS:
        raise DatasetError(f"unknown dataset {name!r}; valid: {', '.join(dataset_names())}")
    return BUILTIN_LOADERS[name]()


def load_dataset(name: str, *, max_rows: int | None = None) -> Dataset:
    """The canonical table of ``name``, subsampled to ``max_rows`` (PROTOCOL §1)."""
    return subsample(_load_full(name), max_rows)
