"""The regression gate (bench/regression.py, `imputebench baseline` and `imputebench check`) on
generated result stores: no imputer runs here (see test_regression_e2e.py for that)."""

from __future__ import annotations

import hashlib
import json
import math
import xml.etree.ElementTree as ET
from itertools import product
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from imputebench import cli
from imputebench.errors import UsageError
from imputebench.gates.regression import (BASELINE_FAILED, BROKEN, FEWER_OK, FIXED, IMPROVED, INCOMPARABLE, METADATA_KEY,
                                    MISSING, NEW, NO_OK, REGRESSED, UNCHANGED, Tolerance, compare, failure_messages,
                                    job_messages, load_baseline, parse_seed_mean, parse_tolerances, problem_message,
                                    save_baseline, summary_messages, to_junit, to_markdown)
from imputebench.harness.store import HIGHER_IS_BETTER, METRICS, ResultStore

REPO = Path(__file__).resolve().parent.parent

IMPUTERS = ("mean", "knn")
DATASETS = ("wine", "iris")


def _value(*parts: object) -> float:
    """A deterministic metric value in (0.1, 0.9) per job and metric."""
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return 0.1 + 0.8 * int.from_bytes(digest[:4], "big") / 2**32


def make_rows(imputers=IMPUTERS, datasets=DATASETS, mechanisms=("mcar", "mar"), seeds=(0, 1),
              settings=("in-sample", "downstream")) -> pd.DataFrame:
    rows = []
    for imputer, dataset, mechanism, seed, setting in product(imputers, datasets, mechanisms, seeds, settings):
        job = (imputer, dataset, mechanism, 0.2, seed, setting)
        row = {
            "job_key": hashlib.sha256(repr(job).encode()).hexdigest()[:16], "dataset": dataset,
            "dataset_checksum": f"sum-{dataset}", "max_rows": 300, "n_rows": 150, "n_features": 4,
            "mechanism": mechanism, "rate": 0.2, "realised_rate": 0.2 + seed / 1000, "seed": seed,
            "imputer": imputer, "params": json.dumps({"k": 5} if imputer == "knn" else {}), "profile": "ci",
            "setting": setting, "status": "ok", "error": None, "protocol_version": 1,
            "fit_seconds": 0.01, "transform_seconds": 0.01,
        }
        row.update({m: _value(job, m) for m in METRICS})
        if setting == "in-sample":
            row["downstream"] = math.nan  # PROTOCOL §5: nothing measured is NaN
        rows.append(row)
    return pd.DataFrame(rows)


def _set(df: pd.DataFrame, column: str, value, **where) -> pd.DataFrame:
    df = df.copy()
    selected = pd.Series(True, index=df.index)
    for key, wanted in where.items():
        selected &= df[key] == wanted
    assert selected.any()
    df.loc[selected, column] = value
    return df


def _shift(df: pd.DataFrame, metric: str, delta: float, **where) -> pd.DataFrame:
    df = df.copy()
    selected = pd.Series(True, index=df.index)
    for key, wanted in where.items():
        selected &= df[key] == wanted
    df.loc[selected, metric] = df.loc[selected, metric] + delta
    return df


def _outcomes(report) -> dict[str, int]:
    return {o: report.count(o) for o in {v.outcome for v in report.verdicts}}


# -- comparison ---------------------------------------------------------------------------------------
def test_unchanged_results_pass_with_every_job_unchanged():
    rows = make_rows()
    report = compare(rows, rows.sample(frac=1.0, random_state=3))  # row order must not matter
    assert not report.failed
    assert _outcomes(report) == {UNCHANGED: len(rows)}
    assert failure_messages(report) == []


def test_degraded_imputer_fails_naming_imputer_dataset_metric_old_and_new():
    base = make_rows()
    old = float(base.loc[(base.imputer == "knn") & (base.dataset == "wine") & (base.mechanism == "mcar")
                         & (base.seed == 0) & (base.setting == "in-sample"), "rmse"].iloc[0])
    now = _shift(base, "rmse", 0.05, imputer="knn", dataset="wine", mechanism="mcar", seed=0, setting="in-sample")
    report = compare(base, now)
    assert report.failed
    assert _outcomes(report) == {REGRESSED: 1, UNCHANGED: len(base) - 1}
    [message] = failure_messages(report)
    assert "knn" in message and "wine" in message and "rmse" in message
    assert f"{old:.6g} -> {old + 0.05:.6g}" in message
    assert "mcar" in message and "seed 0" in message and "in-sample" in message
    assert "mean" not in message


