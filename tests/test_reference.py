"""Reference sets (PROTOCOL §8): rank an imputer against precomputed rows without recomputing them."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from imputebench import PROTOCOL_VERSION, cli
from imputebench.gates.reference import (
    DETERMINISTIC, compare_rows, file_sha256, find_reference, mask_checksum, merge_reference, reference_names,
    sample_for_verify,
)
from imputebench.harness.store import ResultStore

MINE = "sklearn.impute:SimpleImputer"  # a dotted-path imputer, run through the numeric adapter
GRID = ["--profile", "ci", "--datasets", "iris,diabetes", "--mechanisms", "mcar,mar", "--seeds", "0,1"]


@pytest.fixture(scope="module")
def small_set(tmp_path_factory) -> Path:
    """A small reference set computed by the maintainers' command: 3 built-ins x 2 datasets x 2 masks
    x 2 seeds x 2 settings."""
    root = tmp_path_factory.mktemp("reference")
    code = cli.main(["reference", "compute", "small", "--results", str(root / "work"), "--out", str(root / "sets"),
                     *GRID, "--imputers", "mean,median,knn", "--description", "a test set"])
    assert code == 0
    return root / "sets" / "small.json"


def copy_set(manifest: Path, where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    for suffix in (".json", ".parquet", ".samples.parquet"):  # the manifest, its rows and its samples
        shutil.copy(manifest.with_name(manifest.stem + suffix), where / (manifest.stem + suffix))
    return where / manifest.name


def rewrite_rows(manifest: Path, edit) -> None:
    """Edit a set's rows and re-sign them, as a set made by another (older or wrong) imputebench."""
    ref = find_reference(str(manifest))
    rows = edit(ref.rows())
    pq.write_table(pq.read_table(ref.rows_path).from_pandas(rows, schema=pq.read_schema(ref.rows_path)), ref.rows_path)
    meta = json.loads(manifest.read_text())
    meta["rows_sha256"] = file_sha256(ref.rows_path)
    manifest.write_text(json.dumps(meta))


@pytest.mark.slow  # runner-driven end to end (the maths it checks have frame-level tests)
def test_compute_writes_a_checksummed_set_with_provenance(small_set):
    ref = find_reference(str(small_set))
    ref.check()
    m = ref.manifest
    assert m["n_rows"] == 3 * 2 * 2 * 2 * 2 == len(ref.rows())
    assert m["statuses"] == {"ok": 48}
    assert set(m["params"]) == {"mean", "median", "knn"} and m["profile"] == "ci"
    assert len(m["masks"]) == 2 * 2 * 2  # datasets x mechanisms x seeds, one checksum each
    assert m["datasets"]["iris"]["checksum"] == ref.rows().query("dataset == 'iris'")["dataset_checksum"].iloc[0]
    run = m["runs"][0]
    assert run["command"].startswith("imputebench reference compute small")
    assert run["cpu_seconds"] > 0 and run["machine"]["cpus"] >= 1 and run["versions"]["numpy"]
    assert m["cpu_seconds"] == pytest.approx(sum(r["cpu_seconds"] for r in m["runs"]), abs=0.2)


