"""The transfer track's parts of a task and its strategies (PROTOCOL §7): which rows each part
holds, the parts' masks, which rows each strategy fits on.

Pure: nothing here reads or writes files (:mod:`imputebench.tracks.transfer.domains` is the data
edge). Every call into the imputer goes through the ``call`` it is given (in a job, the guarded
call :meth:`imputebench.harness.guard.ImputerGuard.call`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from ...errors import InfeasibleMaskError
from ...protocol.masks import PackedMask, draw_mask, job_seed

STRATEGIES = ("target-only", "source-only", "pooled", "fine-tune")  # PROTOCOL §7
N_TARGETS = (50, 200, 1000)  # PROTOCOL §7 scarcity
MAX_TEST_ROWS = 2000  # PROTOCOL §7: the target test set has at most this many rows
PARTS = ("source", "target-train", "target-test")


@dataclass(frozen=True)
class Part:
    """Complete rows of one part of a task, and their labels."""

    X: pd.DataFrame
    y: pd.Series | None


@dataclass(frozen=True)
class TaskParts:
    """PROTOCOL §7: the source, the target train set (``n_target`` rows) and the target test set."""

    source: Part
    target_train: Part
    target_test: Part

    def part(self, name: str) -> Part:
        return {"source": self.source, "target-train": self.target_train, "target-test": self.target_test}[name]


def rows_seed(task: str, seed: int) -> int:
    """The seed of a task's row draws (test set, target train sets, source subsample)."""
    key = f"{task}|rows|{int(seed)}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little") >> 1


def mask_seed(task: str, part: str, mechanism: str, rate: float, seed: int) -> int:
    """PROTOCOL §7: each part's mask from a seed derived from (task, part, mechanism, rate, seed)."""
    return job_seed(f"{task}|{part}", mechanism, rate, seed)


def _draw(n: int, size: int, y: pd.Series | None, rng: np.random.Generator) -> np.ndarray:
    """``size`` of ``n`` positions, stratified by ``y`` when it is a class every value of which can
    appear twice; sorted."""
    from sklearn.model_selection import train_test_split

    if size >= n:
        return np.arange(n)
    strat = None
    if y is not None and isinstance(y.dtype, pd.CategoricalDtype):
        counts = y.value_counts()
        counts = counts[counts > 0]
        if counts.min() >= 2 and counts.size <= min(size, n - size):
            strat = y.to_numpy()
    idx, _ = train_test_split(np.arange(n), train_size=size, stratify=strat,
                              random_state=int(rng.integers(2 ** 31)))
    return np.sort(idx)


def target_test_rows(target_rows: int) -> int:
    """PROTOCOL §7: the target test part's size, the same for every ``n_target``."""
    return min(MAX_TEST_ROWS, target_rows - max(N_TARGETS))


def part_rows(source_rows: int, target_rows: int, n_target: int, max_source_rows: int | None) -> dict[str, int]:
    """Rows of each part (:data:`PARTS` order) that :func:`draw_parts` gives, known without drawing."""
    return {"source": min(source_rows, max_source_rows or source_rows), "target-train": n_target,
            "target-test": target_test_rows(target_rows)}


def draw_parts(X_source: pd.DataFrame, y_source: pd.Series | None, X_target: pd.DataFrame,
               y_target: pd.Series | None, *, task: str, n_target: int, seed: int,
               max_source_rows: int | None) -> TaskParts:
    """PROTOCOL §7 scarcity. The target test set is drawn first, ``min(2000, target rows - max(N_TARGETS))``
    rows, so it is the same for every ``n_target`` of a seed; the target train set is then
    ``n_target`` rows of the rest; the source is the whole source domain, at most ``max_source_rows``.
    Draws are stratified when the target is a class."""
    rng = np.random.default_rng(rows_seed(task, seed))
    n_t = len(X_target)
    n_test = target_test_rows(n_t)
    if n_test < 1 or n_target > n_t - n_test:
        raise ValueError(f"{task}: {n_t} target rows cannot give a test set and {n_target} train rows")
    test = _draw(n_t, n_test, y_target, rng)
    pool = np.setdiff1d(np.arange(n_t), test)
    y_pool = None if y_target is None else y_target.iloc[pool]
    train = pool[_draw(len(pool), n_target, y_pool, rng)]
    src = _draw(len(X_source), max_source_rows or len(X_source), y_source, rng)

    def part(X: pd.DataFrame, y: pd.Series | None, idx: np.ndarray) -> Part:
        return Part(X.iloc[idx], None if y is None else y.iloc[idx])

    return TaskParts(part(X_source, y_source, src), part(X_target, y_target, train),
                     part(X_target, y_target, test))


