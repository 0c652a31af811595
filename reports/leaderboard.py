"""Leaderboard maths as pure functions over result rows (schema ``imputebench.harness.store.SCHEMA``).

No HTML here: the site (``reports/site.py``) only formats what these functions return.

Ranking rules (PROTOCOL §6). A *block* is one mask, ``(dataset, mechanism, rate, seed)``; imputers are
compared on the same blocks only. On a block each imputer's cell is one of: a *score* (an ``ok`` job
with a defined value of the metric), a *failure* (a ``failed``, ``timeout`` or ``diverged`` job: a
diverged job keeps its absurd numbers in the store but is a failure in every ranking and never enters
a mean), *infeasible* (the method does not apply there by design), *no job* (the store has no row for
it: not run) or *no score* (an ``ok`` job whose metric is undefined). A block on which nobody has a
score is not a comparison (e.g. RMSE on an all-categorical table) and is never counted as dropped.

- **Failures cost rank.** A failure ranks last on its block, tied with any other failure there; it
  never removes the block. A failure is not a score and enters no mean.
- **Scope does not.** An infeasible job removes its imputer, and only it, from its block's
  comparisons; a method out of scope on a table (infeasible on all its masks) is thus out of that
  dataset's comparisons while the others are compared there as usual.
- **The rating** (the headline, :mod:`.rating`): a Bradley-Terry model of the pairwise outcomes on
  shared blocks (the better score wins, ties count half, a failure loses to a score, two failures
  tie), each dataset weighing 1 per pair (its blocks share that weight), on the Elo scale with
  ``mean`` at 1000, and a bootstrap interval over datasets. It uses every pair that exists: an
  imputer infeasible on a block, or without a job there (not run), just has no pairs on it.
- **The mean rank** (Demšar 2006), its interval, the win rate and the Friedman/Nemenyi test stay
  beside the rating on *complete blocks*: they rank the imputers with a result (score or failure)
  somewhere in the comparison, on the blocks where every one of them has a result. A block where one
  of them is infeasible, has no job or no score is left out of these (never filled in) and counted:
  ``n_blocks_dropped``, of which ``n_blocks_out_of_scope`` for an infeasible job (the rating keeps
  those blocks). Per dataset, an imputer's score is its mean over the dataset's complete blocks; one
  that failed on any of them has no mean there and ranks last on that dataset, tied with any other
  that failed there. Ranks are per dataset (1 = best, ties share the mean rank), averaged over
  datasets.

Ties (PROTOCOL §6): scores within ``TIE_RTOL`` relative or ``TIE_ATOL`` absolute are equal in every
ranking here (ranks, win rates, pairwise outcomes, Friedman/Nemenyi, best cells, the Pareto front);
see :func:`merge_ties`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..protocol.metrics import METRIC_REGISTRY
from ..protocol.metrics import QUALITY_METRICS as METRICS
from ..harness.store import STATUSES

# Names marked "as" are re-exported: callers find the leaderboard's maths here.
from .blocks import BLOCK_KEYS as BLOCK_KEYS
from .blocks import FAILURE, INFEASIBLE, SCORE, BlockMatrix, block_matrices, merge_ties, oriented, tied
from .blocks import NO_JOB as NO_JOB
from .blocks import NO_SCORE as NO_SCORE
from .blocks import TIE_ATOL as TIE_ATOL
from .blocks import TIE_RTOL as TIE_RTOL
from .blocks import block_matrix as block_matrix
from .bootstrap import EXACT_BOOTSTRAP_MAX_DATASETS as EXACT_BOOTSTRAP_MAX_DATASETS
from .bootstrap import bootstrap_mean_rank_ci
from .bootstrap import resample_mean_distribution as resample_mean_distribution
from .rating import pairwise_outcomes
from .rating import rate as rate_outcomes

GROUP_KEYS = ["setting", "dataset", "mechanism", "rate", "imputer"]
ALL = "all"  # the pooled value of a mechanism or rate filter


def higher_is_better(metric: str) -> bool:
    """The metric's direction, from the one registry (``imputebench.protocol.metrics.METRIC_REGISTRY``)."""
    return METRIC_REGISTRY[metric].higher_is_better


