"""A mixed numeric/categorical table as a numeric matrix, and back.

Matrix-based imputers (KNN, PCA, SoftImpute, EM) and neural ones work on numbers; this module is
the one place that turns a canonical table (PROTOCOL §1) into a matrix and decodes the result.
Categorical columns become one-hot blocks whose cells are all NaN where the category is missing,
and decode by arg-max over the block, so categorical output is always a real category (PROTOCOL §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Scaling = Literal["minmax", "standard", "none"]


@dataclass(frozen=True)
class ColumnBlock:
    """Where one source column lives in the encoded matrix."""

    name: str
    kind: Literal["numeric", "categorical"]
    start: int
    stop: int
    categories: tuple = ()


class MixedEncoder:
    """Fit on a table with NaNs; ``encode`` gives a float matrix (NaN = missing), ``decode`` inverts it.

    ``scaling`` applies to numeric columns, with statistics from the observed cells of the fit table
    (a constant column maps to 0).
    """

    def __init__(self, scaling: Scaling = "minmax") -> None:
        self.scaling = scaling

    def fit(self, X: pd.DataFrame) -> "MixedEncoder":
        blocks: list[ColumnBlock] = []
        offset, loc, scale = 0, [], []
        for c in X.columns:
            col = X[c]
            if isinstance(col.dtype, pd.CategoricalDtype):
                cats = tuple(col.cat.categories)
                blocks.append(ColumnBlock(str(c), "categorical", offset, offset + len(cats), cats))
                offset += len(cats)
                loc += [0.0] * len(cats)
                scale += [1.0] * len(cats)
            else:
                v = col.to_numpy(dtype=float)
                v = v[~np.isnan(v)]
                if self.scaling == "minmax" and v.size:
                    lo, span = float(v.min()), float(v.max() - v.min())
                elif self.scaling == "standard" and v.size:
                    lo, span = float(v.mean()), float(v.std())
                else:
                    lo, span = 0.0, 1.0
                blocks.append(ColumnBlock(str(c), "numeric", offset, offset + 1))
                offset += 1
                loc.append(lo)
                scale.append(span if span > 0 else 1.0)
        self.blocks_ = blocks
        self.columns_ = list(X.columns)
        self.loc_ = np.asarray(loc)
        self.scale_ = np.asarray(scale)
        self.n_encoded_ = offset
        return self

    @property
    def numeric_slots(self) -> np.ndarray:
        """Indices of encoded columns that hold numeric features."""
        return np.array([b.start for b in self.blocks_ if b.kind == "numeric"], dtype=int)

    @property
    def categorical_blocks(self) -> list[ColumnBlock]:
        return [b for b in self.blocks_ if b.kind == "categorical"]

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        """The encoded matrix, NaN where the source cell is missing."""
        out = np.empty((len(X), self.n_encoded_), dtype=float)
        for b, c in zip(self.blocks_, self.columns_):
            col = X[c]
            if b.kind == "numeric":
                out[:, b.start] = col.to_numpy(dtype=float)
            else:
                codes = pd.Categorical(col, categories=list(b.categories)).codes
                block = np.zeros((len(X), b.stop - b.start))
                seen = codes >= 0
                block[np.flatnonzero(seen), codes[seen]] = 1.0
                block[~seen] = np.nan
                out[:, b.start:b.stop] = block
        return (out - self.loc_) / self.scale_

    def observed(self, X: pd.DataFrame) -> np.ndarray:
        """Boolean matrix in encoded space: True where the source cell is observed."""
        obs = np.empty((len(X), self.n_encoded_), dtype=bool)
        for b, c in zip(self.blocks_, self.columns_):
            obs[:, b.start:b.stop] = X[c].notna().to_numpy()[:, None]
        return obs

    def decode(self, Z: np.ndarray, index: pd.Index | None = None) -> pd.DataFrame:
        """A table from an encoded matrix: numeric columns unscaled, categorical by arg-max of the block."""
        raw = Z * self.scale_ + self.loc_
        data = {}
        for b, c in zip(self.blocks_, self.columns_):
            if b.kind == "numeric":
                data[c] = raw[:, b.start]
            else:
                block = np.nan_to_num(raw[:, b.start:b.stop], nan=-np.inf)
                codes = block.argmax(axis=1)
                data[c] = pd.Categorical.from_codes(codes, categories=list(b.categories))
        return pd.DataFrame(data, index=index, columns=self.columns_)
