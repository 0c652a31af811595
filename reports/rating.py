"""The headline rating (PROTOCOL §6): a Bradley-Terry model of pairwise outcomes on shared masks, on the
Elo scale, with a bootstrap interval over datasets. Pure numpy; no HTML, no job rows.

Model. Imputer i has a strength theta_i (natural log); on a mask it beats imputer j with probability
1 / (1 + exp(theta_j - theta_i)). The data are, per pair of imputers, how many comparisons they had
(``games``) and how many of them the first one won (``wins``; a tie counts half to each). The
maximum-likelihood strengths are found by Newton's method on the log-likelihood

    sum over pairs (a, b):  wins_ab (theta_a - theta_b) - games_ab log(1 + exp(theta_a - theta_b))

minus a ridge ``RIDGE * sum theta_i^2``. On the reference set quick-v1 the ridge moves no rating by
more than 0.1 point; it keeps ratings finite where the likelihood has no maximum (an imputer that
lost, or won, every one of its comparisons: then the rating says "far below", by an amount the
ridge sets) and fixes the common offset the likelihood leaves free.

Scale. A rating is ``ANCHOR_RATING + ELO_SCALE log10(odds)``: 400 points mean odds of 10 to 1. The
imputer ``ANCHOR_IMPUTER`` (mean imputation) is fixed at 1000 when it is rated; otherwise the rated
imputers average 1000. Only imputers connected to the anchor by a chain of shared comparisons are
rated (strengths of two groups that never met are not comparable); the others get NaN.

Interval. Datasets are resampled with replacement (:mod:`.bootstrap`) and each resample is refitted;
the interval is the inverted-CDF quantiles of the resampled ratings (the anchor's is its fixed
value). It is exact (every distinct resample, with its probability) while there are no more distinct
resamples than ``n_boot`` (up to 6 datasets at 1,000), else ``n_boot`` draws with a fixed seed: a
refit per resample makes the mean rank's exact range (8 datasets: 6,435 resamples) too costly here.
An imputer compared on fewer than 2 datasets gets no interval. All resamples of a comparison are
refitted at once by Newton's method, each started from the full data's strengths moved by their
first-order change with the resample (2 or 3 steps).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import expit

from .bootstrap import dataset_resamples, weighted_interval

ELO_SCALE = 400.0  # rating points per factor of 10 in the odds of winning
ANCHOR_IMPUTER = "mean"
ANCHOR_RATING = 1000.0
RIDGE = 1e-4  # on natural-log strengths: a Gaussian prior of standard deviation 71 (12,000 points)
TOLERANCE = 1e-9  # last Newton step (natural log) of a rating's fit
RESAMPLE_TOLERANCE = 1e-2  # of a resample's: what is left is about 0.4 x its square (under 0.01 points)
MAX_STEP = 4.0  # a Newton step longer than this (odds of e^4) is shortened to it
MAX_ITERATIONS = 200


@lru_cache(maxsize=64)
def pair_index(k: int) -> np.ndarray:
    """(P, 2) the pairs (a, b), a < b, of k imputers, in the order every pair array here uses."""
    a, b = np.triu_indices(k, 1)
    pairs = np.stack([a, b], axis=1)
    pairs.setflags(write=False)
    return pairs


@lru_cache(maxsize=64)
def _incidence(k: int) -> np.ndarray:
    """(P, k): +1 at a pair's first imputer, -1 at its second (theta @ D.T = theta_a - theta_b)."""
    pairs = pair_index(k)
    d = np.zeros((len(pairs), k))
    d[np.arange(len(pairs)), pairs[:, 0]] = 1.0
    d[np.arange(len(pairs)), pairs[:, 1]] = -1.0
    d.setflags(write=False)
    return d


