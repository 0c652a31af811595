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
2. meta step: a step on phi for L_rc(theta'; meta batch), the reconstruction error on the observed
   entries of the meta set;
3. real step: theta <- SGD-momentum step on L_G(theta; weights(phi_new)).

The paper's "re-update" (Eq. 12 computed twice) can also be read literally: the look-ahead step of 1.
is kept (theta <- theta') and step 3 starts from it, so each iteration takes two generator steps
(``reupdate=True``). The default discards the look-ahead, as Meta-Weight-Net (Shu et al. 2019) does.

As published:

- the meta set is 10 % of the rows of each class, drawn *apart from* the training rows: the generator
  and discriminator never train on it (``meta_rows_``; ``train_rows_`` are the others). Every row is
  still imputed by ``transform`` (in-sample, PROTOCOL §3);
- the generator's input is ``M * X + (1 - M) * S`` with noise ``S ~ U[0, 1]`` (the paper's Eq. 5;
  ``input_noise=1.0``; GAIN used U(0, 0.01)). Measured (tests/benchmarks/metagain_noise.md): on Letter's
  2,000-row quick table it costs about 5 % ARMSE against GAIN's U(0, 0.01) (0.151 vs 0.144, two seeds);
  kept, because it is the published method;
- 5-layer MLPs of 100 ReLU units, SGD with momentum 0.9, batch 64, learning rate 1e-2 with a decay of
  1e-5 (read as the Keras SGD ``decay`` the GAIN family used: lr_t = lr / (1 + decay * t),
  ``decay_as="lr"``; ``decay_as="weight"`` reads it as SGD weight decay at a constant rate) in the
  paper profile;
- with the meta network off (``use_meta=False``), the fixed weights are chosen from the paper's grid
  {0.01, 0.1, 1, 10} (``weight_grid``; ``None`` keeps ``beta``, ``gamma``, ``eta`` as given). The paper
  does not say how; here each weight in turn (KL, TR, AD order, the others held at their current
  best) takes every grid value in a shortened fit on the training rows (``search_iterations``), and
  the one whose imputation of held-out observed cells of the meta set (``holdout_fraction`` of them)
  has the least error wins: 4 x (number of terms) short fits instead of all 4^terms combinations;
- with the identity term off (``use_kl=False``: no KL), the embedding is deterministic (Z = mu).

The meta network's optimiser: the ``paper`` profile uses the paper's SGD (``meta_optimizer="sgd"``);
the constructor's default and so the quick profile use Adam (as Meta-Weight-Net, Shu et al. 2019;
tests/benchmarks/metagain_meta_optimizer.md), which over the paper's 10,000 iterations drives the weights
to extremes and diverges (tests/benchmarks/metagain_reproduction.md). Why Adam at all: its meta gradient carries a factor lr * <grad meta loss, grad term>, and under SGD at the
paper's learning rate the weights stay within 0.14 % of their start over 2,000 iterations on wine
(factors of 1e-2 to 2e2 under Adam). ``meta_optimizer="sgd"`` runs the SGD variant (momentum 0.9, the
generator's learning rate).

The switches ``use_kl``, ``use_task`` and ``use_meta`` remove the KL term, the task regulariser and the
meta network to rerun the ablation (Table 5). With all three off this is *Meta-GAIN's backbone*, not
GAIN: the objective has GAIN's two terms (L_rc + eta * L_ad), but the generator is the 5-layer
encoder-decoder with a deterministic 100-d embedding, the input noise is U[0, 1], the optimiser is SGD
with momentum, 10 % of the rows are held out to pick eta from the grid, and nothing weights the
reconstruction term by GAIN's alpha = 100 (GAIN: 3-layer generator, U(0, 0.01), Adam). The paper prints
Table 1's GAIN numbers in Table 5's all-off row, so the reproduction compares that row with the
suite's ``gain`` on the same masks, and reports the backbone separately.
Meta-GAIN uses labels (PROTOCOL §3): ``fit(X, y)`` needs the train rows' class target unless the task
regulariser and the meta network are both off.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from ..protocol.encoding import MixedEncoder
from ..imputer import Imputer, DEVICE, FRACTION, POSITIVE_INT, POSITIVE_REAL, SEED, StrOptions
from .neural import minibatches, mlp, resolve_device, seeded_generator, to_tensor
from .deep_tabular import EncodedLayout, class_codes, encode_table, xavier_init
from .info import BUILTIN_INFO

# Which weight multiplies which auxiliary term (the paper's names).
WEIGHT_OF_TERM = {"kl": "beta", "tr": "gamma", "ad": "eta"}
WEIGHT_GRID = (0.01, 0.1, 1.0, 10.0)  # the paper's grid for fixed loss weights
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
    """The meta set: ``fraction`` of the rows of each class (at least one per class; one class when
    no labels are read)."""
    rows = []
    for c in np.unique(codes):
        members = np.flatnonzero(codes == c)
        k = max(1, int(round(fraction * members.size)))
        rows.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(rows))


