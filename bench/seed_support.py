"""Torch pieces the encoded-matrix seed imputers share (Meta-GAIN, DiffPuter).

A mixed table is encoded once by :class:`~imputebench.encoding.MixedEncoder` (numeric columns scaled,
categorical ones as one-hot blocks); the helpers here turn a network's raw output over that encoded
layout into values (sigmoid for scaled numbers, softmax per categorical block) and score it with a
loss that treats categories as categories (cross-entropy per block, PROTOCOL §4), never as floats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .encoding import MixedEncoder


@dataclass(frozen=True)
class EncodedLayout:
    """Where numbers and categorical blocks sit in the encoded matrix (as torch index tensors)."""

    n_encoded: int
    numeric_slots: torch.Tensor
    blocks: tuple[tuple[int, int], ...]

    @classmethod
    def from_encoder(cls, encoder: MixedEncoder, device: torch.device) -> "EncodedLayout":
        return cls(
            n_encoded=encoder.n_encoded_,
            numeric_slots=torch.as_tensor(encoder.numeric_slots, dtype=torch.long, device=device),
            blocks=tuple((b.start, b.stop) for b in encoder.categorical_blocks),
        )


@dataclass
class EncodedTable:
    """A table in encoded space: values with missing cells set to ``fill`` and the observed mask."""

    values: np.ndarray  # float, missing cells filled
    observed: np.ndarray  # float 0/1, same shape


def encode_table(encoder: MixedEncoder, X: pd.DataFrame, fill: float | np.ndarray = 0.0) -> EncodedTable:
    """Encode ``X``; missing encoded cells take ``fill`` (a scalar or one value per encoded column)."""
    values = encoder.encode(X)
    observed = encoder.observed(X)
    filled = np.where(observed, np.nan_to_num(values), np.broadcast_to(fill, values.shape))
    return EncodedTable(values=filled.astype(float), observed=observed.astype(float))


def activate(raw: torch.Tensor, layout: EncodedLayout) -> torch.Tensor:
    """Raw network output -> values: sigmoid on min-max scaled numbers, softmax per categorical block."""
    out = torch.empty_like(raw)
    out[:, layout.numeric_slots] = torch.sigmoid(raw[:, layout.numeric_slots])
    for start, stop in layout.blocks:
        out[:, start:stop] = torch.softmax(raw[:, start:stop], dim=1)
    return out


def reconstruction_loss(raw: torch.Tensor, target: torch.Tensor, weight: torch.Tensor,
                        layout: EncodedLayout) -> torch.Tensor:
    """Mean over weighted cells: squared error of sigmoid outputs on numbers, cross-entropy per block.

    ``weight`` is per encoded cell (1 = counts; observed cells for GAIN-style losses); a categorical
    cell counts once per column, through its block's first slot's weight.
    """
    num = layout.numeric_slots
    total = ((torch.sigmoid(raw[:, num]) - target[:, num]) ** 2 * weight[:, num]).sum()
    count = weight[:, num].sum()
    for start, stop in layout.blocks:
        w = weight[:, start]
        log_p = F.log_softmax(raw[:, start:stop], dim=1)
        total = total - ((target[:, start:stop] * log_p).sum(dim=1) * w).sum()
        count = count + w.sum()
    return total / count.clamp_min(1.0)


def class_codes(y: pd.Series | None, n_rows: int, who: str) -> tuple[np.ndarray, int]:
    """Integer class codes of a class target, or a ValueError saying that ``who`` needs one (PROTOCOL §3)."""
    if y is None:
        raise ValueError(f"{who} needs a class target (it uses the train labels, PROTOCOL §3); "
                         "this dataset has none, or the harness passed no labels")
    y = pd.Series(y)
    if len(y) != n_rows:
        raise ValueError(f"{who}: got {len(y)} labels for {n_rows} rows")
    if isinstance(y.dtype, pd.CategoricalDtype):
        codes = y.cat.remove_unused_categories().cat.codes.to_numpy()
    elif pd.api.types.is_float_dtype(y.dtype):
        # Canonical class targets are categories (PROTOCOL §1); floats are a regression target.
        raise ValueError(f"{who} needs a class target; got a regression target ({y.name!r})")
    else:
        codes = pd.Categorical(y).codes
    if (codes < 0).any():
        raise ValueError(f"{who}: the class target has missing labels")
    return codes.astype(np.int64), int(codes.max()) + 1


def xavier_init_(module: nn.Module) -> nn.Module:
    """Xavier-normal weights and zero biases for every linear layer (GAIN's initialisation)."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_normal_(layer.weight)
            nn.init.zeros_(layer.bias)
    return module
