import math

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import skew, wasserstein_distance

from imputebench.protocol.metrics import (DIVERGED_ABOVE, IMPUTATION_METRICS, MAX_COLUMN_RMSE, METRIC_REGISTRY,
                                  diverged_reason, imputation_metrics)


def frame(**cols):
    return pd.DataFrame(cols)


def test_hand_computed_numeric():
    # column a ranges 0..10, column b ranges 0..4; masked cells: a[0], a[1], b[2]
    X = frame(a=[0.0, 10.0, 5.0, 2.0], b=[0.0, 4.0, 2.0, 1.0])
    Xi = frame(a=[2.0, 7.0, 5.0, 2.0], b=[0.0, 4.0, 3.0, 1.0])
    mask = np.array([[False, True], [False, True], [True, False], [True, True]])
    m = imputation_metrics(X, Xi, mask)
    # scaled errors: a: 0.2, -0.3; b: 0.25
    assert m["mae"] == pytest.approx((0.2 + 0.3 + 0.25) / 3)
    assert m["rmse"] == pytest.approx(math.sqrt((0.04 + 0.09 + 0.0625) / 3))
    assert m["armse"] == pytest.approx((math.sqrt((0.04 + 0.09) / 2) + 0.25) / 2)
    assert math.isnan(m["cat_accuracy"])
    assert m[MAX_COLUMN_RMSE] == pytest.approx(math.sqrt((0.04 + 0.09) / 2))  # a's RMSE beats b's 0.25
    assert m["w1"] == pytest.approx((wasserstein_distance([0.0, 1.0], [0.2, 0.7]) + 0.25) / 2)


def test_categorical_accuracy_and_armse_mix():
    X = frame(a=[0.0, 1.0, 2.0, 3.0], k=pd.Categorical(["x", "y", "x", "y"]))
    Xi = frame(a=[0.0, 1.0, 2.0, 0.0], k=pd.Categorical(["y", "y", "x", "y"], categories=["x", "y"]))
    mask = np.array([[True, False], [True, False], [True, False], [False, True]])
    m = imputation_metrics(X, Xi, mask)
    assert m["cat_accuracy"] == pytest.approx(2 / 3)
    assert m["rmse"] == pytest.approx(1.0)  # a[3]: 3 -> 0 is the whole range
    assert m["armse"] == pytest.approx((1.0 + 1 / 3) / 2)


def test_all_categorical_gives_nan_numeric_metrics():
    X = frame(k=pd.Categorical(["x", "y", "x"]))
    m = imputation_metrics(X, X, np.array([[False], [True], [True]]))
    for key in ("mae", "rmse", "rl", "w1"):
        assert math.isnan(m[key]), key
    assert m["cat_accuracy"] == 1.0 and m["armse"] == 0.0


def test_jsdist_matches_scipy_on_binned_values():
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 100, 200)
    i = np.clip(t + rng.normal(0, 20, 200), -50, 150)
    X, Xi = frame(a=t), frame(a=i)
    mask = np.zeros((200, 1), bool)
    m = imputation_metrics(X, Xi, mask)
    lo, hi = t.min(), t.max()
    bins = np.linspace(lo, hi, 11)  # min(10, unique) equal-width bins over the complete range
    p = np.histogram(t, bins)[0]
    q = np.histogram(np.clip(i, lo, hi), bins)[0]
    assert m["jsdist"] == pytest.approx(jensenshannon(p / p.sum(), q / q.sum(), base=2))
    assert 0 < m["jsdist"] < 1


def test_jsdist_bins_follow_unique_values():
    X = frame(a=[0.0, 1.0, 0.0, 1.0])  # two unique values -> two bins
    Xi = frame(a=[0.0, 0.0, 0.0, 1.0])
    mask = np.array([[False], [False], [True], [True]])
    m = imputation_metrics(X, Xi, mask)
    # true {0, 1} vs imputed {0, 0}: p = (.5, .5), q = (1, 0)
    assert m["jsdist"] == pytest.approx(jensenshannon([0.5, 0.5], [1.0, 0.0], base=2))


