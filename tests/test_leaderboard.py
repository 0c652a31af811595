"""Leaderboard maths against hand-computed values (PROTOCOL §6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from imputebench.reports import leaderboard as lb
from imputebench.reports.samples import read_samples, sample_cells, write_samples


def job(dataset: str, imputer: str, value: float | None, seed: int = 0, status: str = "ok",
        mechanism: str = "mcar", rate: float = 0.2, setting: str = "in-sample", error: str | None = None) -> dict:
    return {"setting": setting, "dataset": dataset, "mechanism": mechanism, "rate": rate, "seed": seed,
            "imputer": imputer, "status": status, "error": error, "armse": value, "mae": value,
            "downstream": np.nan, "complete_downstream": np.nan, "fit_seconds": 1.0, "transform_seconds": 0.5}


def frame(jobs: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(jobs)


# -- ranks -------------------------------------------------------------------------------------------
def test_rank_rows_averages_ties_and_respects_direction() -> None:
    values = np.array([[0.1, 0.2, 0.2], [0.3, 0.1, 0.2]])
    np.testing.assert_array_equal(lb.rank_rows(values, higher_better=False), [[1, 2.5, 2.5], [3, 1, 2]])
    np.testing.assert_array_equal(lb.rank_rows(values, higher_better=True), [[3, 1.5, 1.5], [1, 3, 2]])


def test_dataset_score_is_the_mean_over_masks_before_ranking() -> None:
    # Per mask A and B each win once; on the dataset mean (0.30 vs 0.25) B is better.
    rows = frame([job("d", "A", 0.1, seed=0), job("d", "A", 0.5, seed=1),
                  job("d", "B", 0.3, seed=0), job("d", "B", 0.2, seed=1)])
    ranking = lb.rank_imputers(lb.block_matrix(rows, "armse"), "armse")
    assert list(ranking.table["imputer"]) == ["B", "A"]
    assert list(ranking.table["mean_rank"]) == [1.0, 2.0]
    assert ranking.dataset_scores.loc["d", "A"] == pytest.approx(0.3)
    assert ranking.n_blocks == 2


def test_mean_rank_over_datasets_by_hand() -> None:
    # d1: A < B < C ; d2: B < A = C ; d3: A < C < B   (lower is better)
    scores = {"d1": (0.1, 0.2, 0.3), "d2": (0.4, 0.1, 0.4), "d3": (0.1, 0.3, 0.2)}
    rows = frame([job(d, imp, v) for d, vals in scores.items() for imp, v in zip("ABC", vals)])
    table = lb.rank_imputers(lb.block_matrix(rows, "armse"), "armse").table.set_index("imputer")
    assert table.loc["A", "mean_rank"] == pytest.approx((1 + 2.5 + 1) / 3)
    assert table.loc["B", "mean_rank"] == pytest.approx((2 + 1 + 3) / 3)
    assert table.loc["C", "mean_rank"] == pytest.approx((3 + 2.5 + 2) / 3)
    assert (table["n_datasets"] == 3).all()


def test_failed_jobs_drop_their_mask_for_everyone_and_are_counted() -> None:
    rows = frame([job("d", "A", 0.1, seed=0), job("d", "B", 0.2, seed=0),
                  job("d", "A", 0.1, seed=1), job("d", "B", None, seed=1, status="failed", error="boom"),
                  job("d", "C", None, seed=0, status="failed"), job("d", "C", None, seed=1, status="timeout")])
    matrix = lb.block_matrix(rows, "armse")
    assert matrix.imputers == ["A", "B", "C"]
    reduced, unranked, dropped = lb.complete_blocks(matrix)
    assert unranked == ["C"]  # no success at all: listed, not ranked
    assert dropped == 1  # seed 1: B failed, so A's seed-1 score is not compared either
    assert reduced.values.tolist() == [[0.1, 0.2]]


def test_metric_undefined_everywhere_is_not_a_dropped_mask() -> None:
    rows = frame([job("d", "A", np.nan), job("d", "B", np.nan), job("e", "A", 0.1), job("e", "B", 0.2)])
    _, _, dropped = lb.complete_blocks(lb.block_matrix(rows, "armse"))
    assert dropped == 0


def test_win_rate_by_hand_with_ties() -> None:
    values = np.array([[1.0, 2.0, 3.0], [2.0, 1.0, 3.0]])
    np.testing.assert_allclose(lb.win_rate(values, higher_better=False), [0.75, 0.75, 0.0])
    np.testing.assert_allclose(lb.win_rate(np.array([[1.0, 1.0, 2.0]]), higher_better=False), [0.75, 0.75, 0.0])
    np.testing.assert_allclose(lb.win_rate(values, higher_better=True), [0.25, 0.25, 1.0])


def test_bootstrap_is_deterministic_and_brackets_the_mean() -> None:
    rng = np.random.default_rng(1)
    ranks = np.vstack([rng.permutation(4) + 1.0 for _ in range(12)])
    low1, high1 = lb.bootstrap_mean_rank_ci(ranks, n_boot=500, seed=7)
    low2, high2 = lb.bootstrap_mean_rank_ci(ranks, n_boot=500, seed=7)
    np.testing.assert_array_equal(low1, low2)
    np.testing.assert_array_equal(high1, high2)
    mean = ranks.mean(axis=0)
    assert (low1 <= mean).all() and (mean <= high1).all() and (low1 < high1).all()
    low3, _ = lb.bootstrap_mean_rank_ci(ranks, n_boot=500, seed=8)
    assert not np.array_equal(low1, low3)
    agreeing = np.tile([1.0, 2.0, 3.0], (5, 1))
    low, high = lb.bootstrap_mean_rank_ci(agreeing, n_boot=200)
    np.testing.assert_array_equal(low, high)


# -- Friedman / Nemenyi ------------------------------------------------------------------------------
def test_friedman_matches_scipy_and_demsar_critical_difference() -> None:
    rng = np.random.default_rng(0)
    scores = pd.DataFrame(rng.random((10, 4)), columns=list("ABCD"))
    result = lb.friedman_nemenyi(scores, higher_better=False)
    expected = stats.friedmanchisquare(*scores.to_numpy().T)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.pvalue == pytest.approx(expected.pvalue)
    ranks = stats.rankdata(scores.to_numpy(), axis=1).mean(axis=0)
    np.testing.assert_allclose(result.mean_ranks[list("ABCD")].to_numpy(), ranks)
    # Demšar (2006), Table 5: q_0.05 = 2.569 for k = 4; CD = q sqrt(k(k+1)/(6N)).
    assert lb.nemenyi_q(4) == pytest.approx(2.569, abs=1e-3)
    assert result.cd == pytest.approx(2.569 * np.sqrt(4 * 5 / 60), abs=1e-3)
    flipped = lb.friedman_nemenyi(scores, higher_better=True)
    np.testing.assert_allclose(flipped.mean_ranks[list("ABCD")].to_numpy(), 5 - ranks)


def test_friedman_needs_three_imputers_and_two_datasets() -> None:
    assert lb.friedman_nemenyi(pd.DataFrame(np.ones((5, 2))), False) is None
    assert lb.friedman_nemenyi(pd.DataFrame(np.ones((1, 4))), False) is None


# -- Pareto ------------------------------------------------------------------------------------------
def test_pareto_front_by_hand() -> None:
    cost = np.array([1.0, 2.0, 3.0, 4.0, np.nan, 2.0])
    quality = np.array([0.5, 0.4, 0.45, 0.1, 0.0, 0.4])  # lower is better; the last duplicates point 2
    np.testing.assert_array_equal(lb.pareto_front(cost, quality, higher_quality_better=False),
                                  [True, True, False, True, False, True])
    np.testing.assert_array_equal(lb.pareto_front(cost[:4], quality[:4], higher_quality_better=True),
                                  [True, False, False, False])


# -- aggregation and the long leaderboard ------------------------------------------------------------
def test_aggregate_mean_std_and_failure_counts() -> None:
    rows = frame([job("d", "A", 0.1, seed=0), job("d", "A", 0.3, seed=1),
                  job("d", "A", None, seed=2, status="failed", error="ValueError: nan"),
                  job("d", "B", None, seed=0, status="infeasible", error="mar cannot reach p")])
    agg = lb.aggregate(rows, metrics=("armse",)).set_index("imputer")
    assert agg.loc["A", "armse_mean"] == pytest.approx(0.2)
    assert agg.loc["A", "armse_std"] == pytest.approx(np.std([0.1, 0.3], ddof=1))
    assert (agg.loc["A", "n_jobs"], agg.loc["A", "n_ok"], agg.loc["A", "n_failed"]) == (3, 2, 1)
    assert agg.loc["A", "error"] == "ValueError: nan"
    assert np.isnan(agg.loc["B", "armse_mean"]) and agg.loc["B", "n_infeasible"] == 1


def test_best_within_groups_marks_ties_and_never_nan() -> None:
    values = np.array([0.1, 0.1, 0.3, np.nan, 0.4, 0.2])
    groups = [np.array(["r1", "r1", "r1", "r2", "r2", "r2"])]
    np.testing.assert_array_equal(lb.best_within(values, groups, "armse"), [True, True, False, False, False, True])
    np.testing.assert_array_equal(lb.best_within(values, groups, "downstream"),
                                  [False, False, True, False, True, False])


def test_leaderboards_filters_and_keeps_unranked_imputers() -> None:
    jobs = []
    for d, shift in (("d1", 0.0), ("d2", 0.05)):
        for mech in ("mcar", "mar"):
            jobs += [job(d, "A", 0.1 + shift, mechanism=mech), job(d, "B", 0.2 + shift, mechanism=mech),
                     job(d, "C", None, mechanism=mech, status="failed", error="x")]
    board = lb.leaderboards(frame(jobs), metrics=("armse",), n_boot=50)
    pooled = board[(board["mechanism"] == lb.ALL) & (board["rate"] == lb.ALL)].set_index("imputer")
    assert pooled.loc["A", "mean_rank"] == 1.0 and pooled.loc["B", "mean_rank"] == 2.0
    assert np.isnan(pooled.loc["C", "mean_rank"]) and pooled.loc["C", "n_failed"] == 4
    assert pooled.loc["A", "n_blocks"] == 4 and pooled.loc["A", "n_ok"] == 4
    mar = board[(board["mechanism"] == "mar") & (board["rate"] == "0.2")].set_index("imputer")
    assert mar.loc["A", "n_blocks"] == 2 and mar.loc["C", "n_failed"] == 2
    assert list(board["imputer"][:3]) == ["A", "B", "C"]  # best first, unranked last


def test_describe_values() -> None:
    d = lb.describe_values(np.array([1.0, 2.0, 3.0, 4.0, 100.0]))
    assert d["median"] == 3.0 and d["iqr"] == 2.0 and d["skewness"] > 1
    assert d["skewness"] == pytest.approx(stats.skew([1.0, 2.0, 3.0, 4.0, 100.0]))
    assert lb.describe_values(np.full(5, 2.0))["skewness"] == 0.0


# -- samples -----------------------------------------------------------------------------------------
def test_sample_cells_is_bounded_and_takes_masked_cells_only(tmp_path) -> None:
    rng = np.random.default_rng(0)
    n = 2000
    true = pd.DataFrame({"a": rng.random(n), "b": rng.random(n), "c": pd.Categorical(rng.choice(["x", "y"], n)),
                         "d": rng.random(n)})
    imputed = true.copy()
    imputed["a"] = true["a"] + 10.0  # recognisable imputed values
    mask = rng.random(true.shape) > 0.5
    mask[:, 1] = True  # b has nothing masked: skipped
    out = sample_cells(true, imputed, mask, max_cells=300, rng=np.random.default_rng(1), max_features=2)
    assert list(dict.fromkeys(out["feature"])) == ["a", "c"]
    assert (out.groupby("feature").size() == 300).all()
    a = out[out["feature"] == "a"]
    assert np.allclose(a["imputed_value"] - a["true_value"], 10.0)
    assert set(a["true_value"]) <= set(true.loc[~mask[:, 0], "a"])
    assert set(out.loc[out["feature"] == "c", "true_label"]) <= {"x", "y"}
    path = write_samples(tmp_path, "job|with/odd:chars", out)
    assert path.parent.name == "samples" and path.exists()
    back = read_samples(tmp_path, ["job|with/odd:chars", "missing-job"])
    assert len(back) == len(out) and set(back["job_key"]) == {"job|with/odd:chars"}