def supports_adapt(imputer_or_class: Any) -> bool:
    """The optional transfer contract (PROTOCOL §7): an ``adapt(X, y=None, **budget)`` method."""
    return callable(getattr(imputer_or_class, "adapt", None))


Call = Callable[..., Any]  # call(imputer, method, X, y=None, **kwargs) -> what the method returns


def direct_call(imputer: Any, method: str, X: pd.DataFrame, y: pd.Series | None = None, **kwargs: Any) -> Any:
    """Call ``imputer.method`` as it is, labels only to an imputer that uses them (what
    :func:`fit_strategy` does outside a job, where the guarded call is not needed)."""
    from ...harness.guard import LABELLED_METHODS, uses_labels

    if method in LABELLED_METHODS:
        return getattr(imputer, method)(X, y if uses_labels(imputer) else None, **kwargs)
    return getattr(imputer, method)(X, **kwargs)


def fit_strategy(make_imputer: Callable[[], Any], strategy: str, source: Part, target_train: Part,
                 budget: Mapping[str, Any] | None = None, call: Call = direct_call) -> Any:
    """A fitted imputer for ``strategy`` (PROTOCOL §7), given the *masked* source and target train parts:
    ``target-only`` fits on the target train rows only, ``source-only`` on the source rows only,
    ``pooled`` on both, ``fine-tune`` fits on the source and then ``adapt``s on the target train rows.
    Labels go with the rows; ``call`` hands them only to an imputer that uses them."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; valid: {', '.join(STRATEGIES)}")
    imputer = make_imputer()
    if strategy == "target-only":
        call(imputer, "fit", target_train.X, target_train.y)
    elif strategy == "source-only":
        call(imputer, "fit", source.X, source.y)
    elif strategy == "pooled":
        y = None if source.y is None or target_train.y is None else pd.concat([source.y, target_train.y])
        call(imputer, "fit", pd.concat([source.X, target_train.X]), y)
    else:  # fine-tune
        if not supports_adapt(imputer):
            raise ValueError(f"{type(imputer).__name__} has no adapt(X, y=None): the fine-tune strategy needs "
                             "the transfer contract (PROTOCOL §7)")
        call(imputer, "fit", source.X, source.y)
        call(imputer, "adapt", target_train.X, target_train.y, **dict(budget or {}))
    return imputer


def draw_part_masks(parts: TaskParts, task: str, mechanism: str, rate: float, seed: int) -> PackedMask:
    """PROTOCOL §7: each part's mask from its own seed of (task, part, mechanism, rate, seed), stacked
    in :data:`PARTS` order; an unreachable rate on any part makes the whole mask infeasible."""
    masks, realised = [], {}
    for p in PARTS:
        X = parts.part(p).X
        rng = np.random.default_rng(mask_seed(task, p, mechanism, rate, seed))
        try:
            m = draw_mask(X, mechanism, rate, rng)
        except InfeasibleMaskError as exc:
            return PackedMask.of_infeasible(f"{p}: {exc}")
        masks.append(m)
        realised[p] = float(1.0 - m.mean())
    meta = {"task": task, "mechanism": mechanism, "rate": rate, "seed": seed,
            "parts": {p: len(parts.part(p).X) for p in PARTS}, "realised_rates": realised,
            "realised_rate": realised["target-test"]}
    return PackedMask.pack(np.vstack(masks), meta)


def split_part_masks(mask: np.ndarray, parts: TaskParts) -> dict[str, np.ndarray]:
    """The stacked mask cut back into its parts; a mask that does not fit the parts is an error."""
    sizes = [len(parts.part(p).X) for p in PARTS]
    if mask.shape != (sum(sizes), parts.target_test.X.shape[1]):
        raise ValueError(f"the stored mask is {mask.shape}, the task's parts {sum(sizes)} x "
                         f"{parts.target_test.X.shape[1]}")
    bounds = np.cumsum([0, *sizes])
    return {p: mask[bounds[i]:bounds[i + 1]] for i, p in enumerate(PARTS)}
