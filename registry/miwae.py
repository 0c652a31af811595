"""MIWAE: importance-weighted autoencoder for missing data (Mattei & Frellsen, ICML 2019).

A deep latent variable model p(z) p(x|z) trained on the observed cells only by the missing-data
importance-weighted bound with ``K`` samples (zero-filled input to the encoder). Numeric cells
follow a Student-t (location, scale = softplus + 1e-3, degrees of freedom = softplus + 3, as in
the authors' notebook) on standardised data; categorical cells a softmax over their one-hot block.
Imputation is self-normalised importance sampling with ``L`` samples: numeric cells get the
weighted mean of the decoder's location, categorical cells the arg-max of weighted probabilities.
"""

from __future__ import annotations

import math

import pandas as pd
import torch
from torch import nn

from .deep_tabular import DeepTabularImputer, sgd_step, training_batches

from .neural import LeanAdam, NormalLaw, StudentTLaw, mlp, standard_normal_log_prob
from ..imputer import DEVICE, POSITIVE_INT, POSITIVE_REAL, SEED
from .info import BUILTIN_INFO


class MIWAEImputer(DeepTabularImputer):
    info = BUILTIN_INFO["miwae"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"epochs": [POSITIVE_INT], "batch_size": [POSITIVE_INT], "hidden": [POSITIVE_INT], "latent_dim": [POSITIVE_INT],
                              "n_samples": [POSITIVE_INT], "n_impute_samples": [POSITIVE_INT], "learning_rate": [POSITIVE_REAL],
                              "device": DEVICE, "random_state": SEED}
    scaling = "standard"

    def __init__(self, epochs: int = 2002, batch_size: int = 64, hidden: int = 128, latent_dim: int = 10,
                 n_samples: int = 20, n_impute_samples: int = 10000, learning_rate: float = 1e-3,
                 device: str = "auto", random_state: int | None = None) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.hidden = hidden
        self.latent_dim = latent_dim
        self.n_samples = n_samples
        self.n_impute_samples = n_impute_samples
        self.learning_rate = learning_rate
        self.device = device
        self.random_state = random_state

    def _log_weights(self, x: torch.Tensor, obs: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor, StudentTLaw | None]:
        """``k`` posterior samples per row: log importance weights (k, n), raw decoder output, numeric law."""
        mu, scale_raw = self.encoder_net_(x).chunk(2, dim=-1)
        q = NormalLaw(mu, nn.functional.softplus(scale_raw) + 1e-3)
        eps = torch.randn((k, *mu.shape), generator=self.generator_, device=mu.device)
        z = q.loc + q.scale * eps
        out = self.decoder_(z)
        width, n_num = self.layout_.width, self.layout_.n_numeric
        raw = out[..., :width]
        law = None
        if n_num:
            scale = nn.functional.softplus(out[..., width:width + n_num]) + 1e-3
            df = nn.functional.softplus(out[..., width + n_num:]) + 3.0
            law = StudentTLaw(df, raw[..., self.layout_.numeric], scale)
        log_px = self.layout_.log_likelihood(law, raw, x, obs)
        log_pz = standard_normal_log_prob(z).sum(-1)
        log_qz = q.log_prob(z).sum(-1)
        return log_px + log_pz - log_qz, raw, law

    def _fit_model(self, x: torch.Tensor, obs: torch.Tensor) -> None:
        width, h, d = self.layout_.width, int(self.hidden), int(self.latent_dim)
        self.encoder_net_ = mlp([width, h, h, 2 * d], activation=nn.Tanh).to(self.device_)
        self.decoder_ = mlp([d, h, h, width + 2 * self.layout_.n_numeric], activation=nn.Tanh).to(self.device_)
        params = list(self.encoder_net_.parameters()) + list(self.decoder_.parameters())
        opt = LeanAdam(params, lr=self.learning_rate)
        k = int(self.n_samples)
        for idx in training_batches(len(x), self.batch_size, self.rng_, epochs=int(self.epochs)):
            log_w, _, _ = self._log_weights(x[idx], obs[idx], k)
            bound = torch.logsumexp(log_w, dim=0) - math.log(k)
            sgd_step(opt, -bound.mean())

    def _impute(self, x: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        n_draws = int(self.n_impute_samples)
        # Rows in chunks so that draws x rows x width stays near 2e7 floats whatever L is.
        chunk = max(1, int(2e7 // (n_draws * max(self.layout_.width, int(self.hidden)))))
        parts = []
        for start in range(0, len(x), chunk):
            xb, mb = x[start:start + chunk], obs[start:start + chunk]
            log_w, raw, _ = self._log_weights(xb, mb, n_draws)
            w = torch.softmax(log_w, dim=0).unsqueeze(-1)
            parts.append((w * self.layout_.activate(raw)).sum(0))
        return torch.cat(parts)

    def _draws(self, x: torch.Tensor, obs: torch.Tensor, m: int) -> list[torch.Tensor]:
        """Mattei & Frellsen's multiple imputation by sampling importance resampling: ``L`` posterior
        samples per row, ``m`` of them resampled by their importance weights, and the missing cells
        drawn from the decoder's law at each (Student's t for numbers, the softmax for categories)."""
        n_draws, layout = int(self.n_impute_samples), self.layout_
        chunk = max(1, int(2e7 // (n_draws * max(layout.width, int(self.hidden)))))
        parts = []
        for start in range(0, len(x), chunk):
            log_w, raw, law = self._log_weights(x[start:start + chunk], obs[start:start + chunk], n_draws)
            picks = torch.multinomial(torch.softmax(log_w, dim=0).T, m, replacement=True,
                                      generator=self.generator_).T  # (m, rows): a particle per draw and row
            rows = torch.arange(picks.shape[1], device=x.device)
            drawn = raw[picks, rows]  # (m, rows, width)
            if law is not None:
                df, loc, scale = (v[picks, rows].cpu().double().numpy() for v in (law.df, law.loc, law.scale))
                t = self.rng_.standard_t(df)  # numpy: torch's Student t takes no generator
                drawn[..., layout.numeric] = torch.as_tensor(loc + scale * t, dtype=drawn.dtype, device=x.device)
            parts.append(layout.draw_categories(drawn, self.generator_))
        return list(torch.cat(parts, dim=1))

    def _sample(self, X: pd.DataFrame, m: int, random_state: int | None) -> list[pd.DataFrame]:
        """PROTOCOL §9: ``m`` draws of ``X``'s missing cells by importance resampling (``_draws``)."""
        return self.encoded_draws(X, m, random_state)
