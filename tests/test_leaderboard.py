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


def test_a_failure_ranks_last_on_its_mask_and_never_removes_the_mask() -> None:
    # Two datasets; B is best everywhere but fails (or times out, or diverges) on one mask of d.
    good = {"A": 0.2, "B": 0.1, "C": 0.3}
    jobs = [job(d, imp, v, seed=s) for d in ("d", "e") for s in (0, 1) for imp, v in good.items()]
    for status in ("failed", "timeout", "diverged"):
        rows = frame(jobs).copy()
        at = (rows["dataset"] == "d") & (rows["seed"] == 1) & (rows["imputer"] == "B")
        rows.loc[at, ["status", "armse"]] = [status, np.nan if status != "diverged" else 5.0]
        matrix = lb.block_matrix(rows, "armse")
        reduced, unranked, dropped = lb.complete_blocks(matrix)
        assert dropped == 0 and unranked == [] and len(reduced.values) == 4  # the mask stays, for everyone
        ranking = lb.rank_imputers(matrix, "armse")
        # On d, B has no mean (it failed on one of d's masks): last there; on e it is first.
        assert ranking.dataset_ranks.loc["d"].to_dict() == {"A": 1.0, "B": 3.0, "C": 2.0}
        assert ranking.dataset_ranks.loc["e"].to_dict() == {"A": 2.0, "B": 1.0, "C": 3.0}
        assert np.isnan(ranking.dataset_scores.loc["d", "B"])
        assert ranking.dataset_scores.loc["d", "A"] == pytest.approx(0.2)  # A keeps the mask B failed on
        table = ranking.table.set_index("imputer")
        assert table.loc["B", "mean_rank"] == 2.0 and table.loc["A", "mean_rank"] == 1.5
        # Per mask: the failure loses to both scores on its mask (without it B would win 8 of 8).
        assert table.loc["B", "win_rate"] == pytest.approx(6 / 8)


def test_an_imputer_that_only_fails_ranks_last_and_is_not_left_out() -> None:
    rows = frame([job("d", "A", 0.1, seed=0), job("d", "B", 0.2, seed=0),
                  job("d", "A", 0.1, seed=1), job("d", "B", None, seed=1, status="failed", error="boom"),
                  job("d", "C", None, seed=0, status="failed"), job("d", "C", None, seed=1, status="timeout"),
                  job("d", "X", None, seed=0, status="infeasible"), job("d", "X", None, seed=1, status="infeasible")])
    matrix = lb.block_matrix(rows, "armse")
    assert matrix.imputers == ["A", "B", "C", "X"]
    assert matrix.state.tolist() == [[lb.SCORE, lb.SCORE, lb.FAILURE, lb.INFEASIBLE],
                                     [lb.SCORE, lb.FAILURE, lb.FAILURE, lb.INFEASIBLE]]
    reduced, unranked, dropped = lb.complete_blocks(matrix)
    assert unranked == ["X"]  # no result at all (out of scope everywhere): listed, not ranked
    assert dropped == 0 and reduced.imputers == ["A", "B", "C"]
    table = lb.rank_imputers(matrix, "armse").table.set_index("imputer")
    assert table["mean_rank"].to_dict() == {"A": 1.0, "B": 2.5, "C": 2.5}  # B and C both failed on d


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


# -- ties (PROTOCOL §6) ---------------------------------------------------------------------------------
def test_floating_point_noise_never_orders_two_scores() -> None:
    assert 0.8499999999999999 != 0.85  # the case that used to get two ranks
    values = np.array([[0.8499999999999999, 0.85, 0.9]])
    np.testing.assert_array_equal(lb.rank_rows(values, higher_better=False), [[1.5, 1.5, 3]])
    np.testing.assert_array_equal(lb.rank_rows(values, higher_better=True), [[2.5, 2.5, 1]])
    np.testing.assert_allclose(lb.win_rate(values, higher_better=True), [0.25, 0.25, 1.0])
    np.testing.assert_array_equal(lb.best_within(values[0], [np.zeros(3)], "downstream"), [False, False, True])
    np.testing.assert_array_equal(lb.best_within(values[0], [np.zeros(3)], "armse"), [True, True, False])
    # Same cost up to noise and the same quality: neither dominates the other, both are on the front.
    np.testing.assert_array_equal(lb.pareto_front(np.array([1.0, 1.0 + 1e-12, 2.0]), values[0], False),
                                  [True, True, False])