def test_rl_median_iqr_skew():
    rng = np.random.default_rng(1)
    t = rng.exponential(size=300)
    i = np.full(300, np.median(t))  # mode collapse: the median is right, IQR and skew are not
    X, Xi = frame(a=t), frame(a=i)
    mask = np.zeros((300, 1), bool)
    m = imputation_metrics(X, Xi, mask)
    ts = (t - t.min()) / (t.max() - t.min())
    is_ = (i - t.min()) / (t.max() - t.min())
    expected = np.mean([abs(np.median(ts) - np.median(is_)),
                        abs(np.subtract(*np.percentile(ts, [75, 25])) - 0.0),
                        abs(skew(ts) - 0.0)])  # the skewness of a constant is 0
    assert m["rl"] == pytest.approx(expected)


def test_perfect_imputation_scores_zero():
    rng = np.random.default_rng(2)
    X = frame(a=rng.normal(size=50), k=pd.Categorical(rng.choice(list("xyz"), 50)))
    mask = rng.random((50, 2)) > 0.3
    m = imputation_metrics(X, X, mask)
    assert m["mae"] == 0 and m["rmse"] == 0 and m["armse"] == 0 and m["jsdist"] == 0
    assert m["cat_accuracy"] == 1 and m["rl"] == 0 and m["w1"] == 0


def test_reference_table_sets_scale_and_bins():
    # Out-of-sample scoring (PROTOCOL §3): a part of the table, scaled and binned by the complete column.
    X = frame(a=[0.0, 5.0])
    Xi = frame(a=[1.0, 5.0])
    mask = np.array([[False], [True]])
    assert imputation_metrics(X, Xi, mask)["mae"] == pytest.approx(0.2)
    complete = frame(a=np.arange(11.0))  # range 0..10, 11 unique values -> 10 bins of width 1
    m = imputation_metrics(X, Xi, mask, reference=complete)
    assert m["mae"] == pytest.approx(0.1)
    # true 0 and imputed 1 fall in different bins of width 0.1 -> disjoint histograms, distance 1
    assert m["jsdist"] == pytest.approx(1.0)
    # with the part's own 2 unique values: 2 bins of width 0.5, both cells in the first, no distance
    assert imputation_metrics(X, Xi, mask)["jsdist"] == pytest.approx(0.0)


def test_constant_column_scales_to_zero():
    X = frame(a=[3.0, 3.0, 3.0])
    Xi = frame(a=[3.0, 9.0, 3.0])
    m = imputation_metrics(X, Xi, np.array([[True], [False], [True]]))
    assert m["mae"] == 0.0


# -- diverged jobs (PROTOCOL §6) ------------------------------------------------------------------------
def test_one_absurd_column_is_diverged_even_when_pooled_errors_look_sane():
    # a: one masked cell imputed 1.5 ranges away; b: ten masked cells imputed exactly.
    n = 12
    X = frame(a=np.linspace(0.0, 1.0, n), b=np.linspace(0.0, 1.0, n))
    Xi = X.copy()
    Xi.loc[0, "a"] = 1.5
    mask = np.ones((n, 2), bool)
    mask[0, 0] = False
    mask[:10, 1] = False
    m = imputation_metrics(X, Xi, mask)
    assert m["mae"] == pytest.approx(1.5 / 11) and m["rmse"] == pytest.approx(math.sqrt(2.25 / 11))
    assert m["armse"] == pytest.approx(0.75)  # the mean over columns hides it ...
    assert m[MAX_COLUMN_RMSE] == pytest.approx(1.5)  # ... the worst column does not
    reason = diverged_reason(m)
    assert reason is not None and "column" in reason and "1.5" in reason


def test_diverged_threshold_is_strictly_above_the_whole_range():
    assert DIVERGED_ABOVE == 1.0
    assert diverged_reason({"mae": 1.0, "rmse": 1.0, MAX_COLUMN_RMSE: 1.0}) is None  # exactly the range
    assert diverged_reason({"mae": 0.2, "rmse": 605901.0, MAX_COLUMN_RMSE: 605901.0}).startswith("diverged: RMSE")
    assert diverged_reason({"mae": 1.01}).startswith("diverged: MAE")
    # Nothing measured (an all-categorical table) is not divergence; neither is a categorical error.
    X = frame(k=pd.Categorical(["x", "y", "x"]))
    m = imputation_metrics(X, frame(k=pd.Categorical(["y", "x", "y"])), np.zeros((3, 1), bool))
    assert m["armse"] == 1.0 and math.isnan(m[MAX_COLUMN_RMSE]) and diverged_reason(m) is None


