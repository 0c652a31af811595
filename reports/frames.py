"""What the leaderboard pages show, computed as frames from the store's rows: no HTML, no files.

The site's computing half (TabArena's ``bencheval`` beside its ``website_format``): pure functions over
result rows (schema ``imputebench.harness.store.SCHEMA``) and the frames :mod:`.leaderboard` returns. The pages
(:mod:`imputebench.reports.pages`) only format what these return; each function here can be tested on
a hand-made frame without a runner or a site.

:func:`leaderboard_frames` computes the frames every leaderboard page shares, once per site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..protocol.metrics import QUALITY_METRICS as METRICS
from ..harness.store import STATUSES
from . import leaderboard as lb
from .colours import heat_colours

PRIMARY_METRIC = {"in-sample": "armse", "downstream": "downstream"}
NOT_OK = [s for s in STATUSES if s != "ok"]
CELL_KEYS = ["setting", "dataset", "mechanism", "rate"]  # one cell: the same masks for every imputer (PROTOCOL §6)
CELL_COLUMNS = [*lb.GROUP_KEYS, "metric", "mean", "std", "best", "n_ok", "n_jobs"]  # a cell's numbers, as downloaded
CELL_DETAIL = ["n_bad", "worst_status", "error"]  # beside them in :func:`cell_values`: what a failed cell says
SELECTION_KEYS = ["setting", "metric", "mechanism", "rate"]  # one ranking table of the overview


def python_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """String columns as Python-object arrays. The site filters and groups its frames thousands of
    times, and numpy takes on object arrays are several times faster than pandas' Arrow-backed
    string takes (about 1.5 s of the 100,000-row benchmark)."""
    strings = {c: object for c, dtype in frame.dtypes.items()
               if dtype != object and pd.api.types.is_string_dtype(dtype)}
    return frame.astype(strings) if strings else frame


def split(frame: pd.DataFrame, key: str) -> dict[str, pd.DataFrame]:
    """One groupby instead of a boolean filter per page."""
    return {name: part for name, part in frame.groupby(key, sort=False)}


def rate_label(rate: float) -> str:
    """A missing rate as the rankings and pages name it: ``0.2``, ``0.25``."""
    return f"{float(rate):g}"


def primary_metric(setting: str, metrics: Sequence[str]) -> str:
    """The metric a setting is ranked on first (PROTOCOL §5); the first metric held for other settings."""
    return PRIMARY_METRIC.get(setting, metrics[0])


def job_seconds(rows: pd.DataFrame) -> pd.Series:
    """Time per job: fit + transform seconds."""
    return rows["fit_seconds"].astype(float) + rows["transform_seconds"].astype(float)


def mean_seconds(rows: pd.DataFrame) -> dict[str | None, pd.Series]:
    """Mean time per ok job, by (setting, imputer) under ``None`` and by (setting, dataset, imputer)
    under ``"dataset"``: the cost axis of the Pareto fronts."""
    ok = rows[rows["status"] == "ok"]
    seconds = job_seconds(ok)
    return {None: seconds.groupby([ok["setting"], ok["imputer"]]).mean(),
            "dataset": seconds.groupby([ok["setting"], ok["dataset"], ok["imputer"]]).mean()}


def held_metrics(agg: pd.DataFrame) -> list[str]:
    """The quality metrics with at least one value in the store (ARMSE when none has)."""
    return [m for m in METRICS if agg[f"{m}_mean"].notna().any()] or ["armse"]


# -- cells of the datasets x imputers tables ------------------------------------------------------------
def cell_values(agg: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Per aggregate row (:func:`.leaderboard.aggregate`) and metric, long format: mean, std, best flag,
    ok and all jobs (:data:`CELL_COLUMNS`), and what a cell with failures says (:data:`CELL_DETAIL`:
    jobs not ok, the worst status, the first error). Best is per (setting, dataset, mechanism, rate)
    among imputers (PROTOCOL §6: the same masks). A metric with no value and no failure is left out."""
    n_bad = agg[[f"n_{s}" for s in NOT_OK]].sum(axis=1).to_numpy()
    # The worst status among a cell's jobs, in STATUSES order after "ok" (diverged first: PROTOCOL §6
    # keeps its numbers but counts it as a failure); "ok" when every job succeeded.
    worst = np.select([agg.get(f"n_{s}", pd.Series(0, index=agg.index)).to_numpy() > 0 for s in NOT_OK], NOT_OK, "ok")
    common = {"n_ok": agg["n_ok"].to_numpy(), "n_jobs": agg["n_jobs"].to_numpy(), "n_bad": n_bad,
              "worst_status": worst.astype(object),
              "error": agg["error"].astype(object).where(agg["error"].notna(), "").to_numpy()}
    parts = []
    for metric in metrics:
        mean = agg[f"{metric}_mean"].to_numpy(dtype=float)
        if np.isnan(mean).all() and n_bad.sum() == 0:
            continue
        best = lb.best_within(mean, [agg[k].to_numpy() for k in CELL_KEYS], metric)
        parts.append(pd.DataFrame({**{k: agg[k].to_numpy() for k in lb.GROUP_KEYS}, "metric": metric, "mean": mean,
                                   "std": agg[f"{metric}_std"].to_numpy(dtype=float), "best": best, **common}))
    if not parts:
        return pd.DataFrame(columns=[*CELL_COLUMNS, *CELL_DETAIL])
    return python_strings(pd.concat(parts, ignore_index=True))


