"""Leaderboard maths as pure functions over result rows (schema ``imputebench.harness.store.SCHEMA``).

No HTML here: the site (``reports/site.py``) only formats what these functions return.

Ranking rules (PROTOCOL §6): imputers are compared on the same masks only. A *block* is one mask,
``(dataset, mechanism, rate, seed)``; a block enters a comparison only when every compared imputer
has a successful, defined score on it. Blocks dropped for that reason are counted and shown, never
filled in. A ``diverged`` job (finite but absurd output, PROTOCOL §6) counts as a failure of its
imputer on its mask, like ``failed``: it has no score in any ranking and no weight in any mean.
Per dataset, an imputer's score is its mean over the dataset's complete blocks; imputers are ranked
per dataset on those scores (1 = best, ties share the mean rank, as in Demšar 2006), and the mean
rank over datasets is the leaderboard's order.

Ties (PROTOCOL §6): scores within ``TIE_RTOL`` relative or ``TIE_ATOL`` absolute are equal in every
ranking here (ranks, win rates, Friedman/Nemenyi, best cells, the Pareto front); see :func:`merge_ties`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..protocol.metrics import METRIC_REGISTRY
from ..protocol.metrics import QUALITY_METRICS as METRICS
from ..harness.store import STATUSES

GROUP_KEYS = ["setting", "dataset", "mechanism", "rate", "imputer"]
BLOCK_KEYS = ["dataset", "mechanism", "rate", "seed"]
ALL = "all"  # the pooled value of a mechanism or rate filter


# PROTOCOL §6 ties: floating-point noise never orders two scores.
TIE_RTOL = 1e-9
TIE_ATOL = 1e-12
# PROTOCOL §6 intervals: up to this many datasets the bootstrap is exact (all N^N resamples).
EXACT_BOOTSTRAP_MAX_DATASETS = 8


def higher_is_better(metric: str) -> bool:
    """The metric's direction, from the one registry (``imputebench.protocol.metrics.METRIC_REGISTRY``)."""
    return METRIC_REGISTRY[metric].higher_is_better


