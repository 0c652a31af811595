"""The transfer track's tasks (PROTOCOL §7): a dataset split into a source and a target domain.

A task is a catalog (or user) dataset plus a domain rule fixed here: a column and the values that
make the target domain, or a numeric threshold (``"median"``: the column's median on the complete
table) above which a row is in the target domain. The split column is removed from the features of
both domains so they share one feature space; when it is the dataset's target (a label shift) it
stays the target. Users add tasks on their own datasets with ``imputebench transfer add``; they are
kept in ``<data home>/transfer_tasks.json``.

What a task needs: a dataset (catalog, or your own via ``imputebench datasets add``), a column that is
a feature or the target, and a rule on it whose target domain holds at least ``min_target_rows``
complete rows (default :data:`MIN_TARGET_ROWS`, PROTOCOL §7) and whose source domain is not empty.
The minimum is statistical: the target test part is drawn first as ``min(2000, target rows -
largest n_target)`` rows, the same for every ``n_target``, so with 1,500 rows and ``n_target`` up to
1,000 it keeps 500 rows to score on. A task may lower it (:func:`check_min_target_rows`) down to the
largest ``n_target`` plus :data:`MIN_TEST_ROWS`; its scores then rest on fewer test rows and are noisier.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...atomic import atomic_write
from ...errors import DatasetError, UsageError

MIN_TARGET_ROWS = 1500  # PROTOCOL §7: every target domain has at least this many rows (default)
MIN_TEST_ROWS = 100  # the smallest target test part a lowered minimum may leave (next to the largest n_target)
USER_TASKS_FILE = "transfer_tasks.json"
_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"


@dataclass(frozen=True)
class TransferTask:
    """A dataset and the rule that splits it into source and target domains."""

    name: str
    dataset: str
    column: str
    values: tuple[str, ...] = ()  # target domain: rows whose ``column`` is one of these
    threshold: float | str | None = None  # or: rows whose ``column`` is above this ("median" allowed)
    note: str = ""
    min_target_rows: int = MIN_TARGET_ROWS  # the target domain's minimum size (PROTOCOL §7)

    @property
    def rule(self) -> str:
        """The rule in words, for listings and pages."""
        if self.values:
            return f"{self.column} in {{{', '.join(self.values)}}}"
        return f"{self.column} > {self.threshold}"

    def to_dict(self) -> dict:
        """The task as stored; the default minimum is left out, so a task's identity (its registry
        entry, its cached domain gap) is the same as before the minimum became an option."""
        d = asdict(self)
        if self.min_target_rows == MIN_TARGET_ROWS:
            del d["min_target_rows"]
        return d


def _letters(first: str, last: str) -> tuple[str, ...]:
    return tuple(chr(c) for c in range(ord(first), ord(last) + 1))


# PROTOCOL §7's suggested tasks that the catalog serves (each target domain checked >= 1,500 rows on
# the mirror: tests/test_transfer_tasks.py).
BUILTIN_TASKS: dict[str, TransferTask] = {t.name: t for t in (
    TransferTask("adult-sex", "adult", "sex", values=("Female",), note="source: men, target: women"),
    TransferTask("default_credit-sex", "default_credit", "SEX", values=("1",),
                 note="SEX 1 (male) is the target domain"),
    TransferTask("shoppers-visitor", "shoppers", "VisitorType", values=("New_Visitor",),
                 note="returning (and other) visitors to new visitors"),
    TransferTask("beijing-year", "beijing", "year", values=("2014",), note="2010-2013 to 2014: a shift in time"),
    TransferTask("california-north", "california", "latitude", threshold="median",
                 note="south to north of the median latitude"),
    TransferTask("letter-half", "letter", "lettr", values=_letters("N", "Z"),
                 note="letters A-M to N-Z: a label shift"),
    TransferTask("dry_bean-group", "dry_bean", "Class", values=("BARBUNYA", "BOMBAY", "CALI"),
                 note="four bean varieties to the three large-seeded ones: a label shift"),
    TransferTask("magic-hadron", "magic", "class", values=("h",), note="gamma showers to hadron showers"),
)}


def _user_path(home: Path) -> Path:
    return Path(home) / USER_TASKS_FILE


def user_tasks(home: Path) -> dict[str, TransferTask]:
    path = _user_path(home)
    if not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise DatasetError(f"transfer task registry {path} is corrupt; fix or delete it") from None
    return {n: TransferTask(**{**e, "values": tuple(e["values"])}) for n, e in entries.items()}


def tasks_on(home: Path, dataset: str) -> list[str]:
    """The user's transfer tasks on ``dataset``."""
    return sorted(n for n, t in user_tasks(home).items() if t.dataset == dataset)


def all_tasks(home: Path) -> dict[str, TransferTask]:
    """Built-in tasks and the user's, by name."""
    return {**BUILTIN_TASKS, **user_tasks(home)}


def get_task(name: str, home: Path) -> TransferTask:
    return select_tasks([name], home)[0]


