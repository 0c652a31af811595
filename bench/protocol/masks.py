"""Missingness mechanisms (PROTOCOL §2), each a pure function of an array and a ``numpy.random.Generator``.

Every mechanism takes ``values`` (n x d floats; categorical columns as integer codes),
``categorical`` (d booleans), the rate ``p`` and ``rng``, and returns a boolean mask with
True = observed (PROTOCOL §2: "1 means observed"). A column is never left fully missing (it is
redrawn); a rate the mechanism cannot reach raises :class:`InfeasibleMaskError`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

from ..errors import InfeasibleMaskError, UsageError

MAX_COLUMN_PROBABILITY = 0.95  # PROTOCOL §2 (mar): shrink d_obs when a column would need more
STANDARD_RATES = (0.1, 0.2, 0.3, 0.5, 0.7)  # PROTOCOL §2
_REDRAWS = 100


def rate_text(rate: float) -> str:
    """A rate as mask seeds and job keys write it (6 significant digits): rates that write the same
    are one rate, so the grid keeps them once (:func:`check_rate`)."""
    return f"{float(rate):.6g}"


def job_seed(dataset: str, mechanism: str, rate: float, seed: int) -> int:
    """A stable 63-bit integer from the four values that identify a mask (PROTOCOL §2)."""
    key = f"{dataset}|{mechanism}|{rate_text(rate)}|{int(seed)}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little") >> 1


def job_rng(dataset: str, mechanism: str, rate: float, seed: int) -> np.random.Generator:
    """PROTOCOL §2: ``numpy.random.default_rng`` seeded from (dataset, mechanism, rate, seed)."""
    return np.random.default_rng(job_seed(dataset, mechanism, rate, seed))


def check_rate(rate: float) -> float:
    """A missing rate in (0, 1), at the precision of its key (0.2000001 is 0.2: one mask, one job key)."""
    canonical = float(rate_text(rate))  # 0.9999999 writes as 1: outside, as its key would say
    if not 0.0 < canonical < 1.0:
        raise UsageError(
            f"missing rate {float(rate)!r} is outside (0, 1)"
            + (f" at the 6 significant digits of a job key ({rate_text(rate)})" if 0.0 < float(rate) < 1.0 else "")
            + f"; standard rates: {', '.join(map(str, STANDARD_RATES))}"
        )
    return canonical


def standardise(values: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    """Columns standardised; categorical codes first re-coded by frequency (most frequent = 0),
    PROTOCOL §2 ("codes ordered by frequency, then standardised"). Constant columns become 0."""
    Z = np.array(values, dtype=float, copy=True)
    for j in np.flatnonzero(categorical):
        codes = Z[:, j].astype(int)
        uniq, counts = np.unique(codes, return_counts=True)
        order = uniq[np.lexsort((uniq, -counts))]  # by count descending, ties by code
        rank = np.empty(order.max() + 1, dtype=float)
        rank[order] = np.arange(order.size)
        Z[:, j] = rank[codes]
    mu, sd = Z.mean(axis=0), Z.std(axis=0)
    sd[sd == 0] = 1.0
    return (Z - mu) / sd


def _intercept(scores: np.ndarray, target: float) -> float:
    """PROTOCOL §2: the bias, by bisection, that makes mean(sigmoid(scores + b)) equal ``target``."""
    return brentq(lambda b: expit(scores + b).mean() - target, -60.0, 60.0, xtol=1e-10)


def _bernoulli_column(prob: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Observed-indicator draws for one column, redrawn until the column is not fully missing."""
    for _ in range(_REDRAWS):
        observed = rng.random(prob.shape[0]) >= prob
        if observed.any():
            return observed
    raise InfeasibleMaskError("a column stays fully missing after 100 redraws")