def test_tie_tolerance_is_relative_or_absolute_and_never_chains() -> None:
    assert lb.tied(1.0, 1.0 + 5e-10) and not lb.tied(1.0, 1.0 + 2e-9)  # 1e-9 relative
    assert lb.tied(1e6, 1e6 + 1e-4) and not lb.tied(1e6, 1e6 + 1e-2)
    assert lb.tied(0.0, 9e-13) and not lb.tied(0.0, 2e-12)  # 1e-12 absolute near zero
    assert not lb.tied(np.nan, np.nan)
    # 0 ~ 0.6e-12 ~ 1.2e-12 but 0 !~ 1.2e-12: the group is anchored at its smallest value.
    row = np.array([[1.2e-12, 0.0, 0.6e-12, np.nan]])
    merged = lb.merge_ties(row)
    np.testing.assert_array_equal(merged[:, :3], [[1.2e-12, 0.0, 0.0]])
    assert np.isnan(merged[0, 3])
    # The groups do not depend on the direction: the higher-is-better ranks mirror the lower ones.
    np.testing.assert_array_equal(lb.rank_rows(row[:, :3], True), 4 - lb.rank_rows(row[:, :3], False))


def test_ties_share_the_mean_rank_in_the_leaderboard_and_friedman() -> None:
    scores = {"d1": (0.8499999999999999, 0.85, 0.9), "d2": (0.3, 0.1 + 0.2, 0.1)}  # 0.1 + 0.2 != 0.3
    rows = frame([job(d, imp, v) for d, vals in scores.items() for imp, v in zip("ABC", vals)])
    table = lb.rank_imputers(lb.block_matrix(rows, "armse"), "armse").table.set_index("imputer")
    assert table.loc["A", "mean_rank"] == table.loc["B", "mean_rank"] == (1.5 + 2.5) / 2
    assert table.loc["C", "mean_rank"] == 2.0
    result = lb.friedman_nemenyi(pd.DataFrame([v for v in scores.values()], columns=list("ABC")), False)
    assert result.mean_ranks["A"] == result.mean_ranks["B"]
    exact = stats.friedmanchisquare([0.85, 0.3], [0.85, 0.3], [0.9, 0.1])
    assert result.statistic == pytest.approx(exact.statistic)


# -- intervals (PROTOCOL §6) ------------------------------------------------------------------------------
def test_the_exact_distribution_of_a_resample_mean_by_hand() -> None:
    # Ranks (1, 1, 3): the mean is (3 + 2 c) / 3 where c ~ Binomial(3, 1/3) counts the third dataset.
    means, counts = lb.resample_mean_distribution(np.array([1.0, 1.0, 3.0]))
    np.testing.assert_allclose(means, [1.0, 5 / 3, 7 / 3, 3.0])
    np.testing.assert_array_equal(counts, [8, 12, 6, 1])  # of 3^3 = 27 resamples
    means, counts = lb.resample_mean_distribution(np.array([1.5, 2.0]))  # a tied rank: halves
    np.testing.assert_allclose(means, [1.5, 1.75, 2.0])
    np.testing.assert_array_equal(counts, [1, 2, 1])
    _, counts8 = lb.resample_mean_distribution(np.arange(1.0, 9.0))
    assert counts8.sum() == 8 ** 8 and counts8.dtype == np.int64
    with pytest.raises(ValueError, match="multiples of 0.5"):
        lb.resample_mean_distribution(np.array([1.2, 2.0]))


