"""What every torch imputer shares: device choice, seeding, MLPs and mini-batches.

torch is imported here, so only neural imputers pay for it (it is the ``deep`` extra).
"""

from __future__ import annotations

import math
from typing import Iterator, Sequence

import numpy as np
import torch
from torch import nn


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"``: CUDA when present, else CPU; otherwise the named device."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def seeded_generator(random_state: int | None, device: torch.device | None = None) -> torch.Generator:
    """A torch generator from the harness's ``random_state`` (PROTOCOL §4: the only randomness);
    also seeds torch's global RNG, which layer initialisation uses."""
    seed = 0 if random_state is None else int(random_state)
    torch.manual_seed(seed)
    gen = torch.Generator(device=device or "cpu")
    gen.manual_seed(seed)
    return gen


def mlp(sizes: Sequence[int], activation: type[nn.Module] = nn.ReLU, out: nn.Module | None = None) -> nn.Sequential:
    """A fully connected network ``sizes[0] -> ... -> sizes[-1]`` with ``activation`` between layers."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(activation())
    if out is not None:
        layers.append(out)
    return nn.Sequential(*layers)


def minibatches(n: int, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Row indices of one shuffled epoch in batches."""
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def to_tensor(a: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32, device=device)


class NormalLaw:
    """A Gaussian's ``loc``, ``scale`` and ``log_prob``: the arithmetic of
    ``torch.distributions.Normal.log_prob`` op for op (so the same bits), without the distribution's
    per-call broadcasting and argument checks, which cost more than the maths on a small batch."""

    def __init__(self, loc: torch.Tensor, scale: torch.Tensor) -> None:
        self.loc, self.scale = loc, scale

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - math.log(math.sqrt(2 * math.pi))


def standard_normal_log_prob(value: torch.Tensor) -> torch.Tensor:
    """``Normal(0.0, 1.0).log_prob(value)``'s bits: subtracting a zero loc and log-scale, and
    dividing by 2 * 1.0, are exact, so they are left out."""
    return -(value ** 2) / 2.0 - math.log(math.sqrt(2 * math.pi))


class StudentTLaw:
    """Student's t ``df``, ``loc``, ``scale`` and ``log_prob``, op for op as
    ``torch.distributions.StudentT.log_prob`` (which also builds a chi-square law per call)."""

    def __init__(self, df: torch.Tensor, loc: torch.Tensor, scale: torch.Tensor) -> None:
        self.df, self.loc, self.scale = df, loc, scale

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        y = (value - self.loc) / self.scale
        Z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + torch.lgamma(0.5 * self.df) - torch.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * torch.log1p(y ** 2.0 / self.df) - Z