def pairwise_outcomes(oriented: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row (a mask) of oriented scores (B, k) - lower is better, +inf a failure, NaN no result -
    the outcome of every pair (B, P): ``wins`` 1, 0.5 (a tie: equal scores, or two failures) or 0 for
    the pair's first imputer, and ``games`` 1 where both have a result. A failure loses to any score."""
    pairs = pair_index(oriented.shape[1])
    a, b = oriented[:, pairs[:, 0]], oriented[:, pairs[:, 1]]
    games = ~(np.isnan(a) | np.isnan(b))
    wins = np.where(a < b, 1.0, np.where(a == b, 0.5, 0.0)) * games
    return wins, games.astype(float)


def _win_probability(theta: np.ndarray) -> np.ndarray:
    """(R, P): each pair's probability that its first imputer wins, at strengths (R, k)."""
    return expit(theta @ _incidence(theta.shape[1]).T)


def _gradient(theta: np.ndarray, wins: np.ndarray, games: np.ndarray, ridge: float) -> tuple[np.ndarray, np.ndarray]:
    """The penalised log-likelihood's gradient (R, k) and each pair's win probability (R, P)."""
    p = _win_probability(theta)
    return (wins - games * p) @ _incidence(theta.shape[1]) - 2.0 * ridge * theta, p


@lru_cache(maxsize=64)
def _hessian_source(k: int) -> np.ndarray:
    """(k * k,): for each entry of a k x k matrix, where :func:`_neg_hessian` takes it from: a pair's
    column (off the diagonal), an imputer's total (P + i, on it)."""
    pairs = pair_index(k)
    source = np.empty((k, k), dtype=np.intp)
    source[pairs[:, 0], pairs[:, 1]] = source[pairs[:, 1], pairs[:, 0]] = np.arange(len(pairs))
    source[np.arange(k), np.arange(k)] = len(pairs) + np.arange(k)
    source.setflags(write=False)
    return source.ravel()


def _neg_hessian(games: np.ndarray, p: np.ndarray, k: int, ridge: float) -> np.ndarray:
    """Minus the Hessian (R, k, k): a weighted graph Laplacian of the pairs plus the ridge."""
    c = games * p * (1.0 - p)
    entries = np.concatenate([-c, c @ np.abs(_incidence(k)) + 2.0 * ridge], axis=1)
    h = entries[:, _hessian_source(k)].reshape(len(c), k, k)
    if ridge == 0:  # no ridge: fix the free common offset instead (steps orthogonal to it; connected pairs)
        h += 1.0 / k
    return h


def _clipped(step: np.ndarray) -> np.ndarray:
    """Each row's step, shortened to :data:`MAX_STEP` if longer (Newton overshoots far from the top)."""
    longest = np.abs(step).max(axis=1, keepdims=True)
    return step * (MAX_STEP / np.maximum(longest, MAX_STEP))


def fit_bradley_terry(wins: np.ndarray, games: np.ndarray, k: int, ridge: float = RIDGE,
                      start: np.ndarray | None = None, tolerance: float = TOLERANCE) -> np.ndarray:
    """Maximum-likelihood strengths (natural log) of k imputers from pair outcomes, by Newton's
    method: ``wins`` and ``games`` are (P,) or (R, P) in :func:`pair_index` order (R independent
    problems). Returns (k,) or (R, k); with the ridge, each connected group of imputers sums to 0."""
    single = np.ndim(wins) == 1
    wins, games = np.atleast_2d(np.asarray(wins, dtype=float)), np.atleast_2d(np.asarray(games, dtype=float))
    theta = np.zeros((len(wins), k)) if start is None else np.array(np.atleast_2d(start), dtype=float)
    rows, current = np.arange(len(wins)), theta.copy()  # the problems not settled yet, and their strengths
    for _ in range(MAX_ITERATIONS):
        g, p = _gradient(current, wins, games, ridge)
        step = _clipped(np.linalg.solve(_neg_hessian(games, p, k, ridge), g[..., None])[..., 0])
        current += step
        moving = np.abs(step).max(axis=1) > tolerance
        if not moving.all():  # set the settled ones aside (copies only when some settle)
            theta[rows] = current
            rows, current, wins, games = rows[moving], current[moving], wins[moving], games[moving]
            if not len(rows):
                break
    theta[rows] = current
    return theta[0] if single else theta


def _refit(counts: np.ndarray, wins_by_dataset: np.ndarray, games_by_dataset: np.ndarray, theta_hat: np.ndarray,
           ridge: float) -> np.ndarray:
    """The strengths (R, k) of every resample (R, N dataset counts) by Newton's method, all at once.
    Each starts from the full data's strengths (k,) moved by their first-order change with the
    resample's weights (one linear solve for all: it halves the Newton steps). Imputers without a
    comparison in a resample start at 0 there (the ridge's optimum: they are not estimated there)."""
    k = len(theta_hat)
    wins, games = counts @ wins_by_dataset, counts @ games_by_dataset
    p = _win_probability(theta_hat[None])
    influence = (wins_by_dataset - games_by_dataset * p) @ _incidence(k)  # (N, k) gradient per dataset
    hessian = _neg_hessian(games_by_dataset.sum(axis=0, keepdims=True), p, k, ridge)[0]
    start = theta_hat + (counts - 1.0) @ np.linalg.solve(hessian, influence.T).T
    observed = (games @ np.abs(_incidence(k))) > 0
    return fit_bradley_terry(wins, games, k, ridge, start=np.where(observed, start, 0.0),
                             tolerance=RESAMPLE_TOLERANCE)


def connected_to_anchor(games: np.ndarray, k: int, anchor: int | None) -> np.ndarray:
    """(R, k): the imputers rated in each of R problems: those joined to the anchor imputer by a
    chain of pairs with comparisons (the largest such group, the first on ties, when the anchor has
    none), provided the group holds at least 2 imputers."""
    pairs = pair_index(k)
    linked = games > 0
    observed = (linked.astype(float) @ np.abs(_incidence(k))) > 0
    both = observed[:, pairs[:, 0]] & observed[:, pairs[:, 1]]
    out = observed.copy()
    split = np.flatnonzero((both & ~linked).any(axis=1))  # some pair of compared imputers never met
    if len(split):
        reach = np.zeros((len(split), k, k))
        reach[:, np.arange(k), np.arange(k)] = observed[split]
        reach[:, pairs[:, 0], pairs[:, 1]] = reach[:, pairs[:, 1], pairs[:, 0]] = linked[split]
        for _ in range(int(np.ceil(np.log2(max(k, 2))))):
            reach = np.minimum(reach @ reach, 1.0)
        size = reach.sum(axis=2)
        use_anchor = anchor is not None and observed[split, anchor]
        root = np.where(use_anchor, anchor if anchor is not None else 0, np.argmax(size, axis=1))
        out[split] = reach[np.arange(len(split)), root] > 0
    out &= out.sum(axis=1, keepdims=True) >= 2
    return out


def to_elo(theta: np.ndarray, rated: np.ndarray, anchor: int | None) -> np.ndarray:
    """Strengths (R, k) as ratings: the anchor at :data:`ANCHOR_RATING` where it is rated, else the
    rated imputers' average there; NaN where not rated."""
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(rated, theta, 0.0).sum(axis=1) / rated.sum(axis=1)
    theta = np.where(rated, theta, np.nan)
    if anchor is not None:
        centre = np.where(rated[:, anchor], theta[:, anchor], centre)
    return ANCHOR_RATING + ELO_SCALE / np.log(10.0) * (theta - centre[:, None])


@dataclass(frozen=True)
class Rating:
    """One comparison's ratings, per imputer (in the order given)."""

    rating: np.ndarray
    low: np.ndarray  # bootstrap interval over datasets; NaN with fewer than 2 datasets
    high: np.ndarray
    n_datasets: np.ndarray  # datasets on which the imputer had at least one comparison


def rate(wins_by_dataset: np.ndarray, games_by_dataset: np.ndarray, imputers: list[str], n_boot: int = 1000,
         seed: int = 0, level: float = 0.95, ridge: float = RIDGE) -> Rating:
    """Ratings and their bootstrap interval from per-dataset pair outcomes (N, P) (each dataset's
    comparisons weighted as the caller decides: here, 1 per pair and dataset, PROTOCOL §6)."""
    k = len(imputers)
    anchor = imputers.index(ANCHOR_IMPUTER) if ANCHOR_IMPUTER in imputers else None
    n_datasets = ((games_by_dataset > 0).astype(float) @ np.abs(_incidence(k)) > 0).sum(axis=0)
    wins, games = wins_by_dataset.sum(axis=0), games_by_dataset.sum(axis=0)
    theta_hat = fit_bradley_terry(wins, games, k, ridge)
    rated = connected_to_anchor(games[None], k, anchor)
    rating = to_elo(theta_hat[None], rated, anchor)[0]
    low, high = np.full(k, np.nan), np.full(k, np.nan)
    if len(wins_by_dataset) >= 2 and rated.any():
        counts, weights = dataset_resamples(len(wins_by_dataset), n_boot, seed, max_exact=n_boot)
        # Imputers outside the full data's rated group play no part in any resample.
        keep = rated[0][pair_index(k)].all(axis=1)
        theta = _refit(counts.astype(float), wins_by_dataset * keep, games_by_dataset * keep,
                       np.where(rated[0], theta_hat, 0.0), ridge)
        resampled = to_elo(theta, connected_to_anchor(counts @ (games_by_dataset * keep), k, anchor), anchor)
        low, high = weighted_interval(resampled, weights, level)
        few = n_datasets < 2
        low[few], high[few] = np.nan, np.nan
    return Rating(rating, low, high, n_datasets.astype(int))