def tied(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """PROTOCOL §6: True where two scores are equal for ranking, |a - b| <= max(TIE_ATOL,
    TIE_RTOL max(|a|, |b|)) (symmetric, unlike ``numpy.isclose``). NaN is tied with nothing."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):  # inf - inf: not tied
        return np.abs(a - b) <= np.maximum(TIE_ATOL, TIE_RTOL * np.maximum(np.abs(a), np.abs(b)))


def merge_ties(values: np.ndarray) -> np.ndarray:
    """``values`` with tied scores (:func:`tied`) made exactly equal along the last axis, so every
    ranking sees them as ties. In ascending order each value joins the group of the smallest value
    it is tied with (the group's first), else starts a group; a group's members all take its first
    value, so a group never spans more than the tolerance. NaN stays NaN. Done on raw scores (before
    orienting by direction), so the groups do not depend on which way is better."""
    v = np.asarray(values, dtype=float)
    if v.size == 0 or v.ndim == 0:
        return v.copy()
    flat = v.reshape(-1, v.shape[-1])
    order = np.argsort(flat, axis=1, kind="stable")
    ascending = np.take_along_axis(flat, order, axis=1)
    if not tied(ascending[:, 1:], ascending[:, :-1]).any():
        return v.copy()  # the common case: no two neighbours tied, nothing to merge
    first = ascending.copy()
    for j in range(1, ascending.shape[1]):
        joins = tied(ascending[:, j], first[:, j - 1])
        first[:, j] = np.where(joins, first[:, j - 1], ascending[:, j])
    out = np.empty_like(flat)
    np.put_along_axis(out, order, first, axis=1)
    return out.reshape(v.shape)


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
    oriented = pd.Series(-values if higher_is_better(metric) else values)
    best = oriented.groupby([pd.Series(np.asarray(g)) for g in groups], sort=False).transform("min").to_numpy()
    return ~np.isnan(values) & tied(oriented.to_numpy(), best)


# -- ranks -----------------------------------------------------------------------------------------
def rank_rows(values: np.ndarray, higher_better: bool) -> np.ndarray:
    """Rank each row's entries, 1 = best, ties (:func:`tied`) share the average rank (rows must be
    complete)."""
    merged = merge_ties(values)
    return stats.rankdata(-merged if higher_better else merged, axis=1, method="average")


@dataclass(frozen=True)
class BlockMatrix:
    """One metric's scores on masks: rows are blocks (one mask each, :data:`BLOCK_KEYS` in the
    ``keys`` arrays), columns imputers; NaN where the imputer has no successful, defined score."""

    keys: dict[str, np.ndarray]  # BLOCK_KEYS -> one value per block (numpy: cheap to slice)
    imputers: list[str]
    values: np.ndarray  # (n_blocks, n_imputers)

    @property
    def blocks(self) -> pd.DataFrame:
        return pd.DataFrame(self.keys)

    def take(self, rows: np.ndarray, columns: np.ndarray | None = None) -> "BlockMatrix":
        """The sub-matrix of some blocks (boolean or index array) and optionally some imputers."""
        values = self.values[rows]
        imputers = self.imputers
        if columns is not None:
            values = values[:, columns]
            imputers = [imp for imp, keep in zip(self.imputers, columns) if keep]
        return BlockMatrix({k: v[rows] for k, v in self.keys.items()}, imputers, values)


def block_matrix(rows: pd.DataFrame, metric: str) -> BlockMatrix:
    """Scores of successful jobs on each mask (rows of other statuses give NaN)."""
    return block_matrices(rows.assign(setting=""), [metric])[("", metric)]


def block_matrices(rows: pd.DataFrame, metrics: Sequence[str]) -> dict[tuple[str, str], BlockMatrix]:
    """:class:`BlockMatrix` per (setting, metric), from one groupby per setting. Imputers that have
    jobs in a setting but no success still belong to its comparisons (all NaN)."""
    out: dict[tuple[str, str], BlockMatrix] = {}
    for setting, srows in rows.groupby("setting", sort=True):
        imputers = sorted(set(srows["imputer"]))
        ok = srows[srows["status"] == "ok"]
        wide = ok.groupby([*BLOCK_KEYS, "imputer"], sort=True)[list(metrics)].mean().unstack("imputer")
        keys = {k: wide.index.get_level_values(k).to_numpy(dtype=float if k == "rate" else object)
                for k in BLOCK_KEYS}
        for metric in metrics:
            values = (wide[metric].reindex(columns=imputers).to_numpy(dtype=float) if len(wide)
                      else np.empty((0, len(imputers))))
            out[(str(setting), metric)] = BlockMatrix(keys, imputers, values)
    return out


@dataclass(frozen=True)
class Ranking:
    """The leaderboard of one comparison."""

    table: pd.DataFrame  # per ranked imputer: mean_rank, ci_low, ci_high, win_rate, n_datasets
    unranked: list[str]  # imputers with no successful defined score at all
    n_blocks: int  # complete masks used
    n_blocks_dropped: int  # masks left out because some compared imputer had no score there
    dataset_ranks: pd.DataFrame  # datasets x imputers
    dataset_scores: pd.DataFrame  # datasets x imputers (mean metric over complete blocks)


def complete_blocks(matrix: BlockMatrix) -> tuple[BlockMatrix, list[str], int]:
    """Keep imputers with at least one score, then masks where all of them have one (PROTOCOL §6).
    Returns the reduced matrix, the imputers left out, and the masks dropped (masks where nobody
    has a score, e.g. RMSE on an all-categorical table, are not comparisons and not counted)."""
    has_any = ~np.isnan(matrix.values).all(axis=0)
    unranked = [imp for imp, keep in zip(matrix.imputers, has_any) if not keep]
    scored = ~np.isnan(matrix.values[:, has_any])
    complete = scored.all(axis=1)
    dropped = int((scored.any(axis=1) & ~complete).sum())
    return matrix.take(complete, has_any), unranked, dropped


@lru_cache(maxsize=32)
def _resample_counts(n: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n) multinomial counts of each of n datasets per resample. A function of (n, n_boot,
    seed) only, so every comparison over n datasets shares one draw (read-only; drawing it is
    most of the bootstrap's cost)."""
    counts = np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=n_boot)
    counts.setflags(write=False)
    return counts


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
    with ``seed`` (deterministic). The ends are the (1 - level) / 2 and (1 + level) / 2 quantiles
    by the inverted CDF in both cases (the smallest resample mean whose cumulative probability
    reaches the level: a mean that occurs, never interpolated). One dataset gives no interval:
    NaN, which pages show as "n/a" (never a zero-width interval)."""
    n, k = ranks.shape
    if n < 2:
        return np.full(k, np.nan), np.full(k, np.nan)
    tail = (1.0 - level) / 2.0
    if n > EXACT_BOOTSTRAP_MAX_DATASETS:
        means = _resample_counts(n, n_boot, seed) @ ranks / n  # (n_boot, k)
        low, high = np.quantile(means, [tail, 1.0 - tail], axis=0, method="inverted_cdf")
        return low, high
    low, high = np.empty(k), np.empty(k)
    for j in range(k):
        means, counts = resample_mean_distribution(ranks[:, j])
        cumulative = np.cumsum(counts)
        # A relative slack so that q * n^n computed in floating point never misses an exact hit.
        low[j], high[j] = (means[np.argmax(cumulative >= q * cumulative[-1] * (1.0 - 1e-12))]
                           for q in (tail, 1.0 - tail))
    return low, high


def win_rate(values: np.ndarray, higher_better: bool) -> np.ndarray:
    """Per imputer, the share of head-to-head comparisons on the same mask that it wins against
    each other imputer (ties count half). ``values``: complete (n_blocks, k)."""
    n, k = values.shape
    if n == 0 or k < 2:
        return np.full(k, np.nan)
    merged = merge_ties(values)
    oriented = -merged if higher_better else merged
    a = oriented[:, :, None]
    b = oriented[:, None, :]
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
    None when there are fewer than 3 imputers or 2 datasets (scipy's test is undefined)."""
    n, k = scores.shape
    if k < 3 or n < 2:
        return None
    merged = merge_ties(scores.to_numpy(dtype=float))  # the same ties as the mean ranks (PROTOCOL §6)
    stat, p = stats.friedmanchisquare(*(-merged if higher_better else merged).T)
    ranks = pd.Series(rank_rows(scores.to_numpy(dtype=float), higher_better).mean(axis=0), index=scores.columns)
    return FriedmanResult(float(stat), float(p), critical_difference(k, n, alpha), alpha,
                          ranks.sort_values(kind="stable"))