@pytest.mark.parametrize("metric", METRICS)
def test_direction_per_metric(metric):
    base = make_rows()
    where = dict(imputer="mean", dataset="iris", setting="downstream")  # downstream is measured there
    worse = -0.01 if HIGHER_IS_BETTER[metric] else 0.01
    regressed = compare(base, _shift(base, metric, worse, **where))
    improved = compare(base, _shift(base, metric, -worse, **where))
    n = len(base[(base.imputer == "mean") & (base.dataset == "iris") & (base.setting == "downstream")])
    assert regressed.count(REGRESSED) == n and regressed.failed
    assert all(c.metric == metric for v in regressed.failures for c in v.changes if c.regressed)
    assert improved.count(IMPROVED) == n and not improved.failed


def test_higher_is_better_metrics_are_the_accuracies_and_coverages():
    assert {m for m in METRICS if HIGHER_IS_BETTER[m]} == {"cat_accuracy", "downstream", "coverage_50",
                                                            "coverage_80", "coverage_90", "coverage_95",
                                                            "inference_coverage"}


def test_the_section9_metrics_are_gated_in_their_direction():
    base = make_rows()
    base["energy_distance"], base["coverage_90"] = 0.05, 0.85
    worse = compare(base, base.assign(energy_distance=0.06, coverage_90=0.80))
    assert worse.failed and {c.metric for v in worse.failures for c in v.changes if c.regressed} == {
        "energy_distance", "coverage_90"}
    assert not compare(base, base.assign(energy_distance=0.04, coverage_90=0.88)).failed
    # A baseline stored before the metrics existed has nothing to regress from.
    assert not compare(base.assign(coverage_90=math.nan), base.assign(coverage_90=0.1)).failed


def test_absolute_tolerance():
    base = make_rows()
    now = _shift(base, "mae", 0.005, imputer="knn")
    assert compare(base, now).failed  # default: exact reproducibility
    assert not compare(base, now, parse_tolerances(["mae=0.01"])).failed
    assert compare(base, now, parse_tolerances(["mae=0.004"])).failed
    assert compare(base, now, parse_tolerances(["rmse=0.01"])).failed  # another metric's tolerance does not help


def test_relative_tolerance_scales_with_the_baseline_value():
    base = _set(make_rows(), "w1", 0.2, imputer="knn")
    assert not compare(base, _shift(base, "w1", 0.0099, imputer="knn"), parse_tolerances(["w1=5%"])).failed
    report = compare(base, _shift(base, "w1", 0.0101, imputer="knn"), parse_tolerances(["w1=5%"]))
    assert report.failed
    change = next(c for v in report.failures for c in v.changes if c.regressed)
    assert change.allowed == pytest.approx(0.01)


def test_parse_tolerances_all_and_override():
    tol = parse_tolerances(["all=1%", "rmse=0.5", "rmse=10%"])
    assert set(tol) == set(METRICS)
    assert tol["mae"] == Tolerance(absolute=1e-9, relative=0.01)
    assert tol["rmse"] == Tolerance(absolute=0.5, relative=0.10)
    assert parse_tolerances([])["rmse"] == Tolerance(1e-9, 0.0)


@pytest.mark.parametrize("spec", ["rmse", "rmse=", "rmse=abc", "rmse=-1", "speed=1", "rmse=1%%", "rmse=inf"])
def test_bad_tolerance_is_a_usage_error_listing_valid_metrics(spec):
    with pytest.raises(UsageError) as err:
        parse_tolerances([spec])
    assert "\n" not in str(err.value)
    if spec != "rmse=-1" and spec != "rmse=inf":
        assert "cat_accuracy" in str(err.value)


def test_time_is_not_compared_unless_a_tolerance_names_it():
    base = make_rows()
    slower = _set(base, "fit_seconds", 100.0, imputer="knn")
    assert not compare(base, slower).failed
    report = compare(base, slower, parse_tolerances(["fit_seconds=50%"]))
    assert report.failed
    assert {c.metric for v in report.failures for c in v.changes if c.regressed} == {"fit_seconds"}


