"""The energy-I-Score (imputebench.protocol.iscore): its scoring rules, its held-out tables, and that it ranks
imputers the way its paper says it should on a simulated MAR table."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from imputebench.protocol.iscore import (MIN_MISSING, categorical_energy_score, crps_sample, energy_iscore,
                                imputation_fn, predictor_rows)
from imputebench.protocol.masks import apply_mask, draw_mask
from imputebench.registry import make_imputer, resolve


def gaussian_table(n: int = 400, d: int = 6, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A correlated Gaussian table and its correlation matrix."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    S = A @ A.T + np.eye(d)
    sd = np.sqrt(np.diag(S))
    S = S / np.outer(sd, sd)
    X = pd.DataFrame(rng.multivariate_normal(np.zeros(d), S, size=n), columns=[f"x{i}" for i in range(d)])
    return X, S


class GaussianOracle:
    """Fills each row's missing cells from the true N(0, S) given its observed cells, whatever subset
    of the columns the table holds: draws (``scale`` multiplies the conditional sd) or, with
    ``point=True``, the conditional mean."""

    def __init__(self, S: np.ndarray, columns: list[str], scale: float = 1.0, point: bool = False) -> None:
        self.S, self.index, self.scale, self.point = S, {c: i for i, c in enumerate(columns)}, scale, point
        self.calls = 0

    def __call__(self, X: pd.DataFrame, seed: int) -> pd.DataFrame:
        self.calls += 1
        rng = np.random.default_rng(seed)
        idx = [self.index[c] for c in X.columns]
        S = self.S[np.ix_(idx, idx)]
        V = X.to_numpy(dtype=float).copy()
        for pattern in {tuple(r) for r in np.isnan(V)}:
            mis = np.array(pattern)
            if not mis.any():
                continue
            rows = (np.isnan(V) == mis).all(axis=1)
            obs = ~mis
            B = S[np.ix_(mis, obs)] @ np.linalg.inv(S[np.ix_(obs, obs)])
            mean = V[np.ix_(rows, obs)] @ B.T
            cov = S[np.ix_(mis, mis)] - B @ S[np.ix_(obs, mis)]
            noise = rng.multivariate_normal(np.zeros(mis.sum()), cov, size=rows.sum())
            V[np.ix_(rows, mis)] = mean if self.point else mean + self.scale * noise
        return pd.DataFrame(V, index=X.index, columns=X.columns)


def registry_fn(name: str, **params):
    p = {**resolve(name).info.params_for("quick"), **params}
    return imputation_fn(lambda seed: make_imputer(name, p, random_state=seed))


@pytest.fixture(scope="module")
def mar_table():
    X, S = gaussian_table()
    mask = draw_mask(X, "mar", 0.2, np.random.default_rng(1))
    return X, S, apply_mask(X, mask)


def test_crps_sample_is_the_energy_form():
    rng = np.random.default_rng(0)
    y, D = rng.normal(size=7), rng.normal(size=(7, 5))
    brute = [np.mean(np.abs(D[i] - y[i])) - np.abs(D[i][:, None] - D[i][None, :]).sum() / (2 * 25) for i in range(7)]
    np.testing.assert_allclose(crps_sample(y, D), brute, rtol=1e-12)
    # One draw (or N equal draws): the absolute error of a point prediction.
    np.testing.assert_allclose(crps_sample(y, np.repeat(y[:, None] + 0.3, 4, axis=1)), 0.3, rtol=1e-12)


def test_categorical_energy_score_is_the_one_hot_energy_score():
    labels = np.array(["a", "b", "c"])
    rng = np.random.default_rng(1)
    obs, draws = rng.choice(labels, size=6), rng.choice(labels, size=(6, 4))
    onehot = {c: np.eye(3)[k] for k, c in enumerate(labels)}
    brute = []
    for i in range(6):
        V = np.array([onehot[c] for c in draws[i]])
        dist_obs = np.linalg.norm(V - onehot[obs[i]], axis=1).mean()
        dist_pairs = sum(np.linalg.norm(a - b) for a, b in itertools.product(V, V)) / (2 * 16)
        brute.append(dist_obs - dist_pairs)
    np.testing.assert_allclose(categorical_energy_score(obs, draws), brute, rtol=1e-12)


def test_predictor_rows_takes_fully_observed_columns_else_the_best_one():
    observed = np.ones((6, 3), dtype=bool)
    observed[[0, 1], 0] = False
    observed[[2], 1] = False
    test, predictors = predictor_rows(observed, 0)
    assert predictors == [2]  # column 1 misses a row where column 0 is observed
    assert test.tolist() == [False, False, True, True, True, True]
    observed[[3], 2] = False  # now no column is complete where column 0 is seen
    test, predictors = predictor_rows(observed, 0)
    assert predictors == [1] or predictors == [2]
    assert test.sum() == 3 and observed[test][:, predictors].all()


def test_ranks_known_good_imputers_above_mean_on_mar(mar_table):
    _, _, X_mis = mar_table
    mean = energy_iscore(X_mis, registry_fn("mean"), random_state=0).score
    em = energy_iscore(X_mis, registry_fn("em"), random_state=0).score
    mice_draw = energy_iscore(X_mis, registry_fn("mice", m=1), n_draws=5, random_state=0).score
    assert em < mean and mice_draw < mean
    assert mice_draw < em  # a draw from a conditional model beats its conditional mean (proper score)


def test_true_conditional_draws_score_best(mar_table):
    """The paper's propriety on a MAR table: the true conditional distribution beats the same model's
    point prediction and draws that are too wide or too narrow."""
    X, S, X_mis = mar_table
    cols = list(X.columns)

    def score(oracle):
        return energy_iscore(X_mis, oracle, n_draws=20, random_state=3).score

    truth = score(GaussianOracle(S, cols))
    assert truth < score(GaussianOracle(S, cols, point=True))
    assert truth < score(GaussianOracle(S, cols, scale=2.0))
    assert truth < score(GaussianOracle(S, cols, scale=0.5))
    assert truth < energy_iscore(X_mis, registry_fn("mean"), random_state=3).score


def test_seed_determines_the_score_and_point_imputers_are_fitted_twice_per_column(mar_table):
    X, S, X_mis = mar_table
    a = energy_iscore(X_mis, registry_fn("mice", m=1), n_draws=4, random_state=5)
    b = energy_iscore(X_mis, registry_fn("mice", m=1), n_draws=4, random_state=5)
    c = energy_iscore(X_mis, registry_fn("mice", m=1), n_draws=4, random_state=6)
    assert a == b and a.score != c.score and not a.deterministic
    assert all(p.draws == 4 for p in a.columns)
    point = GaussianOracle(S, list(X.columns), point=True)
    result = energy_iscore(X_mis, point, n_draws=10, random_state=0)
    scored = [p for p in result.columns if math.isfinite(p.score)]
    assert result.deterministic and all(p.draws == 1 for p in scored)
    assert point.calls == 1 + 2 * len(scored)  # the imputation itself, then two draws per column


def test_sample_supplies_the_draws(mar_table):
    X, S, X_mis = mar_table
    oracle = GaussianOracle(S, list(X.columns))
    calls = []

    def sample(table, m, seed):
        calls.append(m)
        return [oracle(table, seed + k) for k in range(m)]

    X_imp = oracle(X_mis, 0)
    result = energy_iscore(X_mis, None, X_imputed=X_imp, sample=sample, n_draws=7, random_state=0)
    scored = [p for p in result.columns if math.isfinite(p.score)]
    assert scored and calls == [7] * len(scored) and all(p.draws == 7 for p in scored)


def test_columns_without_enough_missing_cells_and_row_budget():
    X, _ = gaussian_table(n=300, d=4, seed=2)
    X_mis = X.copy()
    X_mis.iloc[:MIN_MISSING - 1, 0] = np.nan  # too few to score
    X_mis.iloc[50:110, 1] = np.nan
    result = energy_iscore(X_mis, registry_fn("mean"), max_rows=200, random_state=0)
    assert result.n_rows == 200
    parts = {p.column: p for p in result.columns}
    assert set(parts) <= {"x0", "x1"} and math.isfinite(parts["x1"].score)
    assert parts["x1"].predictors == ("x2", "x3") or set(parts["x1"].predictors) >= {"x2", "x3"}
    assert "x0" not in parts or math.isnan(parts["x0"].score)


def test_categorical_column_is_scored_with_one_hot_energy():
    rng = np.random.default_rng(4)
    x = rng.normal(size=400)
    label = pd.Categorical(np.where(x + 0.3 * rng.normal(size=400) > 0, "hi", "lo"))
    X = pd.DataFrame({"x": x, "z": rng.normal(size=400), "k": label})
    X_mis = X.copy()
    X_mis.loc[X["z"] > 0.8, "k"] = np.nan  # MAR on z
    knn = energy_iscore(X_mis, registry_fn("knn"), random_state=0)
    mode = energy_iscore(X_mis, registry_fn("mean"), random_state=0)
    assert [p.column for p in knn.columns] == ["k"]
    assert 0 <= knn.score < mode.score <= math.sqrt(2)


def test_bad_input_says_what_is_wrong(mar_table):
    _, _, X_mis = mar_table
    with pytest.raises(ValueError, match="X_imputed"):
        energy_iscore(X_mis, registry_fn("mean"), X_imputed=X_mis.iloc[:10])
    with pytest.raises(ValueError, match="needs impute"):
        energy_iscore(X_mis, None)


def test_skipped_rows_train_adds_the_untested_rows_to_training():
    X, _ = gaussian_table(n=300, d=3, seed=5)
    X_mis = apply_mask(X, draw_mask(X, "mcar", 0.2, np.random.default_rng(0)))  # no complete column: fallback
    drop = energy_iscore(X_mis, registry_fn("mean"), random_state=0)
    train = energy_iscore(X_mis, registry_fn("mean"), skipped_rows="train", random_state=0)
    for a, b in zip(drop.columns, train.columns):
        observed = int(X_mis[a.column].notna().sum())
        assert a.n_test == b.n_test < observed
        assert a.n_train == len(X) - observed and b.n_train == len(X) - a.n_test


def test_numeric_units_do_not_matter_and_failed_columns_are_reported(mar_table):
    X, _, X_mis = mar_table
    base = energy_iscore(X_mis, registry_fn("em"), random_state=0)
    scaled = energy_iscore(X_mis * [1.0, 1000.0, 1.0, 1.0, 0.01, 1.0], registry_fn("em"), random_state=0)
    assert scaled.score == pytest.approx(base.score, rel=1e-6)  # [0, 1] scale of the observed values

    em = registry_fn("em")

    def fails_on_sub_tables(table, seed):
        if table.shape[1] < X.shape[1]:
            raise RuntimeError("needs every column\nsecond line")
        return em(table, seed)

    result = energy_iscore(X_mis, fails_on_sub_tables, random_state=0)
    assert math.isnan(result.score)
    assert all(p.reason == "imputation failed: RuntimeError: needs every column" for p in result.columns)
