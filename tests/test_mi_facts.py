"""Known facts that the PROTOCOL §9 metrics must reproduce (issue 33's "done when").

- Mean imputation flattens the joint distribution: on the default datasets it has a worse energy
  distance and correlation error than every classical imputer that models the data; only median
  imputation, the other constant fill, can be worse.
- Multiple imputations by chained equations are calibrated: mice's 90 % intervals cover about 90 %
  of the true values at 20 % MCAR on a Gaussian table; a single imputation's interval (m = 1) has
  width 0 and covers nothing.
- Rubin's rules give valid inference after multiple imputation: on a simulated MAR table the 95 %
  intervals of mice's pooled slopes cover the population slopes about 95 % of the time; mean
  imputation's are biased and too narrow.
"""

from typing import Iterable

import numpy as np
import pandas as pd
import pytest

from imputebench.datasets import load_dataset
from imputebench.protocol.distribution_metrics import distribution_metrics
from imputebench.protocol.draw_metrics import draw_metrics
from imputebench.imputer import can_sample
from imputebench.protocol.inference import aggregate_inference, inference_scores
from imputebench.protocol.masks import apply_mask, draw_mask, job_rng
from imputebench.protocol.metrics import imputation_metrics
from imputebench.registry import CLASSICAL, make_imputer, resolve
from imputebench.harness.runner import DEFAULT_DATASETS

CONSTANT_FILLS = ("mean", "median")
BETA = np.array([1.0, 1.0, 1.0, -0.5])  # intercept, x0, x1, x2 of the simulated MAR table
FEATURE_CORRELATION = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.0]])


def _quick(name: str, seed: int):
    return make_imputer(name, resolve(name).info.params_for("quick"), random_state=seed)


def _draws(name: str, X: pd.DataFrame, m: int, seed: int) -> list[pd.DataFrame]:
    """``m`` draws from an imputer with ``sample``; the single table (m = 1) of one without."""
    imputer = _quick(name, seed)
    return imputer.sample(X, m, seed) if can_sample(imputer) else [imputer.fit_transform(X)]


# -- joint distribution ----------------------------------------------------------------------------
@pytest.mark.slow  # nine imputers on four datasets (about 15 s CPU on an idle core)
def test_mean_imputation_distorts_the_joint_distribution_most():
    for dataset in DEFAULT_DATASETS:
        ds = load_dataset(dataset, max_rows=2000)
        mask = draw_mask(ds.X, "mcar", 0.2, job_rng(dataset, "mcar", 0.2, 0))
        masked = apply_mask(ds.X, mask)
        scores = pd.DataFrame({name: distribution_metrics(ds.X, _quick(name, 0).fit_transform(masked), mask, seed=0)
                               for name in CLASSICAL}).T
        modelling = scores.drop(index=list(CONSTANT_FILLS))
        for metric in ("energy_distance", "corr_error"):
            assert scores[metric].idxmax() in CONSTANT_FILLS, (dataset, metric, scores[metric].to_dict())
            assert scores.loc["mean", metric] > modelling[metric].max(), (dataset, metric, scores[metric].to_dict())


def test_constant_fills_distort_a_simulated_gaussian_table_most_on_the_declared_metrics():
    """The quick form of the fact above, through the metric registry (what a job stores): 300 rows of
    five correlated Gaussians at 20 % MCAR. Energy distance: mean 0.0075, median 0.0076, knn 0.0026,
    mice 0.0024, em 0.0030; correlation error: 1.04, 1.04, 0.26, 0.26, 0.36."""
    X = _gaussian_table(300, 5, 0.6, seed=0)
    mask = draw_mask(X, "mcar", 0.2, np.random.default_rng(1))
    masked = apply_mask(X, mask)
    scores = pd.DataFrame({name: imputation_metrics(X, _quick(name, 0).fit_transform(masked), mask, seed=0)
                           for name in ("mean", "median", "knn", "mice", "em")}).T
    for metric in ("energy_distance", "corr_error"):
        modelling = scores.loc[["knn", "mice", "em"], metric]
        assert set(scores[metric].nlargest(2).index) == set(CONSTANT_FILLS), scores[metric].to_dict()
        assert scores.loc["mean", metric] > 2 * modelling.max(), scores[metric].to_dict()


# -- calibration of the draws ----------------------------------------------------------------------
def _gaussian_table(n: int, p: int, rho: float, seed: int) -> pd.DataFrame:
    cov = rho * np.ones((p, p)) + (1 - rho) * np.eye(p)
    values = np.random.default_rng(seed).multivariate_normal(np.zeros(p), cov, size=n)
    return pd.DataFrame(values, columns=[f"x{j}" for j in range(p)])


