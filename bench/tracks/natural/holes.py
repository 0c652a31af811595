"""A table's own holes (PROTOCOL §10), as pure functions: its missingness pattern, and §2's masks
drawn on its observed cells only.

Extra masks: §2's mechanisms need a value in every cell to compute a probability, so they see the
table with each hole filled by its column's mean (numbers) or most frequent category (a neutral
value: a standardised 0 for the logistic mechanisms); the drawn mask is then applied to the observed
cells only. Every observed cell is hidden with the mechanism's probability at the rate ``p``, so ``p``
is the share of the *observed* cells hidden (exactly so in expectation under ``mcar``, approximately
under the logistic mechanisms, whose probabilities average ``p`` over all rows); the share realised
is the job's ``realised_rate``. As in §2, no column is left without an observed cell: the draw is
repeated (from the same generator) until each column that had one keeps one.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from ...errors import InfeasibleMaskError
from ...protocol.masks import draw_mask

PATTERN_ROWS = 10  # the most common row patterns kept per table (the page shows them)
_REDRAWS = 100


def missingness_pattern(X: pd.DataFrame, top: int = PATTERN_ROWS) -> dict[str, Any]:
    """The table's missingness: per column its missing cells, and the ``top`` most common row patterns
    (each the columns a row misses, and how many rows have exactly that pattern; the complete rows'
    pattern is the empty list), most common first; ties: fewer missing columns first, then by the
    first column missing."""
    holes = X.isna().to_numpy()
    patterns, counts = np.unique(holes, axis=0, return_counts=True)
    order = sorted(range(len(counts)), key=lambda i: (-counts[i], patterns[i].sum(), [not b for b in patterns[i]]))
    return {"n_rows": int(holes.shape[0]), "columns": [str(c) for c in X.columns],
            "missing": [int(v) for v in holes.sum(axis=0)], "n_patterns": int(len(counts)),
            "patterns": [{"missing": [int(j) for j in np.flatnonzero(patterns[i])], "rows": int(counts[i])}
                         for i in order[:top]]}


def pattern_json(X: pd.DataFrame) -> str:
    """:func:`missingness_pattern` as canonical JSON (the store's ``missing_pattern`` column)."""
    return json.dumps(missingness_pattern(X), sort_keys=True)


def missing_share(X: pd.DataFrame) -> float:
    """The share of the table's cells that are missing."""
    return float(X.isna().to_numpy().mean()) if X.size else 0.0


def filled_for_drawing(X: pd.DataFrame) -> pd.DataFrame:
    """``X`` with each hole filled by its column's mean or most frequent category: what §2's mechanisms
    see when they draw on a table with holes (only to compute probabilities; never imputed data)."""
    out = X.copy()
    for c in X.columns:
        col = X[c]
        if not col.isna().any():
            continue
        if col.isna().all():  # nothing to take a value from: a constant, which the mechanisms ignore
            out[c] = col.cat.codes.astype(float) if isinstance(col.dtype, pd.CategoricalDtype) else 0.0
        elif isinstance(col.dtype, pd.CategoricalDtype):
            out[c] = col.fillna(col.value_counts().idxmax())
        else:
            out[c] = col.fillna(float(col.mean()))
    return out


def draw_observed_mask(X: pd.DataFrame, mechanism: str, rate: float, rng: np.random.Generator) -> np.ndarray:
    """§2's ``mechanism`` at ``rate``, applied to the observed cells of ``X`` (module docstring). True
    where a cell is not hidden by this mask: every naturally missing cell is True (it is missing
    already, and never scored)."""
    observed = X.notna().to_numpy()
    had_one = observed.any(axis=0)
    filled = filled_for_drawing(X)
    for _ in range(_REDRAWS):
        kept = draw_mask(filled, mechanism, rate, rng) | ~observed
        if ((kept & observed).any(axis=0) | ~had_one).all():
            return kept
    raise InfeasibleMaskError(f"{mechanism} at rate {rate:g} leaves a column without an observed cell "
                              "after 100 draws")


def hidden_share(kept: np.ndarray, X: pd.DataFrame) -> float:
    """The share of the observed cells that the extra mask ``kept`` hides (its realised rate)."""
    observed = X.notna().to_numpy()
    n = int(observed.sum())
    return float((observed & ~kept).sum() / n) if n else 0.0
