"""ReMasker (Du, Melis & Wang, "ReMasker: Imputing Tabular Data with Masked Autoencoding", ICLR 2024).

Each column is a token (its value embedded, plus a fixed sin-cos position embedding; a class token in
front). A transformer encoder sees only the visible tokens: the observed ones minus a random share
``mask_ratio`` of them that is *re-masked* at every training step. A transformer decoder puts a learned
mask token at every invisible position and predicts every column. The loss is the reconstruction error
on the re-masked observed tokens plus that on the visible ones (each averaged separately), as the
reference. At imputation time nothing is re-masked: the observed tokens are visible, the missing ones
are predicted.

Numbers are min-max scaled (fit rows' observed cells) and predicted through tanh/2 + 1/2, as the
reference. The reference handles numbers only; here a categorical column's token is a learned
embedding of its category, and it is predicted by a softmax head with a cross-entropy loss and
decoded by arg-max (PROTOCOL §4).

The paper profile is the official code's setting for the larger tables (tydusky/remasker ``configs.py``
for letter, spam, wine, obesity): width 64, encoder depth 8, decoder depth 6, 4 heads, MLP ratio 4,
re-masking ratio 0.5, 600 epochs with 40 warm-up epochs, batch 64, AdamW (betas 0.9, 0.95) at lr 1e-3
(its base lr x batch / 64) with a half-cycle cosine to 1e-5. Weight decay is 0.05, the value the
official code declares; that code never passes it to AdamW, so it runs at PyTorch's default 0.01
(a listed deviation). The reference shrinks the network for small tables (iris, yacht, climate: width
32, depths 4 and 2); the suite keeps one setting. Every departure is declared in
:mod:`imputebench.registry.info.seeds`.
The encoder runs on each row's visible tokens only, gathered as a masked autoencoder does; a batch's
rows with fewer visible tokens are padded and the padding is masked out of the attention.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ..protocol.encoding import MixedEncoder
from ..imputer import AdaptableImputer, DEVICE, POSITIVE_INT, POSITIVE_REAL, SEED, Interval, Real
from .neural import minibatches, resolve_device, seeded_generator, to_tensor
from .info import BUILTIN_INFO

LN_EPS = 1e-6


def sincos_positions(n_positions: int, dim: int) -> torch.Tensor:
    """Fixed 1-D sin-cos embedding for positions 0..n-1, with a zero row in front for the class token."""
    omega = 1.0 / 10000 ** (np.arange(dim // 2) / (dim / 2))
    angles = np.arange(n_positions)[:, None] * omega[None, :]
    table = np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
    return torch.as_tensor(np.vstack([np.zeros((1, dim)), table]), dtype=torch.float32)


def transformer(dim: int, depth: int, heads: int, mlp_ratio: float) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(dim, heads, int(dim * mlp_ratio), dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True, layer_norm_eps=LN_EPS)
    return nn.TransformerEncoder(layer, depth, norm=nn.LayerNorm(dim, eps=LN_EPS), enable_nested_tensor=False)


class MaskedTableAutoencoder(nn.Module):
    """Column tokens -> encoder over visible tokens -> decoder over all positions -> per-column outputs."""

    def __init__(self, kinds: list[str], n_categories: list[int], dim: int, depth: int, decoder_depth: int,
                 heads: int, mlp_ratio: float) -> None:
        super().__init__()
        # Each categorical column's categories occupy their own rows of one shared embedding table.
        starts = iter(np.concatenate([[0], np.cumsum(n_categories)])[:-1].tolist())
        offsets = [next(starts) if k == "categorical" else 0 for k in kinds]
        self.register_buffer("code_offsets", torch.as_tensor(offsets, dtype=torch.long).unsqueeze(0))
        self.register_buffer("is_cat_mask", torch.tensor([k == "categorical" for k in kinds]))
        n_cols = len(kinds)
        self.value_embed = nn.Linear(1, dim)  # the reference's Conv1d(1, dim, kernel_size=1)
        self.category_embed = nn.Embedding(max(int(sum(n_categories)), 1), dim)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.register_buffer("pos", sincos_positions(n_cols, dim).unsqueeze(0))
        self.encoder = transformer(dim, depth, heads, mlp_ratio)
        self.decoder_embed = nn.Linear(dim, dim)
        self.mask_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.decoder = transformer(dim, decoder_depth, heads, mlp_ratio)
        self.value_head = nn.Linear(dim, 1)
        self.category_heads = nn.ModuleList(nn.Linear(dim, k) for k in n_categories if k > 0)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, values: torch.Tensor, codes: torch.Tensor, visible: torch.Tensor):
        """values (N, L) scaled numbers, codes (N, L) category codes (0 where numeric/missing),
        visible (N, L) bool. Returns (numbers in [0, 1] (N, L), list of logits per categorical column)."""
        num_tok = self.value_embed(values.unsqueeze(-1))
        cat_tok = self.category_embed(codes + self.code_offsets)
        tokens = torch.where(self.is_cat_mask.view(1, -1, 1), cat_tok, num_tok) + self.pos[:, 1:]
        cls = (self.cls_token + self.pos[:, :1]).expand(len(values), -1, -1)
        # The encoder sees the visible tokens only, gathered to the front of each row (column order
        # kept; shorter rows padded, the padding masked out of the attention): the same outputs as
        # running it on every token with the hidden ones masked, on a sequence of at most
        # (1 - mask_ratio) of the columns while training.
        width = int(visible.sum(dim=1).max()) if len(visible) else 0
        keep_idx = torch.argsort((~visible).to(torch.int8), dim=1, stable=True)[:, :width]
        kept = tokens.gather(1, keep_idx.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))
        padding = ~visible.gather(1, keep_idx)
        latent = self.encoder(torch.cat([cls, kept], dim=1),
                              src_key_padding_mask=torch.cat([torch.zeros_like(padding[:, :1]), padding], dim=1))
        dec_kept = self.decoder_embed(latent)
        placed = torch.zeros_like(tokens).scatter(1, keep_idx.unsqueeze(-1).expand_as(kept), dec_kept[:, 1:])
        dec = torch.cat([dec_kept[:, :1], torch.where(visible.unsqueeze(-1), placed, self.mask_token.expand_as(placed))],
                        dim=1) + self.pos
        out = self.decoder(dec)[:, 1:]
        numbers = torch.tanh(self.value_head(out).squeeze(-1)) / 2 + 0.5
        cat_cols = torch.nonzero(self.is_cat_mask).flatten().tolist()
        logits = [head(out[:, j]) for head, j in zip(self.category_heads, cat_cols)]
        return numbers, logits


def cosine_with_warmup(progress: float, lr: float, min_lr: float, epochs: int, warmup: int) -> float:
    """The reference's per-iteration schedule: linear warm-up, then half-cycle cosine to ``min_lr``."""
    if progress < warmup:
        return lr * progress / warmup
    return min_lr + (lr - min_lr) * 0.5 * (1 + math.cos(math.pi * (progress - warmup) / max(epochs - warmup, 1e-9)))


