"""GAIN: Generative Adversarial Imputation Nets (Yoon, Jordon & van der Schaar, ICML 2018).

The generator sees the data (missing cells replaced by U(0, 0.01) noise) and the mask and fills
the missing cells; the discriminator sees the filled matrix and a hint and guesses, cell by cell,
which were observed. Data are min-max scaled to [0, 1] as in the reference code; numeric outputs
go through a sigmoid, each categorical column through a softmax over its one-hot block (the
reference code treats every column as a float and rounds). The reconstruction term is GAIN's
squared error, for a block the squared error of its softmax probabilities against the one-hot
truth (``categorical_loss="brier"``, on the same scale as the numeric terms that alpha weighs;
``"cross_entropy"`` is the alternative). The hint's ``B`` is drawn once per source column, so the
slots of one block share it: a per-slot hint would tell D a categorical cell's mask through its
sibling slots and starve G of any signal for it.

``holdout_fraction > 0`` (not the paper's; 0 by default) hides that share of the observed cells from
training and keeps the generator weights that imputed them best, checked every ``check_every``
iterations: GAIN's last iterate drifts after its best one by a run-specific amount
(tests/benchmarks/gain_spread.md), and this picks the iterate on observed data only.

``hint="paper"`` (default) is the paper's hint ``H = B*M + 0.5(1-B)`` with ``B ~ Bernoulli(hint_rate)``,
and both adversarial losses count only the cells the hint leaves open (``B = 0``), as in the paper's
objective. ``hint="reference"`` is the published code's variant (jsyoon0823/GAIN): ``H = B*M``
and losses averaged over all cells.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import torch
from torch import nn

from .deep_tabular import DeepTabularImputer, sgd_step, training_batches

from .neural import LeanAdam, mlp
from ..imputer import DEVICE, FRACTION, NON_NEGATIVE_REAL, POSITIVE_INT, POSITIVE_REAL, SEED, SHARE, StrOptions
from .info import BUILTIN_INFO
from .transductive import seed_for

EPS = 1e-8  # inside the logs, as in the reference code
SEED_HOLDOUT = 1  # seed_for key of the held-out cells (holdout_fraction > 0)


def reference_init(module: nn.Module) -> None:
    """The reference code's ``xavier_init``: weights ~ N(0, 2 / fan_in), zero biases. It matters:
    with Glorot-uniform weights the 10,000-iteration Letter RMSE came out about 10% worse."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=(2.0 / m.in_features) ** 0.5)
            nn.init.zeros_(m.bias)