@pytest.mark.parametrize("status", ["failed", "timeout"])
def test_ok_job_that_now_fails_is_a_failure(status):
    base = make_rows()
    now = _set(_set(base, "status", status, imputer="mean", dataset="wine", seed=1, mechanism="mar",
                    setting="in-sample"),
               "error", "ValueError: boom\nTraceback ...", imputer="mean", dataset="wine", seed=1, mechanism="mar",
               setting="in-sample")
    for m in METRICS:
        now = _set(now, m, math.nan, imputer="mean", dataset="wine", seed=1, mechanism="mar", setting="in-sample")
    report = compare(base, now)
    assert report.failed
    [verdict] = report.failures
    assert verdict.outcome == BROKEN
    [message] = job_messages(verdict)
    assert "mean" in message and "wine" in message and f"now {status}" in message and "ValueError: boom" in message
    assert "Traceback" not in message


def test_failed_job_that_now_works_is_fixed_but_a_baseline_holding_failures_fails():
    now = make_rows()
    base = _set(now, "status", "failed", imputer="knn", dataset="iris")
    report = compare(base, now)
    assert report.count(FIXED) == 8 and not report.failures  # no job got worse ...
    assert report.failed  # ... but a baseline that accepts failed jobs would let them pass for ever
    [problem] = report.imputer_problems
    assert (problem.imputer, problem.outcome) == ("knn", BASELINE_FAILED)
    assert "holds 8 failed jobs" in problem_message(problem) and "re-create the baseline" in problem_message(problem)
    # An infeasible job (a rate the mechanism cannot reach) is the grid's, not a failure of the imputer.
    assert not compare(_set(now, "status", "infeasible", imputer="knn", dataset="iris"), now).failed


def test_an_imputer_whose_jobs_all_fail_fails_even_when_new():
    base = make_rows(imputers=("mean",))
    now = pd.concat([base, _set(make_rows(imputers=("plugin",)), "status", "failed")])
    now["error"] = now["error"].where(now["status"] == "ok", "AttributeError: 'numpy.ndarray' object has no attribute 'to_numpy'")
    report = compare(base, now)
    assert report.failed and not report.failures  # the plugin's jobs are new, not regressions
    [problem] = report.imputer_problems
    assert problem.outcome == NO_OK and "none of its 16 jobs is ok" in problem_message(problem)
    assert "to_numpy" in problem_message(problem)


def test_fewer_ok_jobs_than_the_baseline_fails_even_when_missing_jobs_are_allowed():
    base = make_rows()
    now = _set(base, "status", "failed", imputer="knn", dataset="wine", seed=0)
    report = compare(base, now, allow_missing=True)
    assert [(p.imputer, p.outcome) for p in report.imputer_problems] == [("knn", FEWER_OK)]
    assert "12 ok jobs, 16 in the baseline" in problem_message(report.imputer_problems[0])


def test_missing_jobs_fail_unless_allowed_and_new_jobs_are_reported():
    base = make_rows()
    now = make_rows(imputers=("mean", "newcomer"))
    report = compare(base, now)
    assert report.failed
    assert report.count(MISSING) == 16 and report.count(NEW) == 16
    assert all("knn" in m for m in failure_messages(report))
    assert {m.split()[0] for m in failure_messages(report)} == {"MISSING", "FEWER-OK"}
    allowed = compare(base, now, allow_missing=True)
    assert not allowed.failed
    assert allowed.count(MISSING) == 16


def test_changed_params_are_matched_and_named_as_the_cause():
    base = make_rows()
    now = _shift(_set(base, "params", json.dumps({"k": 1}), imputer="knn"), "mae", 0.1, imputer="knn")
    report = compare(base, now)
    assert report.count(MISSING) == 0 and report.count(NEW) == 0
    assert report.count(REGRESSED) == 16
    assert all('{"k": 5} -> {"k": 1}' in m for m in failure_messages(report))


def test_two_param_settings_of_one_imputer_stay_apart():
    base = make_rows(imputers=("knn",))
    other = _shift(_set(base, "params", json.dumps({"k": 1}), imputer="knn"), "mae", 0.1)
    both = pd.concat([base, other], ignore_index=True)
    report = compare(both, both)
    assert _outcomes(report) == {UNCHANGED: 32}