class ReMaskerImputer(AdaptableImputer):
    info = BUILTIN_INFO["remasker"]  # declared in registry/info/ (read without importing this module)
    _parameter_constraints = {"embed_dim": [POSITIVE_INT], "depth": [POSITIVE_INT], "decoder_depth": [POSITIVE_INT], "num_heads": [POSITIVE_INT],
                              "mask_ratio": [Interval(Real, 0, 1, closed="neither")], "max_epochs": [POSITIVE_INT],
                              "max_steps": [POSITIVE_INT, None], "batch_size": [POSITIVE_INT], "lr": [POSITIVE_REAL],
                              "device": DEVICE, "random_state": SEED}

    def __init__(self, embed_dim: int = 64, depth: int = 8, decoder_depth: int = 6, num_heads: int = 4,
                 mlp_ratio: float = 4.0, mask_ratio: float = 0.5, max_epochs: int = 600,
                 warmup_epochs: int = 40, max_steps: int | None = None, batch_size: int = 64, lr: float = 1e-3, min_lr: float = 1e-5,
                 weight_decay: float = 0.05, device: str = "auto", random_state: int | None = None) -> None:
        self.embed_dim = embed_dim
        self.depth = depth
        self.decoder_depth = decoder_depth
        self.num_heads = num_heads
        self.mlp_ratio = mlp_ratio
        self.mask_ratio = mask_ratio
        self.max_epochs = max_epochs
        self.warmup_epochs = warmup_epochs
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.lr = lr
        self.min_lr = min_lr
        self.weight_decay = weight_decay
        self.device = device
        self.random_state = random_state

    def _tokens(self, X: pd.DataFrame, dev: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(scaled numbers, category codes, observed) per column, missing cells as 0."""
        observed = X.notna().to_numpy()
        scaled = self.encoder_.encode(X)
        values = np.zeros(X.shape)
        codes = np.zeros(X.shape, dtype=np.int64)
        for j, b in enumerate(self.encoder_.blocks_):
            if b.kind == "numeric":
                values[:, j] = np.nan_to_num(scaled[:, b.start])
            else:
                c = pd.Categorical(X.iloc[:, j], categories=list(b.categories)).codes
                codes[:, j] = np.maximum(c, 0)
        return (to_tensor(values, dev), torch.as_tensor(codes, device=dev),
                torch.as_tensor(observed.copy(), device=dev))

    def _cell_losses(self, numbers, logits, values, codes) -> torch.Tensor:
        """(N, L) per-cell loss: squared error for numbers, cross-entropy for categories."""
        loss = (numbers - values) ** 2
        cat_cols = torch.nonzero(self.model_.is_cat_mask).flatten().tolist()
        if cat_cols:
            loss = loss.clone()
            for lg, j in zip(logits, cat_cols):
                loss[:, j] = F.cross_entropy(lg, codes[:, j], reduction="none")
        return loss

    def _fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> "ReMaskerImputer":
        dev = resolve_device(self.device)
        gen = seeded_generator(self.random_state, dev)
        rng = np.random.default_rng(self.random_state)
        self.encoder_ = MixedEncoder("minmax").fit(X)
        kinds = [b.kind for b in self.encoder_.blocks_]
        n_cats = [len(b.categories) for b in self.encoder_.blocks_ if b.kind == "categorical"]
        self.model_ = MaskedTableAutoencoder(kinds, n_cats, self.embed_dim, self.depth, self.decoder_depth,
                                             self.num_heads, self.mlp_ratio).to(dev)
        values, codes, observed = self._tokens(X, dev)
        opt = torch.optim.AdamW(self.model_.parameters(), lr=self.lr, betas=(0.9, 0.95),
                                weight_decay=self.weight_decay)
        n, n_cols = X.shape
        keep = int(n_cols * (1 - self.mask_ratio))
        n_batches = math.ceil(n / self.batch_size)
        # ``max_steps`` caps the optimisation steps (quick profile: small tables still get many
        # epochs, large ones stop early); the learning-rate schedule spans the epochs actually run.
        epochs = self.max_epochs if self.max_steps is None else max(1, min(self.max_epochs,
                                                                           self.max_steps // n_batches))
        warmup = min(self.warmup_epochs, max(epochs // 10, 1)) if epochs < self.max_epochs else self.warmup_epochs
        self.model_.train()
        self.loss_history_: list[float] = []
        for epoch in range(epochs):
            total = 0.0
            for it, idx in enumerate(minibatches(n, self.batch_size, rng)):
                for group in opt.param_groups:
                    group["lr"] = cosine_with_warmup(epoch + it / n_batches, self.lr, self.min_lr, epochs, warmup)
                rows = torch.as_tensor(idx, device=dev)
                v, c, o = values[rows], codes[rows], observed[rows]
                # Re-mask: of the observed tokens, keep the ``keep`` with the lowest random score.
                score = torch.rand(o.shape, generator=gen, device=dev).masked_fill(~o, 2.0)
                rank = score.argsort(dim=1).argsort(dim=1)
                visible = o & (rank < keep)
                remasked = o & ~visible
                numbers, logits = self.model_(v, c, visible)
                cell = self._cell_losses(numbers, logits, v, c)
                loss = ((cell * remasked).sum() / remasked.sum().clamp_min(1)
                        + (cell * visible).sum() / visible.sum().clamp_min(1))
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach())
            self.loss_history_.append(total / n_batches)
        self.model_.eval()
        self.device_ = str(dev)
        return self

    def _adapt(self, X: pd.DataFrame, y: pd.Series | None) -> None:
        """Fine-tune (PROTOCOL §7): ``_fit`` on ``X`` with the network warm-started from the fitted
        weights; the min-max scaling is re-fitted on ``X`` (``_fit`` does both)."""
        from .deep_tabular import fitted_networks, warm_start

        with warm_start(fitted_networks(self)) as settle:
            self._fit(X, y)
            settle(fitted_networks(self))

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        dev = torch.device(self.device_)
        values, codes, observed = self._tokens(X, dev)
        numbers_out, codes_out = [], []
        with torch.no_grad():
            for start in range(0, len(X), 1024):
                sl = slice(start, start + 1024)
                numbers, logits = self.model_(values[sl], codes[sl], observed[sl])
                numbers_out.append(numbers.cpu().numpy())
                codes_out.append([lg.argmax(dim=1).cpu().numpy() for lg in logits])
        numbers = np.concatenate(numbers_out) if numbers_out else np.zeros((0, X.shape[1]))
        filled = {}
        cat_k = 0
        for j, (c, b) in enumerate(zip(X.columns, self.encoder_.blocks_)):
            if b.kind == "numeric":
                filled[c] = numbers[:, j] * self.encoder_.scale_[b.start] + self.encoder_.loc_[b.start]
            else:
                col_codes = np.concatenate([part[cat_k] for part in codes_out]) if codes_out else np.zeros(0, int)
                filled[c] = pd.Categorical.from_codes(col_codes, categories=list(b.categories))
                cat_k += 1
        return pd.DataFrame(filled, index=X.index, columns=X.columns)
