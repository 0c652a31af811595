"""The roles of a brought table's columns (PROTOCOL §1): the target, the categorical features, the
columns dropped (``--drop``) and the identifier columns removed (``--id``); every other column is a
numeric feature. Pure checks on the raw table, each naming every offending column and the flag that
fixes it, so one attempt shows the whole list."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import DatasetError, UsageError
from .canonical import MISSING_MARKERS, TargetKind

_EXAMPLES = 3  # columns whose offending value an error quotes (every column is named)


@dataclass(frozen=True)
class Roles:
    """What each named column of a table is."""

    target: str
    categorical: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()

    @property
    def removed(self) -> tuple[str, ...]:
        """Columns that never reach the canonical table (PROTOCOL §1)."""
        return (*self.ids, *self.drop)


def _joined(names: list[str]) -> str:
    return ", ".join(map(str, names))


def check_named_columns(columns: list[str], roles: Roles) -> None:
    """Every column a flag names exists, and none is given two roles."""
    flags = {"--target": (roles.target,), "--categorical": roles.categorical, "--drop": roles.drop, "--id": roles.ids}
    absent = [f"{flag} {_joined([c for c in cols if c not in columns])}" for flag, cols in flags.items()
              if any(c not in columns for c in cols)]
    if absent:
        raise UsageError(f"not columns of the table: {'; '.join(absent)}; its columns: {_joined(columns)}")
    seen: dict[str, str] = {}
    twice = []
    for flag, cols in flags.items():
        for c in cols:
            if c in seen:
                twice.append(f"{c!r} ({seen[c]} and {flag})")
            seen.setdefault(c, flag)
    if twice:
        raise UsageError(f"a column has one role; given two: {', '.join(twice)}")


def _present(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text[text.notna() & ~text.isin(list(MISSING_MARKERS))]


def _not_numbers(values: pd.Series) -> pd.Series:
    """The present cells of ``values`` that are not numbers."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not isinstance(values.dtype, pd.CategoricalDtype):
        return values.iloc[:0]
    present = _present(values)
    return present[pd.to_numeric(present, errors="coerce").isna()]


def is_identifier_like(values: pd.Series, min_rows: int = 10) -> bool:
    """A different value in every row, each a whole number or text: an identifier rather than a
    measurement (a real-valued column is also all-distinct, and is left alone)."""
    present = _present(values)
    if len(present) < min_rows or len(present) != len(values) or present.nunique() != len(present):
        return False
    numbers = pd.to_numeric(present, errors="coerce")
    return bool(numbers.isna().all() or (numbers.notna().all() and (numbers % 1 == 0).all()))


def _text_columns_error(name: str, raw: pd.DataFrame, text: dict[str, pd.Series]) -> DatasetError:
    """One line naming every text column (the first few with a value), the flags that fix them, and
    which of them look like identifiers."""
    many = len(text) > 1
    quoted = [f"{c} ({v.iloc[0]!r})" if i < _EXAMPLES else str(c) for i, (c, v) in enumerate(text.items())]
    them = "them" if many else "it"
    ids = [c for c in text if is_identifier_like(raw[c])]
    like = "look like identifiers" if len(ids) > 1 else "looks like an identifier"
    hint = f"; {_joined(ids)} {like}: --id {','.join(ids)}" if ids else ""
    return DatasetError(f"{name}: {len(text)} column{'s' if many else ''} not declared categorical "
                        f"hold{'' if many else 's'} text: {_joined(quoted)}; declare {them} with --categorical "
                        f"{','.join(map(str, text))}, or remove {them} with --drop or --id{hint}")


def check_feature_types(name: str, raw: pd.DataFrame, roles: Roles, target_kind: TargetKind) -> None:
    """Numeric features hold numbers, a regression target too: every text column is named at once,
    with the flags that fix it."""
    declared = {roles.target, *roles.categorical, *roles.removed}
    text = {c: _not_numbers(raw[c]) for c in raw.columns if c not in declared}
    text = {c: v for c, v in text.items() if len(v)}
    if text:
        raise _text_columns_error(name, raw, text)
    if target_kind == "regression":
        bad = _not_numbers(raw[roles.target])
        if len(bad):
            raise DatasetError(f"{name}: the regression target {roles.target!r} holds text ({bad.iloc[0]!r}); "
                               "give --task classification, or another --target")


def identifier_suspects(raw: pd.DataFrame, roles: Roles) -> list[str]:
    """Feature columns that look like identifiers (a different whole number or text in every row)."""
    return [c for c in raw.columns if c not in {roles.target, *roles.removed} and is_identifier_like(raw[c])]


def infer_target_kind(values: pd.Series) -> TargetKind:
    """A class when any label is text, or when it has at most 20 distinct integers; else a number."""
    numeric = pd.to_numeric(_present(values), errors="coerce")
    if numeric.isna().any():
        return "classification"
    distinct = numeric.unique()
    integral = all(float(v).is_integer() for v in distinct)
    return "classification" if integral and len(distinct) <= 20 else "regression"