def test_different_masks_are_incomparable():
    base = make_rows()
    for column, value in (("dataset_checksum", "other"), ("realised_rate", 0.25), ("protocol_version", 2)):
        report = compare(base, _set(base, column, value, dataset="iris"))
        assert report.count(INCOMPARABLE) == 16 and report.failed
        assert all("re-create the baseline" in m for m in failure_messages(report))


def test_metric_no_longer_measured_is_a_regression_and_newly_measured_is_not():
    base = make_rows()
    lost = compare(base, _set(base, "jsdist", math.nan, imputer="mean", dataset="wine"))
    assert lost.count(REGRESSED) == 8
    assert all("jsdist" in m and "NaN" in m for m in failure_messages(lost))
    gained = compare(_set(base, "jsdist", math.nan, imputer="mean", dataset="wine"), base)
    assert not gained.failed


# -- outputs -------------------------------------------------------------------------------------------
def test_junit_xml_parses_and_counts_failures():
    base = make_rows()
    now = _shift(base, "rmse", 0.1, imputer="knn", dataset="wine")
    now = now[~((now.imputer == "mean") & (now.dataset == "iris") & (now.seed == 1))]
    report = compare(base, now, allow_missing=True)
    root = ET.fromstring(to_junit(report))
    assert root.tag == "testsuites"
    assert int(root.get("tests")) == len(base) == len(root.findall(".//testcase"))
    assert int(root.get("failures")) == 8 == len(root.findall(".//failure"))
    assert int(root.get("skipped")) == 4 == len(root.findall(".//skipped"))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"imputebench.knn", "imputebench.mean"}
    assert suites["imputebench.knn"].get("failures") == "8" and suites["imputebench.mean"].get("failures") == "0"
    failure = root.find(".//failure")
    assert "rmse" in failure.get("message") and "wine" in failure.get("message")


def test_markdown_names_failures_and_is_deterministic():
    base = make_rows()
    now = _shift(base, "cat_accuracy", -0.2, imputer="mean", dataset="iris", seed=0, mechanism="mcar",
                 setting="downstream")
    text = to_markdown(compare(base, now))
    assert text.startswith("## imputebench regression check: FAILED")
    [line] = [line for line in text.splitlines() if line.startswith("- REGRESSED")]
    assert line.startswith("- REGRESSED mean cat_accuracy: worse beyond tolerance in 1 of 16 compared jobs; worst on iris")
    assert not [line for line in text.splitlines() if line.startswith("| mean | iris |")]  # job rows: --details
    [row] = [line for line in to_markdown(compare(base, now), details=True).splitlines()
             if line.startswith("| mean | iris |")]
    assert "cat_accuracy" in row and "regressed" in row
    assert text == to_markdown(compare(base.iloc[::-1], now.sample(frac=1.0, random_state=0)))
    assert to_markdown(compare(base, base)).startswith("## imputebench regression check: passed")


# -- baseline files ------------------------------------------------------------------------------------
def test_baseline_round_trip_keeps_what_a_check_needs(tmp_path):
    rows = make_rows()
    meta = save_baseline(rows, tmp_path / "b.parquet", command="imputebench baseline save b.parquet")
    again, loaded_meta = load_baseline(tmp_path / "b.parquet")
    assert loaded_meta["jobs"] == len(rows) == len(again) == meta["jobs"]
    assert loaded_meta["command"] == "imputebench baseline save b.parquet"
    assert {"protocol_version", "package_version", "created_at"} <= set(loaded_meta)
    assert "job_key" not in again.columns and "finished_at" not in again.columns
    assert _outcomes(compare(again, rows)) == {UNCHANGED: len(rows)}
    assert METADATA_KEY in pq.read_schema(tmp_path / "b.parquet").metadata
    save_baseline(rows.sample(frac=1.0, random_state=1), tmp_path / "c.parquet", command="x")
    assert pq.read_table(tmp_path / "c.parquet").equals(pq.read_table(tmp_path / "b.parquet"))