@pytest.mark.slow  # runner-driven end to end (the maths it checks have frame-level tests)
def test_dotted_path_imputer_is_ranked_against_the_set_without_recomputing_it(small_set, tmp_path, capsys):
    results = tmp_path / "mine"
    assert cli.main(["run", "--imputers", MINE, "--reference", str(small_set), "--results", str(results),
                     "--quiet"]) == 0
    # Only the new imputer ran: the set's grid (2 datasets x 2 masks x 2 seeds x 2 settings) for it alone.
    assert capsys.readouterr().out.startswith("16 jobs: 0 already in the store, 16 run (16 ok)")
    stored = ResultStore(results).load()
    assert set(stored["imputer"]) == {MINE} and len(stored) == 16
    # The site ranks it among the reference rows, which are the set's own numbers, marked as such.
    site = results / "site"
    jobs = pd.read_parquet(site / "data" / "jobs.parquet")
    ref_rows = find_reference(str(small_set)).rows()
    from_set = jobs[jobs["origin"] == "reference"].merge(ref_rows[["job_key", "rmse"]], on="job_key", suffixes=("", "_set"))
    assert len(from_set) == 48 and np.array_equal(from_set["rmse"], from_set["rmse_set"])
    assert set(jobs.loc[jobs["origin"] == "here", "imputer"]) == {MINE}
    board = pd.read_parquet(site / "data" / "leaderboard.parquet")
    pooled = board[(board["setting"] == "in-sample") & (board["metric"] == "rmse") & (board["mechanism"] == "all")
                   & (board["rate"].astype(str) == "all")].set_index("imputer")
    assert set(pooled.index) == {MINE, "mean", "median", "knn"}
    # SimpleImputer's default is the mean: it ties with the built-in mean on every mask.
    assert pooled.loc[MINE, "mean_rank"] == pooled.loc["mean", "mean_rank"]
    assert pooled.loc["knn", "mean_rank"] < pooled.loc[MINE, "mean_rank"]
    html = (site / "index.html").read_text()
    assert "Reference set small" in html and "48 of the set's 48 rows" in html
    assert html.count('class="badge reference"') >= 3


@pytest.mark.slow  # runner-driven end to end (the maths it checks have frame-level tests)
def test_reference_rows_that_do_not_match_are_left_out_with_the_reason(small_set, tmp_path):
    changed = copy_set(small_set, tmp_path / "sets")

    def edit(rows):
        rows.loc[rows["imputer"] == "knn", "params"] = json.dumps({"n_neighbors": 3})
        rows.loc[(rows["imputer"] == "median") & (rows["dataset"] == "diabetes"), "protocol_version"] = PROTOCOL_VERSION + 1
        return rows

    rewrite_rows(changed, edit)
    results = tmp_path / "mine"
    assert cli.main(["run", "--imputers", "mean", "--reference", str(changed), "--results", str(results),
                     "--datasets", "iris", "--quiet"]) == 0
    html = (results / "site" / "index.html").read_text()
    assert "parameters differ from this imputebench&#39;s profile" in html
    assert "computed here" in html  # mean ran here: its own rows win
    assert "dataset diabetes was not run here" in html
    jobs = pd.read_parquet(results / "site" / "data" / "jobs.parquet")
    assert set(jobs.loc[jobs["origin"] == "reference", "imputer"]) == {"median"}  # knn's params differ


def test_merge_reference_checks_protocol_table_mask_and_params():
    cell = dict(dataset="d", mechanism="mcar", rate=0.2, seed=0, setting="in-sample", dataset_checksum="c1", profile="quick",
                protocol_version=PROTOCOL_VERSION, status="ok", rmse=0.1, track="main")
    local = pd.DataFrame([dict(cell, imputer="mine", params="{}")])
    from imputebench.harness.job import mask_key

    key = mask_key("d", "c1", "mcar", 0.2, 0)
    ref = pd.DataFrame([
        dict(cell, imputer="a", params="{}"),
        dict(cell, imputer="b", params='{"k": 1}'),
        dict(cell, imputer="c", params="{}", protocol_version=PROTOCOL_VERSION + 1),
        dict(cell, imputer="e", params="{}", dataset_checksum="c2"),
        dict(cell, imputer="f", params="{}", seed=1),
        dict(cell, imputer="mine", params="{}"),
        dict(cell, imputer="g", params="{}", dataset="other"),
        dict(cell, imputer="h", params="{}", profile="paper"),  # same table and mask, another profile
    ])
    expected = {k: "{}" for k in "abcefgh"} | {"mine": "{}"}
    merge = merge_reference(local, ref, expected_params=expected, local_masks={key: "m1"}, reference_masks={key: "m1"})
    why = dict(zip(merge.excluded["imputer"], merge.excluded["reason"]))
    assert set(merge.rows.loc[merge.rows["origin"] == "reference", "imputer"]) == {"a"}
    assert why == {"b": "parameters differ from this imputebench's profile",
                   "c": f"protocol version {PROTOCOL_VERSION + 1}; this imputebench follows version {PROTOCOL_VERSION}",
                   "e": "dataset checksum differs from the table loaded here", "f": "mask, setting or profile not run here",
                   "mine": "computed here", "g": "dataset other was not run here",
                   "h": "mask, setting or profile not run here"}
    other_mask = merge_reference(local, ref.iloc[:1], expected_params=expected, local_masks={key: "m1"},
                                 reference_masks={key: "m2"})
    assert list(other_mask.excluded["reason"]) == ["mask differs from the one drawn here"]