def select_tasks(names: list[str] | tuple[str, ...], home: Path) -> list[TransferTask]:
    """The tasks named (every unknown name in one error), or every task, by name, when none is named:
    what ``transfer tasks NAME...`` lists, so only those tasks' domains and gaps are computed."""
    tasks = all_tasks(home)
    unknown = [n for n in names if n not in tasks]
    if unknown:
        raise UsageError(f"unknown transfer task{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                         f"valid: {', '.join(sorted(tasks))} (see `imputebench transfer tasks`)")
    return [tasks[n] for n in (dict.fromkeys(names) if names else sorted(tasks))]


def smallest_min_target_rows() -> int:
    """The lowest ``min_target_rows`` a task may set: the largest ``n_target`` plus :data:`MIN_TEST_ROWS`."""
    from .parts import N_TARGETS  # the scarcity grid every target domain must serve (PROTOCOL §7)

    return max(N_TARGETS) + MIN_TEST_ROWS


def check_min_target_rows(value: int) -> int:
    """``value`` as a task's target-domain minimum, or a one-line error saying why it cannot be."""
    floor = smallest_min_target_rows()
    if not isinstance(value, int) or isinstance(value, bool) or value < floor:
        raise UsageError(f"--min-target-rows must be a whole number of at least {floor}, got {value!r}: the target "
                         f"test part is the target rows minus the largest n_target ({floor - MIN_TEST_ROWS}), and "
                         f"needs at least {MIN_TEST_ROWS} rows (PROTOCOL §7; default {MIN_TARGET_ROWS}, 500 test rows)")
    return value


def parse_threshold(text: str) -> float | str:
    if text == "median":
        return text
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"--threshold takes a number or 'median', got {text!r}") from None


def add_user_task(home: Path, task: TransferTask, *, replace: bool = False) -> TransferTask:
    """Register ``task`` (checked by the caller against its dataset: :func:`split_domains`)."""
    if not re.fullmatch(_NAME, task.name):
        raise UsageError(f"task name {task.name!r} must be letters, digits, '_', '.' or '-'")
    if task.name in BUILTIN_TASKS:
        raise UsageError(f"{task.name!r} is a built-in transfer task; choose another name")
    if bool(task.values) == (task.threshold is not None):
        raise UsageError("give the target domain as --values V1,V2 or as --threshold X (a number or 'median'), "
                         "exactly one")
    check_min_target_rows(task.min_target_rows)
    registry = user_tasks(home)
    if task.name in registry and not replace:
        raise UsageError(f"transfer task {task.name!r} exists; add --replace to register it again")
    registry[task.name] = task
    Path(home).mkdir(parents=True, exist_ok=True)
    payload = json.dumps({n: t.to_dict() for n, t in sorted(registry.items())}, indent=1)
    atomic_write(_user_path(home), lambda f: f.write(payload.encode()))
    return task


def _as_text(values: pd.Series) -> np.ndarray:
    """Cell values as the catalog writes them: ``2014.0`` is ``"2014"``, categories by their label."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(str).to_numpy()
    v = values.to_numpy(dtype=float)
    return np.array([str(int(x)) if float(x).is_integer() else repr(float(x)) for x in v])


def target_domain(task: TransferTask, X: pd.DataFrame, y: pd.Series | None) -> np.ndarray:
    """Boolean per row: True in the target domain (the rule applied to the complete table)."""
    if task.column in X.columns:
        col = X[task.column]
    elif y is not None and task.column == y.name:
        col = y
    else:
        raise UsageError(f"transfer task {task.name}: column {task.column!r} is neither a feature nor the target "
                         f"of {task.dataset}; its columns: {', '.join(map(str, X.columns))}")
    if task.values:
        return np.isin(_as_text(col), np.asarray(task.values, dtype=str))
    if isinstance(col.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(col.dtype):
        raise UsageError(f"transfer task {task.name}: a threshold needs a numeric column; {task.column!r} is "
                         "categorical (give --values instead)")
    v = col.to_numpy(dtype=float)
    cut = float(np.median(v)) if task.threshold == "median" else float(task.threshold)
    return v > cut


@dataclass(frozen=True)
class Domains:
    """The two domains of a task, on one feature space (the split column dropped)."""

    X_source: pd.DataFrame
    y_source: pd.Series | None
    X_target: pd.DataFrame
    y_target: pd.Series | None


def split_domains(task: TransferTask, X: pd.DataFrame, y: pd.Series | None) -> Domains:
    """PROTOCOL §7: source and target rows, split column removed; both keep the table's categories."""
    in_target = target_domain(task, X, y)
    n_target, n_source = int(in_target.sum()), int((~in_target).sum())
    if n_target < task.min_target_rows or n_source == 0:
        lower = (f"; --min-target-rows lowers the minimum to as few as {smallest_min_target_rows()}, with noisier "
                 "scores" if n_source and n_target >= smallest_min_target_rows() else "")
        raise DatasetError(f"transfer task {task.name}: the rule {task.rule} gives {n_target} target and "
                           f"{n_source} source rows; the target domain needs at least {task.min_target_rows} rows "
                           f"and the source at least one (PROTOCOL §7){lower}")
    features = X.drop(columns=[task.column]) if task.column in X.columns else X
    ys = None if y is None else y[~in_target]
    yt = None if y is None else y[in_target]
    return Domains(features[~in_target], ys, features[in_target], yt)
