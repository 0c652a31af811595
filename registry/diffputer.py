"""DiffPuter (Zhang et al., "Unleashing the Potential of Diffusion Models for Incomplete Data
Imputation", ICLR 2025): EM around a diffusion model.

- Data: the encoded table (numbers, one-hot blocks for categories) standardised per column with the
  observed cells' mean and standard deviation, then halved (EDM's sigma_data = 0.5, as the reference).
- Initialisation: missing entries at the column mean (0 after standardising).
- M-step: train an MLP denoiser (input projection + sinusoidal noise embedding, SiLU MLP) with the EDM
  preconditioning and loss (log-normal noise levels, P_mean -1.2, P_std 1.2) on the current completed data.
- E-step: for every sample, run the reverse process (Heun's 2nd-order EDM sampler, Karras noise schedule,
  sigma in [0.002, 80], rho 7) where at every step the observed entries are drawn from the forward
  process of their true values (x + sigma_next * noise) and the missing entries from the reverse process;
  each step but the last is resampled ``resample_steps`` times (re-noising from sigma_next to sigma_cur,
  as the reference's inner loop); ``n_samples`` draws are averaged.

The paper profile is the official code's setting (hengruizhang98/DiffPuter ``main.py`` and
``diffusion_utils.py``, the code the paper points to): 10 EM rounds, an MLP of width 1024, Adam at
lr 1e-4 without weight decay, batch 4096, up to 10,000 epochs per M-step with the best epoch kept and
training stopped after 500 epochs without improvement (learning rate x 0.9 after 50), 50 sampling
steps, 20 resamplings per step, 20 draws averaged.

``fit`` runs ``n_em_iterations`` M-steps with the E-steps between them; ``transform`` is the last E-step
(on the training rows in-sample, or on new rows, which makes the imputer inductive, PROTOCOL §3).
Categorical columns are one-hot blocks of the diffused vector (as the paper describes), decoded by
arg-max over the block, which always yields one category (PROTOCOL §4). The official code encodes a
category as the binary digits of its index instead and scores numeric columns only. Every departure is
declared in :mod:`imputebench.registry.info.seeds`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..protocol.encoding import MixedEncoder
from ..imputer import Imputer, DEVICE, NON_NEGATIVE_REAL, POSITIVE_INT, POSITIVE_REAL, SEED
from .neural import minibatches, resolve_device, seeded_generator, to_tensor
from .deep_tabular import encode_table
from .em import fitted_on_table, table_digest
from .info import BUILTIN_INFO

SIGMA_MIN, SIGMA_MAX, RHO = 0.002, 80.0, 7.0  # EDM sampler (Karras et al. 2022), as the reference
S_CHURN = 1.0
P_MEAN, P_STD, SIGMA_DATA = -1.2, 1.2, 0.5  # EDM training noise distribution and data scale


class SinusoidalEmbedding(nn.Module):
    """Noise level -> [cos, sin] features at geometrically spaced frequencies."""

    def __init__(self, dim: int, max_positions: int = 10000) -> None:
        super().__init__()
        half = dim // 2
        freqs = (1.0 / max_positions) ** (torch.arange(half, dtype=torch.float32) / half)
        self.register_buffer("freqs", freqs)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        angles = t.unsqueeze(1) * self.freqs.unsqueeze(0)
        return torch.cat([angles.sin(), angles.cos()], dim=1)


class MLPDenoiser(nn.Module):
    """F(x, c_noise): project x to ``width``, add the time embedding, SiLU MLP back to the input size."""

    def __init__(self, d_in: int, width: int) -> None:
        super().__init__()
        self.proj = nn.Linear(d_in, width)
        self.time_embed = nn.Sequential(SinusoidalEmbedding(width), nn.Linear(width, width), nn.SiLU(),
                                        nn.Linear(width, width))
        self.body = nn.Sequential(
            nn.Linear(width, 2 * width), nn.SiLU(), nn.Linear(2 * width, 2 * width), nn.SiLU(),
            nn.Linear(2 * width, width), nn.SiLU(), nn.Linear(width, d_in),
        )

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor) -> torch.Tensor:
        return self.body(self.proj(x) + self.time_embed(c_noise))


class EDMDenoiser(nn.Module):
    """EDM preconditioning: D(x, sigma) = c_skip x + c_out F(c_in x, log(sigma) / 4)."""

    def __init__(self, d_in: int, width: int) -> None:
        super().__init__()
        self.net = MLPDenoiser(d_in, width)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        sigma = sigma.reshape(-1, 1).expand(x.shape[0], 1)
        c_skip = SIGMA_DATA ** 2 / (sigma ** 2 + SIGMA_DATA ** 2)
        c_out = sigma * SIGMA_DATA / (sigma ** 2 + SIGMA_DATA ** 2).sqrt()
        c_in = 1 / (SIGMA_DATA ** 2 + sigma ** 2).sqrt()
        return c_skip * x + c_out * self.net(c_in * x, (sigma.log() / 4).flatten())


def edm_loss(model: EDMDenoiser, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """EDM's weighted denoising loss at log-normal noise levels, mean over cells."""
    sigma = (torch.randn(x.shape[0], generator=gen, device=x.device) * P_STD + P_MEAN).exp()
    weight = (sigma ** 2 + SIGMA_DATA ** 2) / (sigma * SIGMA_DATA) ** 2
    noisy = x + torch.randn(x.shape, generator=gen, device=x.device) * sigma.unsqueeze(1)
    return (weight.unsqueeze(1) * (model(noisy, sigma) - x) ** 2).mean()


