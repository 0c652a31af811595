"""Scores of imputers on masks (PROTOCOL §6): what each imputer has on each block, and ties.

A *block* is one mask, ``(dataset, mechanism, rate, seed)``. On a block each imputer's cell is one of:
a *score* (an ``ok`` job with a defined value of the metric), a *failure* (``failed``, ``timeout`` or
``diverged``), *infeasible* (the method does not apply there by design), *no job* (the store has no
row for it) or *no score* (an ``ok`` job whose metric is undefined). The rankings built on these
(:mod:`.leaderboard`) decide what each cell means for a comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

BLOCK_KEYS = ["dataset", "mechanism", "rate", "seed"]

# What an imputer has on a block (BlockMatrix.state); a *result* is a score or a failure.
SCORE, FAILURE, INFEASIBLE, NO_JOB, NO_SCORE = 0, 1, 2, 3, 4
# A block's cell from its job's status; with several rows, the first of ok, failure, infeasible.
STATUS_CELL = {"ok": SCORE, "diverged": FAILURE, "failed": FAILURE, "timeout": FAILURE, "infeasible": INFEASIBLE}

# PROTOCOL §6 ties: floating-point noise never orders two scores.
TIE_RTOL = 1e-9
TIE_ATOL = 1e-12


def tied(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """PROTOCOL §6: True where two scores are equal for ranking, |a - b| <= max(TIE_ATOL,
    TIE_RTOL max(|a|, |b|)) (symmetric, unlike ``numpy.isclose``). NaN is tied with nothing."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):  # inf - inf: not tied
        return np.abs(a - b) <= np.maximum(TIE_ATOL, TIE_RTOL * np.maximum(np.abs(a), np.abs(b)))

def merge_ties(values: np.ndarray) -> np.ndarray:
    """``values`` with tied scores (:func:`tied`) made exactly equal along the last axis, so every
    ranking sees them as ties. In ascending order each value joins the group of the smallest value
    it is tied with (the group's first), else starts a group; a group's members all take its first
    value, so a group never spans more than the tolerance. NaN stays NaN. Done on raw scores (before
    orienting by direction), so the groups do not depend on which way is better."""
    v = np.asarray(values, dtype=float)
    if v.size == 0 or v.ndim == 0:
        return v.copy()
    flat = v.reshape(-1, v.shape[-1])
    order = np.argsort(flat, axis=1, kind="stable")
    ascending = np.take_along_axis(flat, order, axis=1)
    if not tied(ascending[:, 1:], ascending[:, :-1]).any():
        return v.copy()  # the common case: no two neighbours tied, nothing to merge
    first = ascending.copy()
    for j in range(1, ascending.shape[1]):
        joins = tied(ascending[:, j], first[:, j - 1])
        first[:, j] = np.where(joins, first[:, j - 1], ascending[:, j])
    out = np.empty_like(flat)
    np.put_along_axis(out, order, first, axis=1)
    return out.reshape(v.shape)




def oriented(values: np.ndarray, higher_better: bool) -> np.ndarray:
    """Scores with ties merged (:func:`merge_ties`) and turned so that lower is better; NaN - a
    failure, in a comparison's complete blocks - becomes +inf: last, and tied with other failures."""
    merged = merge_ties(values)
    turned = -merged if higher_better else merged
    return np.where(np.isnan(turned), np.inf, turned)


@dataclass(frozen=True)
class BlockMatrix:
    """One metric on masks: rows are blocks (one mask each, :data:`BLOCK_KEYS` in the ``keys``
    arrays), columns imputers. ``values``: the score, NaN where the imputer has none; ``state``: what
    it has there (:data:`SCORE`, :data:`FAILURE`, :data:`INFEASIBLE`, :data:`NO_JOB`, :data:`NO_SCORE`);
    left out, it is read off ``values`` (a score or no job)."""

    keys: dict[str, np.ndarray]  # BLOCK_KEYS -> one value per block (numpy: cheap to slice)
    imputers: list[str]
    values: np.ndarray  # (n_blocks, n_imputers)
    state: np.ndarray | None = None  # (n_blocks, n_imputers) int8

    def __post_init__(self) -> None:
        if self.state is None:
            object.__setattr__(self, "state", np.where(np.isnan(self.values), NO_JOB, SCORE).astype(np.int8))

    @property
    def blocks(self) -> pd.DataFrame:
        return pd.DataFrame(self.keys)

    def take(self, rows: np.ndarray, columns: np.ndarray | None = None) -> "BlockMatrix":
        """The sub-matrix of some blocks (boolean or index array) and optionally some imputers."""
        values, state = self.values[rows], self.state[rows]
        imputers = self.imputers
        if columns is not None:
            values, state = values[:, columns], state[:, columns]
            imputers = [imp for imp, keep in zip(self.imputers, columns) if keep]
        return BlockMatrix({k: v[rows] for k, v in self.keys.items()}, imputers, values, state)

    @property
    def comparisons(self) -> np.ndarray:
        """True for blocks on which some imputer has a score (the others compare nothing)."""
        return (self.state == SCORE).any(axis=1)


def block_matrix(rows: pd.DataFrame, metric: str) -> BlockMatrix:
    """Scores and cells of every job on each mask (see :class:`BlockMatrix`)."""
    return block_matrices(rows.assign(setting=""), [metric])[("", metric)]


def block_matrices(rows: pd.DataFrame, metrics: Sequence[str]) -> dict[tuple[str, str], BlockMatrix]:
    """:class:`BlockMatrix` per (setting, metric), from two groupbys per setting. Every block with a
    job row is kept; imputers that have jobs in a setting but no success still belong to its
    comparisons."""
    out: dict[tuple[str, str], BlockMatrix] = {}
    for setting, srows in rows.groupby("setting", sort=True):
        imputers = sorted(set(srows["imputer"]))
        cell = srows["status"].map(STATUS_CELL).fillna(FAILURE)  # an unknown status is no success
        cells = (srows.assign(_cell=cell).groupby([*BLOCK_KEYS, "imputer"], sort=True)["_cell"].min()
                 .unstack("imputer").reindex(columns=imputers))
        ok = srows[srows["status"] == "ok"]
        wide = ok.groupby([*BLOCK_KEYS, "imputer"], sort=True)[list(metrics)].mean().unstack("imputer")
        keys = {k: cells.index.get_level_values(k).to_numpy(dtype=float if k == "rate" else object)
                for k in BLOCK_KEYS}
        codes = cells.to_numpy(dtype=float)
        for metric in metrics:
            values = (wide[metric].reindex(index=cells.index, columns=imputers).to_numpy(dtype=float)
                      if len(wide) else np.full(codes.shape, np.nan))
            state = np.where(np.isnan(codes), NO_JOB, codes)
            state = np.where((state == SCORE) & np.isnan(values), NO_SCORE, state).astype(np.int8)
            out[(str(setting), metric)] = BlockMatrix(keys, imputers, values, state)
    return out