RANKING_COLUMNS = ["imputer", "mean_rank", "ci_low", "ci_high", "win_rate", "n_datasets"]


@dataclass(frozen=True)
class RankArrays:
    """A comparison's results as arrays (imputers in the order of ``imputers``, not sorted)."""

    imputers: list[str]
    datasets: np.ndarray
    scores: np.ndarray  # (n_datasets, k) mean metric over complete blocks
    ranks: np.ndarray  # (n_datasets, k)
    ci_low: np.ndarray
    ci_high: np.ndarray
    win_rate: np.ndarray
    n_blocks: int


def rank_arrays(reduced: BlockMatrix, higher_better: bool, n_boot: int = 1000, seed: int = 0) -> RankArrays:
    """Ranks, bootstrap CI and win rate of a complete block matrix (see :func:`complete_blocks`)."""
    names, codes = np.unique(reduced.keys["dataset"].astype(str), return_inverse=True)
    sums = np.zeros((len(names), reduced.values.shape[1]))
    np.add.at(sums, codes, reduced.values)
    scores = sums / np.bincount(codes, minlength=len(names))[:, None]
    ranks = rank_rows(scores, higher_better)
    low, high = bootstrap_mean_rank_ci(ranks, n_boot=n_boot, seed=seed)
    return RankArrays(list(reduced.imputers), names, scores, ranks, low, high,
                      win_rate(reduced.values, higher_better), int(reduced.values.shape[0]))


def rank_imputers(matrix: BlockMatrix, metric: str, n_boot: int = 1000, seed: int = 0) -> Ranking:
    """The leaderboard of one comparison (one setting, metric and mask selection), best first."""
    reduced, unranked, dropped = complete_blocks(matrix)
    if reduced.values.shape[0] == 0 or not reduced.imputers:
        return Ranking(pd.DataFrame(columns=RANKING_COLUMNS), list(matrix.imputers), 0, dropped,
                       pd.DataFrame(), pd.DataFrame())
    r = rank_arrays(reduced, higher_is_better(metric), n_boot=n_boot, seed=seed)
    table = pd.DataFrame({
        "imputer": r.imputers, "mean_rank": r.ranks.mean(axis=0), "ci_low": r.ci_low, "ci_high": r.ci_high,
        "win_rate": r.win_rate, "n_datasets": len(r.datasets),
    }).sort_values(["mean_rank", "imputer"], kind="stable").reset_index(drop=True)
    index = pd.Index(r.datasets, name="dataset")
    return Ranking(table, unranked, r.n_blocks, dropped, pd.DataFrame(r.ranks, index=index, columns=r.imputers),
                   pd.DataFrame(r.scores, index=index, columns=r.imputers))


def select_blocks(matrix: BlockMatrix, mechanism: str = ALL, rate: float | str = ALL) -> BlockMatrix:
    """The blocks of one mechanism and/or rate (``ALL`` pools them)."""
    keep = np.ones(len(matrix.values), dtype=bool)
    if mechanism != ALL:
        keep &= matrix.keys["mechanism"] == mechanism
    if rate != ALL:
        keep &= np.isclose(matrix.keys["rate"], float(rate))
    return matrix.take(keep)


LEADERBOARD_COLUMNS = ["setting", "metric", "mechanism", "rate", *RANKING_COLUMNS, "n_blocks", "n_blocks_dropped",
                       *[f"n_{s}" for s in STATUSES]]