def karras_sigmas(n_steps: int, device: torch.device) -> torch.Tensor:
    """The sampler's decreasing noise levels, with a final 0."""
    i = torch.arange(n_steps, dtype=torch.float32, device=device)
    lo, hi = SIGMA_MIN ** (1 / RHO), SIGMA_MAX ** (1 / RHO)
    sig = (hi + i / max(n_steps - 1, 1) * (lo - hi)) ** RHO
    return torch.cat([sig, torch.zeros(1, device=device)])


def heun_step(model: EDMDenoiser, x: torch.Tensor, t_cur: torch.Tensor, t_next: torch.Tensor,
              n_steps: int, gen: torch.Generator) -> torch.Tensor:
    """One stochastic EDM step (churn, Euler, 2nd-order correction unless t_next is 0)."""
    gamma = min(S_CHURN / n_steps, math.sqrt(2) - 1)
    t_hat = t_cur + gamma * t_cur
    x_hat = x + (t_hat ** 2 - t_cur ** 2).sqrt() * torch.randn(x.shape, generator=gen, device=x.device)
    d_cur = (x_hat - model(x_hat, t_hat)) / t_hat
    x_next = x_hat + (t_next - t_hat) * d_cur
    if t_next > 0:
        d_prime = (x_next - model(x_next, t_next)) / t_next
        x_next = x_hat + (t_next - t_hat) * (0.5 * d_cur + 0.5 * d_prime)
    return x_next


@torch.no_grad()
def impute_by_reverse_process(model: EDMDenoiser, x: torch.Tensor, observed: torch.Tensor, n_steps: int,
                              resample_steps: int, gen: torch.Generator) -> torch.Tensor:
    """One draw of the missing entries: reverse process on missing, forward process on observed."""
    sigmas = karras_sigmas(n_steps, x.device)
    x_t = torch.randn(x.shape, generator=gen, device=x.device) * sigmas[0]
    for i in range(n_steps):
        t_cur, t_next = sigmas[i], sigmas[i + 1]
        for j in range(resample_steps if i < n_steps - 1 else 1):  # the last step is not resampled
            known = x + torch.randn(x.shape, generator=gen, device=x.device) * t_next
            unknown = heun_step(model, x_t, t_cur, t_next, n_steps, gen)
            x_prev = observed * known + (1 - observed) * unknown
            if j < resample_steps - 1 and i < n_steps - 1:  # go back up to t_cur and try the step again
                x_t = x_prev + torch.randn(x.shape, generator=gen, device=x.device) * (t_cur ** 2 - t_next ** 2).sqrt()
            else:
                x_t = x_prev
    return observed * x + (1 - observed) * x_t