def test_metrics_are_the_registrys_imputation_metrics():
    m = imputation_metrics(frame(a=[0.0, 1.0]), frame(a=[0.0, 0.5]), np.array([[True], [False]]))
    assert list(m) == [*IMPUTATION_METRICS, MAX_COLUMN_RMSE]
    assert MAX_COLUMN_RMSE not in METRIC_REGISTRY  # evidence, not a ranked metric
    from imputebench.harness.store import COLUMNS, HIGHER_IS_BETTER
    assert set(METRIC_REGISTRY) <= set(COLUMNS) and {MAX_COLUMN_RMSE, "dropped_rows"} <= set(COLUMNS)
    assert HIGHER_IS_BETTER == {n: m.higher_is_better for n, m in METRIC_REGISTRY.items()}


@pytest.mark.slow  # starts a worker process
def test_a_job_with_absurd_output_is_stored_diverged_with_its_numbers(tmp_path):
    from imputebench.harness.runner import RunConfig, run
    from imputebench.harness.store import ResultStore

    run(RunConfig(datasets=["iris"], imputers=["mean", "faulty:Noisy"], mechanisms=["mcar"], rates=[0.2],
                  seeds=[0], settings=["in-sample"], results_dir=tmp_path, jobs=1, progress=False,
                  params={"faulty:Noisy": {"scale": 50.0}}))  # noise of 50 column spreads: far outside
    rows = ResultStore(tmp_path).load().set_index("imputer")
    assert rows.loc["mean", "status"] == "ok" and pd.isna(rows.loc["mean", "error"])
    noisy = rows.loc["faulty:Noisy"]
    assert noisy["status"] == "diverged" and noisy["error"].startswith("diverged: ")
    assert noisy["rmse"] > 1 and noisy["max_column_rmse"] >= noisy["rmse"]  # numbers kept
    assert (rows["dropped_rows"] == 0).all()  # iris is complete (PROTOCOL §1)


# -- the declared metrics give exactly the numbers of the loop they replaced -----------------------------
def _metric_cases():
    """Fixed tables (numbers, categories, a constant column, few distinct values, imputations out of
    range, a column with nothing masked, out-of-sample scoring against a reference)."""
    rng = np.random.default_rng(20240601)
    n = 40
    num = pd.DataFrame({"a": rng.normal(size=n), "b": rng.exponential(2.0, n), "c": rng.integers(0, 4, n) * 1.0})
    num_i = num + rng.normal(0, 0.7, num.shape)
    num_i.loc[:4, "b"] = 50.0  # far outside b's range
    mixed = num.assign(const=3.0, k=pd.Categorical(rng.choice(["x", "y", "z"], n)),
                       two=pd.Categorical(rng.choice(["u", "v"], n)))
    mixed_i = num_i.assign(const=3.0 + rng.normal(0, 0.1, n), k=pd.Categorical(rng.choice(["x", "y", "z"], n)),
                           two=pd.Categorical(rng.choice(["u", "v"], n)))
    cats = mixed[["k", "two"]]
    cats_i = mixed_i[["k", "two"]]
    untouched = np.ones((n, 3), bool)
    untouched[::3, 0] = False  # only column a has masked cells
    test = np.arange(n) >= 28
    return {
        "numeric": (num, num_i, rng.random(num.shape) > 0.3, None),
        "mixed": (mixed, mixed_i, rng.random(mixed.shape) > 0.4, None),
        "categorical": (cats, cats_i, rng.random(cats.shape) > 0.5, None),
        "one_column_masked": (num, num_i, untouched, None),
        "out_of_sample": (mixed[test], mixed_i[test], rng.random((int(test.sum()), mixed.shape[1])) > 0.3, mixed),
    }


