"""Meta-GAIN (Tong, Zhu & Gan, "Meta-GAIN for Missing Data Imputation", AAAI 2026).

The generator is an encoder -> Gaussian embedding Z -> decoder that imputes. Its objective is

    L_G = L_rc + beta * L_kl + gamma * L_tr + eta * L_ad

- ``L_rc``: reconstruction of observed entries (squared error on min-max scaled numbers,
  cross-entropy per categorical one-hot block);
- ``L_kl``: KL divergence of q(Z | x) to a standard normal prior (imputation diversity, "ID");
- ``L_tr``: task regulariser, cross-entropy of an MLP classifier on Z against the train labels ("TR");
- ``L_ad``: GAIN's adversarial loss against a discriminator that sees a hint (Yoon et al., 2018).

(beta, gamma, eta) come from a meta network ("MN") that maps the batch's detached loss values to
positive weights and is trained through the bi-level update of the paper's Eq. 11-13:

1. look-ahead: theta' = theta - lr * grad_theta L_G(theta; weights(phi)) (kept differentiable in phi);
2. meta step: an Adam step (as Meta-Weight-Net) on phi for L_rc(theta'; meta batch), the reconstruction
   error on the observed entries of a meta set (10% of the samples of each class);
3. real step: theta <- SGD-momentum step on L_G(theta; weights(phi_new)).

Paper settings: 5-layer MLPs of 100 ReLU units, SGD with momentum 0.9, learning rate 1e-2 with a decay
of 1e-5 (read as the Keras SGD ``decay`` the GAIN family used: lr_t = lr / (1 + decay * t)), batch 64.
The switches ``use_kl``, ``use_task`` and ``use_meta`` remove the KL term, the task regulariser and the
meta network (then beta, gamma, eta stay at the fixed values given) to rerun the ablation (Table 5).
Meta-GAIN uses labels (PROTOCOL §3): ``fit(X, y)`` needs the train rows' class target.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from ..encoding import MixedEncoder
from ..imputer import Imputer, DEVICE, FRACTION, POSITIVE_INT, POSITIVE_REAL, SEED
from ..neural import minibatches, mlp, resolve_device, seeded_generator, to_tensor
from ..deep_tabular import EncodedLayout, class_codes, encode_table, xavier_init
from .info import BUILTIN_INFO

# Which weight multiplies which auxiliary term (the paper's names).
WEIGHT_OF_TERM = {"kl": "beta", "tr": "gamma", "ad": "eta"}
INPUT_NOISE = 0.01  # GAIN fills missing inputs with U(0, 0.01)
EPS = 1e-8
INITIAL_LOG_VAR = -4.0


class MetaGAINGenerator(nn.Module):
    """Encoder to a Gaussian Z, decoder that imputes from (Z, mask), classifier on Z."""

    def __init__(self, n_encoded: int, n_classes: int, hidden_dim: int, n_layers: int, latent_dim: int) -> None:
        super().__init__()
        hidden = [hidden_dim] * (n_layers - 1)
        self.encoder = mlp([2 * n_encoded, *hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim + n_encoded, *hidden, n_encoded])
        self.classifier = mlp([latent_dim, *hidden, max(n_classes, 1)])
        xavier_init(self, "normal")
        with torch.no_grad():  # start near-deterministic: unit-variance noise on Z would drown mu early on
            self.encoder[-1].bias[latent_dim:].fill_(INITIAL_LOG_VAR)

    def forward(self, x: torch.Tensor, m: torch.Tensor, eps: torch.Tensor | None):
        mu, log_var = self.encoder(torch.cat([x, m], dim=1)).chunk(2, dim=1)
        z = mu if eps is None else mu + torch.exp(0.5 * log_var) * eps
        raw = self.decoder(torch.cat([z, m], dim=1))
        return raw, mu, log_var, self.classifier(z)


class MetaWeightNet(nn.Module):
    """Loss values of the auxiliary terms -> their positive weights (softplus output)."""

    def __init__(self, n_terms: int, hidden_dim: int, initial: np.ndarray) -> None:
        super().__init__()
        self.net = mlp([n_terms, hidden_dim, n_terms])
        with torch.no_grad():  # start at the fixed weights, so MN on/off begin from the same objective
            self.net[-1].weight.mul_(0.01)
            self.net[-1].bias.copy_(torch.as_tensor(np.log(np.expm1(initial)), dtype=torch.float32))

    def forward(self, losses: torch.Tensor) -> torch.Tensor:
        return F.softplus(self.net(torch.log1p(losses.detach()).unsqueeze(0))).squeeze(0)


def stratified_meta_rows(codes: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """The meta set: ``fraction`` of the rows of each class (at least one per class)."""
    rows = []
    for c in np.unique(codes):
        members = np.flatnonzero(codes == c)
        k = max(1, int(round(fraction * members.size)))
        rows.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(rows))


class MetaGAINImputer(Imputer):
    info = BUILTIN_INFO["metagain"]  # metadata lives in registry/info.py (read without importing this module)
    _parameter_constraints = {"n_iterations": [POSITIVE_INT], "batch_size": [POSITIVE_INT], "hidden_dim": [POSITIVE_INT],
                              "n_layers": [POSITIVE_INT], "latent_dim": [POSITIVE_INT], "lr": [POSITIVE_REAL], "meta_lr": [POSITIVE_REAL],
                              "meta_fraction": [FRACTION], "hint_rate": [FRACTION], "use_kl": ["boolean"], "use_task": ["boolean"],
                              "use_meta": ["boolean"], "device": DEVICE, "random_state": SEED}

    def __init__(self, n_iterations: int = 10000, batch_size: int = 64, hidden_dim: int = 100,
                 n_layers: int = 5, latent_dim: int = 100, lr: float = 1e-2, momentum: float = 0.9,
                 decay: float = 1e-5, meta_lr: float = 1e-3, meta_fraction: float = 0.1,
                 hint_rate: float = 0.9, use_kl: bool = True, use_task: bool = True, use_meta: bool = True,
                 beta: float = 0.01, gamma: float = 0.01, eta: float = 0.01, log_every: int = 10,
                 device: str = "auto", random_state: int | None = None) -> None:
        self.n_iterations = n_iterations
        self.batch_size = batch_size
        self.hidden_dim = hidden_dim
        self.n_layers = n_layers
        self.latent_dim = latent_dim
        self.lr = lr
        self.momentum = momentum
        self.decay = decay
        self.meta_lr = meta_lr
        self.meta_fraction = meta_fraction
        self.hint_rate = hint_rate
        self.use_kl = use_kl
        self.use_task = use_task
        self.use_meta = use_meta
        self.beta = beta
        self.gamma = gamma
        self.eta = eta
        self.log_every = log_every
        self.device = device
        self.random_state = random_state

    # -- the pieces of the objective --------------------------------------------------------------

    @property
    def terms_(self) -> list[str]:
        """The auxiliary terms in this configuration's objective (the ablation switches)."""
        return [t for t, on in (("kl", self.use_kl), ("tr", self.use_task), ("ad", True)) if on]

    def _fixed_weights(self) -> np.ndarray:
        fixed = {"kl": self.beta, "tr": self.gamma, "ad": self.eta}
        return np.array([fixed[t] for t in self.terms_], dtype=float)

    def _noisy_inputs(self, x: torch.Tensor, m: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        noise = torch.rand(x.shape, generator=gen, device=x.device) * INPUT_NOISE
        return m * x + (1 - m) * noise

    def _hint(self, m: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        # GAIN's hint (Yoon et al. 2018, paper form): reveal m where B = 1, 0.5 elsewhere.
        b = (torch.rand(m.shape, generator=gen, device=m.device) < self.hint_rate).float()
        return b * m + 0.5 * (1 - b)

    def _generator_terms(self, params: dict[str, torch.Tensor] | None, x, m, y, hint, gen) -> tuple:
        """(L_rc, stacked auxiliary terms in ``terms_`` order) for one batch, with ``params`` if given."""
        x_in = self._noisy_inputs(x, m, gen)
        eps = torch.randn((x.shape[0], self.latent_dim), generator=gen, device=x.device)
        args = (x_in, m, eps)
        raw, mu, log_var, logits = (functional_call(self.generator_, params, args) if params is not None
                                    else self.generator_(*args))
        l_rc = self.layout_.reconstruction_loss(raw, x, m, numeric="sigmoid")
        terms = []
        for t in self.terms_:
            if t == "kl":
                terms.append(0.5 * (mu.pow(2) + log_var.exp() - 1 - log_var).mean())
            elif t == "tr":
                terms.append(F.cross_entropy(logits, y))
            else:
                x_hat = m * x + (1 - m) * self.layout_.activate(raw, numeric="sigmoid")
                d_prob = self.discriminator_(torch.cat([x_hat, hint], dim=1))
                terms.append(-((1 - m) * torch.log(d_prob + EPS)).mean())
        return l_rc, torch.stack(terms)

    def _meta_reconstruction(self, params: dict[str, torch.Tensor], x, m, gen) -> torch.Tensor:
        x_in = self._noisy_inputs(x, m, gen)
        raw, _, _, _ = functional_call(self.generator_, params, (x_in, m, None))
        return self.layout_.reconstruction_loss(raw, x, m, numeric="sigmoid")

    def _discriminator_step(self, x, m, hint, gen) -> float:
        with torch.no_grad():
            raw = self.generator_(self._noisy_inputs(x, m, gen), m, None)[0]
            x_hat = m * x + (1 - m) * self.layout_.activate(raw, numeric="sigmoid")
        d_prob = self.discriminator_(torch.cat([x_hat, hint], dim=1))
        loss = -(m * torch.log(d_prob + EPS) + (1 - m) * torch.log(1 - d_prob + EPS)).mean()
        self.d_opt_.zero_grad()
        loss.backward()
        self.d_opt_.step()
        return float(loss.detach())

    def _meta_step(self, batch, meta_batch, gen, lr_now: float) -> torch.Tensor:
        """Eq. 11-12: look-ahead generator step as a function of phi, then update phi on the meta loss."""
        params = dict(self.generator_.named_parameters())
        l_rc, terms = self._generator_terms(params, *batch, gen)
        weights = self.meta_net_(terms)
        loss = l_rc + (weights * terms).sum()
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True, allow_unused=True)
        ahead = {k: p if g is None else p - lr_now * g for (k, p), g in zip(params.items(), grads)}
        meta_loss = self._meta_reconstruction(ahead, *meta_batch, gen)
        meta_params = list(self.meta_net_.parameters())
        meta_grads = torch.autograd.grad(meta_loss, meta_params)
        for p, g in zip(meta_params, meta_grads):
            p.grad = g
        self.meta_opt_.step()
        return meta_loss.detach()

    # -- estimator API ----------------------------------------------------------------------------

    def _fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> "MetaGAINImputer":
        needs_labels = self.use_task or self.use_meta
        if needs_labels:
            codes, n_classes = class_codes(y, len(X), "Meta-GAIN")
        else:  # with TR and MN both off, nothing reads the labels
            codes, n_classes = np.zeros(len(X), dtype=np.int64), 1
        dev = resolve_device(self.device)
        gen = seeded_generator(self.random_state, dev)
        rng = np.random.default_rng(self.random_state)

        self.encoder_ = MixedEncoder("minmax").fit(X)
        self.layout_ = EncodedLayout(self.encoder_, dev)
        table = encode_table(self.encoder_, X, fill=0.0)
        x_all, m_all = to_tensor(table.values, dev), to_tensor(table.observed, dev)
        y_all = torch.as_tensor(codes, device=dev)
        d = table.values.shape[1]

        self.generator_ = MetaGAINGenerator(d, n_classes, self.hidden_dim, self.n_layers, self.latent_dim).to(dev)
        self.discriminator_ = xavier_init(
            mlp([2 * d, *[self.hidden_dim] * (self.n_layers - 1), d], out=nn.Sigmoid()), "normal").to(dev)
        self.g_opt_ = torch.optim.SGD(self.generator_.parameters(), lr=self.lr, momentum=self.momentum)
        self.d_opt_ = torch.optim.SGD(self.discriminator_.parameters(), lr=self.lr, momentum=self.momentum)
        # Keras-style decay: lr_t = lr / (1 + decay * t).
        schedule = lambda t: 1.0 / (1.0 + self.decay * t)  # noqa: E731
        schedulers = [torch.optim.lr_scheduler.LambdaLR(o, schedule) for o in (self.g_opt_, self.d_opt_)]
        fixed = self._fixed_weights()
        if self.use_meta:
            self.meta_net_ = MetaWeightNet(len(self.terms_), self.hidden_dim, fixed).to(dev)
            # Adam for the meta network, as Meta-Weight-Net (Shu et al. 2019), whose bi-level update Eq. 11-13
            # follows: the meta gradient carries a factor lr * <grad meta loss, grad term>, tiny under SGD.
            self.meta_opt_ = torch.optim.Adam(self.meta_net_.parameters(), lr=self.meta_lr)
            self.meta_rows_ = stratified_meta_rows(codes, self.meta_fraction, rng)
        fixed_t = torch.as_tensor(fixed, dtype=torch.float32, device=dev)

        history: dict[str, list[float]] = {k: [] for k in ["iteration", "rc", "d_loss", *self.terms_,
                                                           *[WEIGHT_OF_TERM[t] for t in self.terms_]]}
        if self.use_meta:
            history["meta"] = []
        n = len(X)
        batches = iter(())
        for it in range(self.n_iterations):
            idx = next(batches, None)
            if idx is None or len(idx) < 2:
                batches = minibatches(n, min(self.batch_size, n), rng)
                idx = next(batches)
            rows = torch.as_tensor(idx, device=dev)
            x, m, yb = x_all[rows], m_all[rows], y_all[rows]
            hint = self._hint(m, gen)
            d_loss = self._discriminator_step(x, m, hint, gen)
            meta_loss = None
            if self.use_meta:
                meta_idx = rng.choice(self.meta_rows_, size=min(self.batch_size, self.meta_rows_.size), replace=False)
                mrows = torch.as_tensor(meta_idx, device=dev)
                lr_now = self.g_opt_.param_groups[0]["lr"]
                meta_loss = self._meta_step((x, m, yb, hint), (x_all[mrows], m_all[mrows]), gen, lr_now)
            # Eq. 13: the real generator step with the (updated) weights.
            l_rc, terms = self._generator_terms(None, x, m, yb, hint, gen)
            weights = self.meta_net_(terms).detach() if self.use_meta else fixed_t
            loss = l_rc + (weights * terms).sum()
            self.g_opt_.zero_grad()
            loss.backward()
            self.g_opt_.step()
            for s in schedulers:
                s.step()
            if it % self.log_every == 0 or it == self.n_iterations - 1:
                history["iteration"].append(it)
                history["rc"].append(float(l_rc.detach()))
                history["d_loss"].append(d_loss)
                for t, v, w in zip(self.terms_, terms.detach().cpu().tolist(), weights.cpu().tolist()):
                    history[t].append(v)
                    history[WEIGHT_OF_TERM[t]].append(w)
                if meta_loss is not None:
                    history["meta"].append(float(meta_loss))
        self.history_ = history
        self.device_ = str(dev)
        return self

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        dev = torch.device(self.device_)
        gen = seeded_generator(self.random_state, dev)
        table = encode_table(self.encoder_, X, fill=0.0)
        x, m = to_tensor(table.values, dev), to_tensor(table.observed, dev)
        self.generator_.eval()
        with torch.no_grad():
            raw = self.generator_(self._noisy_inputs(x, m, gen), m, None)[0]
            values = (m * x + (1 - m) * self.layout_.activate(raw, numeric="sigmoid")).cpu().numpy()
        self.generator_.train()
        return self.encoder_.decode(values, index=X.index)

    def get_loss_weights(self) -> dict[str, Any]:
        """The last logged (beta, gamma, eta) of the terms in the objective."""
        return {WEIGHT_OF_TERM[t]: self.history_[WEIGHT_OF_TERM[t]][-1] for t in self.terms_}