def test_missing_or_foreign_baseline_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="not found"):
        load_baseline(tmp_path / "nope.parquet")
    make_rows().to_parquet(tmp_path / "plain.parquet")
    with pytest.raises(UsageError, match="no imputebench baseline header"):
        load_baseline(tmp_path / "plain.parquet")


# -- command line ----------------------------------------------------------------------------------------
@pytest.fixture
def imputebench(monkeypatch):
    """``imputebench ...`` in process (the CLI imports only the command it runs)."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return lambda *argv: cli.main([str(a) for a in argv])


def test_cli_registers_the_commands():
    assert cli.COMMANDS["baseline"][0] == "imputebench.commands.baseline"
    assert cli.COMMANDS["check"][0] == "imputebench.commands.check"


def test_cli_unchanged_passes_and_degraded_fails(tmp_path, imputebench, capsys):
    base_dir, now_dir, baseline = tmp_path / "base", tmp_path / "now", tmp_path / "ci-baseline.parquet"
    rows = make_rows()
    ResultStore(base_dir).append(rows.to_dict("records"))
    assert imputebench("baseline", "save", baseline, "--results", base_dir) == 0
    assert "32 jobs" in capsys.readouterr().out

    assert imputebench("check", "--baseline", baseline, "--results", base_dir, "--junit", tmp_path / "ok.xml",
                       "--summary", tmp_path / "summary.md") == 0
    out = capsys.readouterr()
    assert "regression check: passed" in out.out
    assert (tmp_path / "summary.md").read_text().strip() == out.out.strip()
    assert ET.parse(tmp_path / "ok.xml").getroot().get("failures") == "0"

    ResultStore(now_dir).append(_shift(rows, "mae", 0.03, imputer="knn", dataset="iris").to_dict("records"))
    code = imputebench("check", "--baseline", baseline, "--results", now_dir, "--junit", tmp_path / "bad.xml")
    out = capsys.readouterr()
    assert code == 1
    assert "regression check: FAILED" in out.out
    failures = [line for line in out.err.splitlines() if line.startswith("REGRESSED")]
    # One line per regressed (imputer, metric) by default, naming the worst job ...
    assert failures == [line for line in failures if line.startswith("REGRESSED knn mae: worse beyond tolerance in "
                                                                      "8 of 16 compared jobs; worst on iris")] != []
    assert ET.parse(tmp_path / "bad.xml").getroot().get("failures") == "8"
    # ... and one per job and metric with --details.
    imputebench("check", "--baseline", baseline, "--results", now_dir, "--details")
    failures = [line for line in capsys.readouterr().err.splitlines() if line.startswith("REGRESSED")]
    assert len(failures) == 8 and all("knn on iris" in f and "mae" in f for f in failures)
    assert imputebench("check", "--baseline", baseline, "--results", now_dir, "--tolerance", "mae=0.05") == 0


def test_cli_appends_markdown_to_github_step_summary(tmp_path, imputebench, monkeypatch, capsys):
    ResultStore(tmp_path / "r").append(make_rows().to_dict("records"))
    imputebench("baseline", "save", tmp_path / "b.parquet", "--results", tmp_path / "r")
    summary = tmp_path / "step_summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert imputebench("check", "--baseline", tmp_path / "b.parquet", "--results", tmp_path / "r") == 0
    text = summary.read_text()
    assert text.startswith("# earlier step\n## imputebench regression check: passed")
    assert text.count("regression check") == 1


def test_cli_github_annotations(tmp_path, imputebench, monkeypatch, capsys):
    rows = make_rows()
    ResultStore(tmp_path / "r").append(rows.to_dict("records"))
    imputebench("baseline", "save", tmp_path / "b.parquet", "--results", tmp_path / "r")
    ResultStore(tmp_path / "n").append(_shift(rows, "rmse", 1.0, imputer="mean", dataset="wine", seed=0,
                                              mechanism="mar", setting="downstream").to_dict("records"))
    capsys.readouterr()
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert imputebench("check", "--baseline", tmp_path / "b.parquet", "--results", tmp_path / "n") == 1
    [annotation] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("::error")]
    assert "REGRESSED mean rmse" in annotation and "worst on wine" in annotation


@pytest.mark.parametrize("argv, fragment", [
    (["check", "--baseline", "{tmp}/none.parquet", "--results", "{tmp}/r"], "not found"),
    (["check", "--baseline", "{tmp}/b.parquet", "--results", "{tmp}/r", "--tolerance", "speed=1"], "unknown metric"),
    (["check", "--baseline", "{tmp}/b.parquet", "--results", "{tmp}/r", "--tolerance", "rmse"], "METRIC=NUMBER"),
    (["check", "--baseline", "{tmp}/b.parquet", "--results", "{tmp}/empty"], "no job rows"),
    (["baseline", "save", "{tmp}/x.parquet", "--results", "{tmp}/empty"], "no job rows"),
])
def test_cli_usage_errors_exit_2_with_one_line(tmp_path, imputebench, capsys, argv, fragment):
    ResultStore(tmp_path / "r").append(make_rows().to_dict("records"))
    imputebench("baseline", "save", tmp_path / "b.parquet", "--results", tmp_path / "r")
    capsys.readouterr()
    assert imputebench(*[a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1


def test_run_arguments_replay_the_baseline_grid(tmp_path, imputebench, capsys):
    rows = make_rows()
    ResultStore(tmp_path / "r").append(rows.to_dict("records"))
    imputebench("baseline", "save", tmp_path / "b.parquet", "--results", tmp_path / "r")
    capsys.readouterr()
    assert imputebench("baseline", "show", tmp_path / "b.parquet", "--run-args") == 0
    assert capsys.readouterr().out.split() == [
        "--profile", "ci", "--imputers", "knn,mean", "--datasets", "iris,wine", "--mechanisms", "mar,mcar",
        "--rates", "0.2", "--seeds", "0,1", "--setting", "downstream,in-sample"]
    mixed = _set(rows, "profile", "quick", imputer="knn")
    ResultStore(tmp_path / "m").append(mixed.to_dict("records"))
    imputebench("baseline", "save", tmp_path / "m.parquet", "--results", tmp_path / "m")
    assert imputebench("baseline", "show", tmp_path / "m.parquet", "--run-args") == 2
    assert "mixes profiles" in capsys.readouterr().err


def test_committed_ci_baseline_is_small_and_replays_the_ci_profile(imputebench, capsys):
    path = REPO / "results" / "ci-baseline.parquet"
    if not path.exists():
        pytest.skip("no committed ci baseline on this branch")
    rows, meta = load_baseline(path)
    assert path.stat().st_size < 200_000
    assert meta["protocol_version"] == 1 and meta["jobs"] == len(rows) > 0
    assert set(rows["profile"]) == {"ci"} and set(rows["status"]) == {"ok"}
    assert {"mean", "median"} <= set(rows["imputer"])
    assert imputebench("baseline", "show", path, "--run-args") == 0
    assert capsys.readouterr().out.split()[:2] == ["--profile", "ci"]


def test_readme_relative_tolerance_allows_five_percent_of_rmse_and_nothing_else(tmp_path, imputebench, capsys):
    """README: `imputebench check --baseline baseline.parquet --results results --tolerance rmse=5%`."""
    rows = make_rows()
    ResultStore(tmp_path / "r").append(rows.to_dict("records"))
    imputebench("baseline", "save", tmp_path / "b.parquet", "--results", tmp_path / "r")

    def check_with(results: pd.DataFrame, name: str) -> int:
        ResultStore(tmp_path / name).append(results.to_dict("records"))
        return imputebench("check", "--baseline", tmp_path / "b.parquet", "--results", tmp_path / name,
                           "--tolerance", "rmse=5%")

    def scaled(metric: str, factor: float) -> pd.DataFrame:
        out = rows.copy()
        out[metric] = out[metric] * factor
        return out

    assert check_with(scaled("rmse", 1.04), "rmse4") == 0      # 4 % worse: within 5 %
    assert check_with(scaled("rmse", 1.06), "rmse6") == 1      # 6 % worse: a regression
    assert check_with(scaled("mae", 1.01), "mae1") == 1        # other metrics keep the exact default
    assert check_with(scaled("rmse", 0.5), "better") == 0      # better is never a failure
    err = capsys.readouterr().err
    assert "REGRESSED knn rmse" in err and "REGRESSED mean rmse" in err and "REGRESSED knn mae" in err


def test_seed_mean_compares_noisy_imputers_in_seed_standard_deviations():
    base = make_rows(seeds=(0, 1, 2, 3))
    # Each seed moves by up to half a baseline seed sd, in opposite directions: the mean barely moves.
    keys = ["imputer", "dataset", "mechanism", "setting"]
    sd = base.groupby(keys)["rmse"].transform("std")
    jitter = base.copy()
    jitter["rmse"] = base["rmse"] + sd * 0.5 * base["seed"].map({0: 1, 1: -1, 2: 1, 3: -1})
    assert compare(base, jitter).failed  # job by job: every seed is a change
    report = compare(base, jitter, seed_mean={"all": 2.0})
    assert not report.failed and report.count(UNCHANGED) == len(base) // 4
    assert all(v.job.seed is None for v in report.verdicts)
    shifted = base.copy()
    shifted["rmse"] = base["rmse"] + 3 * sd.where(base["imputer"] == "knn", 0.0)
    report = compare(base, shifted, seed_mean={"knn": 2.0, "mean": 2.0})
    assert report.failed and {v.job.imputer for v in report.failures} == {"knn"}
    [line] = [m for m in summary_messages(report) if "rmse" in m]
    assert line.startswith("REGRESSED knn rmse") and "mean over seeds" in line
    # Status is still judged job by job under --seed-mean.
    broken = _set(base, "status", "failed", imputer="mean", dataset="wine", seed=2, mechanism="mar", setting="in-sample")
    assert compare(base, broken, seed_mean={"all": 2.0}).count(BROKEN) == 1
    assert parse_seed_mean(["gain=2", "all=3.5"]) == {"gain": 2.0, "all": 3.5}
    with pytest.raises(UsageError, match="IMPUTER=K"):
        parse_seed_mean(["gain=-1"])


def test_all_failed_plugin_cannot_pass_the_gate(tmp_path, imputebench, capsys):
    """The path that used to pass: a broken plugin's all-failed jobs saved as the baseline, then checked."""
    rows = pd.concat([make_rows(imputers=("mean",)), _set(make_rows(imputers=("plugin:Broken",)), "status", "failed")])
    rows["error"] = rows["error"].where(rows["status"] == "ok", "AttributeError: 'numpy.ndarray' object has no attribute 'to_numpy'")
    ResultStore(tmp_path / "r").append(rows.to_dict("records"))
    assert imputebench("baseline", "save", tmp_path / "b.parquet", "--results", tmp_path / "r") == 0
    saved = capsys.readouterr()
    assert "warning: the baseline holds 16 failed jobs of plugin:Broken" in saved.err
    assert imputebench("check", "--baseline", tmp_path / "b.parquet", "--results", tmp_path / "r",
                       "--junit", tmp_path / "j.xml") == 1
    err = capsys.readouterr().err
    assert "NO-OK plugin:Broken: none of its 16 jobs is ok" in err
    assert "BASELINE-FAILED plugin:Broken" in err
    suite = {s.get("name"): s for s in ET.parse(tmp_path / "j.xml").getroot().findall("testsuite")}
    assert suite["imputebench.plugin:Broken"].get("failures") == "1"