def test_bootstrap_interval_over_few_datasets_is_exact_by_hand() -> None:
    # Two datasets, ranks A = (1, 2): resample means 1, 1.5, 1.5, 2 with probability 1/4 each.
    low, high = lb.bootstrap_mean_rank_ci(np.array([[1.0, 2.0], [2.0, 1.0]]))
    np.testing.assert_array_equal(low, [1.0, 1.0])
    np.testing.assert_array_equal(high, [2.0, 2.0])
    # Three datasets, ranks (1, 1, 3): the mean is (3 + 2 c) / 3 where c ~ Binomial(3, 1/3) counts
    # the third dataset: 1, 5/3, 7/3, 3 with probabilities 8, 12, 6, 1 in 27.
    ranks = np.array([[1.0], [1.0], [3.0]])
    assert lb.bootstrap_mean_rank_ci(ranks, level=0.95) == (pytest.approx([1.0]), pytest.approx([3.0]))
    assert lb.bootstrap_mean_rank_ci(ranks, level=0.90)[1] == pytest.approx([7 / 3])  # F(7/3) = 26/27 >= 0.95
    assert lb.bootstrap_mean_rank_ci(ranks, level=0.40)[0] == pytest.approx([5 / 3])  # F(1) = 8/27 < 0.30
    # The seed and n_boot play no part: nothing is sampled.
    rng = np.random.default_rng(3)
    five = np.vstack([rng.permutation(4) + 1.0 for _ in range(5)])
    a = lb.bootstrap_mean_rank_ci(five, n_boot=10, seed=1)
    b = lb.bootstrap_mean_rank_ci(five, n_boot=99, seed=2)
    np.testing.assert_array_equal(a, b)


def test_exact_bootstrap_equals_brute_force_over_all_n_to_the_n_resamples() -> None:
    import itertools

    rng = np.random.default_rng(4)
    ranks = lb.rank_rows(rng.integers(0, 3, size=(5, 4)).astype(float), False)  # with ties: halves
    draws = np.array(list(itertools.product(range(5), repeat=5)))  # all 3,125 ordered resamples
    means = ranks[draws].mean(axis=1)
    low, high = lb.bootstrap_mean_rank_ci(ranks)
    np.testing.assert_allclose(low, np.quantile(means, 0.025, axis=0, method="inverted_cdf"), rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, np.quantile(means, 0.975, axis=0, method="inverted_cdf"), rtol=0, atol=1e-12)


@pytest.mark.parametrize("n", [9, 19, 22])
def test_sampled_interval_takes_the_25th_and_975th_of_1000_sorted_resamples(n: int) -> None:
    # (1 - 0.95) / 2 is 0.025000000000000022 in floating point: the 26th resample, not the 25th.
    assert (1 - 0.95) / 2 > 0.025
    rng = np.random.default_rng(n)
    ranks = lb.rank_rows(rng.random((n, 12)), higher_better=False)
    low, high = lb.bootstrap_mean_rank_ci(ranks, n_boot=1000, seed=0)
    # Independently: the same draws, each resample's mean, sorted; the intended 1-based ranks 25 and 975.
    counts = np.random.default_rng(0).multinomial(n, np.full(n, 1.0 / n), size=1000)
    means = np.sort(np.einsum("bn,nk->bk", counts, ranks) / n, axis=0)
    np.testing.assert_allclose(low, means[24], rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, means[974], rtol=0, atol=1e-12)
    assert (means[24] != means[25]).any()  # the test tells the two apart on this data


def test_a_single_dataset_gives_no_interval_never_a_zero_width_one() -> None:
    low, high = lb.bootstrap_mean_rank_ci(np.array([[1.0, 2.0, 3.0]]))
    assert np.isnan(low).all() and np.isnan(high).all()
    rows = frame([job("d", "A", 0.1), job("d", "B", 0.2)])
    board = lb.leaderboards(rows, metrics=("armse",), n_boot=50)
    pooled = board[(board["mechanism"] == lb.ALL) & (board["rate"] == lb.ALL)].set_index("imputer")
    assert pooled.loc["A", "mean_rank"] == 1.0 and pooled.loc["A", "n_datasets"] == 1
    assert pooled[["ci_low", "ci_high"]].isna().all().all()