# -- per-cell aggregation (PROTOCOL §6: mean and std over seeds) ---------------------------------------
def aggregate(rows: pd.DataFrame, metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Per (setting, dataset, mechanism, rate, imputer): job counts per status, the first error of a
    job that did not succeed, and mean / std (ddof=1) over successful seeds of each metric, of
    ``complete_downstream`` and of the run time (fit + transform seconds).

    Means and stds are over ``ok`` jobs only: a ``diverged`` job's absurd numbers stay in the store
    but never enter a mean (PROTOCOL §6); ``n_diverged`` beside the mean says how many were left out,
    and ``error`` carries the reason of the first one that did not succeed."""
    if rows.empty:
        cols = GROUP_KEYS + ["n_jobs"] + [f"n_{s}" for s in STATUSES] + ["error"]
        cols += [f"{m}_{s}" for m in (*metrics, "complete_downstream", "seconds") for s in ("mean", "std")]
        return pd.DataFrame(columns=cols)
    frame = rows.assign(seconds=rows["fit_seconds"].astype(float) + rows["transform_seconds"].astype(float))
    counts = pd.crosstab([frame[k] for k in GROUP_KEYS], frame["status"])
    counts = counts.reindex(columns=list(STATUSES), fill_value=0).add_prefix("n_")
    counts.insert(0, "n_jobs", counts.sum(axis=1))
    not_ok = frame[frame["status"] != "ok"]
    errors = (not_ok.assign(error=not_ok["error"].fillna(not_ok["status"]).astype(str))
              .groupby(GROUP_KEYS, sort=False)["error"].first())
    values = [*metrics, "complete_downstream", "seconds"]
    ok = frame[frame["status"] == "ok"]
    stats_ = ok.groupby(GROUP_KEYS, sort=False)[values].agg(["mean", "std"])
    stats_.columns = [f"{m}_{s}" for m, s in stats_.columns]
    out = counts.join(errors).join(stats_)
    return out.reset_index().sort_values(GROUP_KEYS, kind="stable").reset_index(drop=True)


def best_within(values: np.ndarray, groups: Sequence[np.ndarray], metric: str) -> np.ndarray:
    """True where a value is the best of its group (e.g. the imputers of one dataset, mechanism and
    rate: the same masks, PROTOCOL §6); ties are all best, NaN never is."""
    values = np.asarray(values, dtype=float)
    turned = pd.Series(-values if higher_is_better(metric) else values)
    best = turned.groupby([pd.Series(np.asarray(g)) for g in groups], sort=False).transform("min").to_numpy()
    return ~np.isnan(values) & tied(turned.to_numpy(), best)


# -- ranks -----------------------------------------------------------------------------------------
def rank_rows(values: np.ndarray, higher_better: bool) -> np.ndarray:
    """Rank each row's entries, 1 = best, ties (:func:`tied`) share the average rank; NaN (a failure)
    ranks last, tied with the row's other NaN."""
    return stats.rankdata(oriented(values, higher_better), axis=1, method="average")


# -- the mean rank's comparison: complete blocks (Demšar) ---------------------------------------------
@dataclass(frozen=True)
class CompleteBlocks:
    """A comparison reduced to Demšar's design: every ranked imputer on every block."""

    reduced: BlockMatrix  # complete blocks x ranked imputers; NaN values are failures
    unranked: list[str]  # imputers without a result (score or failure) in the comparison
    dropped: int  # comparison blocks on which a ranked imputer has no result (all reasons)
    out_of_scope: int  # of those, blocks on which a ranked imputer is infeasible (they count in the rating)


def demsar_blocks(matrix: BlockMatrix) -> CompleteBlocks:
    """The ranked imputers (a result somewhere in the comparison) and the blocks on which each of
    them has a result (PROTOCOL §6: failures included, ranked last). Blocks where none of them has a
    score compare nothing and are not counted."""
    compared = matrix.take(matrix.comparisons)
    result = (compared.state == SCORE) | (compared.state == FAILURE)
    ranked = result.any(axis=0)
    complete = result[:, ranked].all(axis=1)
    infeasible = (compared.state[:, ranked] == INFEASIBLE).any(axis=1)
    names = np.array(matrix.imputers, dtype=object)
    return CompleteBlocks(compared.take(complete, ranked), list(names[~ranked]), int((~complete).sum()),
                          int((~complete & infeasible).sum()))


def complete_blocks(matrix: BlockMatrix) -> tuple[BlockMatrix, list[str], int]:
    """:func:`demsar_blocks` as (reduced matrix, unranked imputers, blocks dropped)."""
    c = demsar_blocks(matrix)
    return c.reduced, c.unranked, c.dropped


def win_rate(values: np.ndarray, higher_better: bool) -> np.ndarray:
    """Per imputer, the share of head-to-head comparisons on the same mask that it wins against
    each other imputer (ties count half; NaN is a failure: it loses to a score and ties with a
    failure). ``values``: complete blocks (n_blocks, k)."""
    n, k = values.shape
    if n == 0 or k < 2:
        return np.full(k, np.nan)
    turned = oriented(values, higher_better)
    a = turned[:, :, None]
    b = turned[:, None, :]
    wins = (a < b).sum(axis=(0, 2)) + 0.5 * ((a == b).sum(axis=(0, 2)) - n)  # minus self-ties
    return wins / (n * (k - 1))


@lru_cache(maxsize=64)
def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Nemenyi's critical value q_alpha for k groups: the studentized range quantile over sqrt(2)."""
    return float(stats.studentized_range.ppf(1.0 - alpha, k, np.inf) / np.sqrt(2.0))


def critical_difference(k: int, n_datasets: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of mean ranks (Demšar 2006): q_alpha sqrt(k (k+1) / (6 N))."""
    return nemenyi_q(k, alpha) * float(np.sqrt(k * (k + 1) / (6.0 * n_datasets)))


@dataclass(frozen=True)
class FriedmanResult:
    statistic: float
    pvalue: float
    cd: float
    alpha: float
    mean_ranks: pd.Series  # imputer -> mean rank, ascending


def friedman_nemenyi(scores: pd.DataFrame, higher_better: bool, alpha: float = 0.05) -> FriedmanResult | None:
    """Friedman test over datasets (rows) x imputers (columns) with the Nemenyi critical difference;
    NaN is a failure on that dataset (last, tied with other failures: :attr:`Ranking.dataset_scores`).
    None when there are fewer than 3 imputers or 2 datasets (scipy's test is undefined)."""
    n, k = scores.shape
    if k < 3 or n < 2:
        return None
    turned = oriented(scores.to_numpy(dtype=float), higher_better)  # the mean ranks' ties (PROTOCOL §6)
    stat, p = stats.friedmanchisquare(*turned.T)
    ranks = pd.Series(rank_rows(scores.to_numpy(dtype=float), higher_better).mean(axis=0), index=scores.columns)
    return FriedmanResult(float(stat), float(p), critical_difference(k, n, alpha), alpha,
                          ranks.sort_values(kind="stable"))


RANKING_COLUMNS = ["imputer", "mean_rank", "ci_low", "ci_high", "win_rate", "n_datasets"]


@dataclass(frozen=True)
class Ranking:
    """The mean-rank leaderboard of one comparison (complete blocks, :func:`demsar_blocks`)."""

    table: pd.DataFrame  # per ranked imputer: mean_rank, ci_low, ci_high, win_rate, n_datasets
    unranked: list[str]  # imputers without a result in the comparison, or out of scope in it
    n_blocks: int  # complete masks used
    n_blocks_dropped: int  # masks left out because a ranked imputer had no job or no score there
    dataset_ranks: pd.DataFrame  # datasets x imputers
    dataset_scores: pd.DataFrame  # datasets x imputers (mean metric over complete blocks; NaN: failed there)
    n_blocks_out_of_scope: int = 0  # of the dropped masks, those where a ranked imputer was infeasible


@dataclass(frozen=True)
class RankArrays:
    """A comparison's results as arrays (imputers in the order of ``imputers``, not sorted)."""

    imputers: list[str]
    datasets: np.ndarray
    scores: np.ndarray  # (n_datasets, k) mean metric over complete blocks; NaN where it failed on one
    ranks: np.ndarray  # (n_datasets, k)
    ci_low: np.ndarray
    ci_high: np.ndarray
    win_rate: np.ndarray
    n_blocks: int


def rank_arrays(reduced: BlockMatrix, higher_better: bool, n_boot: int = 1000, seed: int = 0) -> RankArrays:
    """Ranks, bootstrap CI and win rate of complete blocks (see :func:`demsar_blocks`; NaN values are
    failures). A dataset's score is the mean over its blocks, NaN if the imputer failed on any."""
    names, codes = np.unique(reduced.keys["dataset"].astype(str), return_inverse=True)
    sums = np.zeros((len(names), reduced.values.shape[1]))
    np.add.at(sums, codes, reduced.values)  # a failure's NaN makes its dataset's sum NaN
    scores = sums / np.bincount(codes, minlength=len(names))[:, None]
    ranks = rank_rows(scores, higher_better)
    low, high = bootstrap_mean_rank_ci(ranks, n_boot=n_boot, seed=seed)
    return RankArrays(list(reduced.imputers), names, scores, ranks, low, high,
                      win_rate(reduced.values, higher_better), int(reduced.values.shape[0]))


def rank_imputers(matrix: BlockMatrix, metric: str, n_boot: int = 1000, seed: int = 0) -> Ranking:
    """The mean-rank leaderboard of one comparison (one setting, metric and mask selection), best first."""
    c = demsar_blocks(matrix)
    if c.reduced.values.shape[0] == 0 or not c.reduced.imputers:
        return Ranking(pd.DataFrame(columns=RANKING_COLUMNS), list(matrix.imputers), 0, c.dropped,
                       pd.DataFrame(), pd.DataFrame(), c.out_of_scope)
    r = rank_arrays(c.reduced, higher_is_better(metric), n_boot=n_boot, seed=seed)
    table = pd.DataFrame({
        "imputer": r.imputers, "mean_rank": r.ranks.mean(axis=0), "ci_low": r.ci_low, "ci_high": r.ci_high,
        "win_rate": r.win_rate, "n_datasets": len(r.datasets),
    }).sort_values(["mean_rank", "imputer"], kind="stable").reset_index(drop=True)
    index = pd.Index(r.datasets, name="dataset")
    return Ranking(table, c.unranked, r.n_blocks, c.dropped, pd.DataFrame(r.ranks, index=index, columns=r.imputers),
                   pd.DataFrame(r.scores, index=index, columns=r.imputers), c.out_of_scope)


# -- the rating's comparison: pairs on shared blocks ------------------------------------------------
RATING_COLUMNS = ["imputer", "rating", "rating_low", "rating_high", "n_datasets_rated"]


def block_outcomes(matrix: BlockMatrix, higher_better: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per block, every pair of imputers' outcome (:func:`.rating.pairwise_outcomes`): ``wins`` and
    ``games`` (n_blocks, P), with ties merged and a failure losing to any score."""
    result = (matrix.state == SCORE) | (matrix.state == FAILURE)
    # A failure (NaN value) is +inf once oriented; no job, no score and infeasible play no game: NaN.
    return pairwise_outcomes(np.where(result, oriented(matrix.values, higher_better), np.nan))


def dataset_outcomes(matrix: BlockMatrix, wins: np.ndarray, games: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The pair outcomes of a comparison's blocks (``wins``, ``games`` of ``matrix``'s rows) summed
    per dataset, each block weighing 1 / (its dataset's comparison blocks), so that every dataset
    weighs 1 per pair that met on all of its blocks. Returns (N, P) wins, (N, P) games and the
    number of blocks used."""
    use = matrix.comparisons
    _, codes = np.unique(matrix.keys["dataset"][use].astype(str), return_inverse=True)
    n = int(codes.max()) + 1 if len(codes) else 0
    spread = np.zeros((n, len(codes)))
    spread[codes, np.arange(len(codes))] = 1.0 / np.bincount(codes, minlength=n)[codes]
    return spread @ wins[use], spread @ games[use], int(use.sum())


def rating_columns(matrix: BlockMatrix, wins: np.ndarray, games: np.ndarray, n_boot: int = 1000,
                   seed: int = 0) -> dict[str, np.ndarray]:
    """:data:`RATING_COLUMNS` (but the name) for every imputer of ``matrix`` (its order), and
    ``n_blocks_rated``, from its blocks' pair outcomes (:func:`block_outcomes`)."""
    d_wins, d_games, n_blocks = dataset_outcomes(matrix, wins, games)
    r = rate_outcomes(d_wins, d_games, list(matrix.imputers), n_boot=n_boot, seed=seed)
    return {"rating": r.rating, "rating_low": r.low, "rating_high": r.high, "n_datasets_rated": r.n_datasets,
            "n_blocks_rated": np.full(len(matrix.imputers), n_blocks)}


def rate_imputers(matrix: BlockMatrix, metric: str, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """The rating leaderboard of one comparison (:data:`RATING_COLUMNS`), best first; imputers that
    could not be rated (no comparison, or none joined to the anchor) last with NaN."""
    with single_threaded_blas():
        columns = rating_columns(matrix, *block_outcomes(matrix, higher_is_better(metric)), n_boot=n_boot, seed=seed)
    table = pd.DataFrame({"imputer": matrix.imputers, **columns})[RATING_COLUMNS]
    return table.sort_values("rating", ascending=False, kind="stable", na_position="last").reset_index(drop=True)


# -- every comparison the site offers -------------------------------------------------------------
def select_blocks(matrix: BlockMatrix, mechanism: str = ALL, rate: float | str = ALL) -> BlockMatrix:
    """The blocks of one mechanism and/or rate (``ALL`` pools them)."""
    return matrix.take(selection(matrix.keys, mechanism, rate))


def selection(keys: Mapping[str, np.ndarray], mechanism: str = ALL, rate: float | str = ALL) -> np.ndarray:
    """True for the entries (blocks, or job counts) of one mechanism and/or rate (``ALL`` pools them)."""
    keep = np.ones(len(keys["mechanism"]), dtype=bool)
    if mechanism != ALL:
        keep &= keys["mechanism"] == mechanism
    if rate != ALL:
        keep &= np.isclose(keys["rate"].astype(float), float(rate))
    return keep


COUNT_COLUMNS = [f"n_{s}" for s in STATUSES]
LEADERBOARD_COLUMNS = ["setting", "metric", "mechanism", "rate", *RANKING_COLUMNS, *RATING_COLUMNS[1:],
                       "n_blocks", "n_blocks_dropped", "n_blocks_out_of_scope", "n_blocks_rated", *COUNT_COLUMNS]
_TEXT_COLUMNS = ("setting", "metric", "mechanism", "rate", "imputer")
_INT_COLUMNS = ("n_datasets", "n_datasets_rated", "n_blocks", "n_blocks_dropped", "n_blocks_out_of_scope",
                "n_blocks_rated", *COUNT_COLUMNS)


class JobCounts:
    """Job counts per imputer and status over any mechanism and rate selection of one setting."""

    def __init__(self, rows: pd.DataFrame) -> None:
        counts = pd.crosstab([rows["imputer"], rows["mechanism"], rows["rate"]], rows["status"])
        counts = counts.reindex(columns=list(STATUSES), fill_value=0)
        self.keys = {"mechanism": counts.index.get_level_values("mechanism").to_numpy(dtype=object),
                     "rate": counts.index.get_level_values("rate").to_numpy(dtype=float)}
        self.names, self.code = np.unique(counts.index.get_level_values("imputer").astype(str), return_inverse=True)
        self.values = counts.to_numpy()

    def of(self, imputers: Sequence[str], mechanism: str, rate: float | str) -> dict[str, np.ndarray]:
        keep = selection(self.keys, mechanism, rate)
        per_imputer = np.zeros((len(self.names), len(STATUSES)))
        np.add.at(per_imputer, self.code[keep], self.values[keep])
        at = {name: i for i, name in enumerate(self.names)}
        rows = np.array([per_imputer[at[i]] if i in at else np.zeros(len(STATUSES)) for i in imputers])
        return {c: rows[:, j] for j, c in enumerate(COUNT_COLUMNS)}


def comparison_columns(part: BlockMatrix, wins: np.ndarray, games: np.ndarray, higher_better: bool,
                       n_boot: int, seed: int) -> dict[str, np.ndarray]:
    """One comparison's mean rank and rating columns for every imputer of ``part`` (its order)."""
    c = demsar_blocks(part)
    n = len(part.imputers)
    block = {col: np.full(n, np.nan) for col in RANKING_COLUMNS[1:]}
    if c.reduced.values.shape[0] and c.reduced.imputers:
        r = rank_arrays(c.reduced, higher_better, n_boot=n_boot, seed=seed)
        at = np.array([part.imputers.index(i) for i in r.imputers])
        block["mean_rank"][at] = r.ranks.mean(axis=0)
        block["ci_low"][at], block["ci_high"][at] = r.ci_low, r.ci_high
        block["win_rate"][at] = r.win_rate
        block["n_datasets"][at] = len(r.datasets)
    block.update(rating_columns(part, wins, games, n_boot=n_boot, seed=seed))
    block.update(n_blocks=np.full(n, c.reduced.values.shape[0]), n_blocks_dropped=np.full(n, c.dropped),
                 n_blocks_out_of_scope=np.full(n, c.out_of_scope))
    return block


def comparison_rows(full: BlockMatrix, outcomes: tuple[np.ndarray, np.ndarray], labels: dict[str, str],
                    counts: JobCounts, n_boot: int, seed: int) -> dict[str, np.ndarray] | None:
    """The leaderboard rows of one comparison: ``full``'s blocks of ``labels``' mechanism and rate,
    best first by rating, then mean rank (imputers with neither stay listed, last); None when it
    compares nothing."""
    keep = selection(full.keys, labels["mechanism"], labels["rate"])
    if not full.comparisons[keep].any():
        return None
    wins, games = outcomes
    block = comparison_columns(full.take(keep), wins[keep], games[keep], higher_is_better(labels["metric"]),
                               n_boot, seed)
    order = np.lexsort((np.arange(len(full.imputers)), np.nan_to_num(block["mean_rank"], nan=np.inf),
                        np.nan_to_num(-block["rating"], nan=np.inf)))
    names = [full.imputers[i] for i in order]
    rate = labels["rate"] if labels["rate"] == ALL else f"{float(labels['rate']):g}"
    return {**{c: np.full(len(names), v, dtype=object) for c, v in {**labels, "rate": rate}.items()},
            "imputer": np.array(names, dtype=object), **{c: v[order] for c, v in block.items()},
            **counts.of(names, labels["mechanism"], labels["rate"])}


def single_threaded_blas() -> contextlib.AbstractContextManager:
    """BLAS on one thread: the rating's arrays are small (a few imputers, a thousand resamples), and
    threads only add synchronisation (2.5x the CPU time of ``leaderboards`` on a loaded 2-core machine)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # scikit-learn brings it; without it, BLAS keeps its threads
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def leaderboards(rows: pd.DataFrame, metrics: Sequence[str] = METRICS, n_boot: int = 1000, seed: int = 0,
                 matrices: Mapping[tuple[str, str], BlockMatrix] | None = None) -> pd.DataFrame:
    """Every comparison the site offers: per setting, metric, mechanism (or pooled) and rate (or
    pooled), one row per imputer with its rating and interval, mean rank, CI, win rate and job counts
    per status, best first by rating (then mean rank); imputers that could be neither rated nor
    ranked keep a row with NaN, last. Long format, ready to filter."""
    matrices = block_matrices(rows, metrics) if matrices is None else matrices
    with single_threaded_blas():
        out = [part for setting, srows in rows.groupby("setting", sort=True)
               for part in setting_rows(str(setting), srows, metrics, matrices, n_boot, seed)]
    if not out:
        return pd.DataFrame(columns=LEADERBOARD_COLUMNS)
    frame = pd.DataFrame({c: np.concatenate([o[c] for o in out]) for c in LEADERBOARD_COLUMNS})
    for c in LEADERBOARD_COLUMNS:
        kind = str if c in _TEXT_COLUMNS else float
        frame[c] = frame[c].astype(kind)
        if c in _INT_COLUMNS:
            frame[c] = frame[c].fillna(0).astype(int)
    return frame


def setting_rows(setting: str, srows: pd.DataFrame, metrics: Sequence[str],
                 matrices: Mapping[tuple[str, str], BlockMatrix], n_boot: int, seed: int) -> list[dict[str, np.ndarray]]:
    """The leaderboard rows of every comparison of one setting (see :func:`comparison_rows`)."""
    out: list[dict[str, np.ndarray]] = []
    counts = JobCounts(srows)
    for metric in metrics:
        full = matrices[(setting, metric)]
        if not full.comparisons.any():
            continue  # nothing measured for this metric in this setting (PROTOCOL §5)
        outcomes = block_outcomes(full, higher_is_better(metric))
        for mechanism in [ALL, *sorted(set(full.keys["mechanism"]))]:
            for rate in [ALL, *sorted(set(full.keys["rate"]))]:
                labels = {"setting": setting, "metric": metric, "mechanism": mechanism, "rate": rate}
                part = comparison_rows(full, outcomes, labels, counts, n_boot, seed)
                out += [part] if part is not None else []
    return out


# -- cost against quality --------------------------------------------------------------------------
def pareto_front(cost: np.ndarray, quality: np.ndarray, higher_quality_better: bool) -> np.ndarray:
    """True for points no other point dominates (no more cost and no worse quality, one strictly
    better; tied values, :func:`tied`, are equal). NaN points are never on the front."""
    cost = merge_ties(np.asarray(cost, dtype=float))
    q = merge_ties(np.asarray(quality, dtype=float))
    q = -q if higher_quality_better else q  # now lower is better on both axes
    valid = ~(np.isnan(cost) | np.isnan(q))
    c_i, c_j = cost[:, None], cost[None, :]
    q_i, q_j = q[:, None], q[None, :]
    dominated_by = (c_j <= c_i) & (q_j <= q_i) & ((c_j < c_i) | (q_j < q_i)) & valid[None, :]
    return valid & ~dominated_by.any(axis=1)


# -- descriptive statistics (PROTOCOL §5 RL's ingredients) ------------------------------------------
def describe_values(values: np.ndarray) -> dict[str, float]:
    """Median, IQR and skewness (0 for a constant) of one sample."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return {"median": np.nan, "iqr": np.nan, "skewness": np.nan}
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    centred = v - v.mean()
    spread = np.mean(centred ** 2)
    # Biased sample skewness (scipy.stats.skew's default), without its per-call overhead.
    skew = 0.0 if np.ptp(v) == 0 else float(np.mean(centred ** 3) / spread ** 1.5)
    return {"median": float(med), "iqr": float(q3 - q1), "skewness": skew}