def test_transfer_rows_in_a_store_are_not_compared_by_the_main_track_gate():
    """A store that also holds transfer-track rows (PROTOCOL §7) checks only its main-track jobs: a
    transfer row that failed (or matches a main job's identity columns) changes nothing."""
    base = make_rows()
    transfer = make_rows(imputers=("mean",), datasets=("wine",), mechanisms=("mcar",), seeds=(0,),
                         settings=("in-sample",)).assign(track="transfer", status="failed", rmse=math.nan,
                                                         job_key="transfer-job", strategy="pooled")
    current = pd.concat([base.assign(track="main"), transfer], ignore_index=True)
    report = compare(base, current)
    assert not report.failed
    assert _outcomes(report) == {UNCHANGED: len(base)}


def test_cli_prints_each_failure_once_and_its_last_line_counts_the_failing_jobs(tmp_path, imputebench, capsys):
    rows = make_rows()
    ResultStore(tmp_path / "r").append(rows.to_dict("records"))
    imputebench("baseline", "save", tmp_path / "b.parquet", "--results", tmp_path / "r")
    ResultStore(tmp_path / "n").append(_shift(rows, "mae", 0.03, imputer="knn", dataset="iris").to_dict("records"))
    capsys.readouterr()
    assert imputebench("check", "--baseline", tmp_path / "b.parquet", "--results", tmp_path / "n",
                       "--summary", tmp_path / "summary.md") == 1
    out = capsys.readouterr()
    [line] = [line for line in out.err.splitlines() if line.startswith("REGRESSED knn mae")]
    assert (out.out + out.err).count(line) == 1  # not again in the printed markdown
    assert line in (tmp_path / "summary.md").read_text()  # the summary file keeps it
    last = out.err.splitlines()[-1]
    assert last == "imputebench check FAILED: 8 of 32 jobs failing (8 regressed)"
    # --details: one line per failing job and metric, each once
    imputebench("check", "--baseline", tmp_path / "b.parquet", "--results", tmp_path / "n", "--details")
    out = capsys.readouterr()
    lines = [line for line in out.err.splitlines() if line.startswith("REGRESSED knn on iris")]
    assert len(lines) == 8 and all((out.out + out.err).count(line) == 1 for line in lines)
    assert "| knn | iris |" not in out.out  # the failing-jobs table is for the summary file