def test_mice_draws_cover_about_90_percent_and_a_single_imputation_does_not():
    X = _gaussian_table(500, 5, 0.6, seed=0)
    mask = draw_mask(X, "mcar", 0.2, np.random.default_rng(1))
    masked = apply_mask(X, mask)
    scores = {name: draw_metrics(X, _draws(name, masked, 5, 3), mask, seed=0) for name in ("mice", "em", "mean", "knn")}
    assert 0.85 <= scores["mice"]["coverage_90"] <= 0.95, scores["mice"]  # 0.890 (490 cells)
    assert 0.85 <= scores["em"]["coverage_90"] <= 0.95, scores["em"]  # 0.918
    for single in ("mean", "knn"):
        assert scores[single]["width_90"] == 0.0 and scores[single]["coverage_90"] < 0.01, scores[single]
    # Draws that keep the spread also score better as a predictive distribution than a point.
    assert scores["mice"]["energy_score"] < scores["mean"]["energy_score"]


@pytest.mark.slow  # four deep imputers at their quick profile (about 9 s CPU)
def test_deep_draws_on_the_gaussian_table_miwae_hivae_and_vaei_cover_gains_noise_does_not():
    """The same table and mask as above, quick hyper-parameters: MIWAE's importance resampling covers
    0.898, HI-VAE's posterior predictive 0.902, VAEI's sampled chain 0.894; GAIN's draws differ only by its U(0, 0.01) input
    noise, so its intervals are about 0.001 wide and cover 0.006 (its draws collapse to one point)."""
    pytest.importorskip("torch")
    X = _gaussian_table(500, 5, 0.6, seed=0)
    mask = draw_mask(X, "mcar", 0.2, np.random.default_rng(1))
    masked = apply_mask(X, mask)
    scores = {name: draw_metrics(X, _draws(name, masked, 5, 3), mask, seed=0) for name in ("miwae", "hivae", "vaei", "gain")}
    for name in ("miwae", "hivae", "vaei"):
        assert 0.85 <= scores[name]["coverage_90"] <= 0.95, scores[name]
    assert scores["gain"]["coverage_90"] < 0.05 and scores["gain"]["width_90"] < 0.01, scores["gain"]


# -- inference after imputation --------------------------------------------------------------------
def simulated_mar_coverage(seeds: Iterable[int], imputers: Iterable[str], with_y: bool = True, n: int = 200,
                           m: int = 5, rate: float = 0.3) -> pd.DataFrame:
    """Van Buuren's criteria per imputer and slope over ``seeds`` (see the module docstring): raw bias,
    coverage of the population value, coverage of the complete-data estimate, average width.

    Per seed: three correlated Gaussian features, ``y = 1 + x0 + x1 - 0.5 x2 + N(0, 1)``, the project's
    ``mar`` mask on the features; the imputer sees ``y`` as an observed column when ``with_y``."""
    frames = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        X = pd.DataFrame(rng.multivariate_normal(np.zeros(3), FEATURE_CORRELATION, size=n), columns=["x0", "x1", "x2"])
        y = pd.Series(BETA[0] + X.to_numpy() @ BETA[1:] + rng.normal(size=n), name="y")
        mask = draw_mask(X, "mar", rate, np.random.default_rng(10_000 + seed))
        masked = apply_mask(X, mask)
        lo, hi = X.min().to_numpy(), X.max().to_numpy()
        # The population coefficients on the §5 scale: slopes times ranges, intercept at the minima.
        population = np.concatenate([[BETA[0] + BETA[1:] @ lo], BETA[1:] * (hi - lo)])
        for name in imputers:
            table = masked.assign(y=y) if with_y else masked
            draws = [d[X.columns] for d in _draws(name, table, m, seed)]
            for against, target in (("population", population), ("complete", None)):
                scores = inference_scores(draws, y, X, "linear", target=target)
                frames.append(scores.assign(imputer=name, against=against, seed=seed))
    table = aggregate_inference(pd.concat(frames), by=("imputer", "term", "against"))
    table = table[table["term"] != "(Intercept)"]
    wide = table[table["against"] == "population"].drop(columns="against").reset_index(drop=True)
    wide["coverage_complete"] = table.loc[table["against"] == "complete", "coverage"].to_numpy()
    return wide


def test_rubin_coverage_after_mice_is_near_nominal_and_mean_imputation_falls_short_quick():
    table = simulated_mar_coverage(range(12), ("mice", "mean")).set_index(["imputer", "term"])
    mice, mean = table.loc["mice", "coverage"], table.loc["mean", "coverage"]
    assert mice.mean() >= 0.85, table  # 36 intervals: 0.944 covered; mean imputation 0.694
    assert mean.mean() <= 0.80 and mice.mean() - mean.mean() >= 0.15, table


@pytest.mark.slow  # 200 seeds of mice, em and mean (about a minute on an idle core)
def test_rubin_coverage_after_mice_is_near_nominal_and_mean_imputation_falls_short():
    table = simulated_mar_coverage(range(200), ("mice", "em", "mean")).set_index(["imputer", "term"])
    for term in ("x0", "x1", "x2"):
        assert 0.91 <= table.loc[("mice", term), "coverage"] <= 0.99, table
        # The complete-data estimate shares the sample's noise with the pooled one: covered more often.
        assert table.loc[("mice", term), "coverage_complete"] >= table.loc[("mice", term), "coverage"], table
    assert table.loc["mean", "coverage"].max() <= 0.85 and table.loc[("mean", "x2"), "coverage"] <= 0.75, table