def leaderboards(rows: pd.DataFrame, metrics: Sequence[str] = METRICS, n_boot: int = 1000, seed: int = 0,
                 matrices: Mapping[tuple[str, str], BlockMatrix] | None = None) -> pd.DataFrame:
    """Every comparison the site offers: per setting, metric, mechanism (or pooled) and rate (or
    pooled), one row per imputer with its mean rank, CI, win rate and job counts per status;
    imputers that could not be ranked keep a row with NaN rank. Long format, ready to filter."""
    matrices = block_matrices(rows, metrics) if matrices is None else matrices
    out = []
    for setting, srows in rows.groupby("setting", sort=True):
        # Job counts per imputer, mechanism, rate and status, summed per comparison below.
        counts = pd.crosstab([srows["imputer"], srows["mechanism"], srows["rate"]], srows["status"])
        counts = counts.reindex(columns=list(STATUSES), fill_value=0)
        c_imputer = counts.index.get_level_values("imputer").to_numpy(dtype=object)
        c_imputer_names = sorted(set(c_imputer))
        c_imputer_code = np.array([c_imputer_names.index(i) for i in c_imputer], dtype=int)
        c_mechanism = counts.index.get_level_values("mechanism").to_numpy(dtype=object)
        c_rate = counts.index.get_level_values("rate").to_numpy(dtype=float)
        c_values = counts.to_numpy()
        for metric in metrics:
            full = matrices[(str(setting), metric)]
            if np.isnan(full.values).all():
                continue  # nothing measured for this metric in this setting (PROTOCOL §5)
            mechanisms = [ALL, *sorted(set(full.keys["mechanism"]))]
            rates = [ALL, *sorted(set(full.keys["rate"]))]
            for mechanism in mechanisms:
                for rate in rates:
                    part = select_blocks(full, mechanism, rate)
                    if len(part.values) == 0:
                        continue
                    reduced, _, dropped = complete_blocks(part)
                    n = len(full.imputers)
                    block = {c: np.full(n, np.nan) for c in RANKING_COLUMNS[1:]}
                    n_used = 0
                    if reduced.values.shape[0] and reduced.imputers:
                        r = rank_arrays(reduced, higher_is_better(metric), n_boot=n_boot, seed=seed)
                        n_used = r.n_blocks
                        at = np.array([full.imputers.index(i) for i in r.imputers])
                        block["mean_rank"][at] = r.ranks.mean(axis=0)
                        block["ci_low"][at], block["ci_high"][at] = r.ci_low, r.ci_high
                        block["win_rate"][at] = r.win_rate
                        block["n_datasets"][at] = len(r.datasets)
                    # Best first; imputers without a rank (NaN) stay listed, last, so their failures show.
                    order = np.lexsort((np.arange(n), np.nan_to_num(block["mean_rank"], nan=np.inf)))
                    names = [full.imputers[i] for i in order]
                    block = {c: v[order] for c, v in block.items()}
                    sel = np.ones(len(c_imputer), dtype=bool)
                    if mechanism != ALL:
                        sel &= c_mechanism == mechanism
                    if rate != ALL:
                        sel &= np.isclose(c_rate, float(rate))
                    per_imputer = np.zeros((len(c_imputer_names), len(STATUSES)))
                    np.add.at(per_imputer, c_imputer_code[sel], c_values[sel])
                    at_name = [c_imputer_names.index(i) if i in c_imputer_names else -1 for i in names]
                    for j, status in enumerate(STATUSES):
                        block[f"n_{status}"] = np.array([per_imputer[a, j] if a >= 0 else 0 for a in at_name])
                    out.append({"setting": [setting] * len(names), "metric": [metric] * len(names),
                                "mechanism": [mechanism] * len(names),
                                "rate": [rate if rate == ALL else f"{float(rate):g}"] * len(names),
                                "imputer": names, **block,
                                "n_blocks": [n_used] * len(names), "n_blocks_dropped": [dropped] * len(names)})
    if not out:
        return pd.DataFrame(columns=LEADERBOARD_COLUMNS)
    merged = {c: np.concatenate([np.asarray(o[c], dtype=object if c in ("setting", "metric", "mechanism", "rate",
                                                                          "imputer") else float) for o in out])
              for c in LEADERBOARD_COLUMNS}
    frame = pd.DataFrame(merged)
    for c in ("n_datasets", "n_blocks", "n_blocks_dropped", *[f"n_{s}" for s in STATUSES]):
        frame[c] = frame[c].fillna(0).astype(int)
    for c in ("setting", "metric", "mechanism", "rate", "imputer"):
        frame[c] = frame[c].astype(str)
    return frame


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