def test_cli_last_line_counts_imputer_level_problems(tmp_path, imputebench, capsys):
    """A check failed only by imputer-level problems says so in its last line (it used to read
    "0 failing of 32 jobs")."""
    rows = pd.concat([make_rows(imputers=("mean",)), _set(make_rows(imputers=("plugin:Broken",)), "status", "failed")])
    ResultStore(tmp_path / "r").append(rows.to_dict("records"))
    imputebench("baseline", "save", tmp_path / "b.parquet", "--results", tmp_path / "r")
    capsys.readouterr()
    assert imputebench("check", "--baseline", tmp_path / "b.parquet", "--results", tmp_path / "r") == 1
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("imputebench check FAILED: 2 imputer-level problems (no-ok plugin:Broken, "
                           "baseline-failed plugin:Broken)")
    assert "0 failing" not in last and "0 of" not in last
    assert imputebench("check", "--baseline", tmp_path / "b.parquet", "--results", tmp_path / "r",
                       "--allow-missing") == 1
    capsys.readouterr()
    ResultStore(tmp_path / "ok").append(make_rows(imputers=("mean",)).to_dict("records"))
    imputebench("baseline", "save", tmp_path / "ok.parquet", "--results", tmp_path / "ok")
    capsys.readouterr()
    assert imputebench("check", "--baseline", tmp_path / "ok.parquet", "--results", tmp_path / "ok") == 0
    assert capsys.readouterr().err.splitlines()[-1] == "imputebench check passed: 16 jobs, none failing"