class GAINImputer(DeepTabularImputer):
    info = BUILTIN_INFO["gain"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"iterations": [POSITIVE_INT], "batch_size": [POSITIVE_INT], "hint_rate": [FRACTION],
                              "alpha": [NON_NEGATIVE_REAL], "learning_rate": [POSITIVE_REAL], "hint": [StrOptions({"paper", "reference"})],
                              "categorical_loss": [StrOptions({"brier", "cross_entropy"})],
                              "holdout_fraction": [SHARE], "check_every": [POSITIVE_INT],
                              "device": DEVICE, "random_state": SEED}
    scaling = "minmax"

    def __init__(self, iterations: int = 10000, batch_size: int = 128, hint_rate: float = 0.9,
                 alpha: float = 100.0, learning_rate: float = 1e-3, hint: str = "paper",
                 categorical_loss: str = "brier", holdout_fraction: float = 0.0, check_every: int = 500,
                 device: str = "auto", random_state: int | None = None) -> None:
        self.iterations = iterations
        self.batch_size = batch_size
        self.hint_rate = hint_rate
        self.alpha = alpha
        self.learning_rate = learning_rate
        self.hint = hint
        self.categorical_loss = categorical_loss
        self.holdout_fraction = holdout_fraction
        self.check_every = check_every
        self.device = device
        self.random_state = random_state

    def _noisy_input(self, x: torch.Tensor, obs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Observed cells kept, the others U(0, 0.01) noise (from the training's stream unless ``generator``)."""
        noise = torch.rand(x.shape, generator=generator or self.generator_, device=x.device) * 0.01
        return obs * x + (1 - obs) * noise

    def _generate(self, x: torch.Tensor, obs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Raw generator output (logits) on the noisy input and the mask."""
        return self.generator_net_(torch.cat([self._noisy_input(x, obs, generator), obs], dim=1))

    def _fit_model(self, x: torch.Tensor, obs: torch.Tensor) -> None:
        if self.hint not in ("paper", "reference"):
            raise ValueError(f"hint must be 'paper' or 'reference', got {self.hint!r}")
        dim = self.layout_.width
        # Reference architecture: both nets 2*dim -> dim -> dim -> dim (h_dim = dim).
        self.generator_net_ = mlp([2 * dim, dim, dim, dim]).to(self.device_)
        self.discriminator_net_ = mlp([2 * dim, dim, dim, dim], out=nn.Sigmoid()).to(self.device_)
        reference_init(self.generator_net_)
        reference_init(self.discriminator_net_)
        opt_g = LeanAdam(self.generator_net_.parameters(), lr=self.learning_rate)
        opt_d = LeanAdam(self.discriminator_net_.parameters(), lr=self.learning_rate)
        layout = self.layout_
        held = None
        if self.holdout_fraction > 0:
            # A stream of its own: the harness draws masks from the bare seed, and cells drawn from the
            # same stream as the mask would all be missing ones.
            seed = seed_for(self.random_state, SEED_HOLDOUT)
            held = layout.held_out(obs, self.holdout_fraction, np.random.default_rng(seed))
            obs = obs * (1 - held)  # training never sees the held-out cells
            checks = torch.Generator(device=x.device)
            checks.manual_seed(seed)
            best = (self._held_out_error(x, obs, held, checks), 0, copy.deepcopy(self.generator_net_.state_dict()))
            self.holdout_errors_: list[tuple[int, float]] = [(0, best[0])]
        for step, idx in enumerate(training_batches(len(x), self.batch_size, self.rng_, iterations=int(self.iterations)), 1):
            mb = obs[idx]
            # One noise draw per batch serves both steps, as in the reference code's feed.
            xb = self._noisy_input(x[idx], mb)
            # B is drawn per source column: a block's slots share it, or D would read a categorical
            # cell's mask off the hint of a sibling slot.
            b_cols = torch.rand((len(idx), layout.n_columns), generator=self.generator_, device=mb.device)
            b = layout.per_slot((b_cols < self.hint_rate).float())
            if self.hint == "paper":
                hint = b * mb + 0.5 * (1 - b)
                weight = 1 - b  # the paper's losses count only cells the hint leaves open
            else:
                hint = b * mb
                weight = torch.ones_like(mb)
            norm = weight.sum().clamp_min(1.0)

            # One generator pass serves both steps: its weights do not change during D's step, so a
            # second pass would give the same output (D's step sees it detached).
            raw = self.generator_net_(torch.cat([xb, mb], dim=1))
            filled = mb * xb + (1 - mb) * layout.activate(raw, numeric="sigmoid")

            # Discriminator step (generator fixed).
            d_prob = self.discriminator_net_(torch.cat([filled.detach(), hint], dim=1))
            d_loss = -(weight * (mb * torch.log(d_prob + EPS) + (1 - mb) * torch.log(1 - d_prob + EPS))).sum() / norm
            sgd_step(opt_d, d_loss)

            # Generator step: fool D on the missing cells + alpha * reconstruction of observed ones.
            d_prob = self.discriminator_net_(torch.cat([filled, hint], dim=1))
            g_adv = -(weight * (1 - mb) * torch.log(d_prob + EPS)).sum() / norm
            g_rec = layout.reconstruction_loss(raw, xb, mb, numeric="sigmoid", categorical=self.categorical_loss)
            sgd_step(opt_g, g_adv + self.alpha * g_rec)

            if held is not None and (step % int(self.check_every) == 0 or step == int(self.iterations)):
                error = self._held_out_error(x, obs, held, checks)
                self.holdout_errors_.append((step, error))
                if error < best[0]:
                    best = (error, step, copy.deepcopy(self.generator_net_.state_dict()))
        if held is not None:
            self.generator_net_.load_state_dict(best[2])
            self.best_iteration_ = best[1]

    def _held_out_error(self, x: torch.Tensor, seen: torch.Tensor, held: torch.Tensor, generator: torch.Generator) -> float:
        """The reconstruction error on the held-out cells of the generator's imputation from the cells it
        trains on; its noise from ``generator``, so checking leaves the training's random streams alone."""
        with torch.no_grad():
            raw = self._generate(x, seen, generator)
            return float(self.layout_.reconstruction_loss(raw, x, held, numeric="sigmoid", categorical=self.categorical_loss))

    def _impute(self, x: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        self.generator_net_.eval()
        return self.layout_.activate(self._generate(x, obs), numeric="sigmoid")

    def _draws(self, x: torch.Tensor, obs: torch.Tensor, m: int) -> list[torch.Tensor]:
        # GAIN's draws: the generator on fresh noise in the missing cells, as the paper defines its
        # imputation G(x, m, (1 - m) z); the U(0, 0.01) noise moves them little (the spread it keeps).
        return [self._impute(x, obs) for _ in range(m)]

    def _sample(self, X: pd.DataFrame, m: int, random_state: int | None) -> list[pd.DataFrame]:
        """PROTOCOL §9: ``m`` imputations of ``X`` by the generator, each with fresh noise."""
        return self.encoded_draws(X, m, random_state)
