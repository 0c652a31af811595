"""A job is a pure function of its identity, context and mask: it writes nothing, and an imputer
that edits its inputs in place is caught and cannot change another job's numbers (PROTOCOL §4)."""

import io
import sys

import numpy as np
import pandas as pd
import pytest

from imputebench.protocol.downstream import downstream_score
from imputebench.harness.job import RunContext, run_job
from imputebench.harness.runner import RunConfig, plan

_opened: list[str] | None = None  # paths opened while a test listens (audit hooks cannot be removed)


def _audit(event: str, args: tuple) -> None:
    if _opened is not None and event == "open" and isinstance(args[0], (str, bytes)):
        _opened.append(args[0] if isinstance(args[0], str) else args[0].decode(errors="replace"))


sys.addaudithook(_audit)


def one_job(tmp_path, imputer: str, setting: str = "in-sample", dataset: str = "iris"):
    cfg = RunConfig(datasets=[dataset], imputers=[imputer], mechanisms=["mcar"], rates=[0.2], seeds=[0],
                    settings=[setting], results_dir=tmp_path)
    job = plan(cfg).jobs[0]
    return job, None  # no stored mask: the job draws it (and returns it)


def test_a_job_opens_no_file_under_the_results_folder(tmp_path):
    global _opened
    results = tmp_path / "results"
    work = [one_job(results, "mean", setting) for setting in ("in-sample", "downstream")]
    _opened = []
    try:
        out = [run_job(job, RunContext(run_id="r1"), mask) for job, mask in work]
    finally:
        opened, _opened = _opened, None
    assert [r.row["status"] for r in out] == ["ok", "ok"]
    assert out[1].samples is None
    sample = pd.read_parquet(io.BytesIO(out[0].samples))
    assert len(sample) > 0 and set(sample["job_key"]) == {work[0][0].key}
    assert out[0].row["run_id"] == "r1"
    assert out[0].mask is not None and out[0].mask.unpack().shape == (150, 4)
    # the same mask key draws the same mask in any worker (PROTOCOL §2)
    assert out[0].mask.bits.tobytes() == out[1].mask.bits.tobytes()
    assert not [p for p in opened if str(results) in p], opened


@pytest.mark.parametrize("imputer,setting,needle", [
    ("faulty:EditsInputs", "in-sample", "fit_transform changed observed cells of its input X in place"),
    ("faulty:EditsInputs", "downstream", "transform changed observed cells of its input X in place"),
    ("faulty:EditsAndReturnsInput", "in-sample", "observed cells were changed"),
    ("faulty:EditsLabels", "downstream", "fit_transform changed the labels y in place"),
])
def test_an_in_place_edit_of_observed_cells_is_a_failed_row(tmp_path, imputer, setting, needle):
    job, mask = one_job(tmp_path, imputer, setting)
    row = run_job(job, RunContext(), mask).row
    assert row["status"] == "failed" and needle in row["error"], row.get("error")
    assert np.isnan(row.get("rmse", np.nan))


def test_an_imputer_that_edits_its_inputs_cannot_change_another_jobs_numbers(tmp_path):
    mean_job, mean_mask = one_job(tmp_path, "mean", "downstream", dataset="wine")
    before = run_job(mean_job, RunContext(), mean_mask).row
    for poison in ("faulty:EditsLabels", "faulty:EditsAndReturnsInput", "faulty:EditsInputs"):
        job, mask = one_job(tmp_path, poison, "in-sample", dataset="wine")  # in-sample fit gets all of y
        assert run_job(job, RunContext(), mask).row["status"] == "failed"
    after = run_job(mean_job, RunContext(), mean_mask).row  # same worker, same cached dataset
    for metric in ("rmse", "mae", "downstream", "complete_downstream"):
        assert before[metric] == after[metric], metric


def test_warnings_inside_a_job_are_counted_not_printed(tmp_path, capfd):
    job, mask = one_job(tmp_path, "faulty:Warns")
    row = run_job(job, RunContext(), mask).row
    assert row["status"] == "ok" and row["warnings"] == 3
    assert row["warning"] == "UserWarning: careful: not converged"
    assert "careful" not in capfd.readouterr().err


def test_downstream_model_accepts_column_names_xgboost_rejects():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a[1]", "b<2", "c]"])
    y = pd.Series((X["a[1]"] > 0).astype(int))
    score = downstream_score(X.iloc[:60], y.iloc[:60], X.iloc[60:], y.iloc[60:], "classification")
    assert score > 0.8
    assert list(X.columns) == ["a[1]", "b<2", "c]"]  # the caller's frame is untouched