def test_named_tolerance_changes_only_its_metric_and_readme_says_so():
    tol = parse_tolerances(["rmse=5%"])
    assert tol["rmse"] == Tolerance(absolute=1e-9, relative=0.05)
    assert all(t == Tolerance() for metric, t in tol.items() if metric != "rmse")
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Gating an imputer's quality in CI"):]
    section = section[:section.index("\n## ", 1)]
    assert "--tolerance rmse=5%" in section
    # The example's gate in words: RMSE may get 5 % worse, every other metric keeps the exact default.
    assert "every other metric" in section and "1e-9" in section


def test_baseline_show_json(tmp_path, imputebench, capsys):
    rows = _set(make_rows(), "status", "failed", imputer="knn", dataset="iris", seed=0)
    ResultStore(tmp_path / "r").append(rows.to_dict("records"))
    imputebench("baseline", "save", tmp_path / "b.parquet", "--results", tmp_path / "r")
    capsys.readouterr()
    assert imputebench("baseline", "show", tmp_path / "b.parquet", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["jobs"] == 32 and shown["protocol_version"] == 1 and shown["path"] == str(tmp_path / "b.parquet")
    assert shown["command"].startswith("imputebench baseline save")
    assert shown["jobs_per_imputer"] == {"knn": {"failed": 4, "ok": 12}, "mean": {"ok": 16}}
    assert imputebench("baseline", "show", tmp_path / "b.parquet") == 0
    text = capsys.readouterr().out
    assert "jobs: 32" in text and "knn" in text
