"""HI-VAE: heterogeneous-incomplete VAE (Nazabal, Olmos, Ghahramani & Valera, Pattern Recognition 2020).

Latent structure: a categorical ``s`` (``dim_s`` components; Gumbel-softmax with the temperature
annealed from 1 towards 1e-3) and a Gaussian ``z | s`` with prior
``N(mu(s), I)``, so the prior is a Gaussian mixture. The encoder sees the zero-filled data; the
decoder maps ``z`` to a shared ``y`` split into one ``dim_y`` slice per attribute, and each
attribute has its own likelihood head: real columns a Gaussian whose mean comes from ``[y_d, s]``
and variance from ``s``; categorical columns a softmax over their categories from ``y_d``. The ELBO
counts observed cells only. Imputation: the mode of ``q(s|x)``, the mean of ``q(z|x,s)``, then each
head's mean (numbers) or most probable category.

Differences from the authors' code, on purpose: numeric columns are standardised with the fit
table's observed statistics rather than per batch, and every numeric column is treated as 'real'
(the suite's tables carry no positive/count/ordinal type annotations). These and the profiles'
departures are declared in :mod:`imputebench.registry.info.deep`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
from torch import nn

from .deep_tabular import DeepTabularImputer, sgd_step, training_batches
from .neural import LeanAdam, NormalLaw
from ..imputer import DEVICE, POSITIVE_INT, POSITIVE_REAL, SEED
from .info import BUILTIN_INFO



class _HIVAE(nn.Module):
    def __init__(self, width: int, numeric_columns: np.ndarray, blocks: list[tuple[int, int, int]],
                 n_columns: int, dim_s: int, dim_z: int, dim_y: int) -> None:
        super().__init__()
        self.dim_s, self.dim_z, self.dim_y = dim_s, dim_z, dim_y
        self.numeric_columns = torch.as_tensor(numeric_columns, dtype=torch.long)
        self.blocks = blocks  # (source column, start, stop)
        self.q_s = nn.Linear(width, dim_s)
        self.q_z = nn.Linear(width + dim_s, 2 * dim_z)
        self.p_z = nn.Linear(dim_s, dim_z)
        self.p_y = nn.Linear(dim_z, dim_y * n_columns)
        n_num = len(numeric_columns)
        # Per-attribute Gaussian heads, vectorised: mean from [y_d, s], log-variance from s.
        self.num_mean_w = nn.Parameter(torch.randn(n_num, dim_y + dim_s) * 0.05)
        self.num_mean_b = nn.Parameter(torch.zeros(n_num))
        self.num_var = nn.Linear(dim_s, n_num) if n_num else None
        self.cat_heads = nn.ModuleList([nn.Linear(dim_y, stop - start) for _, start, stop in blocks])

    def decode(self, z: torch.Tensor, s: torch.Tensor, width: int, numeric_slots: torch.Tensor) -> tuple[NormalLaw | None, torch.Tensor]:
        y = self.p_y(z).view(*z.shape[:-1], -1, self.dim_y)
        raw = z.new_zeros(*z.shape[:-1], width)
        law = None
        if len(self.numeric_columns):
            y_num = y[..., self.numeric_columns.to(z.device), :]
            s_rep = s.unsqueeze(-2).expand(*y_num.shape[:-1], self.dim_s)
            mean = (torch.cat([y_num, s_rep], -1) * self.num_mean_w).sum(-1) + self.num_mean_b
            var = nn.functional.softplus(self.num_var(s)) + 1e-3
            raw[..., numeric_slots] = mean
            law = NormalLaw(mean, var.sqrt())
        for head, (col, start, stop) in zip(self.cat_heads, self.blocks):
            raw[..., start:stop] = head(y[..., col, :])
        return law, raw


class HIVAEImputer(DeepTabularImputer):
    info = BUILTIN_INFO["hivae"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"epochs": [POSITIVE_INT], "batch_size": [POSITIVE_INT], "dim_s": [POSITIVE_INT], "dim_z": [POSITIVE_INT],
                              "dim_y": [POSITIVE_INT], "learning_rate": [POSITIVE_REAL], "device": DEVICE, "random_state": SEED}
    scaling = "standard"

    def __init__(self, epochs: int = 100, batch_size: int = 1000, dim_s: int = 10, dim_z: int = 10,
                 dim_y: int = 5, learning_rate: float = 1e-3, device: str = "auto",
                 random_state: int | None = None) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.dim_s = dim_s
        self.dim_z = dim_z
        self.dim_y = dim_y
        self.learning_rate = learning_rate
        self.device = device
        self.random_state = random_state

    def _fit_model(self, x: torch.Tensor, obs: torch.Tensor) -> None:
        blocks = self.encoder_.blocks_
        numeric_columns = np.array([i for i, b in enumerate(blocks) if b.kind == "numeric"], dtype=int)
        cat_blocks = [(i, b.start, b.stop) for i, b in enumerate(blocks) if b.kind == "categorical"]
        self.model_ = _HIVAE(self.layout_.width, numeric_columns, cat_blocks, len(blocks),
                             int(self.dim_s), int(self.dim_z), int(self.dim_y)).to(self.device_)
        opt = LeanAdam(self.model_.parameters(), lr=self.learning_rate)
        m, layout = self.model_, self.layout_
        epochs = max(1, int(self.epochs))
        steps_per_epoch = math.ceil(len(x) / max(1, min(int(self.batch_size), len(x))))
        for step, idx in enumerate(training_batches(len(x), self.batch_size, self.rng_, epochs=epochs)):
            # Gumbel-softmax temperature: the authors lower it by 0.001 per epoch down to 1e-3; here
            # linearly from 1 to 1e-3 over however many epochs the run has.
            tau = max(1e-3, 1.0 - (step // steps_per_epoch) / epochs)
            xb, mb = x[idx], obs[idx]
            logits_s = m.q_s(xb)
            u = torch.rand(logits_s.shape, generator=self.generator_, device=xb.device).clamp(1e-10, 1 - 1e-10)
            s = torch.softmax((logits_s - torch.log(-torch.log(u))) / tau, dim=-1)
            mu_q, logvar_q = m.q_z(torch.cat([xb, s], -1)).chunk(2, dim=-1)
            std_q = torch.exp(0.5 * logvar_q)
            z = mu_q + std_q * torch.randn(mu_q.shape, generator=self.generator_, device=xb.device)
            law, raw = m.decode(z, s, layout.width, layout.numeric)
            log_px = layout.log_likelihood(law, raw, xb, mb)
            # KL(q(s|x) || uniform) and KL(q(z|x,s) || N(mu(s), I)).
            log_qs = torch.log_softmax(logits_s, -1)
            kl_s = (log_qs.exp() * (log_qs + math.log(int(self.dim_s)))).sum(-1)
            mu_p = m.p_z(s)
            kl_z = 0.5 * ((mu_q - mu_p) ** 2 + std_q ** 2 - 1.0 - logvar_q).sum(-1)
            sgd_step(opt, (kl_s + kl_z - log_px).mean())

    def _draws(self, x: torch.Tensor, obs: torch.Tensor, m: int) -> list[torch.Tensor]:
        """Draws from the model's posterior predictive: ``s ~ q(s|x)``, ``z ~ q(z|x,s)``, then each
        missing cell from its head (the Gaussian, or the softmax over the categories)."""
        model, layout, gen = self.model_, self.layout_, self.generator_
        tables = []
        for _ in range(m):
            k = torch.multinomial(torch.softmax(model.q_s(x), -1), 1, generator=gen).squeeze(-1)
            s = nn.functional.one_hot(k, int(self.dim_s)).float()
            mu_q, logvar_q = model.q_z(torch.cat([x, s], -1)).chunk(2, dim=-1)
            z = mu_q + torch.exp(0.5 * logvar_q) * torch.randn(mu_q.shape, generator=gen, device=x.device)
            law, raw = model.decode(z, s, layout.width, layout.numeric)
            if law is not None:
                noise = torch.randn(law.loc.shape, generator=gen, device=x.device)
                raw[..., layout.numeric] = law.loc + law.scale * noise
            tables.append(layout.draw_categories(raw, gen))
        return tables

    def _sample(self, X: pd.DataFrame, m: int, random_state: int | None) -> list[pd.DataFrame]:
        """PROTOCOL §9: ``m`` draws of ``X``'s missing cells from the fitted model (``_draws``)."""
        return self.encoded_draws(X, m, random_state)

    def _impute(self, x: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        m, layout = self.model_, self.layout_
        s = nn.functional.one_hot(m.q_s(x).argmax(-1), int(self.dim_s)).float()
        mu_q, _ = m.q_z(torch.cat([x, s], -1)).chunk(2, dim=-1)
        _, raw = m.decode(mu_q, s, layout.width, layout.numeric)
        return layout.activate(raw)
