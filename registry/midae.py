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
from .neural import LeanNesterovSGD
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


def _linears(net: _DAE) -> list[nn.Linear]:
    return [m for m in net.net if isinstance(m, nn.Linear)]


def _stacking_is_exact(nets: list[_DAE], batch_sizes: set[int], device: torch.device) -> bool:
    """Whether one ``baddbmm`` per layer over the models' stacked weights computes bit for bit what
    each model's own ``nn.Linear`` computes (output and all three gradients) at these layer shapes
    and batch sizes. A matmul kernel picks its summation order by shape and device, not by value, so
    random numbers from a private generator settle it; at some widths (and maybe on other devices) the
    orders differ, and the models then keep a matmul each."""
    gen = torch.Generator(device=device).manual_seed(0)
    n = len(nets)
    for lin in _linears(nets[0]):
        for rows in batch_sizes:
            w, b, x, g = (torch.randn(shape, generator=gen, device=device) for shape in
                          ((n, *lin.weight.shape), (n, lin.out_features), (n, rows, lin.in_features), (n, rows, lin.out_features)))
            w, b, x = (t.requires_grad_() for t in (w, b, x))
            stacked = torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))
            stacked.backward(g)
            for k in range(n):
                wk, bk, xk = (t[k].detach().clone().requires_grad_() for t in (w, b, x))
                out = nn.functional.linear(xk, wk, bk)
                out.backward(g[k])
                grads = (wk.grad.equal(w.grad[k]), bk.grad.equal(b.grad[k]), xk.grad.equal(x.grad[k]))
                if not (out.equal(stacked[k]) and all(grads)):
                    return False
    return True


class _Stacked:
    """The models' layers as stacked parameters (models, out, in): one ``baddbmm`` per layer for all
    of them. Built from the models' weights; ``unstack`` copies the trained ones back."""

    def __init__(self, nets: list[_DAE]) -> None:
        self.nets = nets
        layers = [_linears(net) for net in nets]
        self.weights = [torch.stack([ls[i].weight.detach() for ls in layers]).requires_grad_() for i in range(len(layers[0]))]
        self.biases = [torch.stack([ls[i].bias.detach() for ls in layers]).requires_grad_() for i in range(len(layers[0]))]

    def parameters(self) -> list[torch.Tensor]:
        return [*self.weights, *self.biases]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))
            x = torch.tanh(x) if i < last else x
        return x

    def unstack(self) -> None:
        with torch.no_grad():
            for k, net in enumerate(self.nets):
                for lin, w, b in zip(_linears(net), self.weights, self.biases):
                    lin.weight.copy_(w[k])
                    lin.bias.copy_(b[k])


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
        # per batch for all of them, and one batched matmul per layer where that sums exactly as each
        # model's own matmul (_stacking_is_exact), so the arithmetic is what it was when they were
        # trained one after another. Each model's randomness is also what it was
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
        batch_sizes = {batch, n % batch} - {0}
        stacked = _Stacked(self._warm(nets, x)) if _stacking_is_exact(nets, batch_sizes, x.device) else None
        forward = stacked or (lambda c: torch.stack([net(c_k) for net, c_k in zip(nets, c)]))
        params = stacked.parameters() if stacked else [p for net in nets for p in net.parameters()]
        opt = LeanNesterovSGD(params, lr=self.learning_rate, momentum=self.momentum)
        for _ in range(epochs):
            perm = torch.as_tensor(np.stack([r.permutation(n) for r in orders]), device=x.device)
            # The epoch's keep/drop draws of every model, kept as booleans (a quarter of the floats' memory).
            kept = torch.stack([torch.rand((n, layout.n_columns), generator=g, device=x.device) >= self.dropout
                                for g in masks])
            for start in range(0, n, batch):
                idx = perm[:, start:start + batch]
                xb, mb = x[idx], obs[idx]
                keep = layout.per_slot(kept[:, start:start + batch].float()) * mb
                corrupted = keep * xb + (1 - keep) * self.fill_
                out = forward(corrupted)
                sgd_step(opt, layout.reconstruction_loss(out, xb, mb, per_leading=True).sum())
        if stacked:
            stacked.unstack()

    @staticmethod
    def _warm(nets: list[_DAE], x: torch.Tensor) -> list[_DAE]:
        """``nets`` after one forward pass each (on one row, no gradient): a fine-tune's warm start
        (PROTOCOL §7, ``warm_start``) loads the fitted weights at a network's first forward pass, and
        the stacked copy must be taken after that."""
        with torch.no_grad():
            for net in nets:
                net(x[:1])
        return nets

    def _impute(self, x: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        # Multiple imputation pooled by averaging (probabilities for blocks, then arg-max on decode).
        start = obs * x + (1 - obs) * self.fill_
        outs = [self.layout_.activate(m(start)) for m in self.models_]
        return torch.stack(outs).mean(0)
