"""The headline rating (PROTOCOL §6): Bradley-Terry strengths on the Elo scale with a bootstrap interval
over datasets, checked by hand, against independent fits (choix; scipy.optimize on the likelihood
written out here) and against brute force over every resample."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from scipy import optimize
from test_leaderboard import frame, job

from imputebench.reports import bootstrap, rating
from imputebench.reports import leaderboard as lb

LOG10_2 = np.log10(2.0)


def pooled(board):
    return board[(board["mechanism"] == lb.ALL) & (board["rate"] == lb.ALL)].set_index("imputer")


# -- the model ----------------------------------------------------------------------------------------
def test_pair_outcomes_failures_lose_and_two_failures_tie() -> None:
    # Oriented scores (lower is better): +inf a failure, NaN no result (no job, infeasible, no score).
    oriented = np.array([[0.1, 0.2, np.inf, np.nan],
                         [np.inf, 0.2, np.inf, 0.2]])
    assert rating.pair_index(4).tolist() == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
    wins, games = rating.pairwise_outcomes(oriented)
    np.testing.assert_array_equal(games, [[1, 1, 0, 1, 0, 0], [1, 1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(wins, [[1, 1, 0, 1, 0, 0],  # a score beats a failure
                                         [0, 0.5, 0, 1, 0.5, 0]])  # two failures tie; equal scores tie


def test_three_imputers_with_a_known_maximum() -> None:
    # Strengths 4 : 2 : 1 give expected wins 2 of 3 (A-B), 4 of 5 (A-C), 2 of 3 (B-C): observed exactly
    # that, the likelihood equations hold at (4, 2, 1), so it is the maximum (unique: all pairs met).
    wins, games = np.array([2.0, 4.0, 2.0]), np.array([3.0, 5.0, 3.0])
    theta = rating.fit_bradley_terry(wins, games, 3, ridge=0.0)
    np.testing.assert_allclose(theta - theta[2], np.log([4.0, 2.0, 1.0]), rtol=0, atol=1e-9)
    elo = rating.to_elo(rating.fit_bradley_terry(wins, games, 3)[None], np.ones((1, 3), bool), None)[0]
    # 400 points per factor 10 in the odds: a factor 2 is 120.41 points; the ratings average 1000.
    np.testing.assert_allclose(np.diff(elo[::-1]), [400 * LOG10_2] * 2, atol=0.05)  # the ridge: 0.01 here
    assert elo.mean() == pytest.approx(rating.ANCHOR_RATING)
    # Two imputers: 3 wins of 4 is odds of 3, 400 log10(3) = 190.85 points.
    two = rating.fit_bradley_terry(np.array([3.0]), np.array([4.0]), 2, ridge=0.0)
    assert two[0] - two[1] == pytest.approx(np.log(3.0))


def test_fit_matches_choix_on_fractional_wins() -> None:
    choix = pytest.importorskip("choix")
    rng = np.random.default_rng(0)
    k = 6
    pairs = rating.pair_index(k)
    games = rng.integers(1, 10, len(pairs)).astype(float)
    wins = np.floor(rng.random(len(pairs)) * games * 2) / 2  # ties give halves
    comparisons = np.zeros((k, k))  # comparisons[i, j]: how often i beat j
    comparisons[pairs[:, 0], pairs[:, 1]] = wins
    comparisons[pairs[:, 1], pairs[:, 0]] = games - wins
    theirs = choix.ilsr_pairwise_dense(comparisons, alpha=0.0, tol=1e-12, max_iter=10_000)
    ours = rating.fit_bradley_terry(wins, games, k, ridge=0.0)
    np.testing.assert_allclose(ours - ours.mean(), theirs - theirs.mean(), rtol=0, atol=1e-7)


def test_fit_matches_a_direct_maximum_of_the_penalised_likelihood() -> None:
    # Written out independently of rating.py: sum over pairs of w log s(d) + (n - w) log s(-d), minus
    # the ridge; one imputer (the last) loses every comparison, so only the ridge keeps it finite.
    rng = np.random.default_rng(1)
    k = 5
    pairs = np.array([(a, b) for a in range(k) for b in range(a + 1, k)])
    games = rng.integers(2, 8, len(pairs)).astype(float)
    wins = np.round(rng.random(len(pairs)) * games)
    wins[pairs[:, 1] == k - 1] = games[pairs[:, 1] == k - 1]

    def minus_penalised(theta: np.ndarray) -> float:
        d = theta[pairs[:, 0]] - theta[pairs[:, 1]]
        return -float(np.sum(wins * -np.logaddexp(0, -d) + (games - wins) * -np.logaddexp(0, d))) \
            + rating.RIDGE * float(theta @ theta)

    direct = optimize.minimize(minus_penalised, np.zeros(k), method="BFGS", options={"gtol": 1e-10}).x
    ours = rating.fit_bradley_terry(wins, games, k)
    assert ours[-1] < -5 and np.isfinite(ours).all()  # far below the rest, finite
    np.testing.assert_allclose(ours, direct, rtol=0, atol=1e-4)


def test_elo_anchor_is_mean_imputation_else_the_average() -> None:
    theta = np.array([[0.5, -0.2, 0.0, 1.0]])
    rated = np.array([[True, True, True, False]])
    with_mean = rating.to_elo(theta, rated, anchor=1)[0]
    assert with_mean[1] == rating.ANCHOR_RATING and np.isnan(with_mean[3])
    assert with_mean[0] - with_mean[1] == pytest.approx(400 / np.log(10) * 0.7)
    without = rating.to_elo(theta, rated, anchor=None)[0]
    assert np.nanmean(without) == pytest.approx(rating.ANCHOR_RATING)


def test_imputers_that_never_met_the_anchor_are_not_rated() -> None:
    # d1: A and B only; d2: mean and C only. The two groups share no mask: A and B get no rating.
    rows = frame([job("d1", "A", 0.1, seed=s) for s in (0, 1)] + [job("d1", "B", 0.2, seed=s) for s in (0, 1)]
                 + [job("d2", "mean", 0.3, seed=s) for s in (0, 1)] + [job("d2", "C", 0.1, seed=s) for s in (0, 1)])
    table = lb.rate_imputers(lb.block_matrix(rows, "armse"), "armse").set_index("imputer")
    assert table.loc["mean", "rating"] == rating.ANCHOR_RATING and table.loc["C", "rating"] > 1000
    assert table.loc[["A", "B"], "rating"].isna().all()


# -- from job rows ------------------------------------------------------------------------------------
def test_each_dataset_weighs_one_per_pair_whatever_its_masks() -> None:
    # d1 has 2 masks, both won by knn; d2 has 4: knn wins 1, ties 1, mean wins 2. Per dataset knn
    # wins 1 and (1 + 0.5) / 4: 1.375 of 2, odds 1.375 / 0.625 = 2.2, 400 log10(2.2) = 136.97 points.
    rows = frame([job("d1", "knn", 0.1, seed=s) for s in (0, 1)] + [job("d1", "mean", 0.2, seed=s) for s in (0, 1)]
                 + [job("d2", "knn", v, seed=s) for s, v in enumerate((0.1, 0.2, 0.3, 0.3))]
                 + [job("d2", "mean", v, seed=s) for s, v in enumerate((0.2, 0.2, 0.1, 0.1))])
    table = lb.rate_imputers(lb.block_matrix(rows, "armse"), "armse").set_index("imputer")
    assert table.loc["mean", "rating"] == 1000.0
    assert table.loc["knn", "rating"] == pytest.approx(1000 + 400 * np.log10(2.2), abs=0.2)  # the ridge: < 0.1
    theta = rating.fit_bradley_terry(np.array([1.375]), np.array([2.0]), 2)
    assert table.loc["knn", "rating"] == pytest.approx(1000 + 400 / np.log(10) * (theta[0] - theta[1]), abs=1e-3)


def test_a_failure_costs_rating_and_the_mask_still_counts() -> None:
    # B beats A on every mask but fails on one of them: that mask is a loss for B, not a lost mask.
    jobs = [job(d, imp, v, seed=s) for d in ("d1", "d2") for s in (0, 1, 2) for imp, v in (("A", 0.2), ("B", 0.1))]
    rows = frame(jobs)
    clean = lb.rate_imputers(lb.block_matrix(rows, "armse"), "armse").set_index("imputer")
    rows.loc[(rows["dataset"] == "d1") & (rows["seed"] == 0) & (rows["imputer"] == "B"), ["status", "armse"]] \
        = ["timeout", np.nan]
    board = pooled(lb.leaderboards(rows, metrics=("armse",), n_boot=50))
    assert board.loc["B", "n_blocks_rated"] == 6 and board.loc["B", "n_blocks"] == 6
    # B now wins 2/3 of d1 and all of d2: 5/3 of 2, odds 5; the clean store gives only the ridge's bound.
    b_minus_a = board.loc["B", "rating"] - board.loc["A", "rating"]
    assert b_minus_a == pytest.approx(400 * np.log10(5.0), abs=0.2)
    assert b_minus_a < clean.loc["B", "rating"] - clean.loc["A", "rating"]


def test_infeasible_removes_only_that_imputer_from_that_dataset() -> None:
    # X does not apply to d1 (infeasible there by design). A beats B on d1 and d3, B beats A on d2.
    scores = {"d1": {"A": 0.1, "B": 0.2}, "d2": {"A": 0.3, "B": 0.1, "X": 0.2}, "d3": {"A": 0.1, "B": 0.3, "X": 0.2}}
    jobs = [job(d, imp, v, seed=s) for d, row in scores.items() for imp, v in row.items() for s in (0, 1)]
    jobs += [job("d1", "X", None, seed=s, status="infeasible", error="needs a class target") for s in (0, 1)]
    board = pooled(lb.leaderboards(frame(jobs), metrics=("armse",), n_boot=50))
    assert board["n_datasets_rated"].to_dict() == {"A": 3, "B": 3, "X": 2}
    # A vs B on all three datasets (2 of 3): the ratings see d1; removing d1 for everyone would tie them.
    theta = rating.fit_bradley_terry(np.array([2.0, 1.0, 1.0]), np.array([3.0, 2.0, 2.0]), 3)  # A-B, A-X, B-X
    expected = 400 / np.log(10) * (theta - theta.mean()) + 1000
    np.testing.assert_allclose(board.loc[["A", "B", "X"], "rating"], expected, atol=1e-3)
    # The same ratings as if X had no job on d1: infeasible is not a failure.
    absent = frame([j for j in jobs if not (j["dataset"] == "d1" and j["imputer"] == "X")])
    np.testing.assert_allclose(pooled(lb.leaderboards(absent, metrics=("armse",), n_boot=50))
                               .loc[["A", "B", "X"], ["rating", "rating_low", "rating_high"]],
                               board.loc[["A", "B", "X"], ["rating", "rating_low", "rating_high"]], atol=1e-9)
    # The mean rank needs everyone on every mask: d1's masks are left out of it, and said why.
    assert board.loc["A", "n_blocks"] == 4 and board.loc["A", "n_blocks_dropped"] == 2
    assert board.loc["A", "n_blocks_out_of_scope"] == 2 and board.loc["A", "n_blocks_rated"] == 6


def test_a_job_that_was_not_run_is_no_failure() -> None:
    jobs = [job(d, imp, v, seed=s) for d in ("d1", "d2") for s in (0, 1) for imp, v in (("A", 0.1), ("B", 0.2))]
    jobs = [j for j in jobs if not (j["dataset"] == "d2" and j["seed"] == 1 and j["imputer"] == "B")]
    board = pooled(lb.leaderboards(frame(jobs), metrics=("armse",), n_boot=50))
    assert board.loc["B", "n_failed"] == 0 and board.loc["B", "n_blocks_dropped"] == 1  # counted, not ranked
    assert board.loc["B", "n_blocks_rated"] == 4  # the mask stays in the rating; B simply has no pair there
    # A won every pair it had: 1 on d1, and on d2 half of that dataset's weight (one of its two masks).
    theta = rating.fit_bradley_terry(np.array([1.5]), np.array([1.5]), 2)
    assert board.loc["A", "rating"] - board.loc["B", "rating"] == pytest.approx(
        400 / np.log(10) * (theta[0] - theta[1]), abs=1e-3)


# -- the interval ---------------------------------------------------------------------------------------
def test_exact_resamples_are_every_resample_with_its_multinomial_weight() -> None:
    counts, weights = bootstrap.exact_resamples(3)
    assert len(counts) == bootstrap.n_exact_resamples(3) == 10 and weights.sum() == 27
    draws = {}
    for draw in itertools.product(range(3), repeat=3):
        key = tuple(np.bincount(draw, minlength=3))
        draws[key] = draws.get(key, 0) + 1
    assert {tuple(c): int(w) for c, w in zip(counts, weights)} == draws
    assert bootstrap.exact_resamples(8)[1].sum() == 8 ** 8
    assert bootstrap.tail_fraction(0.95) == Fraction(1, 40) and bootstrap.tail_fraction(0.9) == Fraction(1, 20)


def test_weighted_interval_by_hand() -> None:
    values = np.array([[3.0, 1.0], [1.0, np.nan], [2.0, 5.0], [4.0, 2.0]])
    # Column 0: 1, 2, 3, 4 with weights 1, 2, 1, 1 (of 5); column 1: 1, 2, 5 with weights 1, 1, 2 (of 4).
    weights = np.array([1, 1, 2, 1])
    low, high = bootstrap.weighted_interval(values, weights, level=0.5)  # quantiles 1/4 and 3/4
    np.testing.assert_array_equal(low, [2.0, 1.0])  # F(1) = 1/5 < 1/4 <= F(2) = 3/5; F(1) = 1/4
    np.testing.assert_array_equal(high, [3.0, 5.0])  # F(2) = 3/5 < 3/4 <= F(3) = 4/5; F(2) = 2/4 < 3/4
    low, high = bootstrap.weighted_interval(np.full((3, 1), np.nan), np.ones(3, dtype=int))
    assert np.isnan(low).all() and np.isnan(high).all()


def random_outcomes(n_datasets: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    skill = rng.normal(size=k)
    pairs = rating.pair_index(k)
    p = 1 / (1 + np.exp(skill[pairs[:, 1]] - skill[pairs[:, 0]]))
    wins = rng.binomial(4, np.tile(p, (n_datasets, 1))) / 4.0  # each dataset: 4 masks, weight 1 per pair
    return wins, np.ones_like(wins)


def test_interval_equals_brute_force_over_every_ordered_resample() -> None:
    d_wins, d_games = random_outcomes(3, 4, seed=2)
    imputers = ["A", "mean", "C", "D"]
    result = rating.rate(d_wins, d_games, imputers)
    draws = np.array(list(itertools.product(range(3), repeat=3)))  # all 27 ordered resamples
    elo = []
    for draw in draws:
        counts = np.bincount(draw, minlength=3).astype(float)
        theta = rating.fit_bradley_terry(counts @ d_wins, counts @ d_games, 4)
        elo.append(rating.to_elo(theta[None], np.ones((1, 4), bool), anchor=1)[0])
    elo = np.array(elo)
    np.testing.assert_allclose(result.low, np.quantile(elo, 0.025, axis=0, method="inverted_cdf"), atol=0.01)
    np.testing.assert_allclose(result.high, np.quantile(elo, 0.975, axis=0, method="inverted_cdf"), atol=0.01)
    assert result.low[1] == result.high[1] == rating.ANCHOR_RATING  # the anchor is fixed in every resample
    assert (result.low <= result.rating + 1e-9).all() and (result.rating <= result.high + 1e-9).all()


def test_interval_is_deterministic_and_sampled_only_beyond_the_exact_range() -> None:
    imputers = ["mean", "B", "C"]
    d_wins, d_games = random_outcomes(9, 3, seed=3)  # 9 datasets: 1,000 drawn resamples
    a = rating.rate(d_wins, d_games, imputers, n_boot=1000, seed=0)
    b = rating.rate(d_wins, d_games, imputers, n_boot=1000, seed=0)
    c = rating.rate(d_wins, d_games, imputers, n_boot=1000, seed=1)
    np.testing.assert_array_equal(np.r_[a.low, a.high], np.r_[b.low, b.high])
    assert not np.array_equal(np.r_[a.low, a.high], np.r_[c.low, c.high])
    d_wins, d_games = random_outcomes(5, 3, seed=4)  # 5 datasets: all 126 distinct resamples, exactly
    e = rating.rate(d_wins, d_games, imputers, n_boot=1000, seed=0)
    f = rating.rate(d_wins, d_games, imputers, n_boot=500, seed=7)
    np.testing.assert_array_equal(np.r_[e.low, e.high], np.r_[f.low, f.high])
    one = rating.rate(d_wins[:1], d_games[:1], imputers)
    assert np.isfinite(one.rating).all() and np.isnan(np.r_[one.low, one.high]).all()  # n/a, never zero-width