@pytest.mark.slow
def test_a_worker_never_imports_the_reports(tmp_path):
    import subprocess

    code = (
        "import sys\n"
        "from imputebench.harness.executors import init_worker, preload_modules\n"
        "from imputebench.harness.job import RunContext, run_job\n"
        "from imputebench.harness.runner import RunConfig, plan\n"
        "p = plan(RunConfig(datasets=['iris'], imputers=['mean'], mechanisms=['mcar'], rates=[0.2], seeds=[0],"
        " settings=['in-sample']))\n"
        "init_worker(preload_modules(p.jobs), with_parent=False)\n"
        "r = run_job(p.jobs[0], RunContext())\n"
        "assert r.row['status'] == 'ok', r.row\n"
        "print(sorted(n for n in sys.modules if n.startswith('imputebench.reports')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_jobs_row_names_the_classes_lost_with_the_dropped_rows():
    """PROTOCOL §1: a class whose every row missed a value vanishes from the canonical table; the job's
    row says so beside the dropped rows, as the store's JSON text (an empty list when none was lost)."""
    from imputebench.datasets.canonical import canonicalize
    from imputebench.harness.store import rows_to_table
    from imputebench.tracks.main.job import MainJob

    rng = np.random.default_rng(0)
    raw = pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30),
                        "y": ["x"] * 14 + ["y"] * 13 + ["rare"] * 3})
    raw.loc[27:, "a"] = np.nan  # the rare class's three rows all miss a value
    ds = canonicalize("toy", raw, target="y", target_kind="classification")
    assert (ds.dropped_rows, ds.lost_classes) == (3, ("rare",))
    job = MainJob("toy", ds.checksum, None, "mcar", 0.2, 0, "mean", "{}", "quick", "in-sample")
    row = run_job(job, RunContext(), None, ds).row
    assert row["status"] == "ok" and (row["n_rows"], row["dropped_rows"]) == (27, 3)
    assert row["lost_classes"] == '["rare"]'
    stored = rows_to_table([row]).to_pandas()
    assert stored.loc[0, "lost_classes"] == '["rare"]'
    complete = canonicalize("toy", raw.dropna(), target="y", target_kind="classification")
    assert run_job(job, RunContext(), None, complete).row["lost_classes"] == "[]"


# -- PROTOCOL §9: draws and inference after imputation in the main track's in-sample jobs ------------------
def test_a_sampler_is_scored_on_its_draws_and_a_single_imputation_only_on_inference(tmp_path):
    from imputebench.protocol.metrics import DRAW_METRICS, INFERENCE_METRICS

    rows = {name: run_job(*one_job(tmp_path, name, dataset="diabetes")[:1], RunContext(run_id="r"), None).row
            for name in ("em", "mean")}
    em, mean = rows["em"], rows["mean"]
    assert em["status"] == mean["status"] == "ok"
    assert 0.5 < em["coverage_90"] < 1.0 and em["width_90"] > 0 and em["energy_score"] > 0
    assert all(np.isnan(mean[n]) for n in DRAW_METRICS)  # no sample: not measured, not a failure
    # Diabetes has a regression target: both get inference scores (mean as m = 1, too narrow).
    for row in rows.values():
        assert all(np.isfinite(row[n]) for n in INFERENCE_METRICS), row
    assert em["inference_width"] > mean["inference_width"]
    assert em["draw_seconds"] > 0 and em["fit_seconds"] > 0
    assert np.isfinite(mean["energy_distance"]) and mean["energy_distance"] > em["energy_distance"]


def test_inference_is_skipped_without_a_two_class_or_regression_target(tmp_path):
    from imputebench.protocol.metrics import INFERENCE_METRICS

    row = run_job(one_job(tmp_path, "em")[0], RunContext(run_id="r"), None).row  # iris: three classes
    assert row["status"] == "ok" and np.isfinite(row["coverage_90"])
    assert all(np.isnan(row[n]) for n in INFERENCE_METRICS)


def test_a_downstream_job_draws_nothing(tmp_path):
    row = run_job(one_job(tmp_path, "em", "downstream", dataset="diabetes")[0], RunContext(run_id="r"), None).row
    assert row["status"] == "ok" and np.isfinite(row["energy_distance"])  # §9's point scores, out of sample
    assert not {"coverage_90", "inference_coverage", "draw_seconds"} & set(row)  # stored as nulls


def test_a_sampler_that_breaks_the_contract_is_a_failed_row(tmp_path):
    row = run_job(one_job(tmp_path, "faulty:SamplesTooFew")[0], RunContext(run_id="r"), None).row
    assert row["status"] == "failed" and "sample returned 4 tables, not a list of m=5" in row["error"], row["error"]


def test_the_profile_sets_m():
    from imputebench.protocol.profiles import PROFILES

    assert {name: p.draws for name, p in PROFILES.items()} == {"quick": 5, "paper": 20, "ci": 5}


def test_an_imputer_that_refuses_the_target_column_keeps_its_row_without_inference(tmp_path):
    row = run_job(one_job(tmp_path, "faulty:RefusesTargetColumn", dataset="diabetes")[0], RunContext(run_id="r"),
                  None).row
    assert row["status"] == "ok" and np.isfinite(row["rmse"]) and np.isnan(row["inference_coverage"])
