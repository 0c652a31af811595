"""What the torch imputers (GAIN, MIDAE, VAEI, HI-VAE, MIWAE, Meta-GAIN, DiffPuter) share.

- :class:`DeepTabularImputer`: the fit/transform scaffold (contract checks, mixed encoding,
  device choice, seeding, decoding by arg-max, restoring observed cells; PROTOCOL §4).
- :class:`EncodedLayout`: where numeric slots and one-hot blocks live in the encoded matrix, with
  the per-block softmax activation, cross-entropy and categorical log-likelihood, so categorical
  columns are modelled as categories (never floats rounded afterwards).
- :func:`training_batches` and :func:`sgd_step`: the one training loop's pieces.

torch is imported here, so importing any deep imputer fails cleanly without torch and the registry
lists it as unavailable.
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..protocol.encoding import MixedEncoder, Scaling
from ..errors import NotApplicableError
from ..imputer import AdaptableImputer
from .neural import LeanAdam, resolve_device, seeded_generator, to_tensor


class EncodedLayout:
    """Numeric slots and categorical one-hot blocks of a fitted :class:`MixedEncoder`, on a device."""

    def __init__(self, encoder: MixedEncoder, device: torch.device) -> None:
        self.width = int(encoder.n_encoded_)
        self.numeric = torch.as_tensor(encoder.numeric_slots, dtype=torch.long, device=device)
        self.blocks = [(b.start, b.stop) for b in encoder.categorical_blocks]
        # One slot per source column (a block's first slot stands for its column): the per-cell view
        # of the observed mask, so a categorical cell counts once, not once per category.
        starts = sorted([int(s) for s in encoder.numeric_slots] + [s for s, _ in self.blocks])
        self.column_slots = torch.as_tensor(starts, dtype=torch.long, device=device)
        # Source column of every encoded slot: a per-column draw (a hint, a mask) spreads over its block.
        owner = np.empty(self.width, dtype=np.int64)
        for j, b in enumerate(encoder.blocks_):
            owner[b.start:b.stop] = j
        self.slot_column = torch.as_tensor(owner, dtype=torch.long, device=device)
        # Contiguous runs of numeric slots and the blocks, in column order, so activation is one cat.
        self.segments: list[tuple[str, int, int]] = []
        for b in encoder.blocks_:
            if b.kind == "numeric" and self.segments and self.segments[-1][0] == "numeric":
                self.segments[-1] = ("numeric", self.segments[-1][1], b.stop)
            else:
                self.segments.append((b.kind, b.start, b.stop))

    @property
    def n_columns(self) -> int:
        return int(self.column_slots.numel())

    def per_slot(self, per_column: torch.Tensor) -> torch.Tensor:
        """A ``(..., n_columns)`` tensor spread to ``(..., width)``: every slot of a block gets its column's value."""
        return per_column[..., self.slot_column]

    @property
    def n_numeric(self) -> int:
        return int(self.numeric.numel())

    def activate(self, raw: torch.Tensor, numeric: str = "identity") -> torch.Tensor:
        """Numeric slots through ``numeric`` ('identity' or 'sigmoid'), each block through a softmax."""
        if not self.blocks:
            return torch.sigmoid(raw) if numeric == "sigmoid" else raw
        pieces = []
        for kind, s, e in self.segments:
            part = raw[..., s:e]
            if kind == "categorical":
                pieces.append(torch.softmax(part, dim=-1))
            else:
                pieces.append(torch.sigmoid(part) if numeric == "sigmoid" else part)
        return torch.cat(pieces, dim=-1)

    def categorical_log_prob(self, raw: torch.Tensor, x: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        """Sum over observed categorical cells of log p(true category); shape ``raw.shape[:-1]``.

        ``raw`` holds logits in the block slots, ``x`` the one-hot truth (zeros where missing),
        ``obs`` the encoded observed mask; broadcasting over leading sample dimensions is allowed.
        """
        total = raw.new_zeros(torch.broadcast_shapes(raw.shape[:-1], x.shape[:-1]))
        for s, e in self.blocks:
            logp = torch.log_softmax(raw[..., s:e], dim=-1)
            total = total + (logp * x[..., s:e]).sum(-1) * obs[..., s]
        return total

    def numeric_log_prob(self, dist: torch.distributions.Distribution, x: torch.Tensor,
                         obs: torch.Tensor) -> torch.Tensor:
        """Sum over observed numeric cells of ``dist.log_prob`` (``dist`` is over the numeric slots)."""
        if not self.n_numeric:
            return x.new_zeros(x.shape[:-1])
        return (dist.log_prob(x[..., self.numeric]) * obs[..., self.numeric]).sum(-1)

    def log_likelihood(self, dist: torch.distributions.Distribution | None, raw: torch.Tensor,
                       x: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        """log p(x_obs | ...) per row: ``dist`` for numeric slots, softmax of ``raw`` for blocks."""
        if dist is not None and self.n_numeric and not self.blocks:
            # The categorical term is a tensor of zeros then: adding the scalar 0.0 gives the same bits
            # without building it.
            return self.numeric_log_prob(dist, x, obs) + 0.0
        total = self.categorical_log_prob(raw, x, obs)
        if dist is not None and self.n_numeric:
            total = total + self.numeric_log_prob(dist, x, obs)
        return total

    def draw_categories(self, raw: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """``raw`` with each block's logits replaced by a one-hot category drawn from their softmax
        (PROTOCOL §9's draws of a categorical cell); numeric slots as they are."""
        drawn = raw.clone()
        for s, e in self.blocks:
            probs = torch.softmax(raw[..., s:e], dim=-1).reshape(-1, e - s)
            k = torch.multinomial(probs, 1, generator=generator).reshape(raw.shape[:-1])
            drawn[..., s:e] = nn.functional.one_hot(k, e - s).to(raw.dtype)
        return drawn

    def held_out(self, obs: torch.Tensor, fraction: float, rng: np.random.Generator) -> torch.Tensor:
        """A random ``fraction`` of the observed cells (1 = held out), drawn per source column so a
        categorical cell's slots go together: cells to hide from training and score it on."""
        per_column = torch.as_tensor(rng.random((obs.shape[0], self.n_columns)) < fraction,
                                     dtype=obs.dtype, device=obs.device)
        return self.per_slot(per_column) * obs

    def observed_cells(self, obs: torch.Tensor) -> torch.Tensor:
        """Observed source cells per row (a categorical cell counts once)."""
        return obs[..., self.column_slots].sum(-1)

    def reconstruction_loss(self, raw: torch.Tensor, x: torch.Tensor, obs: torch.Tensor,
                            numeric: str = "identity", categorical: str = "cross_entropy",
                            per_leading: bool = False) -> torch.Tensor:
        """Mean over observed cells of squared error (numeric, after ``numeric`` activation) and, per
        categorical block, cross-entropy or (``categorical="brier"``) the squared error of the softmax
        probabilities against the one-hot truth: the autoencoder/GAIN reconstruction term.
        ``per_leading``: (..., rows, width) inputs give one mean per leading index (one per model of a
        stack), each over its own rows."""
        def total_of(t: torch.Tensor) -> torch.Tensor:  # t: (..., rows)
            return t.sum(-1) if per_leading else t.sum()

        # Without blocks the categorical term is an exact zero (a sum of non-negative squared errors
        # added to it keeps its bits), so it is not built.
        total = None
        if categorical == "brier":
            for s, e in self.blocks:
                err = (torch.softmax(raw[..., s:e], dim=-1) - x[..., s:e]) ** 2
                term = total_of(err.sum(-1) * obs[..., s])
                total = term if total is None else total + term
        elif self.blocks:
            total = -total_of(self.categorical_log_prob(raw, x, obs))
        if self.n_numeric:
            pred = raw[..., self.numeric]
            if numeric == "sigmoid":
                pred = torch.sigmoid(pred)
            err = (pred - x[..., self.numeric]) ** 2 * obs[..., self.numeric]
            term = total_of(err.sum(-1) if per_leading else err)
            total = term if total is None else total + term
        if total is None:  # neither blocks nor numeric slots: an empty table
            total = raw.new_zeros(raw.shape[:-2] if per_leading else ())
        return total / total_of(self.observed_cells(obs)).clamp_min(1.0)


def training_batches(n_rows: int, batch_size: int, rng: np.random.Generator, *,
                     epochs: int | None = None, iterations: int | None = None) -> Iterator[torch.Tensor]:
    """Row indices of every mini-batch of a training run: ``epochs`` shuffled passes, or exactly
    ``iterations`` batches drawn from back-to-back shuffled passes (GAIN counts iterations).

    The indices are slices of one CPU index tensor per pass: a numpy index would be converted to a
    tensor again at every ``x[idx]`` of every step."""
    batch_size = max(1, min(int(batch_size), n_rows))
    if iterations is not None:
        done = 0
        while done < iterations:
            order = torch.from_numpy(rng.permutation(n_rows))
            for start in range(0, n_rows - batch_size + 1, batch_size):
                yield order[start:start + batch_size]
                done += 1
                if done >= iterations:
                    return
        return
    for _ in range(int(epochs or 0)):
        order = torch.from_numpy(rng.permutation(n_rows))
        for start in range(0, n_rows, batch_size):
            yield order[start:start + batch_size]


def sgd_step(optimizer: torch.optim.Optimizer | LeanAdam, loss: torch.Tensor) -> float:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def xavier_init(module: nn.Module, distribution: str = "uniform") -> nn.Module:
    """Glorot weights (``"uniform"``: MIDA's reference; ``"normal"``: Meta-GAIN's) and zero biases."""
    init = nn.init.xavier_normal_ if distribution == "normal" else nn.init.xavier_uniform_
    for m in module.modules():
        if isinstance(m, nn.Linear):
            init(m.weight)
            nn.init.zeros_(m.bias)
    return module


@dataclass
class EncodedTable:
    """A table in encoded space: values with missing cells set to ``fill`` and the observed mask."""

    values: np.ndarray  # float, missing cells filled
    observed: np.ndarray  # float 0/1, same shape


def encode_table(encoder: MixedEncoder, X: pd.DataFrame, fill: float | np.ndarray = 0.0) -> EncodedTable:
    """Encode ``X``; missing encoded cells take ``fill`` (a scalar or one value per encoded column)."""
    values = encoder.encode(X)
    observed = encoder.observed(X)
    filled = np.where(observed, np.nan_to_num(values), np.broadcast_to(fill, values.shape))
    return EncodedTable(values=filled.astype(float), observed=observed.astype(float))


def class_codes(y: pd.Series | None, n_rows: int, who: str) -> tuple[np.ndarray, int]:
    """Integer class codes of a class target; :class:`NotApplicableError` when there is none (PROTOCOL §3, §4)."""
    if y is None:
        raise NotApplicableError(f"{who} needs a class target (it uses the train labels, PROTOCOL §3); "
                         "this dataset has none, or the harness passed no labels")
    y = pd.Series(y)
    if len(y) != n_rows:
        raise ValueError(f"{who}: got {len(y)} labels for {n_rows} rows")
    if isinstance(y.dtype, pd.CategoricalDtype):
        codes = y.cat.remove_unused_categories().cat.codes.to_numpy()
    elif pd.api.types.is_float_dtype(y.dtype):
        # Canonical class targets are categories (PROTOCOL §1); floats are a regression target.
        raise NotApplicableError(f"{who} needs a class target; got a regression target ({y.name!r})")
    else:
        codes = pd.Categorical(y).codes
    if (codes < 0).any():
        raise ValueError(f"{who}: the class target has missing labels")
    return codes.astype(np.int64), int(codes.max()) + 1


class DeepTabularImputer(AdaptableImputer):
    """Scaffold: subclasses implement ``_fit_model(x, obs)`` and ``_impute(x, obs) -> encoded``.

    ``x`` is the encoded matrix as a float32 tensor with missing cells set to 0 (one-hot blocks all
    0), ``obs`` the encoded observed mask (1 = observed) as float32; both on ``self.device_``.
    The randomness of a model comes from ``self.generator_`` (torch) and ``self.rng_`` (numpy,
    batch order), both seeded from ``random_state`` (PROTOCOL §4).
    """

    scaling: Scaling = "minmax"

    def _setup(self, random_state_offset: int = 0) -> None:
        self.device_ = resolve_device(getattr(self, "device", "auto"))
        seed = getattr(self, "random_state", None)
        seed = (0 if seed is None else int(seed)) + random_state_offset
        self.generator_ = seeded_generator(seed, self.device_)
        self.rng_ = np.random.default_rng(seed)

    def _tensors(self, X: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor]:
        Z = self.encoder_.encode(X)
        obs = ~np.isnan(Z)
        return (to_tensor(np.where(obs, Z, 0.0), self.device_), to_tensor(obs.astype(np.float32), self.device_))

    def _fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> "DeepTabularImputer":
        from .em import table_digest

        self.encoder_ = MixedEncoder(self.scaling).fit(X)
        self._setup()
        self.layout_ = EncodedLayout(self.encoder_, self.device_)
        x, obs = self._tensors(X)
        self._fit_model(x, obs)
        self.fit_table_ = table_digest(self.encoder_.encode(X), self.get_params())  # sample() reuses this fit
        return self

    def fitted_on(self, X: pd.DataFrame) -> bool:
        """Whether this imputer's fit was on exactly ``X`` (same encoded table and hyper-parameters)."""
        from .em import fitted_on_table

        return fitted_on_table(self, X)

    def encoded_draws(self, X: pd.DataFrame, m: int, random_state: int | None) -> list[pd.DataFrame]:
        """PROTOCOL §9 for a subclass whose method defines draws (its ``_draws(x, obs, m)``, m encoded
        tables): ``m`` tables of ``X`` under this fit when it was on ``X`` (``fit_transform`` then
        ``sample`` fits once), else under a fresh fit on ``X`` (this one is left as it is). The draws'
        generators are seeded from ``random_state`` alone."""
        from sklearn.base import clone

        fitted = self if self.fitted_on(X) else clone(self).fit(X)
        seed = (0 if random_state is None else int(random_state)) + 3  # apart from fit's and transform's
        fitted.generator_ = seeded_generator(seed, fitted.device_)
        fitted.rng_ = np.random.default_rng(seed)
        x, obs = fitted._tensors(X)
        with torch.no_grad():
            tables = fitted._draws(x, obs, int(m))
        return [fitted.encoder_.decode(t.detach().cpu().double().numpy(), index=X.index) for t in tables]

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        if not X.isna().to_numpy().any():
            return X.copy()
        # A fresh generator per call: the same rows give the same imputation (PROTOCOL §4).
        self._setup(random_state_offset=1)
        x, obs = self._tensors(X)
        with torch.no_grad():
            encoded = self._impute(x, obs)
        filled = self.encoder_.decode(encoded.detach().cpu().double().numpy(), index=X.index)
        return filled

    def _adapt(self, X: pd.DataFrame, y: pd.Series | None) -> None:
        """Fine-tune (PROTOCOL §7): the model's own training loop on ``X``, started from the fitted
        weights; the encoding fitted on the source is kept, so both domains share one scale."""
        self._setup(random_state_offset=2)
        x, obs = self._tensors(X)
        with warm_start(fitted_networks(self)) as settle:
            self._fit_model(x, obs)
            settle(fitted_networks(self))

    def column_means(self, x: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        """Observed mean per encoded slot (category frequencies in a block): the initial fill."""
        return (x * obs).sum(0) / obs.sum(0).clamp_min(1.0)

    # --- subclass API ---
    def _fit_model(self, x: torch.Tensor, obs: torch.Tensor) -> None:  # pragma: no cover
        raise NotImplementedError

    def _impute(self, x: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def _draws(self, x: torch.Tensor, obs: torch.Tensor, m: int) -> list[torch.Tensor]:  # pragma: no cover
        raise NotImplementedError  # only a subclass with _sample (encoded_draws) defines it


# -- the transfer contract's warm start (PROTOCOL §7 fine-tune) ---------------------------------------
def fitted_networks(model: object) -> list[nn.Module]:
    """The torch networks a fitted imputer holds (attributes, and lists of them), in attribute order."""
    nets: list[nn.Module] = []
    for value in vars(model).values():
        if isinstance(value, nn.Module):
            nets.append(value)
        elif isinstance(value, (list, tuple)):
            nets += [v for v in value if isinstance(v, nn.Module)]
    return nets


def _layout(module: nn.Module) -> tuple:
    return tuple((k, tuple(v.shape)) for k, v in module.state_dict().items())


@contextlib.contextmanager
def warm_start(networks: list[nn.Module]) -> Iterator[Callable[[list[nn.Module]], None]]:
    """Inside the block, every network built with the same parameter layout as one of ``networks`` takes
    that network's weights (copied in place, in order) before its first forward pass.

    An imputer's own ``fit`` body (build, initialise, make an optimiser, train) then becomes a
    fine-tune with no second copy of its training loop: the copy happens after any initialisation
    and the optimiser keeps the same parameter tensors. The block gets ``settle(new_networks)``:
    call it after the fit with the networks it built, so that one never run forward (a zero budget)
    still takes its fitted weights.
    """
    pending: dict[tuple, list[dict]] = {}
    for net in networks:
        pending.setdefault(_layout(net), []).append(copy.deepcopy(net.state_dict()))
    seen: set[int] = set()

    def load_fitted(module: nn.Module, args: Any) -> None:
        if id(module) in seen:
            return
        queue = pending.get(_layout(module))
        if queue:
            module.load_state_dict(queue.pop(0))
            seen.update(id(m) for m in module.modules())  # its layers are part of it
        seen.add(id(module))

    def settle(new_networks: list[nn.Module]) -> None:
        for net in new_networks:
            load_fitted(net, None)

    handle = torch.nn.modules.module.register_module_forward_pre_hook(load_fitted)
    try:
        yield settle
    finally:
        handle.remove()