def cells_at(cells: pd.DataFrame, setting: str, mechanism: str, rate: float, metric: str) -> pd.DataFrame:
    """The cells of one setting, mechanism, rate and metric."""
    return cells[(cells["setting"] == setting) & (cells["mechanism"] == mechanism) & np.isclose(cells["rate"], rate)
                 & (cells["metric"] == metric)]


# -- the overview's rankings ----------------------------------------------------------------------------
def comparison_extras(rows: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Per (setting, mechanism, rate, imputer), pooled levels ``lb.ALL`` included: the mean of every
    metric and of the time per job (fit + transform) over the ok jobs, for the ranking table. Rates
    are labels (``"0.2"``) as in the rankings."""
    ok = rows[rows["status"] == "ok"]
    values = [*metrics, "seconds"]
    ok = ok.assign(seconds=job_seconds(ok), rate=ok["rate"].map(rate_label))[
        ["setting", "imputer", "mechanism", "rate", *values]]
    parts = []
    for mechanism in (True, False):
        for rate in (True, False):
            keys = ["setting", "imputer", *(["mechanism"] if mechanism else []), *(["rate"] if rate else [])]
            part = ok.groupby(keys, sort=False)[values].mean().reset_index()
            parts.append(part.assign(**({} if mechanism else {"mechanism": lb.ALL}),
                                     **({} if rate else {"rate": lb.ALL})))
    return pd.concat(parts, ignore_index=True)


def ranking_table(boards: pd.DataFrame, extras: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """The overview's rankings (:func:`.leaderboard.leaderboards`) with, per row: ``ranked``,
    ``has_ci`` (one dataset gives no interval, PROTOCOL §6), ``n_bad`` (jobs not ok), ``score`` (the
    ranked metric's mean over ok jobs), ``downstream`` (the downstream setting's score on the same
    mechanism and rate, whatever the setting ranked, as README's table), ``seconds`` (time per job) and
    ``best`` (the best mean rank of its table)."""
    b = boards.merge(extras, on=["setting", "imputer", "mechanism", "rate"], how="left", suffixes=("", "_x"))
    ranked = b["mean_rank"].notna().to_numpy()
    best_rank = b.groupby(SELECTION_KEYS, sort=False)["mean_rank"].transform("min")
    score = np.full(len(b), np.nan)
    for metric in metrics:
        at = (b["metric"] == metric).to_numpy()
        score[at] = b.loc[at, metric].to_numpy(dtype=float)
    if "downstream" in extras:
        down = extras[extras["setting"] == "downstream"].set_index(["imputer", "mechanism", "rate"])["downstream"]
        downstream = b.set_index(["imputer", "mechanism", "rate"]).index.map(down).to_numpy(dtype=float)
    else:
        downstream = np.full(len(b), np.nan)
    return b.assign(ranked=ranked, has_ci=ranked & b["ci_low"].notna().to_numpy(),
                    n_bad=b[[f"n_{s}" for s in NOT_OK]].sum(axis=1).to_numpy(), score=score, downstream=downstream,
                    best=ranked & (b["mean_rank"] == best_rank).to_numpy())


@dataclass
class PooledTest:
    """The Friedman test and Nemenyi CD of one setting and metric, every mechanism and rate pooled;
    ``result`` None when fewer than 3 imputers or 2 datasets could be ranked."""

    setting: str
    metric: str
    n_datasets: int
    result: lb.FriedmanResult | None
    ranking: lb.Ranking | None = None  # the per-dataset ranks and scores behind the test

    @property
    def reading(self) -> CdReading | None:
        """The CD diagram's reading (:func:`cd_reading`), with the exact test's chi² and p."""
        r = self.result
        return None if r is None else cd_reading(r.mean_ranks, self.n_datasets, r.cd, r.alpha,
                                                 (r.statistic, r.pvalue))


def pooled_tests(matrices: dict[tuple[str, str], lb.BlockMatrix], settings: Sequence[str],
                 metrics: Sequence[str]) -> list[PooledTest]:
    """Per setting and metric with any value: the exact Friedman test over the complete blocks."""
    tests = []
    for setting in settings:
        for metric in metrics:
            matrix = matrices[(setting, metric)]
            if np.isnan(matrix.values).all():
                continue
            ranking = lb.rank_imputers(matrix, metric, n_boot=10)
            result = lb.friedman_nemenyi(ranking.dataset_scores, lb.higher_is_better(metric)) \
                if len(ranking.dataset_scores) else None
            tests.append(PooledTest(setting, metric, len(ranking.dataset_scores), result, ranking))
    return tests


def friedman_table(tests: Sequence[PooledTest]) -> pd.DataFrame:
    """One row per pooled test that could be run: k, datasets, chi², p, CD, alpha."""
    return pd.DataFrame([{"setting": t.setting, "metric": t.metric, "k": len(t.result.mean_ranks),
                          "n_datasets": t.n_datasets, "chi2": t.result.statistic, "p_value": t.result.pvalue,
                          "cd": t.result.cd, "alpha": t.result.alpha} for t in tests if t.result is not None])


@dataclass(frozen=True)
class CdReading:
    """What a reader is told under a CD diagram: N datasets, k imputers, Friedman's statistic and
    p-value, the Nemenyi critical difference, the spread of the mean ranks (best to worst) and a
    warning when N is too small to separate the imputers ("" when it is not)."""

    n_datasets: int
    k: int
    statistic: float
    pvalue: float
    cd: float
    alpha: float
    spread: float
    warning: str


def friedman_from_ranks(mean_ranks: np.ndarray, n_datasets: int) -> tuple[float, float]:
    """Friedman's chi² and p-value from the mean ranks over N datasets (Demšar 2006, eq. 1: chi² =
    12 N / (k (k+1)) (sum R_j² - k (k+1)² / 4), k-1 degrees of freedom). No correction for ties, so
    where ranks tie it is slightly conservative beside scipy's test on the scores."""
    r = np.asarray(mean_ranks, dtype=float)
    k = r.size
    statistic = 12.0 * n_datasets / (k * (k + 1)) * (float(np.sum(r ** 2)) - k * (k + 1) ** 2 / 4.0)
    return statistic, float(stats.chi2.sf(statistic, k - 1))


def cd_reading(mean_ranks: pd.Series, n_datasets: int, cd: float, alpha: float = 0.05,
               friedman: tuple[float, float] | None = None) -> CdReading:
    """The reading of one CD diagram. ``friedman``: (chi², p) of the exact test where the scores were
    at hand, else computed from the mean ranks (:func:`friedman_from_ranks`).

    Rules for the warning, in order (the first that holds is said):

    1. the critical difference is at least the spread of the mean ranks (worst minus best): every
       imputer is joined to every other, so these N datasets separate no pair (with k imputers a
       difference of mean ranks can reach k - 1 at most; CD shrinks as 1/sqrt(N));
    2. N < 2k: too few datasets for k imputers (Demšar's rule of thumb for the test's power): pairs
       joined by a bar are not shown different, which is not the same as equal;
    3. Friedman's p >= alpha: the test finds no difference at all, and the bars are not to be read.
    """
    ranks = mean_ranks.to_numpy(dtype=float)
    k = ranks.size
    statistic, pvalue = friedman if friedman is not None else friedman_from_ranks(ranks, n_datasets)
    spread = float(ranks.max() - ranks.min()) if k else 0.0
    if cd >= spread:
        warning = (f"{n_datasets} datasets are too few to separate these {k} imputers: the critical difference "
                   f"({cd:.2f}) is larger than the whole spread of their mean ranks ({spread:.2f}), so no pair "
                   "is significantly different.")
    elif n_datasets < 2 * k:
        warning = (f"Only {n_datasets} datasets for {k} imputers (fewer than 2k = {2 * k}): the test has little "
                   "power; imputers joined by a bar are not shown different, not shown equal.")
    elif pvalue >= alpha:
        warning = (f"Friedman's test finds no difference between the imputers (p = {pvalue:.2g} ≥ {alpha}): "
                   "the bars are not to be read as a ranking.")
    else:
        warning = ""
    return CdReading(n_datasets, k, statistic, pvalue, cd, alpha, spread, warning)


MATRIX_COLUMNS = ["imputer", "dataset", "rank", "score", "colour"]


def dataset_rank_matrix(ranking: lb.Ranking) -> pd.DataFrame:
    """The per-dataset matrix of one comparison, long format (:data:`MATRIX_COLUMNS`): each imputer's
    rank on each dataset (its mean score over the dataset's shared masks, ranked among the imputers,
    PROTOCOL §6), that score, and the cell's heat colour (rank 1 blue, rank k orange). Imputers in
    the order of the ranking (best mean rank first), datasets by name."""
    ranks, scores = ranking.dataset_ranks, ranking.dataset_scores
    if ranks.empty:
        return pd.DataFrame(columns=MATRIX_COLUMNS)
    imputers = [i for i in ranking.table["imputer"] if i in ranks.columns]
    datasets = sorted(ranks.index)
    long = ranks.loc[datasets, imputers].melt(ignore_index=False, var_name="imputer", value_name="rank")
    long = long.reset_index().rename(columns={"index": "dataset"})
    long["score"] = scores.loc[datasets, imputers].melt(ignore_index=False)["value"].to_numpy(dtype=float)
    long["colour"] = heat_colours(long["rank"].to_numpy(dtype=float), 1.0, float(len(imputers)))
    return long[MATRIX_COLUMNS].reset_index(drop=True)


@dataclass
class Selection:
    """One mechanism and rate selection of the overview (not both pooled): the mean ranks, the reading
    of its CD diagram (None below 3 imputers or 2 datasets) and the Pareto front of time against mean
    rank on its metric."""

    setting: str
    metric: str
    mechanism: str
    rate: str
    n_datasets: int
    mean_ranks: pd.Series
    reading: CdReading | None  # the CD diagram's numbers and warning (:func:`cd_reading`)
    pareto: tuple[pd.DataFrame, np.ndarray] | None


def selections(table: pd.DataFrame) -> list[Selection]:
    """The overview's CD and Pareto data for every metric, mechanism and rate selection, from the
    ranking table itself (:func:`ranking_table`), so that the figures follow the page's filters."""
    part = table[((table["mechanism"] != lb.ALL) | (table["rate"] != lb.ALL)) & table["mean_rank"].notna()]
    out = []
    for (setting, metric, mechanism, rate), group in part.groupby(SELECTION_KEYS, sort=True):
        k, n = len(group), int(group["n_datasets"].max())
        ranks = pd.Series(group["mean_rank"].to_numpy(dtype=float), index=group["imputer"].to_numpy())
        points = pd.DataFrame({"imputer": group["imputer"].to_numpy(), "quality": group["mean_rank"].to_numpy(float),
                               "seconds": group["seconds"].to_numpy(float)})
        pareto = (points, lb.pareto_front(points["seconds"].to_numpy(), points["quality"].to_numpy(), False))
        reading = cd_reading(ranks, n, lb.critical_difference(k, n)) if k >= 3 and n >= 2 else None
        out.append(Selection(setting, metric, mechanism, rate, n, ranks, reading, pareto))
    return out


def pareto_points(matrix: lb.BlockMatrix, metric: str, seconds: pd.Series) -> tuple[pd.DataFrame, np.ndarray] | str:
    """Points (imputer, quality = mean rank on ``metric`` over the blocks of ``matrix``, PROTOCOL §6,
    seconds per job) and their Pareto front (lower is better on both); a reason when none is ranked."""
    ranking = lb.rank_imputers(matrix, metric, n_boot=10)
    if ranking.table.empty:
        return "No imputer could be ranked (see failures)."
    points = pd.DataFrame({"imputer": ranking.table["imputer"], "quality": ranking.table["mean_rank"]})
    points["seconds"] = points["imputer"].map(seconds).to_numpy(dtype=float)
    return points, lb.pareto_front(points["seconds"].to_numpy(), points["quality"].to_numpy(), False)


# -- the frames every leaderboard page shares ------------------------------------------------------------
@dataclass
class LeaderboardFrames:
    """The main leaderboard's frames, computed once per site (:func:`leaderboard_frames`)."""

    rows: pd.DataFrame
    agg: pd.DataFrame
    metrics: list[str]
    matrices: dict[tuple[str, str], lb.BlockMatrix]
    cells: pd.DataFrame
    boards: pd.DataFrame
    failures: pd.DataFrame
    seconds: dict[str | None, pd.Series]
    settings_of: dict[str, dict[str, set[str]]]
    _pareto: dict[tuple[str, str | None, str], Any] = field(default_factory=dict, repr=False)

    @property
    def settings(self) -> list[str]:
        return sorted(self.rows["setting"].dropna().unique())

    @property
    def datasets(self) -> list[str]:
        return sorted(self.rows["dataset"].dropna().unique())

    @property
    def imputers(self) -> list[str]:
        return sorted(self.rows["imputer"].dropna().unique())

    @property
    def mechanisms(self) -> list[str]:
        return sorted(self.rows["mechanism"].dropna().unique())

    @property
    def rates(self) -> list[float]:
        return sorted(self.rows["rate"].dropna().unique())

    def pareto(self, setting: str, dataset: str | None = None, metric: str | None = None
               ) -> tuple[pd.DataFrame, np.ndarray] | str:
        """:func:`pareto_points` on ``metric`` (None: the setting's primary metric), over every dataset
        (None) or one; computed once per (setting, dataset, metric)."""
        metric = metric or primary_metric(setting, self.metrics)
        key = (setting, dataset, metric)
        if key not in self._pareto:
            if metric not in self.metrics:
                self._pareto[key] = f"No {metric} values in this setting."
            elif dataset is None:
                self._pareto[key] = pareto_points(self.matrices[(setting, metric)], metric,
                                                  self.seconds[None].get(setting, pd.Series(dtype=float)))
            else:
                matrix = self.matrices[(setting, metric)]
                self._pareto[key] = pareto_points(matrix.take(matrix.keys["dataset"] == dataset), metric,
                                                  self.seconds["dataset"].get((setting, dataset),
                                                                              pd.Series(dtype=float)))
        return self._pareto[key]


def failures_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Every job that did not succeed, with its status and error, in grid order."""
    return rows[rows["status"] != "ok"][
        ["setting", "dataset", "mechanism", "rate", "seed", "imputer", "status", "error"]
    ].sort_values(["setting", "dataset", "mechanism", "rate", "seed", "imputer"])


def leaderboard_frames(rows: pd.DataFrame, n_boot: int = 1000) -> LeaderboardFrames:
    """Aggregates, cells, rankings (``n_boot`` bootstrap resamples), failures and times of ``rows``
    (one track's rows), the frames the leaderboard pages share."""
    rows = python_strings(rows.reset_index(drop=True))
    agg = python_strings(lb.aggregate(rows))
    metrics = held_metrics(agg)
    matrices = lb.block_matrices(rows, metrics)
    boards = python_strings(lb.leaderboards(rows, metrics, n_boot=n_boot, matrices=matrices))
    return LeaderboardFrames(
        rows=rows, agg=agg, metrics=metrics, matrices=matrices, cells=cell_values(agg, metrics), boards=boards,
        failures=failures_table(rows), seconds=mean_seconds(rows),
        settings_of={"dataset": rows.groupby("dataset")["setting"].unique().map(set).to_dict(),
                     "imputer": rows.groupby("imputer")["setting"].unique().map(set).to_dict()})