def test_a_damaged_set_is_refused_before_anything_runs(small_set, tmp_path, capsys):
    damaged = copy_set(small_set, tmp_path / "sets")
    data = bytearray(damaged.with_suffix(".parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.with_suffix(".parquet").write_bytes(bytes(data))
    results = tmp_path / "mine"
    assert cli.main(["run", "--imputers", "mean", "--reference", str(damaged), "--results", str(results)]) == 2
    err = capsys.readouterr().err.strip()
    assert "the file is damaged or was edited" in err and len(err.splitlines()) == 1
    assert not results.exists()


@pytest.mark.parametrize("flags, message", [
    ([], "name them with --imputers"),
    (["--imputers", "mean", "--profile", "quick"], "is a 'ci'-profile set"),
    (["--imputers", "mean", "--datasets", "wine"], "--datasets: wine is not in reference set 'small'"),
    (["--imputers", "mean", "--rates", "0.5"], "--rates: 0.5 is not in reference set"),
    (["--imputers", "mean", "--all"], "drop --all"),
])
def test_run_against_a_set_stays_on_its_grid(small_set, tmp_path, capsys, flags, message):
    assert cli.main(["run", "--reference", str(small_set), "--results", str(tmp_path / "r"), *flags]) == 2
    assert message in capsys.readouterr().err


def test_unknown_set_names_the_valid_ones(capsys):
    assert cli.main(["reference", "info", "no-such-set"]) == 2
    err = capsys.readouterr().err
    assert "unknown reference set 'no-such-set'; valid:" in err


def test_output_piped_to_a_reader_that_stops_early_ends_quietly():
    # `imputebench reference info quick-v1 | head -1` once head has gone: the pipe's read end is closed.
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        out = subprocess.run([sys.executable, "-m", "imputebench.cli", "reference", "info", "quick-v1"],
                             stdout=write_end, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write_end)
    err = out.stderr.decode()
    assert out.returncode == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


@pytest.mark.slow  # runner-driven end to end (the maths it checks have frame-level tests)
def test_verify_reproduces_and_catches_a_wrong_row(small_set, tmp_path, capsys):
    assert cli.main(["reference", "verify", str(small_set), "--sample", "6", "--results", str(tmp_path / "v1")]) == 0
    out = capsys.readouterr().out
    assert "6 of 6 sampled jobs reproduce (6 exactly)" in out
    assert {line.split()[1] for line in out.splitlines() if line.startswith("PASS")} == {"mean", "median", "knn"}
    wrong = copy_set(small_set, tmp_path / "sets")
    rewrite_rows(wrong, lambda rows: rows.assign(rmse=rows["rmse"] * 1.01))
    assert cli.main(["reference", "verify", str(wrong), "--sample", "3", "--results", str(tmp_path / "v2")]) == 1
    out = capsys.readouterr().out
    assert "0 of 3 sampled jobs reproduce" in out and out.count("differs") == 3


@pytest.mark.slow  # runner-driven end to end
def test_verify_names_the_parameters_of_a_job_planned_otherwise_here(small_set, tmp_path, capsys):
    # A row computed under another default or profile has a job key this imputebench does not plan.
    other = copy_set(small_set, tmp_path / "sets")
    knn = lambda rows: rows["imputer"] != "knn"  # noqa: E731
    rewrite_rows(other, lambda rows: rows.assign(params=rows["params"].where(knn(rows), '{"n_neighbors": 3}'),
                                                 job_key=rows["job_key"].where(knn(rows), "old" + rows["job_key"])))
    assert cli.main(["reference", "verify", str(other), "--sample", "3", "--results", str(tmp_path / "v")]) == 1
    failed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1 and failed[0].split()[1] == "knn", failed
    assert 'not the same job here  params {"n_neighbors": 3} -> ' in failed[0]


def test_compare_rows_exact_for_deterministic_within_noise_for_the_rest():
    ref = dict(job_key="k", imputer="mean", dataset="d", mechanism="mcar", rate=0.2, seed=0, setting="in-sample",
               rmse=0.2, mae=0.1)
    assert "mean" in DETERMINISTIC
    assert compare_rows(ref, dict(ref, status="ok"), ["rmse", "mae"], {}).verdict == "exact"
    assert compare_rows(ref, dict(ref, status="ok", rmse=0.2001), ["rmse", "mae"], {"rmse": 0.01}).verdict == "differs"
    noisy = dict(ref, imputer="gain")
    assert compare_rows(noisy, dict(noisy, status="ok", rmse=0.21), ["rmse"], {"rmse": 0.01}).verdict == "within seed noise"
    assert compare_rows(noisy, dict(noisy, status="ok", rmse=0.25), ["rmse"], {"rmse": 0.01}).verdict == "differs"
    assert compare_rows(noisy, dict(noisy, status="failed"), ["rmse"], {}).verdict == "failed here"
    assert compare_rows(noisy, None, ["rmse"], {}).verdict == "not the same job here"


def test_sample_for_verify_spreads_over_imputers_and_is_seeded():
    rows = pd.DataFrame({"imputer": ["a"] * 50 + ["b"] * 5 + ["c"] * 5, "status": "ok", "dataset": "d",
                         "job_key": [str(i) for i in range(60)]})
    picked = sample_for_verify(rows, 9, seed=3)
    assert picked["imputer"].value_counts().to_dict() == {"a": 3, "b": 3, "c": 3}
    assert picked.equals(sample_for_verify(rows, 9, seed=3))
    assert not picked.equals(sample_for_verify(rows, 9, seed=4))


@pytest.mark.slow  # runner-driven end to end (the maths it checks have frame-level tests)
def test_compute_resumes_from_the_committed_set(small_set, tmp_path, capsys):
    grown = copy_set(small_set, tmp_path / "sets")
    # A fresh working folder (a new session): the set's rows are imported, only the new imputer runs.
    assert cli.main(["reference", "compute", "small", "--results", str(tmp_path / "work"), "--out",
                     str(grown.parent), "--imputers", "em"]) == 0
    out = capsys.readouterr().out
    assert "imported 48 rows of small" in out and "64 jobs: 48 already in the store, 16 run (16 ok)" in out
    ref = find_reference(str(grown))
    assert ref.manifest["n_rows"] == 64 and ref.grid["imputers"] == ["mean", "median", "knn", "em"]
    assert len(ref.manifest["runs"]) == 2 and ref.manifest["masks"] == find_reference(str(small_set)).manifest["masks"]


@pytest.mark.slow  # runner-driven end to end (the maths it checks have frame-level tests)
def test_compute_recomputes_rows_whose_imputer_changed(small_set, tmp_path, capsys):
    """An imputer whose parameters changed since the set was computed (a fix that names a new
    parameter): its old rows are neither imported nor exported next to the new ones."""
    changed = copy_set(small_set, tmp_path / "sets")
    now = find_reference(str(small_set)).rows()
    knn_params = now.loc[now["imputer"] == "knn", "params"].iloc[0]
    rewrite_rows(changed, lambda rows: rows.assign(params=rows["params"].where(rows["imputer"] != "knn",
                                                                                '{"n_neighbors": 7}')))
    assert cli.main(["reference", "compute", "small", "--results", str(tmp_path / "work"), "--out",
                     str(changed.parent)]) == 0
    out = capsys.readouterr().out
    assert "left out 16 rows of small computed with other parameters (knn)" in out
    assert "48 jobs: 32 already in the store, 16 run (16 ok)" in out
    rows = find_reference(str(changed)).rows()
    assert len(rows) == 48 and set(rows.loc[rows["imputer"] == "knn", "params"]) == {knn_params}


@pytest.mark.slow  # runner-driven end to end (the maths it checks have frame-level tests)
def test_compute_names_unfinished_jobs_and_retries_them(small_set, tmp_path, capsys):
    """A job that timed out (on a loaded machine, say) is named when the set is written, and
    ``--retry-failed`` runs it again instead of carrying the timeout into the set."""
    slow = copy_set(small_set, tmp_path / "sets")
    timed_out = lambda rows: (rows["imputer"] == "knn") & (rows["dataset"] == "iris") & (rows["seed"] == 0)
    rewrite_rows(slow, lambda rows: rows.assign(status=rows["status"].where(~timed_out(rows), "timeout")))
    work = ["--results", str(tmp_path / "work"), "--out", str(slow.parent)]
    assert cli.main(["reference", "compute", "small", *work, "--export-only"]) == 0
    assert "4 jobs of small did not finish (knn: 4 timeout) and rank as failures" in capsys.readouterr().out
    assert cli.main(["reference", "compute", "small", *work, "--export-only", "--retry-failed"]) == 2
    assert "drop one of them" in capsys.readouterr().err
    assert cli.main(["reference", "compute", "small", *work, "--retry-failed"]) == 0
    out = capsys.readouterr().out
    assert "48 jobs: 44 already in the store, 4 run (4 ok)" in out and "did not finish" not in out
    assert set(find_reference(str(slow)).rows()["status"]) == {"ok"}


def test_site_renders_the_set_alone(small_set, tmp_path):
    assert cli.main(["reference", "site", str(small_set), "--out", str(tmp_path / "site")]) == 0
    html = (tmp_path / "site" / "index.html").read_text()
    assert "This leaderboard is reference set small" in html and "a test set" in html
    assert "imputebench run --imputers mypackage:MyImputer --reference small" in html


def test_mask_checksum_is_the_masks_identity():
    mask = np.random.default_rng(0).random((7, 3)) > 0.3
    assert mask_checksum(mask) == mask_checksum(mask.copy())
    assert mask_checksum(mask) != mask_checksum(~mask) != mask_checksum(mask.reshape(3, 7))


def test_shipped_sets_are_intact():
    names = reference_names()
    assert "quick-v1" in names
    for name in names:
        ref = find_reference(name)
        ref.check()  # the committed rows are the ones the manifest signs
        rows = ref.rows()
        assert len(rows) == ref.manifest["n_rows"] and set(rows["profile"]) == {ref.profile}
        assert set(rows["protocol_version"]) == {PROTOCOL_VERSION}
        assert ref.manifest["rows_bytes"] < 8e6  # ships inside the package


@pytest.mark.slow
@pytest.mark.mirror
def test_shipped_quick_set_verifies_on_a_sample_of_20(mirror, tmp_path, capsys):
    assert cli.main(["reference", "verify", "quick-v1", "--sample", "20", "--mirror", str(mirror),
                     "--results", str(tmp_path / "v")]) == 0
    out = capsys.readouterr().out
    assert "20 of 20 sampled jobs reproduce" in out
    # quick-v1 predates the §9 metrics: said, not counted as a difference
    assert "metrics the set has no value of, not verified: " in out and "energy_distance" in out


def test_reference_list_json(capsys):
    assert cli.main(["reference", "list", "--json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert set(listed) == set(reference_names())
    quick = find_reference("quick-v1")
    assert listed["quick-v1"]["sha256"] == quick.sha256 and listed["quick-v1"]["rows"] == quick.manifest["n_rows"]
    assert listed["quick-v1"]["profile"] == "quick" and listed["quick-v1"]["path"] == str(quick.manifest_path)
    assert cli.main(["reference", "list"]) == 0
    assert capsys.readouterr().out.startswith(min(listed).ljust(12))
