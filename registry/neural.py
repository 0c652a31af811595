"""What every torch imputer shares: device choice, seeding, MLPs and mini-batches, and lean stand-ins
(log-densities, optimisers) that compute torch's arithmetic op for op with less per-step overhead.

torch is imported here, so only neural imputers pay for it (it is the ``deep`` extra).
"""

from __future__ import annotations

import math
from typing import Iterable, Iterator, Sequence

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


class LeanOptimiser:
    """What the lean optimisers share: their parameters, ``zero_grad`` (gradients to None, as torch's
    default), and which parameters have a gradient this step (torch skips the others, state included)."""

    def __init__(self, params: Iterable[torch.Tensor]) -> None:
        self.params = list(params)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    def live(self) -> list[int]:
        """Indices of the parameters with a gradient."""
        return [i for i, p in enumerate(self.params) if p.grad is not None]


class LeanAdam(LeanOptimiser):
    """Adam (no weight decay, no AMSGrad) with the arithmetic of ``torch.optim.Adam`` op for op, so the
    same bits (tests/test_deep.py checks it against ``torch.optim.Adam``), without the optimiser's
    per-step wrappers (hooks, profiling records, grouping, step tensors): on a network of a few small
    layers those cost as much as the update itself."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        super().__init__(params)
        self.lr, (self.beta1, self.beta2), self.eps = float(lr), betas, eps
        self.exp_avgs = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.exp_avg_sqs = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.steps = [0] * len(self.params)  # per parameter, as torch counts them (one with no grad skips)

    @torch.no_grad()
    def step(self) -> None:
        live = self.live()
        params = [self.params[i] for i in live]
        grads = [p.grad for p in params]
        avgs, sqs = [self.exp_avgs[i] for i in live], [self.exp_avg_sqs[i] for i in live]
        for i in live:
            self.steps[i] += 1
        torch._foreach_lerp_(avgs, grads, 1 - self.beta1)
        torch._foreach_mul_(sqs, self.beta2)
        torch._foreach_addcmul_(sqs, grads, grads, 1 - self.beta2)
        steps = [float(self.steps[i]) for i in live]
        denom = torch._foreach_sqrt(sqs)
        torch._foreach_div_(denom, [(1 - self.beta2 ** t) ** 0.5 for t in steps])
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(params, avgs, denom, [(self.lr / (1 - self.beta1 ** t)) * -1 for t in steps])


class LeanNesterovSGD(LeanOptimiser):
    """SGD with Nesterov momentum (no dampening, no weight decay) with the arithmetic of
    ``torch.optim.SGD(nesterov=True)`` op for op, without its per-step wrappers (as :class:`LeanAdam`)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float, momentum: float) -> None:
        super().__init__(params)
        self.lr, self.momentum = float(lr), float(momentum)
        self.buffers: list[torch.Tensor | None] = [None] * len(self.params)

    @torch.no_grad()
    def step(self) -> None:
        live = self.live()
        grads = [self.params[i].grad for i in live]
        held = [self.buffers[i] for i in live]
        if all(b is not None for b in held):
            torch._foreach_mul_(held, self.momentum)
            torch._foreach_add_(held, grads, alpha=1)
        else:  # a parameter's first step: its buffer starts as its gradient
            for k, i in enumerate(live):
                if self.buffers[i] is None:
                    self.buffers[i] = grads[k].detach().clone()
                else:
                    self.buffers[i].mul_(self.momentum).add_(grads[k], alpha=1)
            held = [self.buffers[i] for i in live]
        torch._foreach_add_(grads, held, alpha=self.momentum)
        torch._foreach_add_([self.params[i] for i in live], grads, alpha=-self.lr)