def mcar(values: np.ndarray, categorical: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """PROTOCOL §2 mcar: every cell missing independently with probability ``rate``."""
    n, d = values.shape
    prob = np.full(n, rate)
    return np.column_stack([_bernoulli_column(prob, rng) for _ in range(d)])


def _logistic_columns(Z_in: np.ndarray, n_targets: int, target: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Probabilities ``sigmoid(Z_in . w_j + b_j)`` for ``n_targets`` columns (PROTOCOL §2 mar):
    ``w_j ~ N(0, I)`` rescaled so the score has unit variance, ``b_j`` by bisection."""
    probs = []
    for _ in range(n_targets):
        w = rng.standard_normal(Z_in.shape[1])
        s = Z_in @ w
        sd = s.std()
        s = s / sd if sd > 0 else s
        probs.append(expit(s + _intercept(s, target)))
    return probs


def _initial_d_obs(d: int) -> int:
    """PROTOCOL §2: d_obs = max(1, round(0.3 d)), rounding half up."""
    return max(1, int(np.floor(0.3 * d + 0.5)))


def _logistic_mask(values: np.ndarray, categorical: np.ndarray, d_obs: int, per_column: float,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``d_obs`` random input columns stay observed; every other column misses with a logistic
    probability of the standardised inputs, mean ``per_column``. Returns (mask, input columns)."""
    n, d = values.shape
    order = rng.permutation(d)
    inputs, targets = order[:d_obs], order[d_obs:]
    Z = standardise(values, categorical)
    mask = np.ones((n, d), dtype=bool)
    for j, prob in zip(targets, _logistic_columns(Z[:, inputs], targets.size, per_column, rng)):
        mask[:, j] = _bernoulli_column(prob, rng)
    return mask, inputs


def _mar_split(d: int, rate: float) -> tuple[int, float]:
    """PROTOCOL §2: d_obs = max(1, round(0.3 d)), shrunk while a masked column would need > 0.95."""
    if d < 2:
        raise InfeasibleMaskError("mar needs at least two features (one stays observed)")
    d_obs = _initial_d_obs(d)
    while True:
        per_column = rate * d / (d - d_obs)
        if per_column <= MAX_COLUMN_PROBABILITY:
            return d_obs, per_column
        if d_obs == 1:
            raise InfeasibleMaskError(
                f"mar cannot reach rate {rate:g} with {d} features (a masked column would need "
                f"{per_column:.2f} > {MAX_COLUMN_PROBABILITY})"
            )
        d_obs -= 1


def mar(values: np.ndarray, categorical: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """PROTOCOL §2 mar (logistic, after GAIN / Muzellec et al.): ``d_obs`` columns stay fully observed;
    each other column misses with a logistic probability of the observed ones, mean ``p d / (d - d_obs)``."""
    d_obs, per_column = _mar_split(values.shape[1], rate)
    return _logistic_mask(values, categorical, d_obs, per_column, rng)[0]


def mnar(values: np.ndarray, categorical: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """PROTOCOL §2 mnar (self-masking logistic): column j misses with ``sigmoid(s_j z_ij + b_j)``,
    ``s_j ~ U(1, 2)``, so high values go missing more often; ``b_j`` makes the column's mean ``p``."""
    n, d = values.shape
    Z = standardise(values, categorical)
    mask = np.empty((n, d), dtype=bool)
    for j in range(d):
        s = rng.uniform(1.0, 2.0) * Z[:, j]
        mask[:, j] = _bernoulli_column(expit(s + _intercept(s, rate)), rng)
    return mask


def mnar_logistic(values: np.ndarray, categorical: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """PROTOCOL §2 mnar_logistic (Muzellec et al., as in DiffPuter): logistic masking of the other
    columns given ``d_obs`` input columns, which are then themselves masked MCAR at rate ``p``.

    Because the inputs are masked too, every column misses at mean rate ``p`` (as in Muzellec et
    al.'s reference code), so the share over the whole matrix is ``p`` (PROTOCOL §2's rate).
    """
    n, d = values.shape
    if d < 2:
        raise InfeasibleMaskError("mnar_logistic needs at least two features")
    mask, inputs = _logistic_mask(values, categorical, _initial_d_obs(d), rate, rng)
    for j in inputs:
        mask[:, j] = _bernoulli_column(np.full(n, rate), rng)
    return mask


Mechanism = Callable[[np.ndarray, np.ndarray, float, np.random.Generator], np.ndarray]
MECHANISMS: dict[str, Mechanism] = {"mcar": mcar, "mar": mar, "mnar": mnar, "mnar_logistic": mnar_logistic}


def check_mechanism(name: str) -> str:
    if name not in MECHANISMS:
        raise UsageError(f"unknown mechanism {name!r}; valid: {', '.join(MECHANISMS)}")
    return name


def table_values(X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A canonical table as (values, categorical): category columns as their integer codes."""
    categorical = np.array([isinstance(X[c].dtype, pd.CategoricalDtype) for c in X.columns])
    values = np.column_stack([
        X[c].cat.codes.to_numpy(dtype=float) if cat else X[c].to_numpy(dtype=float)
        for c, cat in zip(X.columns, categorical)
    ]) if X.shape[1] else np.empty((len(X), 0))
    return values, categorical


def draw_mask(X: pd.DataFrame, mechanism: str, rate: float, rng: np.random.Generator) -> np.ndarray:
    """The mask of ``mechanism`` at ``rate`` for a complete canonical table (True = observed)."""
    values, categorical = table_values(X)
    return MECHANISMS[check_mechanism(mechanism)](values, categorical, check_rate(rate), rng)


def apply_mask(X: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """``X`` with the cells where ``mask`` is False set missing (dtypes kept)."""
    return X.mask(pd.DataFrame(~mask, index=X.index, columns=X.columns))


@dataclass(eq=False, frozen=True)
class PackedMask:
    """A stored mask as it travels from the driver to a worker: 1 bit per cell, with its metadata,
    or the reason its rate is infeasible (PROTOCOL §2). Every job of one mask key gets the same one."""

    bits: np.ndarray
    shape: tuple[int, int]
    meta: dict
    infeasible: str | None = None

    @classmethod
    def pack(cls, mask: np.ndarray, meta: dict) -> "PackedMask":
        mask = np.asarray(mask, dtype=bool)
        return cls(np.packbits(mask.ravel()), (int(mask.shape[0]), int(mask.shape[1])), dict(meta))

    @classmethod
    def of_infeasible(cls, reason: str) -> "PackedMask":
        return cls(np.zeros(0, np.uint8), (0, 0), {}, infeasible=reason)

    def unpack(self) -> np.ndarray:
        """A fresh boolean array (True = observed): each job gets its own copy."""
        n = self.shape[0] * self.shape[1]
        return np.unpackbits(self.bits, count=n).reshape(self.shape).astype(bool)