nan = float("nan")
# imputation_metrics on _metric_cases() before the metrics were declared one by one (commit 1c779bb):
# the declarations must reproduce them bit for bit.
BEFORE = {
    "numeric": {"mae": 0.447367695948672, "rmse": 1.4441474003238837, "armse": 0.9860183469710019,
                "cat_accuracy": nan, "jsdist": 0.3789501598585323, "rl": 0.22396269779640343,
                "w1": 0.42578632420579615, "max_column_rmse": 2.598329613007164},
    "mixed": {"mae": 0.25470423867145525, "rmse": 1.0087419488220097, "armse": 0.6225594732398151,
              "cat_accuracy": 0.3448275862068966, "jsdist": 0.25735520718139226, "rl": 0.21935559047513037,
              "w1": 0.21996096242242089, "max_column_rmse": 2.036445171791033},
    "categorical": {"mae": nan, "rmse": nan, "armse": 0.4930555555555556, "cat_accuracy": 0.5,
                    "jsdist": 0.27512316599056774, "rl": nan, "w1": nan, "max_column_rmse": nan},
    "one_column_masked": {"mae": 0.13458953796812204, "rmse": 0.18054645101457584, "armse": 0.18054645101457584,
                          "cat_accuracy": nan, "jsdist": 0.5086786979812268, "rl": 0.11572987420053611,
                          "w1": 0.11331416886267548, "max_column_rmse": 0.18054645101457584},
    "out_of_sample": {"mae": 0.09561097799354101, "rmse": 0.14429877372130512, "armse": 0.20027405274727691,
                      "cat_accuracy": 0.5833333333333334, "jsdist": 0.3912591735685302, "rl": 0.10795271391583275,
                      "w1": 0.07843235014909618, "max_column_rmse": 0.22802480482975418},
}


@pytest.mark.parametrize("case", list(BEFORE))
def test_declared_metrics_reproduce_the_earlier_numbers(case):
    X, Xi, mask, reference = _metric_cases()[case]
    got = imputation_metrics(X, Xi, mask, reference=reference)
    assert [k for k in got if k in BEFORE[case]] == list(BEFORE[case])
    assert set(got) - set(BEFORE[case]) == {"energy_distance", "corr_error"}  # PROTOCOL §9's, added since
    for key, want in BEFORE[case].items():
        # To a few ulps: scipy's and numpy's own summation order may move the last bit between releases.
        assert (math.isnan(got[key]) and math.isnan(want)) or math.isclose(got[key], want, rel_tol=1e-14, abs_tol=0), \
            (case, key, got[key], want)


def test_every_metric_says_how_it_is_computed():
    from imputebench.protocol.metrics import DIAGNOSTICS, METRICS_DECLARED

    for m in (*METRICS_DECLARED, *DIAGNOSTICS.values()):
        per_column = m.numeric is not None or m.categorical is not None
        if m.kind in ("imputation", "diagnostic"):
            assert (m.table is not None) != (per_column and m.pool is not None), m.name
        elif m.kind == "draws":
            assert m.drawn is not None and not per_column and m.table is None and m.inferred is None, m.name
        elif m.kind == "inference":
            assert m.inferred is not None and not per_column and m.table is None and m.drawn is None, m.name
        else:
            assert m.computed_by and not per_column and m.table is None, m.name


def test_a_table_level_metric_plugs_into_the_same_declaration():
    from imputebench.protocol.metrics import Metric, ScoredTable, scored_columns

    X = frame(a=[0.0, 1.0, 2.0, 4.0], k=pd.Categorical(["x", "y", "x", "y"]))
    Xi = frame(a=[0.0, 3.0, 2.0, 4.0], k=pd.Categorical(["x", "x", "x", "y"], categories=["x", "y"]))
    mask = np.array([[True, True], [False, False], [True, True], [True, True]])
    scored = ScoredTable(X, Xi, mask, X, scored_columns(X, Xi, mask, X))
    cells = Metric("cells", "masked cells", False, "imputation", table=lambda t: sum(c.true.size for c in t.columns))
    assert cells.score(scored) == 2.0
    assert [c.name for c in scored.columns] == ["a", "k"] and scored.columns[0].imputed.tolist() == [0.75]


# -- PROTOCOL §9's joint-distribution scores are declared metrics ----------------------------------------
def test_energy_distance_and_correlation_error_are_declared_lower_is_better_table_metrics():
    from imputebench.protocol.distribution_metrics import distribution_metrics
    from imputebench.harness.store import COLUMNS
    from imputebench.gates.regression.compare import METRICS as GATED
    from imputebench.reports.pages.view import METRIC_LABELS

    rng = np.random.default_rng(3)
    a = rng.normal(size=60)
    X = frame(a=a, b=a + rng.normal(0, 0.3, 60), k=pd.Categorical(rng.choice(["x", "y"], 60)))
    mask = rng.random(X.shape) > 0.3
    filled = X.copy()
    for c in ("a", "b"):
        filled.loc[~mask[:, X.columns.get_loc(c)], c] = X[c][mask[:, X.columns.get_loc(c)]].mean()
    got = imputation_metrics(X, filled, mask)
    want = distribution_metrics(X, filled, mask)
    for name in ("energy_distance", "corr_error"):
        assert METRIC_REGISTRY[name].kind == "imputation" and not METRIC_REGISTRY[name].higher_is_better
        assert name in IMPUTATION_METRICS and name in COLUMNS and name in GATED and name in METRIC_LABELS
        assert got[name] == want[name] > 0.0
    # The truth itself keeps the joint distribution exactly.
    exact = imputation_metrics(X, X, mask)
    assert exact["energy_distance"] == pytest.approx(0.0, abs=1e-12) and exact["corr_error"] == pytest.approx(0.0)


