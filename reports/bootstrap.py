"""The bootstrap over datasets (PROTOCOL §6 intervals), shared by the mean rank and the rating.

A resample draws n datasets with replacement out of n; it is described by how many times it holds
each dataset (a count vector summing to n). Up to :data:`EXACT_BOOTSTRAP_MAX_DATASETS` datasets every
resample is enumerated with its exact probability; beyond, ``n_boot`` resamples are drawn with a
fixed seed. Interval ends are inverted-CDF quantiles (the smallest resampled value whose cumulative
probability reaches the level: a value that occurs, never interpolated), and the level's tail is an
exact fraction: ``(1 - 0.95) / 2`` in floating point is 0.025000000000000022, which over 1,000 drawn
resamples would pick the 26th smallest instead of the 25th.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

# PROTOCOL §6 intervals: up to this many datasets the bootstrap is exact (all N^N resamples).
EXACT_BOOTSTRAP_MAX_DATASETS = 8


@lru_cache(maxsize=16)
def tail_fraction(level: float) -> Fraction:
    """(1 - level) / 2 as an exact fraction of the level as written (0.95 -> 1/40)."""
    exact = Fraction(repr(float(level))).limit_denominator(10**6)
    if not 0 < exact < 1:
        raise ValueError(f"interval level must lie strictly between 0 and 1, got {level}")
    return (1 - exact) / 2


@lru_cache(maxsize=32)
def sampled_resamples(n: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n) multinomial counts of each of n datasets per resample. A function of (n, n_boot,
    seed) only, so every comparison over n datasets shares one draw (read-only; drawing it is a
    large part of the bootstrap's cost)."""
    counts = np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=n_boot)
    counts.setflags(write=False)
    return counts


@lru_cache(maxsize=16)
def exact_resamples(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every distinct resample of n datasets out of n: (R, n) count vectors and (R,) integer weights,
    the number of the n^n ordered draws that give each (the multinomial coefficient n! / prod c_i!).
    R = C(2n - 1, n): 6,435 for n = 8. Read-only."""
    if n > EXACT_BOOTSTRAP_MAX_DATASETS:
        raise ValueError(f"exact bootstrap: {n} datasets is more than {EXACT_BOOTSTRAP_MAX_DATASETS}")
    counts = np.array([np.bincount(draw, minlength=n)
                       for draw in itertools.combinations_with_replacement(range(n), n)], dtype=np.int64)
    factorials = np.array([math.factorial(i) for i in range(n + 1)], dtype=np.int64)
    weights = math.factorial(n) // np.prod(factorials[counts], axis=1)
    for array in (counts, weights):
        array.setflags(write=False)
    return counts, weights


def n_exact_resamples(n: int) -> int:
    """How many distinct resamples n datasets have: C(2n - 1, n)."""
    return math.comb(2 * n - 1, n)


def dataset_resamples(n: int, n_boot: int = 1000, seed: int = 0,
                      max_exact: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Count vectors and integer weights of the bootstrap over n datasets: exact up to
    :data:`EXACT_BOOTSTRAP_MAX_DATASETS` (and, when ``max_exact`` is given, while there are no more
    distinct resamples than that), else ``n_boot`` draws with ``seed``, each of weight 1."""
    if n <= EXACT_BOOTSTRAP_MAX_DATASETS and (max_exact is None or n_exact_resamples(n) <= max_exact):
        return exact_resamples(n)
    return sampled_resamples(n, n_boot, seed), np.ones(n_boot, dtype=np.int64)


def weighted_interval(values: np.ndarray, weights: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Per column of ``values`` (R, k), the inverted-CDF quantiles at (1 - level) / 2 and (1 + level) / 2
    of the resampled values, resample r having integer weight ``weights[r]``; NaN entries (a resample
    that does not measure that column) are left out of that column's distribution. Exact: the first
    sorted value whose cumulative weight w satisfies w / total >= q, compared in integers."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=np.int64)
    order = np.argsort(values, axis=0, kind="stable")  # NaN sorts last
    ordered = np.take_along_axis(values, order, axis=0)
    cumulative = np.cumsum(np.where(np.isnan(ordered), 0, weights[order]), axis=0)
    return _interval_ends(ordered, cumulative, level)


def _interval_ends(ordered: np.ndarray, cumulative: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Per column of ascending values (R, k) and their cumulative integer weights, the first value
    whose cumulative share reaches each end's quantile (NaN for a column without weight)."""
    tail = tail_fraction(level)
    total = cumulative[-1] if len(cumulative) else np.zeros(ordered.shape[1], dtype=np.int64)
    ends = []
    for q in (tail, 1 - tail):
        at = np.argmax(cumulative * q.denominator >= total * q.numerator, axis=0)
        ends.append(np.where(total > 0, ordered[at, np.arange(ordered.shape[1])], np.nan))
    return ends[0], ends[1]


def resample_mean_distribution(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The exact bootstrap distribution of the mean of one imputer's ranks over n datasets: every
    value the mean of n draws with replacement can take (ascending) and how many of the n^n equally
    likely resamples give it. The sum of n independent draws is the n-fold convolution of the
    draws' counts; average ranks are multiples of 0.5, so the sums live on a grid of halves and the
    counts are exact integers (n^n fits int64 up to n = 15)."""
    n = len(ranks)
    doubled = np.asarray(ranks, dtype=float) * 2.0
    halves = np.rint(doubled).astype(np.int64)
    if np.abs(halves - doubled).max() > 1e-9:
        raise ValueError("exact bootstrap: ranks must be average ranks (multiples of 0.5)")
    low = int(halves.min())
    draw = np.bincount(halves - low)  # how many datasets give each value of one draw
    counts = np.ones(1, dtype=np.int64)
    for _ in range(n):
        counts = np.convolve(counts, draw)
    means = (np.arange(len(counts)) + n * low) / (2.0 * n)
    occurs = counts > 0
    return means[occurs], counts[occurs]


def bootstrap_mean_rank_ci(ranks: np.ndarray, n_boot: int = 1000, level: float = 0.95,
                           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the mean rank, resampling datasets (rows) with replacement
    (PROTOCOL §6). Up to :data:`EXACT_BOOTSTRAP_MAX_DATASETS` datasets it is exact: the distribution
    over all n^n resamples (:func:`resample_mean_distribution`); beyond, ``n_boot`` resamples drawn
    with ``seed`` (deterministic). Ends as in :func:`weighted_interval`. One dataset gives no
    interval: NaN, which pages show as "n/a" (never a zero-width interval)."""
    n, k = ranks.shape
    if n < 2:
        return np.full(k, np.nan), np.full(k, np.nan)
    if n > EXACT_BOOTSTRAP_MAX_DATASETS:
        means = sampled_resamples(n, n_boot, seed) @ ranks / n  # (n_boot, k)
        return weighted_interval(means, np.ones(n_boot, dtype=np.int64), level)
    tail = tail_fraction(level)
    low, high = np.empty(k), np.empty(k)
    for j in range(k):
        means, counts = resample_mean_distribution(ranks[:, j])
        cumulative = np.cumsum(counts)
        # The first mean whose cumulative count c reaches q n^n, compared in integers.
        low[j], high[j] = (means[np.searchsorted(cumulative * q.denominator, int(cumulative[-1]) * q.numerator)]
                           for q in (tail, 1 - tail))
    return low, high
