"""The canonical table (PROTOCOL §1): what every dataset becomes before anything else happens."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

TargetKind = Literal["classification", "regression"]

# PROTOCOL §1: "max_rows subsamples rows with a fixed seed".
SUBSAMPLE_SEED = 0
MISSING_MARKERS = ("?", "NA", "")  # cells that mean "missing" in a raw table (UCI's ?, R's NA, empty)


@dataclass(frozen=True)
class Dataset:
    """A canonical table: typed features, an optional target, and where it came from."""

    name: str
    X: pd.DataFrame
    y: pd.Series | None
    target_kind: TargetKind | None
    checksum: str
    source: str = "unknown"
    # PROTOCOL §1: rows dropped because they already missed a feature or target value, and the
    # target classes that disappeared with them (the raw table had them, the canonical one has not).
    dropped_rows: int = 0
    lost_classes: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    @property
    def categorical(self) -> np.ndarray:
        """Boolean per feature: True where the column is categorical."""
        return np.array([isinstance(self.X[c].dtype, pd.CategoricalDtype) for c in self.X.columns])

    @property
    def shape(self) -> tuple[int, int]:
        return self.X.shape


def clean_label(values: pd.Series) -> pd.Series:
    """PROTOCOL §1: text labels are cleaned, e.g. ``>50K.`` and ``>50K`` are one class."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values
    s = values.astype("string").str.strip().str.rstrip(".").str.strip()
    return s


def _category_label(value: object) -> str:
    """One spelling per category, whatever the source: ``3``, ``3.0`` and ``"3"`` are ``"3"``;
    ``TRUE``, ``true`` and ``True`` are ``"True"`` (a CSV keeps text, a parser may give bools)."""
    text = str(value).strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered.capitalize()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else repr(number)


def _category_order(label: str) -> tuple:
    # Numbers in numeric order, before text in text order: "2" < "10" on every source.
    try:
        return (0, float(label), "")
    except ValueError:
        return (1, 0.0, label)


def as_categories(values: pd.Series) -> pd.Categorical:
    """PROTOCOL §1: categorical columns hold categories, spelled and ordered the same on every
    source (so the content checksum does not depend on where the table came from)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    present = values.notna()  # a kept missing cell stays missing (code -1), never a category "nan"
    uniques = pd.unique(values[present].to_numpy(dtype=object))
    spelling = {u: _category_label(u) for u in uniques}
    labels = values.astype(object).where(present).map(spelling).astype(object)
    categories = sorted(set(spelling.values()), key=_category_order)
    return pd.Categorical(labels, categories=categories)


def canonicalize(
    name: str,
    frame: pd.DataFrame,
    *,
    target: str | None,
    target_kind: TargetKind | None,
    categorical: list[str] = (),
    drop: list[str] = (),
    source: str = "unknown",
    missing_values: tuple = MISSING_MARKERS,
    keep_missing: bool = False,
) -> Dataset:
    """Raw table -> canonical table (PROTOCOL §1).

    Drops ``drop`` columns, turns ``missing_values`` into NaN, drops rows that already miss a
    feature or the target (counted, with the classes that vanish with them), casts ``categorical``
    columns to pandas categories (sorted categories, so every source yields the same codes) and
    everything else to float64. ``keep_missing`` (the natural-missingness track, PROTOCOL §10) keeps
    the rows with missing features, their holes as NaN; only rows without a target are dropped.
    """
    df = frame.drop(columns=list(drop), errors="raise").copy()
    for c in df.columns:
        col = df[c]
        if not pd.api.types.is_numeric_dtype(col.dtype):
            stripped = col.astype("string").str.strip()
            df[c] = stripped.mask(stripped.isin(list(missing_values)))
    classes_before: list[str] = []
    if target is not None and target_kind == "classification":
        classes_before = list(as_categories(clean_label(df[target].dropna())).categories)
    before = len(df)
    if keep_missing:
        df = df if target is None else df.dropna(axis=0, subset=[target])
    else:
        df = df.dropna(axis=0, how="any")
    df = df.reset_index(drop=True)
    dropped = before - len(df)

    y = None
    if target is not None:
        y = df.pop(target)
        if target_kind == "classification":
            y = pd.Series(as_categories(clean_label(y)), name=target)
        else:
            y = pd.Series(pd.to_numeric(y, errors="raise").astype("float64"), name=target)

    cat_set = set(categorical)
    data = {}
    for c in df.columns:
        if c in cat_set:
            data[c] = as_categories(df[c])
        else:
            data[c] = pd.to_numeric(df[c], errors="raise").astype("float64")
    X = pd.DataFrame(data, columns=list(df.columns))
    kept = set() if y is None else set(y.cat.categories if isinstance(y.dtype, pd.CategoricalDtype) else ())
    return Dataset(
        name=name,
        X=X,
        y=y,
        target_kind=target_kind,
        checksum=table_checksum(X, y),
        source=source,
        dropped_rows=dropped,
        lost_classes=tuple(c for c in classes_before if c not in kept),
    )


def holes_kept(ds: Dataset) -> Dataset:
    """Mark a table canonicalised with ``keep_missing`` (PROTOCOL §10): ``meta`` says so and counts
    its missing feature cells."""
    return replace(ds, meta={**ds.meta, "keep_missing": True, "missing_cells": int(ds.X.isna().to_numpy().sum())})


def table_checksum(X: pd.DataFrame, y: pd.Series | None) -> str:
    """Content checksum of a canonical table (PROTOCOL §1): names, types, categories and values."""
    h = hashlib.sha256()
    for c in X.columns:
        h.update(f"{c}|{X[c].dtype}".encode())
        _hash_values(h, X[c])
    if y is not None:
        h.update(f"target|{y.name}|{y.dtype}".encode())
        _hash_values(h, y)
    return h.hexdigest()[:16]


def _hash_values(h: "hashlib._Hash", col: pd.Series) -> None:
    """A column's categories and codes, or its values rounded to 10 decimals (rounding: the same
    table read on another platform must give the same checksum)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        h.update("\x1f".join(map(str, col.cat.categories)).encode())
        h.update(np.ascontiguousarray(col.cat.codes.to_numpy(), dtype=np.int32).tobytes())
    else:
        h.update(np.ascontiguousarray(col.to_numpy(dtype=float)).round(10).tobytes())


def subsample(ds: Dataset, max_rows: int | None) -> Dataset:
    """PROTOCOL §1 ``max_rows``: a fixed-seed subsample, stratified by ``y`` when it is a class."""
    if max_rows is None or len(ds.X) <= max_rows:
        return ds
    strat = None
    if ds.target_kind == "classification" and ds.y is not None:
        counts = ds.y.value_counts()
        # Stratify only when every class can appear in the sample.
        if counts.min() >= 2 and counts.size <= max_rows:
            strat = ds.y.to_numpy()
    idx, _ = train_test_split(
        np.arange(len(ds.X)), train_size=max_rows, random_state=SUBSAMPLE_SEED, stratify=strat
    )
    idx = np.sort(idx)
    X = ds.X.iloc[idx].reset_index(drop=True)
    y = None if ds.y is None else ds.y.iloc[idx].reset_index(drop=True)
    if y is not None and isinstance(y.dtype, pd.CategoricalDtype):
        y = y.cat.remove_unused_categories()
    X = X.apply(lambda s: s.cat.remove_unused_categories() if isinstance(s.dtype, pd.CategoricalDtype) else s)
    return replace(ds, X=X, y=y, checksum=table_checksum(X, y), meta={**ds.meta, "max_rows": max_rows})