def test_the_energy_distance_subsample_is_drawn_with_the_jobs_seed():
    rng = np.random.default_rng(5)
    X = frame(a=rng.normal(size=2300), b=rng.normal(size=2300))
    mask = np.ones(X.shape, bool)
    mask[:, 0] = False  # every row has a masked cell: 2,300 > 2,000, so the rows are drawn
    noisy = X.assign(a=rng.normal(size=2300))
    one, again, other = (imputation_metrics(X, noisy, mask, seed=s)["energy_distance"] for s in (1, 1, 2))
    assert one == again and one != other
    # The correlation error uses all the rows: the seed does not move it.
    assert imputation_metrics(X, noisy, mask, seed=1)["corr_error"] == imputation_metrics(X, noisy, mask, seed=2)["corr_error"]


# -- PROTOCOL §9's scores of the m draws and of inference after imputation are declared metrics ------------
def test_draw_and_inference_metrics_are_declared_with_their_directions_and_stored():
    import pickle

    from imputebench.harness.store import COLUMNS
    from imputebench.protocol.draw_metrics import DRAW_METRICS as COMPUTED
    from imputebench.protocol.metrics import DRAW_METRICS, INFERENCE_METRICS, QUALITY_METRICS

    assert DRAW_METRICS == COMPUTED
    assert INFERENCE_METRICS == ("inference_coverage", "inference_bias", "inference_width")
    better = {n: METRIC_REGISTRY[n].higher_is_better for n in DRAW_METRICS + INFERENCE_METRICS}
    assert better == {"energy_score": False, "coverage_90": True, "width_90": False,
                      "coverage_50": True, "coverage_80": True, "coverage_95": True,
                      "inference_coverage": True, "inference_bias": False, "inference_width": False}
    assert set(better) <= set(COLUMNS) and set(better) <= set(QUALITY_METRICS)  # stored, ranked, gated
    assert pickle.loads(pickle.dumps(METRIC_REGISTRY["coverage_90"])).name == "coverage_90"


def test_draw_scores_are_the_draw_metrics_of_the_tables():
    from imputebench.protocol.draw_metrics import draw_metrics
    from imputebench.protocol.metrics import draw_scores

    rng = np.random.default_rng(11)
    X = frame(a=rng.normal(size=30), b=rng.normal(size=30))
    mask = rng.random(X.shape) > 0.3
    draws = [X.where(mask, X + rng.normal(0, 0.5, X.shape)) for _ in range(4)]  # observed cells kept
    got = draw_scores(X, draws, mask, seed=4)
    assert got == draw_metrics(X, draws, mask, seed=4)
    assert 0 < got["coverage_90"] < 1 and got["width_90"] > 0 and got["energy_score"] > 0


def test_inference_metrics_are_rubins_rules_summed_up_over_the_slopes():
    from imputebench.protocol.inference import inference_scores, inference_summary
    from imputebench.protocol.metrics import inference_metrics

    rng = np.random.default_rng(12)
    X = frame(a=rng.normal(size=50), b=rng.normal(size=50))
    y = pd.Series(1.0 + X["a"] - X["b"] + rng.normal(size=50))
    draws = [X + rng.normal(0, 0.2, X.shape) for _ in range(3)]
    got = inference_metrics(draws, y, X, "linear")
    assert got == inference_summary(inference_scores(draws, y, X, "linear"))
    assert 0 <= got["inference_coverage"] <= 1 and got["inference_bias"] > 0 and got["inference_width"] > 0
    # The complete table itself, once: no bias, the complete-data interval (m = 1 widens it by its df only).
    exact = inference_metrics([X], y, X, "linear")
    assert exact["inference_coverage"] == 1.0 and exact["inference_bias"] == pytest.approx(0.0, abs=1e-9)
    assert exact["inference_width"] == pytest.approx(1.0, abs=0.03)
