"""MIDA: multiple imputation with an over-complete denoising autoencoder (Gondara & Wang, PAKDD 2018).

Missing cells start at the column mean (category frequencies for a one-hot block); training
corrupts the input by dropping cells at rate ``dropout`` (the paper's input dropout), and an
over-complete tanh autoencoder, whose encoder widens by ``theta`` units per layer
(d -> d+θ -> d+2θ -> d+3θ) and whose decoder mirrors it, reconstructs every observed cell:
squared error for numbers (min-max scaled), cross-entropy over each categorical block. The paper
trains with Nesterov momentum for 500 epochs and averages ``n_imputations`` independently
initialised models (multiple imputation).

One deliberate difference from a plain ``nn.Dropout`` on the input: a dropped cell is set to the
same column-mean fill as a missing one (whole one-hot block at once, no 1/(1-p) rescaling), so a
corrupted training row looks exactly like an incomplete row at imputation time; with rescaled
zeros the network never sees mean-filled inputs with a loss on them and learns to copy instead.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from .deep_tabular import DeepTabularImputer, sgd_step, xavier_init
from ..imputer import DEVICE, FRACTION, POSITIVE_INT, POSITIVE_REAL, SEED
from .info import BUILTIN_INFO



class _DAE(nn.Module):
    def __init__(self, width: int, theta: int, depth: int) -> None:
        super().__init__()
        sizes = [width + theta * i for i in range(depth + 1)]
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.Tanh()]
        rev = sizes[::-1]
        for i, (a, b) in enumerate(zip(rev[:-1], rev[1:])):
            layers.append(nn.Linear(a, b))
            if i < depth - 1:
                layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class MIDAEImputer(DeepTabularImputer):
    info = BUILTIN_INFO["midae"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"epochs": [POSITIVE_INT], "theta": [POSITIVE_INT], "depth": [POSITIVE_INT], "dropout": [FRACTION],
                              "batch_size": [POSITIVE_INT], "learning_rate": [POSITIVE_REAL], "momentum": [FRACTION],
                              "n_imputations": [POSITIVE_INT], "device": DEVICE, "random_state": SEED}
    scaling = "minmax"

    def __init__(self, epochs: int = 500, theta: int = 7, depth: int = 3, dropout: float = 0.5,
                 batch_size: int = 64, learning_rate: float = 0.01, momentum: float = 0.99,
                 n_imputations: int = 5, device: str = "auto", random_state: int | None = None) -> None:
        self.epochs = epochs
        self.theta = theta
        self.depth = depth
        self.dropout = dropout
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.n_imputations = n_imputations
        self.device = device
        self.random_state = random_state

    def _fit_model(self, x: torch.Tensor, obs: torch.Tensor) -> None:
        self.fill_ = self.column_means(x, obs)
        n_models, epochs, layout = max(1, int(self.n_imputations)), int(self.epochs), self.layout_
        n, width = len(x), layout.width
        batch = max(1, min(int(self.batch_size), n))
        # The models are trained side by side: one corruption, loss, backward call and optimiser step
        # per batch for all of them (each model's matmuls stay its own, so the arithmetic is what it
        # was when they were trained one after another). Each model's randomness is also what it was
        # then: initialisations drawn in model order from torch's global RNG, and model k's batch
        # orders and dropout draws the stretch of ``rng_`` / ``generator_`` that follows model k-1's
        # (forked here by replaying those draws).
        nets = [xavier_init(_DAE(width, int(self.theta), int(self.depth)).to(self.device_)) for _ in range(n_models)]
        orders, masks = [], []
        for k in range(n_models):
            orders.append(copy.deepcopy(self.rng_))
            masks.append(torch.Generator(device=x.device))
            masks[-1].set_state(self.generator_.get_state())
            for _ in range(epochs if k < n_models - 1 else 0):
                self.rng_.permutation(n)
                torch.rand((n, layout.n_columns), generator=self.generator_, device=x.device)
        self.models_ = nets
        opt = torch.optim.SGD([p for net in nets for p in net.parameters()], lr=self.learning_rate, momentum=self.momentum, nesterov=True,
                              foreach=True)
        for _ in range(epochs):
            perm = torch.as_tensor(np.stack([r.permutation(n) for r in orders]), device=x.device)
            drops = torch.stack([torch.rand((n, layout.n_columns), generator=g, device=x.device) for g in masks])
            for start in range(0, n, batch):
                idx = perm[:, start:start + batch]
                xb, mb = x[idx], obs[idx]
                keep = layout.per_slot((drops[:, start:start + batch] >= self.dropout).float()) * mb
                corrupted = keep * xb + (1 - keep) * self.fill_
                out = torch.stack([net(c) for net, c in zip(nets, corrupted)])
                sgd_step(opt, layout.reconstruction_loss(out, xb, mb, per_leading=True).sum())

    def _impute(self, x: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        # Multiple imputation pooled by averaging (probabilities for blocks, then arg-max on decode).
        start = obs * x + (1 - obs) * self.fill_
        outs = [self.layout_.activate(m(start)) for m in self.models_]
        return torch.stack(outs).mean(0)