class DiffPuterImputer(Imputer):
    info = BUILTIN_INFO["diffputer"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"n_em_iterations": [POSITIVE_INT], "n_epochs": [POSITIVE_INT], "patience": [POSITIVE_INT, None],
                              "width": [POSITIVE_INT], "n_steps": [POSITIVE_INT], "n_samples": [POSITIVE_INT], "batch_size": [POSITIVE_INT],
                              "lr": [POSITIVE_REAL], "weight_decay": [NON_NEGATIVE_REAL], "device": DEVICE, "random_state": SEED}

    def __init__(self, n_em_iterations: int = 10, n_epochs: int = 10000, patience: int | None = 500,
                 width: int = 1024, n_steps: int = 50, n_samples: int = 20, resample_steps: int = 20,
                 batch_size: int = 4096, lr: float = 1e-4, weight_decay: float = 0.0, lr_patience: int = 50,
                 device: str = "auto", random_state: int | None = None) -> None:
        self.n_em_iterations = n_em_iterations
        self.n_epochs = n_epochs
        self.patience = patience
        self.width = width
        self.n_steps = n_steps
        self.n_samples = n_samples
        self.resample_steps = resample_steps
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.lr_patience = lr_patience
        self.device = device
        self.random_state = random_state

    def _standardised(self, X: pd.DataFrame, dev: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        table = encode_table(self.encoder_, X, fill=self.loc_)
        x = (table.values - self.loc_) / self.scale_ / 2  # the reference halves: sigma_data = 0.5
        return to_tensor(x, dev), to_tensor(table.observed, dev)

    def _m_step(self, data: torch.Tensor, gen: torch.Generator, rng: np.random.Generator) -> EDMDenoiser:
        model = EDMDenoiser(data.shape[1], self.width).to(data.device)
        opt = torch.optim.Adam(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.9,
                                                             patience=self.lr_patience)
        best, best_state, waited = math.inf, None, 0
        for epoch in range(self.n_epochs):
            total = 0.0
            for idx in minibatches(len(data), self.batch_size, rng):
                loss = edm_loss(model, data[torch.as_tensor(idx, device=data.device)], gen)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(idx)
            epoch_loss = total / len(data)
            plateau.step(epoch_loss)
            self.loss_history_.append(epoch_loss)
            # As the reference: keep the best epoch's weights, stop after ``patience`` epochs without gain.
            if epoch_loss < best:
                best, waited = epoch_loss, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                waited += 1
                if self.patience is not None and waited >= self.patience:
                    break
        model.load_state_dict(best_state)
        return model.eval()

    def _e_step(self, model: EDMDenoiser, x: torch.Tensor, observed: torch.Tensor,
                gen: torch.Generator) -> torch.Tensor:
        draws = [impute_by_reverse_process(model, x, observed, self.n_steps, self.resample_steps, gen)
                 for _ in range(self.n_samples)]
        return torch.stack(draws).mean(0)

    def _fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> "DiffPuterImputer":
        dev = resolve_device(self.device)
        gen = seeded_generator(self.random_state, dev)
        rng = np.random.default_rng(self.random_state)
        self.encoder_ = MixedEncoder("none").fit(X)
        obs_table = encode_table(self.encoder_, X, fill=np.nan)
        with np.errstate(all="ignore"):
            self.loc_ = np.nan_to_num(np.nanmean(obs_table.values, axis=0))
            scale = np.nan_to_num(np.nanstd(obs_table.values, axis=0))
        self.scale_ = np.where(scale > 0, scale, 1.0)
        x, observed = self._standardised(X, dev)
        self.loss_history_: list[float] = []
        completed = x  # missing entries at the mean (0) to start
        for it in range(self.n_em_iterations):
            model = self._m_step(completed, gen, rng)
            if it < self.n_em_iterations - 1:  # the last E-step is ``transform``
                completed = self._e_step(model, x, observed, gen)
        self.model_ = model
        self.device_ = str(dev)
        self.fit_table_ = table_digest(self.encoder_.encode(X), self.get_params())  # sample() reuses this fit
        return self

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        dev = torch.device(self.device_)
        gen = seeded_generator(self.random_state, dev)
        x, observed = self._standardised(X, dev)
        imputed = self._e_step(self.model_, x, observed, gen).cpu().numpy() * 2 * self.scale_ + self.loc_
        return self.encoder_.decode(imputed, index=X.index)

    def _sample(self, X: pd.DataFrame, m: int, random_state: int | None) -> list[pd.DataFrame]:
        """PROTOCOL §9: ``m`` single reverse-process draws of ``X``'s missing entries (the E-step that
        ``transform`` runs averages ``n_samples`` of them), under this fit when it was on ``X``, else
        under a fresh fit on ``X`` (this one is left as it is); seeded from ``random_state`` alone."""
        from sklearn.base import clone

        fitted = self if fitted_on_table(self, X) else clone(self).fit(X)
        dev = torch.device(fitted.device_)
        gen = seeded_generator((0 if random_state is None else int(random_state)) + 3, dev)
        x, observed = fitted._standardised(X, dev)
        with torch.no_grad():
            draws = [impute_by_reverse_process(fitted.model_, x, observed, fitted.n_steps, fitted.resample_steps, gen)
                     for _ in range(int(m))]
        return [fitted.encoder_.decode(d.cpu().numpy() * 2 * fitted.scale_ + fitted.loc_, index=X.index)
                for d in draws]
