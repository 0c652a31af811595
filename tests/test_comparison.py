"""The comparison engine (imputebench.gates.comparison) that the regression gate and reference sets share:
one job identity, one pairing of two stores, one notion of "scored alike"."""

from __future__ import annotations

import math

import pandas as pd

from imputebench.gates.comparison import (CELL_COLUMNS, IDENTITY_COLUMNS, JobId, MetricChange, differences, identity_index,
                                    match_jobs, metric_changes)
from imputebench.gates.reference import compare_rows, verify_verdicts

ROW = dict(imputer="knn", dataset="wine", mechanism="mcar", rate=0.2, setting="in-sample", seed=0, max_rows=300,
           params='{"k": 5}', dataset_checksum="c1", realised_rate=0.2, protocol_version=1, status="ok", rmse=0.3)


def test_identity_is_who_imputed_and_what_fixes_the_mask():
    assert IDENTITY_COLUMNS == ("imputer",) + CELL_COLUMNS
    assert JobId.of(ROW) == JobId.of(dict(ROW, rate="0.2", seed=0.0, params="{}", rmse=9.0))
    assert JobId.of(dict(ROW, max_rows=None)).max_rows is None and JobId.of(ROW).max_rows == 300
    # As an index: a store's int64 seeds and NA max_rows match a reference set's floats and NaN.
    a = pd.DataFrame([dict(ROW, max_rows=None)]).astype({"seed": "int64"})
    b = pd.DataFrame([dict(ROW, seed=0.0, max_rows=math.nan, rate=0.2)])
    assert identity_index(b).isin(identity_index(a)).all()
    assert not identity_index(b.assign(max_rows=300)).isin(identity_index(a)).any()
    assert identity_index(pd.DataFrame([ROW]).drop(columns="max_rows"), CELL_COLUMNS).equals(
        identity_index(pd.DataFrame([dict(ROW, max_rows=None)]), CELL_COLUMNS))


def test_match_jobs_pairs_on_params_first_then_on_identity_when_one_to_one():
    old = [ROW, dict(ROW, seed=1), dict(ROW, seed=2), dict(ROW, seed=2, params='{"k": 3}')]
    new = [dict(ROW, rmse=0.4), dict(ROW, seed=1, params='{"k": 1}'), dict(ROW, seed=2, params='{"k": 1}'),
           dict(ROW, seed=3)]
    m = match_jobs(old, new)
    assert [(o["seed"], o["params"], n["params"]) for o, n in m.pairs] == [(0, '{"k": 5}', '{"k": 5}'),
                                                                          (1, '{"k": 5}', '{"k": 1}')]
    # seed 2: two baseline rows for one new row, not one-to-one: left apart, never guessed.
    assert sorted((r["seed"], r["params"]) for r in m.only_old) == [(2, '{"k": 3}'), (2, '{"k": 5}')]
    assert sorted(r["seed"] for r in m.only_new) == [2, 3]


def test_differences_say_why_two_rows_were_not_scored_alike():
    assert differences(ROW, dict(ROW, rmse=1.0, params="{}")) == ()
    texts = [d.text() for d in differences(ROW, dict(ROW, dataset_checksum="c2", realised_rate=0.25,
                                                     protocol_version=2))]
    assert texts == ["dataset checksum c1 -> c2", "realised missing rate 0.2 -> 0.25 (the masks changed)",
                     "protocol version 1 -> 2"]
    # A mask checksum, where both rows carry one, is the masks' identity (the realised rate may tie).
    assert [d.what for d in differences(dict(ROW, mask_checksum="m1"), dict(ROW, mask_checksum="m2"))] == ["mask checksum"]
    # What one side did not record (an older store) is not held against it.
    assert differences(ROW, {k: v for k, v in ROW.items() if k not in ("dataset_checksum", "realised_rate")}) == ()


def test_metric_change_direction_gap_and_what_is_not_measured():
    worse = MetricChange("rmse", 0.2, 0.25, 0.01)
    assert worse.regressed and not worse.improved and math.isclose(worse.gap, 0.05) and not worse.within
    assert MetricChange("downstream", 0.8, 0.9, 0.01).improved  # higher is better
    assert MetricChange("rmse", 0.2, math.nan, 0.01).regressed  # no longer measured
    changes = metric_changes(dict(ROW, mae=math.nan), dict(ROW, rmse=0.31), ["rmse", "mae"], lambda m, v: 0.1 * v)
    assert [(c.metric, c.allowed) for c in changes] == [("rmse", 0.03)]  # mae: nothing measured before


def test_reference_verify_pairs_through_the_engine_and_checks_the_masks():
    ref = pd.DataFrame([dict(ROW, imputer="mean", job_key="k0", mask_checksum="m1"),
                        dict(ROW, imputer="mean", job_key="k1", seed=1, mask_checksum="m1")])
    here = pd.DataFrame([dict(ROW, imputer="mean", job_key="k0", mask_checksum="m1"),
                         dict(ROW, imputer="mean", job_key="k1", seed=1, mask_checksum="m2")])
    same, other_mask = verify_verdicts(ref, here, ref, {"mean": ["rmse"]})
    assert same.verdict == "exact" and same.passed
    assert other_mask.verdict == "not the same job here" and "mask checksum m1 -> m2" in other_mask.detail
    assert not compare_rows(dict(ROW, job_key="k"), dict(ROW, params="{}"), ["rmse"], {}).passed


def test_a_set_extended_imputer_by_imputer_verifies_each_imputer_on_the_metrics_its_rows_hold() -> None:
    """quick-v1 after GAIN's rows were recomputed: GAIN's rows hold the §9 metrics, the others' predate
    them. Each row is judged on its imputer's metrics; a metric no row of an imputer holds is said."""
    from imputebench.gates.reference.compare import held_metrics, unverified_metrics

    nan = math.nan
    rows = pd.DataFrame({"imputer": ["gain", "gain", "mean"], "rmse": [0.1, 0.2, 0.3],
                         "energy_distance": [0.01, nan, nan], "corr_error": [0.5, 0.4, nan], "w1": [nan, nan, nan]})
    held = held_metrics(rows, ["w1", "energy_distance", "rmse", "corr_error"])
    assert held == {"gain": ["rmse", "energy_distance", "corr_error"], "mean": ["rmse"]}
    assert unverified_metrics(held, ["w1", "energy_distance", "rmse", "corr_error"]) == [
        "w1", "energy_distance, corr_error (held by gain only)"]
    # Judged per imputer: mean's row predates energy_distance (passes), gain's holds it (a change fails).
    ref = pd.DataFrame([dict(ROW, imputer="mean", job_key="k0", energy_distance=nan),
                        dict(ROW, imputer="gain", job_key="k1", energy_distance=0.01)])
    here = ref.assign(energy_distance=[0.02, 0.02])
    kept, changed = verify_verdicts(ref, here, ref, {"mean": ["rmse"], "gain": ["rmse", "energy_distance"]})
    assert kept.verdict == "exact" and changed.verdict == "differs" and changed.metric == "energy_distance"