# -- diverged jobs (PROTOCOL §6) -------------------------------------------------------------------------
def test_a_diverged_job_is_a_failure_in_rankings_and_never_enters_a_mean() -> None:
    reason = "diverged: RMSE 6.059e+05 > 1 on the [0, 1] scale"
    rows = frame([job("d", "A", 0.1, seed=0), job("d", "A", 0.3, seed=1),
                  job("d", "A", 605901.0, seed=2, status="diverged", error=reason),
                  job("d", "B", 0.2, seed=0), job("d", "B", 0.2, seed=1), job("d", "B", 0.2, seed=2),
                  job("e", "A", 0.1), job("e", "B", 0.2)])
    agg = lb.aggregate(rows, metrics=("armse",)).set_index(["dataset", "imputer"])
    a = agg.loc[("d", "A")]
    assert a["armse_mean"] == pytest.approx(0.2) and a["armse_std"] == pytest.approx(np.std([0.1, 0.3], ddof=1))
    assert (a["n_jobs"], a["n_ok"], a["n_diverged"]) == (3, 2, 1) and a["error"] == reason
    matrix = lb.block_matrix(rows, "armse")
    reduced, unranked, dropped = lb.complete_blocks(matrix)
    assert dropped == 0 and unranked == []  # seed 2 of d: A diverged there and ranks last on it
    assert np.isnan(reduced.values[:, 0]).sum() == 1  # the absurd 605901.0 is never a score
    board = lb.leaderboards(rows, metrics=("armse",), n_boot=50)
    pooled = board[(board["mechanism"] == lb.ALL) & (board["rate"] == lb.ALL)].set_index("imputer")
    assert pooled.loc["A", "n_diverged"] == 1 and pooled.loc["A", "n_ok"] == 3
    assert pooled.loc["A", "n_blocks"] == 4 and pooled.loc["A", "n_blocks_dropped"] == 0
    assert pooled.loc["A", "mean_rank"] == 1.5  # best on e, last on d (without the failure: best on both)
    # The same ranking as if the job had failed: diverged is a failure of that imputer on that mask.
    failed = rows.assign(status=rows["status"].replace("diverged", "failed"))
    np.testing.assert_array_equal(lb.block_matrix(failed, "armse").values, matrix.values)
    np.testing.assert_array_equal(lb.block_matrix(failed, "armse").state, matrix.state)


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


def test_friedman_counts_a_failure_on_a_dataset_as_last() -> None:
    # Rank_imputers' dataset scores are NaN where an imputer failed on one of the dataset's masks.
    scores = pd.DataFrame([[0.1, 0.2, np.nan], [0.3, 0.1, 0.2], [0.1, 0.3, 0.2]], columns=list("ABC"))
    result = lb.friedman_nemenyi(scores, higher_better=False)
    last = lb.friedman_nemenyi(scores.fillna(9.0), higher_better=False)
    assert np.isfinite(result.statistic) and result.statistic == pytest.approx(last.statistic)
    assert result.mean_ranks.to_dict() == pytest.approx({"A": 5 / 3, "B": 2.0, "C": 7 / 3})
    assert lb.friedman_nemenyi(scores, higher_better=True).mean_ranks["C"] == pytest.approx(7 / 3)  # still last on row 1


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
                     job(d, "C", None, mechanism=mech, status="failed", error="x"),
                     job(d, "X", None, mechanism=mech, status="infeasible", error="out of scope")]
    board = lb.leaderboards(frame(jobs), metrics=("armse",), n_boot=50)
    assert list(board.columns) == lb.LEADERBOARD_COLUMNS
    pooled = board[(board["mechanism"] == lb.ALL) & (board["rate"] == lb.ALL)].set_index("imputer")
    assert pooled.loc["A", "mean_rank"] == 1.0 and pooled.loc["B", "mean_rank"] == 2.0
    assert pooled.loc["C", "mean_rank"] == 3.0 and pooled.loc["C", "n_failed"] == 4  # failing costs rank
    assert np.isnan(pooled.loc["X", "mean_rank"]) and np.isnan(pooled.loc["X", "rating"])
    assert pooled.loc["X", "n_infeasible"] == 4 and pooled.loc["X", "n_datasets_rated"] == 0
    assert pooled.loc["A", "rating"] > pooled.loc["B", "rating"] > pooled.loc["C", "rating"]
    assert pooled.loc["A", "n_blocks"] == 4 and pooled.loc["A", "n_ok"] == 4 and pooled.loc["A", "n_blocks_rated"] == 4
    mar = board[(board["mechanism"] == "mar") & (board["rate"] == "0.2")].set_index("imputer")
    assert mar.loc["A", "n_blocks"] == 2 and mar.loc["C", "n_failed"] == 2
    assert list(board["imputer"][:4]) == ["A", "B", "C", "X"]  # best first, unranked last


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
