"""The uncertainty view (issue 33, PROTOCOL §9): the calibration and inference frames on synthetic
rows, the calibration plot, and the uncertainty page of a small site."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imputebench.protocol.draw_metrics import COVERAGE_LEVELS
from imputebench.protocol.metrics import INFERENCE_METRICS
from imputebench.reports import plots
from imputebench.reports.site import build_site
from imputebench.reports.uncertainty import (calibration_frame, calibration_table, datasets_without_inference,
                                             inference_frame, without_inference)
from synthetic import synthetic_rows  # tests/synthetic.py

COVERAGES = {0.5: "coverage_50", 0.8: "coverage_80", 0.9: "coverage_90", 0.95: "coverage_95"}


def rows_with_draws() -> pd.DataFrame:
    """mice draws calibrated intervals (coverage = nominal), em's cover 0.1 less; mean and knn have no
    sample (NaN). Inference on wine only (the regression target here), for every imputer but knn."""
    rows = synthetic_rows(datasets=("wine", "iris"), imputers=("mean", "knn", "mice", "em"), mechanisms=("mcar",),
                          rates=(0.2,), seeds=(0, 1), failure_share=0.0)
    in_sample = rows["setting"] == "in-sample"
    for level, name in COVERAGES.items():
        rows.loc[in_sample & (rows["imputer"] == "mice"), name] = level
        rows.loc[in_sample & (rows["imputer"] == "em"), name] = level - 0.1
    # One seed of em gives 0.2 less at 50 %: its mean over seeds is level - 0.1 - 0.1 there.
    rows.loc[in_sample & (rows["imputer"] == "em") & (rows["seed"] == 1), "coverage_50"] = 0.2
    rows.loc[in_sample & (rows["imputer"] == "mice"), "width_90"] = 0.3
    scored = in_sample & (rows["dataset"] == "wine") & (rows["imputer"] != "knn")
    rows.loc[scored, "inference_bias"] = rows.loc[scored, "seed"] + np.where(rows.loc[scored, "imputer"] == "mean", 2.0, 0.0)
    rows.loc[scored, "inference_coverage"] = np.where(rows.loc[scored, "imputer"] == "mean", 0.5, 0.95)
    rows.loc[scored, "inference_width"] = 1.2
    rows.loc[in_sample, "energy_distance"] = 0.1
    rows.loc[in_sample, "corr_error"] = 0.2
    return rows


def test_calibration_is_the_mean_coverage_per_imputer_and_level_of_samplers_only():
    rows = rows_with_draws()
    # A failed job's and a downstream job's scores are not the imputer's: left out.
    rows.loc[(rows["imputer"] == "mice") & (rows["seed"] == 0) & (rows["dataset"] == "iris")
             & (rows["setting"] == "in-sample"), ["status", "coverage_50"]] = ["failed", 0.0]
    rows.loc[rows["setting"] == "downstream", "coverage_90"] = 0.0
    frame = calibration_frame(rows)
    assert list(frame.columns) == ["imputer", "nominal", "actual", "jobs"]
    assert set(frame["imputer"]) == {"em", "mice"}  # mean and knn draw nothing
    mice = frame[frame["imputer"] == "mice"].set_index("nominal")
    assert list(mice.index) == list(COVERAGE_LEVELS)
    assert np.allclose(mice["actual"], COVERAGE_LEVELS) and list(mice["jobs"]) == [3, 3, 3, 3]  # the failed job at no level
    em = frame[frame["imputer"] == "em"].set_index("nominal")["actual"]
    assert em[0.5] == pytest.approx(0.3) and em[0.95] == pytest.approx(0.85)
    table = calibration_table(frame).set_index("imputer")
    assert table.loc["mice", "shortfall"] == pytest.approx(0.0) and table.loc["em", "shortfall"] == pytest.approx(0.2)
    assert table.loc["em", "coverage_90"] == pytest.approx(0.8)


def test_calibration_of_a_store_without_draws_is_empty():
    rows = synthetic_rows(datasets=("wine",), imputers=("mean",), mechanisms=("mcar",), rates=(0.2,), seeds=(0,))
    assert calibration_frame(rows).empty and calibration_table(calibration_frame(rows)).empty
    assert calibration_frame(rows.iloc[0:0]).empty


def test_inference_is_per_dataset_and_imputer_and_names_the_imputers_without_it():
    rows = rows_with_draws()
    frame = inference_frame(rows)
    assert list(frame.columns) == ["dataset", "imputer", *INFERENCE_METRICS, "jobs"]
    assert set(frame["dataset"]) == {"wine"}  # iris: no inference scores, no row
    by = frame.set_index("imputer")
    assert by.loc["mice", "inference_bias"] == pytest.approx(0.5) and by.loc["mean", "inference_bias"] == pytest.approx(2.5)
    assert by.loc["mean", "inference_coverage"] == pytest.approx(0.5) and by.loc["em", "jobs"] == 2
    assert without_inference(rows, frame) == ["knn"] and datasets_without_inference(rows, frame) == ["iris"]


def test_the_calibration_plot_draws_the_diagonal_and_a_line_per_imputer():
    frame = calibration_frame(rows_with_draws())
    svg = plots.calibration_plot(frame, plots.colour_of(["em", "mice"]))
    assert svg.count("<polyline") == 2 and 'stroke-dasharray="4 3"' in svg
    assert ">em</text>" in svg and ">mice</text>" in svg and ">mean</text>" not in svg
    assert svg.count("<circle") == 2 * len(COVERAGE_LEVELS)
    # Both axes start a tenth below the lowest value (em's 0.3 at 50 %), not at 0.
    assert ">0.2</text>" in svg and ">0</text>" not in svg


@pytest.mark.slow  # a whole site: about 15 s
def test_the_uncertainty_page_shows_calibration_and_inference_and_the_metric_filter_lists_the_new_metrics(
        tmp_path: Path):
    rows = rows_with_draws()
    build_site(rows, tmp_path / "site", {"protocol_version": 1, "versions": {}, "seeds": [0, 1]}, n_boot=20)
    html = (tmp_path / "site" / "uncertainty.html").read_text(encoding="utf-8")
    assert '<a href="uncertainty.html"' in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<figure class="plot' in html and (tmp_path / "site" / "plots" / "calibration.svg").exists()
    assert html.count('<div class="scroll">') == 2  # the calibration table and the inference table
    assert "Not in the table: knn." in html and "Datasets without inference rows: iris" in html
    assert "Distribution metrics" in html and "Uncertainty metrics" in html
    inference = re.search(r"Inference after imputation.*?</table>", html, re.S).group(0)
    assert ">mice</a>" in inference and ">knn</a>" not in inference
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    select = re.search(r'<select data-filter="metric"[^>]*>(.*?)</select>', index, re.S).group(1)
    listed = set(re.findall(r'<option value="([^"]*)"', select))
    assert {"energy_distance", "corr_error", "coverage_50", "coverage_90", "coverage_95", "width_90",
            "inference_bias"} <= listed


def test_a_store_older_than_the_extra_levels_keeps_every_column_with_nan():
    """A store written when only the 90 % interval was scored: its other levels are NaN, not missing."""
    rows = rows_with_draws()
    rows[["coverage_50", "coverage_80", "coverage_95"]] = np.nan
    table = calibration_table(calibration_frame(rows)).set_index("imputer")
    assert list(table.columns) == [*COVERAGES.values(), "shortfall"]
    assert table[["coverage_50", "coverage_80", "coverage_95"]].isna().all().all()
    assert table.loc["em", "coverage_90"] == pytest.approx(0.8) and table.loc["em", "shortfall"] == pytest.approx(0.1)