class MetaGAINImputer(Imputer):
    info = BUILTIN_INFO["metagain"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"n_iterations": [POSITIVE_INT], "batch_size": [POSITIVE_INT], "hidden_dim": [POSITIVE_INT],
                              "n_layers": [POSITIVE_INT], "latent_dim": [POSITIVE_INT], "lr": [POSITIVE_REAL], "meta_lr": [POSITIVE_REAL],
                              "meta_fraction": [FRACTION], "hint_rate": [FRACTION], "use_kl": ["boolean"], "use_task": ["boolean"],
                              "use_meta": ["boolean"], "reupdate": ["boolean"],
                              "decay_as": [StrOptions({"lr", "weight"})], "device": DEVICE, "random_state": SEED}

    def __init__(self, n_iterations: int = 10000, batch_size: int = 64, hidden_dim: int = 100,
                 n_layers: int = 5, latent_dim: int = 100, lr: float = 1e-2, momentum: float = 0.9,
                 decay: float = 1e-5, decay_as: str = "lr", reupdate: bool = False,
                 meta_lr: float = 1e-3, meta_optimizer: str = "adam",
                 meta_fraction: float = 0.1, hint_rate: float = 0.9, use_kl: bool = True, use_task: bool = True,
                 use_meta: bool = True, beta: float = 0.01, gamma: float = 0.01, eta: float = 0.01,
                 weight_grid: tuple[float, ...] | None = WEIGHT_GRID, search_iterations: int | None = None,
                 holdout_fraction: float = 0.2, input_noise: float = 1.0, log_every: int = 10, device: str = "auto",
                 random_state: int | None = None) -> None:
        self.n_iterations = n_iterations
        self.batch_size = batch_size
        self.hidden_dim = hidden_dim
        self.n_layers = n_layers
        self.latent_dim = latent_dim
        self.lr = lr
        self.momentum = momentum
        self.decay = decay
        self.decay_as = decay_as
        self.reupdate = reupdate
        self.meta_lr = meta_lr
        self.meta_optimizer = meta_optimizer
        self.meta_fraction = meta_fraction
        self.hint_rate = hint_rate
        self.use_kl = use_kl
        self.use_task = use_task
        self.use_meta = use_meta
        self.beta = beta
        self.gamma = gamma
        self.eta = eta
        self.weight_grid = weight_grid
        self.search_iterations = search_iterations
        self.holdout_fraction = holdout_fraction
        self.input_noise = input_noise
        self.log_every = log_every
        self.device = device
        self.random_state = random_state

    # -- the pieces of the objective --------------------------------------------------------------

    @property
    def terms_(self) -> list[str]:
        """The auxiliary terms in this configuration's objective (the ablation switches)."""
        return [t for t, on in (("kl", self.use_kl), ("tr", self.use_task), ("ad", True)) if on]

    def _given_weights(self) -> np.ndarray:
        given = {"kl": self.beta, "tr": self.gamma, "ad": self.eta}
        return np.array([given[t] for t in self.terms_], dtype=float)

    @property
    def _searches_weights(self) -> bool:
        return not self.use_meta and self.weight_grid is not None and len(self.weight_grid) > 0

    def _noisy_inputs(self, x: torch.Tensor, m: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        # Eq. 5: missing inputs are S ~ U[0, input_noise], U[0, 1] as published (GAIN used U(0, 0.01)).
        noise = torch.rand(x.shape, generator=gen, device=x.device) * self.input_noise
        return m * x + (1 - m) * noise

    def _hint(self, m: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        # GAIN's hint (Yoon et al. 2018, paper form): reveal m where B = 1, 0.5 elsewhere.
        b = (torch.rand(m.shape, generator=gen, device=m.device) < self.hint_rate).float()
        return b * m + 0.5 * (1 - b)

    def _embedding_noise(self, n_rows: int, gen: torch.Generator, dev: torch.device) -> torch.Tensor | None:
        # Without the KL term (ID off) nothing shapes the variance: the embedding is deterministic.
        return torch.randn((n_rows, self.latent_dim), generator=gen, device=dev) if self.use_kl else None

    def _generator_terms(self, params: dict[str, torch.Tensor] | None, x, m, y, hint, gen) -> tuple:
        """(L_rc, stacked auxiliary terms in ``terms_`` order) for one batch, with ``params`` if given."""
        x_in = self._noisy_inputs(x, m, gen)
        args = (x_in, m, self._embedding_noise(x.shape[0], gen, x.device))
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
        if self.reupdate:  # Eq. 12 read literally: keep w_hat (the look-ahead) and re-update from it
            with torch.no_grad():
                for k, p in params.items():
                    p.copy_(ahead[k].detach())
        return meta_loss.detach()

    def _make_meta_optimizer(self) -> torch.optim.Optimizer:
        params = self.meta_net_.parameters()
        if self.meta_optimizer == "adam":
            # Adam, as Meta-Weight-Net (Shu et al. 2019), whose bi-level update Eq. 11-13 follows: the meta
            # gradient carries a factor lr * <grad meta loss, grad term>, too small for SGD to move the weights.
            return torch.optim.Adam(params, lr=self.meta_lr)
        if self.meta_optimizer == "sgd":
            return torch.optim.SGD(params, lr=self.lr, momentum=self.momentum)
        raise ValueError(f"meta_optimizer must be 'adam' or 'sgd', got {self.meta_optimizer!r}")

    # -- training -----------------------------------------------------------------------------------

    def _train(self, data: tuple, train_rows: np.ndarray, weights: np.ndarray, n_iterations: int,
               n_classes: int) -> dict[str, list[float]]:
        """Fresh networks trained ``n_iterations`` steps on ``train_rows``; returns the logged history.

        ``weights`` are the fixed (beta, gamma, eta) of ``terms_`` (the meta network's start when MN is on).
        Every call starts from the same seed, so the weight search compares candidates on equal footing.
        """
        x_all, m_all, y_all = data
        dev = x_all.device
        gen = seeded_generator(self.random_state, dev)
        rng = np.random.default_rng(self.random_state)
        d = x_all.shape[1]
        self.generator_ = MetaGAINGenerator(d, n_classes, self.hidden_dim, self.n_layers, self.latent_dim).to(dev)
        self.discriminator_ = xavier_init(
            mlp([2 * d, *[self.hidden_dim] * (self.n_layers - 1), d], out=nn.Sigmoid()), "normal").to(dev)
        # "decay 1e-5": Keras-style learning-rate decay lr_t = lr / (1 + decay * t) (decay_as="lr"), or
        # SGD weight decay at a constant rate (decay_as="weight"); the paper does not say which.
        wd = self.decay if self.decay_as == "weight" else 0.0
        self.g_opt_ = torch.optim.SGD(self.generator_.parameters(), lr=self.lr, momentum=self.momentum, weight_decay=wd)
        self.d_opt_ = torch.optim.SGD(self.discriminator_.parameters(), lr=self.lr, momentum=self.momentum,
                                      weight_decay=wd)
        rate = self.decay if self.decay_as == "lr" else 0.0
        schedule = lambda t: 1.0 / (1.0 + rate * t)  # noqa: E731
        schedulers = [torch.optim.lr_scheduler.LambdaLR(o, schedule) for o in (self.g_opt_, self.d_opt_)]
        if self.use_meta:
            self.meta_net_ = MetaWeightNet(len(self.terms_), self.hidden_dim, weights).to(dev)
            self.meta_opt_ = self._make_meta_optimizer()
        fixed_t = torch.as_tensor(weights, dtype=torch.float32, device=dev)

        history: dict[str, list[float]] = {k: [] for k in ["iteration", "rc", "d_loss", *self.terms_,
                                                           *[WEIGHT_OF_TERM[t] for t in self.terms_]]}
        if self.use_meta:
            history["meta"] = []
        n = len(train_rows)
        batches = iter(())
        for it in range(n_iterations):
            idx = next(batches, None)
            if idx is None or len(idx) < 2:
                batches = minibatches(n, min(self.batch_size, n), rng)
                idx = next(batches)
            rows = torch.as_tensor(train_rows[idx], device=dev)
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
            w = self.meta_net_(terms).detach() if self.use_meta else fixed_t
            loss = l_rc + (w * terms).sum()
            self.g_opt_.zero_grad()
            loss.backward()
            self.g_opt_.step()
            for s in schedulers:
                s.step()
            if it % self.log_every == 0 or it == n_iterations - 1:
                history["iteration"].append(it)
                history["rc"].append(float(l_rc.detach()))
                history["d_loss"].append(d_loss)
                for t, v, wt in zip(self.terms_, terms.detach().cpu().tolist(), w.cpu().tolist()):
                    history[t].append(v)
                    history[WEIGHT_OF_TERM[t]].append(wt)
                if meta_loss is not None:
                    history["meta"].append(float(meta_loss))
        return history

    def _holdout_error(self, x_all: torch.Tensor, m_all: torch.Tensor, held: torch.Tensor) -> float:
        """Error of the current generator on the meta set's held-out observed cells (``held`` = 1)."""
        rows = torch.as_tensor(self.meta_rows_, device=x_all.device)
        x, m, h = x_all[rows], m_all[rows], held
        seen = m * (1 - h)
        gen = seeded_generator(self.random_state, x.device)
        with torch.no_grad():
            raw = self.generator_(self._noisy_inputs(x * seen, seen, gen), seen, None)[0]
            return float(self.layout_.reconstruction_loss(raw, x, h, numeric="sigmoid"))

    def _search_weights(self, data: tuple, n_classes: int, rng: np.random.Generator) -> np.ndarray:
        """The paper's grid for the fixed weights, one weight at a time (see the module docstring)."""
        x_all, m_all, _ = data
        meta_m = m_all[torch.as_tensor(self.meta_rows_, device=m_all.device)]
        held = self.layout_.held_out(meta_m, self.holdout_fraction, rng)
        budget = self.search_iterations or max(1, self.n_iterations // 10)
        best = self._given_weights()
        scores: dict[tuple[float, ...], float] = {}

        def score(w: np.ndarray) -> float:
            key = tuple(float(v) for v in w)
            if key not in scores:
                self._train(data, self.train_rows_, w, budget, n_classes)
                scores[key] = self._holdout_error(x_all, m_all, held)
            return scores[key]

        for k in range(len(best)):
            candidates = []
            for value in self.weight_grid:
                w = best.copy()
                w[k] = value
                candidates.append((score(w), w))
            best = min(candidates, key=lambda c: c[0])[1]
        self.weight_search_ = [{**{WEIGHT_OF_TERM[t]: w for t, w in zip(self.terms_, key)}, "holdout_error": v}
                               for key, v in scores.items()]
        return best

    # -- estimator API ----------------------------------------------------------------------------

    def _fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> None:
        needs_labels = self.use_task or self.use_meta
        if needs_labels:
            codes, n_classes = class_codes(y, len(X), "Meta-GAIN")
        else:  # with TR and MN both off, nothing reads the labels
            codes, n_classes = np.zeros(len(X), dtype=np.int64), 1
        dev = resolve_device(self.device)
        rng = np.random.default_rng(self.random_state)

        self.encoder_ = MixedEncoder("minmax").fit(X)
        self.layout_ = EncodedLayout(self.encoder_, dev)
        table = encode_table(self.encoder_, X, fill=0.0)
        data = (to_tensor(table.values, dev), to_tensor(table.observed, dev), torch.as_tensor(codes, device=dev))

        # The meta set (MN's meta loss, or the weight search's held-out cells) is drawn apart from the
        # rows the networks train on; without either, every row trains.
        if self.use_meta or self._searches_weights:
            self.meta_rows_ = stratified_meta_rows(codes, self.meta_fraction, rng)
            self.train_rows_ = np.setdiff1d(np.arange(len(X)), self.meta_rows_)
            if self.train_rows_.size < 2:
                raise ValueError(f"Meta-GAIN: {len(X)} rows leave too few to train on beside the meta set")
        else:
            self.meta_rows_ = np.zeros(0, dtype=np.int64)
            self.train_rows_ = np.arange(len(X))
        weights = self._search_weights(data, n_classes, rng) if self._searches_weights else self._given_weights()
        self.fixed_weights_ = {WEIGHT_OF_TERM[t]: float(w) for t, w in zip(self.terms_, weights)}
        self.history_ = self._train(data, self.train_rows_, weights, self.n_iterations, n_classes)
        self.device_ = str(dev)

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
