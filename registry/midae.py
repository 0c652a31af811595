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

import torch
from torch import nn

from .deep_tabular import DeepTabularImputer, sgd_step, training_batches, xavier_init
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
        self.models_ = []
        for _ in range(max(1, int(self.n_imputations))):
            model = _DAE(self.layout_.width, int(self.theta), int(self.depth)).to(self.device_)
            xavier_init(model)
            opt = torch.optim.SGD(model.parameters(), lr=self.learning_rate, momentum=self.momentum, nesterov=True)
            for idx in training_batches(len(x), self.batch_size, self.rng_, epochs=int(self.epochs)):
                keep_cols = torch.rand((len(idx), self.layout_.n_columns), generator=self.generator_,
                                       device=x.device) >= self.dropout
                keep = self.layout_.per_slot(keep_cols.float()) * obs[idx]
                corrupted = keep * x[idx] + (1 - keep) * self.fill_
                out = model(corrupted)
                sgd_step(opt, self.layout_.reconstruction_loss(out, x[idx], obs[idx]))
            self.models_.append(model)

    def _impute(self, x: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        # Multiple imputation pooled by averaging (probabilities for blocks, then arg-max on decode).
        start = obs * x + (1 - obs) * self.fill_
        outs = [self.layout_.activate(m(start)) for m in self.models_]
        return torch.stack(outs).mean(0)
