"""PROTOCOL §9 joint-distribution metrics: energy distance against independent implementations,
the correlation error by hand, the §5 scale, the row cap and its seed."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import energy_distance as scipy_energy_distance

from imputebench.protocol.distribution_metrics import (MAX_ROWS, Section5Scale, correlation_error, distribution_metrics,
                                              energy_distance, scored_rows)


def test_energy_distance_is_scipy_squared_in_one_dimension():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=120), rng.exponential(size=90)
    # scipy returns the square root of 2E|X-Y| - E|X-X'| - E|Y-Y'|
    assert energy_distance(a[:, None], b[:, None]) == pytest.approx(scipy_energy_distance(a, b) ** 2, rel=1e-12)


def test_energy_distance_by_brute_force_in_several_dimensions():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(60, 4)), rng.normal(size=(45, 4)) + 0.3

    def mean_norm(P, Q):  # every ordered pair, one at a time
        return np.mean([np.linalg.norm(p - q) for p in P for q in Q])

    expected = 2 * mean_norm(A, B) - mean_norm(A, A) - mean_norm(B, B)
    assert energy_distance(A, B) == pytest.approx(expected, rel=1e-12)


@pytest.mark.slow  # dcor compiles its numba kernels on first use (about a minute on a loaded machine)
def test_energy_distance_matches_dcor_in_several_dimensions():
    dcor = pytest.importorskip("dcor")
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(200, 6)), rng.normal(size=(150, 6)) + 0.2
    assert energy_distance(A, B) == pytest.approx(dcor.energy_distance(A, B), rel=1e-12)
    assert energy_distance(A, A) == pytest.approx(0.0, abs=1e-12)


def test_section5_scale_uses_the_reference_range_and_one_hot_categories():
    ref = pd.DataFrame({"x": [0.0, 10.0, 5.0], "k": [1.0, 1.0, 1.0],
                        "c": pd.Categorical(["a", "b", "a"], categories=["a", "b", "z"])})
    X = pd.DataFrame({"x": [2.5, np.nan], "k": [1.0, 1.0], "c": pd.Categorical(["b", None], categories=["a", "b", "z"])})
    scale = Section5Scale(ref)
    M = scale.encode(X)
    np.testing.assert_array_equal(M[0], [0.25, 0.0, 0.0, 1.0, 0.0])
    assert np.isnan(M[1, 0]) and M[1, 1] == 0.0 and np.isnan(M[1, 2:]).all()
    assert scale.terms(X) == ["x", "k", "c[a]", "c[b]", "c[z]"]
    np.testing.assert_array_equal(scale.encode(X, drop_first=True)[0], [0.25, 0.0, 1.0, 0.0])
    assert scale.terms(X, drop_first=True) == ["x", "k", "c[b]", "c[z]"]


def test_correlation_error_by_hand():
    rng = np.random.default_rng(2)
    x = rng.normal(size=500)
    true = np.column_stack([x, x + rng.normal(size=500)])
    r = np.corrcoef(true, rowvar=False)[0, 1]
    flat = np.column_stack([x, rng.permutation(true[:, 1])])
    r_flat = np.corrcoef(flat, rowvar=False)[0, 1]
    # Both off-diagonal cells differ by r - r_flat: the Frobenius norm is sqrt(2) |r - r_flat|.
    assert correlation_error(true, flat) == pytest.approx(np.sqrt(2) * abs(r - r_flat), rel=1e-12)
    # A column constant on the scored rows correlates 0 with the others (and is not NaN).
    constant = np.column_stack([x, np.full(500, 3.0)])
    assert correlation_error(true, constant) == pytest.approx(np.sqrt(2) * abs(r), rel=1e-12)
    assert np.isnan(correlation_error(true[:, :1], flat[:, :1]))


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"a": x, "b": 2 * x + rng.normal(size=n), "c": pd.Categorical(rng.choice(["u", "v"], size=n))})


def test_mean_filling_is_scored_against_the_masked_rows_only():
    X = _table(300)
    mask = np.ones(X.shape, dtype=bool)
    mask[:100, 0] = False
    filled = X.copy()
    filled.loc[:99, "a"] = X["a"].mean()
    scores = distribution_metrics(X, filled, mask)
    assert scores["energy_distance"] > 0.01 and scores["corr_error"] > 0.5
    # The same rows scored by hand: rows 0..99 only, on the §5 scale of the whole table.
    scale = Section5Scale(X)
    by_hand = energy_distance(scale.encode(filled.iloc[:100]), scale.encode(X.iloc[:100]))
    assert scores["energy_distance"] == pytest.approx(by_hand, rel=1e-12)
    assert distribution_metrics(X, X, mask) == {"energy_distance": pytest.approx(0, abs=1e-12), "corr_error": 0.0}
    nothing = distribution_metrics(X, X, np.ones(X.shape, dtype=bool))
    assert np.isnan(nothing["energy_distance"]) and np.isnan(nothing["corr_error"])


def test_at_most_max_rows_drawn_with_the_seed():
    mask = np.ones((MAX_ROWS + 700, 3), dtype=bool)
    mask[::2, 1] = False  # 1,350 masked rows: all kept
    assert scored_rows(mask, seed=0).size == (MAX_ROWS + 700 + 1) // 2
    mask[:, 2] = False  # every row masked: MAX_ROWS of them, the seed decides which
    first, again, other = scored_rows(mask, 3), scored_rows(mask, 3), scored_rows(mask, 4)
    assert first.size == MAX_ROWS and np.array_equal(first, again) and not np.array_equal(first, other)
    assert np.all(np.diff(first) > 0)


def test_a_table_with_its_own_holes_is_scaled_by_its_observed_cells_and_unscored_where_the_truth_is_missing():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0, 5.0], "b": [2.0, 1.0, np.nan, 5.0, 4.0]})
    scale = Section5Scale(X)
    assert scale.lo.tolist() == [1.0, 1.0] and scale.hi.tolist() == [5.0, 5.0]
    mask = np.ones(X.shape, bool)
    mask[0, 0] = mask[3, 1] = False  # masked cells on rows whose truth is complete: scored
    filled = X.fillna(0.0).assign(a=9.0)
    scores = distribution_metrics(X, filled, mask)
    assert np.isfinite(scores["energy_distance"]) and scores["energy_distance"] > 0
    mask[1, 1] = False  # a masked row whose true a is itself missing: no true row to compare
    assert all(np.isnan(v) for v in distribution_metrics(X, filled, mask).values())
