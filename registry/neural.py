"""What every torch imputer shares: device choice, seeding, MLPs and mini-batches.

torch is imported here, so only neural imputers pay for it (it is the ``deep`` extra).
"""

from __future__ import annotations

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
