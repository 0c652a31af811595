"""PROTOCOL §9 multiple imputation: the sample contract (base class, mice, em, the plugin checks) and
the per-job scores of the draws (energy score, 90 % interval coverage and width)."""

import numpy as np
import pandas as pd
import pytest

from imputebench.protocol.draw_metrics import (COVERAGE_LEVELS, DRAW_METRICS, draw_metrics, energy_score,
                                               prediction_interval, prediction_intervals)
from imputebench.errors import ContractViolation
from imputebench.imputer import Imputer, ImputerInfo, can_sample, restore_observed
from imputebench.registry import make_imputer
from imputebench.registry.em import conditional_draws, fitted_on_table
from imputebench.registry.mice import pool_imputations
from imputebench.testing import check_imputer

SAMPLE_CHECKS = ["sample", "sample_draws_differ", "sample_reproducible"]


def _gaussian(n: int, seed: int, rho: float = 0.7, p: int = 3) -> pd.DataFrame:
    cov = rho * np.ones((p, p)) + (1 - rho) * np.eye(p)
    values = np.random.default_rng(seed).multivariate_normal(np.zeros(p), cov, size=n)
    return pd.DataFrame(values, columns=[f"x{j}" for j in range(p)])


def _masked(X: pd.DataFrame, rate: float, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    mask = np.random.default_rng(seed).random(X.shape) >= rate
    return X.mask(~mask), mask


# -- energy score and intervals --------------------------------------------------------------------
def test_energy_score_is_the_crps_of_the_draws_in_one_dimension():
    rng = np.random.default_rng(0)
    draws, truth = rng.normal(size=(7, 1, 1)), np.array([[0.4]])
    # CRPS of the empirical distribution of the draws, by integrating (F(z) - 1{z >= y})^2.
    z = np.linspace(-8, 8, 400_001)
    F = (draws[:, 0, 0][None, :] <= z[:, None]).mean(axis=1)
    crps = np.sum((F - (z >= 0.4)) ** 2) * (z[1] - z[0])
    assert energy_score(draws, truth) == pytest.approx(crps, abs=1e-4)


def test_one_draw_scores_its_error_with_a_zero_width_interval():
    X = _gaussian(50, 0)
    imputed, mask = X.copy(), np.ones(X.shape, dtype=bool)
    mask[:10, 1] = False
    imputed.loc[:9, "x1"] = X["x1"].to_numpy()[:10] + 1.0
    imputed.loc[0, "x1"] = X.loc[0, "x1"]  # one cell exactly right
    scores = draw_metrics(X, [imputed], mask)
    span = X["x1"].max() - X["x1"].min()
    assert scores["width_90"] == 0.0 and scores["coverage_90"] == pytest.approx(0.1)
    assert scores["coverage_50"] == scores["coverage_95"] == scores["coverage_90"]  # a point: every level alike
    assert scores["energy_score"] == pytest.approx(0.9 / span)  # the rows' Euclidean errors on the §5 scale


def test_prediction_interval_covers_90_percent_of_exchangeable_truths():
    rng = np.random.default_rng(1)
    draws, truth = rng.normal(size=(5, 40_000)), rng.normal(size=40_000)
    lower, upper = prediction_interval(draws)
    assert np.mean((truth >= lower) & (truth <= upper)) == pytest.approx(0.9, abs=0.006)


def test_intervals_at_every_nominal_level_cover_that_share_of_exchangeable_truths():
    rng = np.random.default_rng(2)
    draws, truth = rng.normal(size=(5, 40_000)), rng.normal(size=40_000)
    intervals = prediction_intervals(draws, COVERAGE_LEVELS)
    for level, (lower, upper) in zip(COVERAGE_LEVELS, intervals):
        assert np.mean((truth >= lower) & (truth <= upper)) == pytest.approx(level, abs=0.008)
    widths = [np.mean(upper - lower) for lower, upper in intervals]
    assert widths == sorted(widths) and widths[0] > 0  # nested: a higher level, a wider interval


def test_calibration_coverages_come_with_coverage_90_in_one_call():
    X = _gaussian(400, 5)
    mask = np.random.default_rng(6).random(X.shape) >= 0.3
    # Draws spread like the truth around the cell's conditional centre 0: calibrated on average.
    rng = np.random.default_rng(7)
    draws = [X.where(mask, rng.normal(size=X.shape)) for _ in range(20)]
    scores = draw_metrics(X, draws, mask, seed=0)
    assert set(scores) == set(DRAW_METRICS)
    assert scores["coverage_90"] == draw_metrics(X, draws, mask, seed=0)["coverage_90"]
    covered = [scores[f"coverage_{round(100 * level)}"] for level in COVERAGE_LEVELS]
    assert covered == sorted(covered)  # nested intervals cover more as the level rises
    for level, actual in zip(COVERAGE_LEVELS, covered):
        assert actual == pytest.approx(level, abs=0.06)
    narrow = [X.where(mask, 0.2 * rng.normal(size=X.shape)) for _ in range(20)]  # too sure: under-covers
    assert all(draw_metrics(X, narrow, mask)[f"coverage_{round(100 * lv)}"] < lv - 0.2 for lv in COVERAGE_LEVELS)


# -- the sample contract ---------------------------------------------------------------------------
def test_mice_draws_are_its_chains_and_pool_to_fit_transform():
    X, _ = _masked(_gaussian(80, 2), 0.2, 3)
    mice = make_imputer("mice", {"m": 3, "max_iter": 2}, random_state=5)
    fitted = mice.fit_transform(X)
    draws = mice.sample(X, 3, random_state=5)  # reuses the fitted chains
    assert restore_observed(X, pool_imputations(draws)).equals(fitted)
    fresh = make_imputer("mice", {"m": 3, "max_iter": 2}).sample(X, 3, random_state=5)  # fits its own
    assert all(a.equals(b) for a, b in zip(draws, fresh))
    more = mice.sample(X, 4, random_state=5)  # the first three chains are the same chains
    assert all(a.equals(b) for a, b in zip(draws, more[:3])) and not more[3].equals(more[2])


def test_em_draws_follow_the_conditional_gaussian():
    rng = np.random.default_rng(4)
    mean, cov = np.array([1.0, -2.0]), np.array([[1.0, 0.8], [0.8, 2.0]])
    Z = np.tile([[0.5, np.nan], [np.nan, -1.0]], (1, 1))
    draws = np.stack(conditional_draws(Z, mean, cov, 20_000, rng))
    # x1 | x0 = 0.5 ~ N(-2 + 0.8 (0.5 - 1), 2 - 0.64); x0 | x1 = -1 ~ N(1 + 0.4 (-1 + 2), 1 - 0.32)
    assert draws[:, 0, 1].mean() == pytest.approx(-2.4, abs=0.03) and draws[:, 0, 1].var() == pytest.approx(1.36, rel=0.03)
    assert draws[:, 1, 0].mean() == pytest.approx(1.4, abs=0.02) and draws[:, 1, 0].var() == pytest.approx(0.68, rel=0.03)
    assert (draws[:, 0, 0] == 0.5).all() and (draws[:, 1, 1] == -1.0).all()


def test_em_sample_reuses_its_fit_and_leaves_it_alone():
    X, _ = _masked(_gaussian(100, 5), 0.3, 6)
    em = make_imputer("em", {"max_iter": 20, "tol": 1e-4})
    em.fit(X)
    before = em.mean_.copy()
    other = _masked(_gaussian(100, 7), 0.3, 8)[0]
    em.sample(other, 2, random_state=0)  # another table: a fresh fit, not this one's
    np.testing.assert_array_equal(em.mean_, before)
    assert all(a.equals(b) for a, b in zip(em.sample(X, 2, 1), make_imputer("em", {"max_iter": 20, "tol": 1e-4})
                                           .sample(X, 2, 1)))


def test_the_public_sample_checks_what_it_is_given():
    X, _ = _masked(_gaussian(40, 9), 0.2, 10)
    with pytest.raises(NotImplementedError, match="no sample"):
        make_imputer("mean").sample(X, 2)
    with pytest.raises(ValueError, match="positive integer"):
        make_imputer("em").sample(X, 0)
    assert can_sample(make_imputer("mice")) and not can_sample(make_imputer("knn"))

    class ShortSampler(Imputer):
        info = ImputerInfo(name="short", family="test", native_categorical=True, description="")

        def _fit(self, X, y=None):
            pass

        def _transform(self, X):
            return X.fillna(0.0)

        def _sample(self, X, m, random_state):
            return [self._transform(X)] * (m - 1)

    with pytest.raises(ContractViolation, match="list of m=3"):
        ShortSampler().sample(X, 3)


class _Sampler(Imputer):
    """Fills with draws around the column mean; ``broken`` says how it breaks the contract."""

    info = ImputerInfo(name="sampler", family="test", native_categorical=True, description="")

    def __init__(self, broken: str = "", random_state=None):
        self.broken = broken
        self.random_state = random_state

    def _fit(self, X, y=None):
        pass

    def _transform(self, X):
        return self._sample(X, 1, self.random_state)[0]

    def _sample(self, X, m, random_state):
        seed = 0 if self.broken == "ignores_seed" else random_state
        rng = np.random.default_rng(seed)
        tables = []
        for k in range(m):
            out = X.copy()
            if self.broken == "identical":  # every draw the same, though seeded
                rng = np.random.default_rng(seed)
            for c in X.columns:
                if isinstance(X[c].dtype, pd.CategoricalDtype):
                    out[c] = out[c].fillna(X[c].cat.categories[0])
                else:
                    out[c] = X[c].fillna(pd.Series(X[c].mean() + rng.normal(size=len(X)), index=X.index))
            tables.append(out)
        return tables


@pytest.mark.parametrize("broken, failed", [("", []), ("identical", ["sample_draws_differ"]),
                                            ("ignores_seed", ["sample_reproducible"])])
def test_plugin_checks_of_sample(broken, failed):
    assert check_imputer(_Sampler(broken), SAMPLE_CHECKS).failed == failed


def test_builtin_samplers_pass_and_others_skip_the_sample_checks():
    for name in ("mice", "em"):
        assert check_imputer(make_imputer(name, {"max_iter": 2}), SAMPLE_CHECKS).passed
    report = check_imputer(make_imputer("median"), SAMPLE_CHECKS)
    assert {r.status for r in report.results} == {"skipped"}


def test_the_sampling_example_of_the_plugin_guide_passes_every_check():
    import re
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text()
    code = re.search(r"```python\n(class HotDeckDraws\(Imputer\):.*?)```", guide, re.S).group(1)
    namespace = {"np": np, "pd": pd, "Imputer": Imputer, "ImputerInfo": ImputerInfo}
    exec(code, namespace)  # noqa: S102  the guide's own code, as a reader would paste it
    assert check_imputer(namespace["HotDeckDraws"]()).passed


DEEP_SAMPLERS = {"gain": {"iterations": 30, "batch_size": 32, "device": "cpu"},
                 "miwae": {"epochs": 2, "n_samples": 5, "n_impute_samples": 20, "device": "cpu"},
                 "hivae": {"epochs": 3, "batch_size": 32, "device": "cpu"},
                 "vaei": {"epochs": 3, "batch_size": 32, "impute_iterations": 3, "device": "cpu"},
                 "diffputer": {"n_em_iterations": 1, "n_epochs": 3, "width": 16, "n_steps": 3, "n_samples": 2,
                               "resample_steps": 1, "batch_size": 32, "device": "cpu"}}


@pytest.mark.parametrize("name", list(DEEP_SAMPLERS))
def test_deep_samplers_pass_the_sample_checks(name):
    pytest.importorskip("torch")
    imputer = make_imputer(name, DEEP_SAMPLERS[name], random_state=0)
    assert can_sample(imputer)
    report = check_imputer(imputer, SAMPLE_CHECKS)
    assert report.passed, [(r.check, r.message) for r in report.results if r.status != "passed"]


@pytest.mark.parametrize("name", list(DEEP_SAMPLERS))
def test_deep_sample_reuses_the_fit_on_the_same_table(name):
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    X = X.mask(rng.random(X.shape) < 0.2)
    imputer = make_imputer(name, DEEP_SAMPLERS[name], random_state=0)
    imputer.fit_transform(X)
    nets = {k: v for k, v in vars(imputer).items() if k.endswith("net_") or k in ("model_", "decoder_")}
    draws = imputer.sample(X, 3, random_state=1)
    assert fitted_on_table(imputer, X) and all(vars(imputer)[k] is v for k, v in nets.items())  # no refit
    fresh = make_imputer(name, DEEP_SAMPLERS[name], random_state=0).sample(X, 3, random_state=1)
    for a, b in zip(draws, fresh):  # a fresh imputer fits the same model and draws the same tables
        pd.testing.assert_frame_equal(a, b)
    assert not draws[0].equals(draws[1])
