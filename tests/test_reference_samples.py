"""Reference sets carry the samples of imputed cells the site's histograms draw (issue 35, item 4)."""

import json
from pathlib import Path

import pytest

from imputebench import cli
from imputebench.gates.reference import find_reference
from imputebench.gates.reference.files import histogram_jobs
from imputebench.protocol.samples import sample_path

pytestmark = pytest.mark.slow  # runner-driven end to end: a set is computed first

GRID = ["--profile", "ci", "--datasets", "iris", "--mechanisms", "mcar", "--seeds", "0", "--setting", "in-sample"]


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory) -> Path:
    """One small dataset, two imputers, one mask: the smallest set that has histograms."""
    root = tmp_path_factory.mktemp("samples")
    assert cli.main(["reference", "compute", "tiny", "--results", str(root / "work"), "--out", str(root / "sets"),
                     *GRID, "--imputers", "mean,knn"]) == 0
    return root / "sets" / "tiny.json"


def test_compute_writes_the_histogram_jobs_samples_under_the_manifest(tiny_set):
    ref = find_reference(str(tiny_set))
    ref.check()
    m = ref.manifest
    assert m["samples_file"] == "tiny.samples.parquet" and ref.samples_path.is_file()
    samples = ref.samples()
    rows = ref.rows()
    assert set(samples["job_key"]) == histogram_jobs(rows) and len(histogram_jobs(rows)) == 2  # one per imputer
    assert len(samples) == m["n_samples"]
    # bounded as the store keeps it: at most 500 cells of at most 3 features per job
    per_job = samples.groupby("job_key")["feature"].agg(["nunique", "size"])
    assert (per_job["nunique"] <= 3).all() and (samples.groupby(["job_key", "feature"]).size() <= 500).all()
    # the same cells the store wrote for those jobs
    import pyarrow.parquet as pq
    work = tiny_set.parent.parent / "work"
    key = sorted(histogram_jobs(rows))[0]
    stored = pq.read_table(sample_path(work, key)).to_pandas()
    assert stored["imputed_value"].tolist() == samples[samples["job_key"] == key]["imputed_value"].tolist()
    from imputebench.gates.reference.render import info_lines
    assert any(line.startswith(f"  samples    tiny.samples.parquet: {len(samples)} true vs imputed cells")
               for line in info_lines(ref, []))
    assert ref.sampled_imputers() == ["knn", "mean"]
    assert " only " not in "\n".join(info_lines(ref, [], sampled=ref.sampled_imputers()))
    # A set extended by one imputer after samples began (quick-v1 and gain) says whose cells it holds.
    partial = "\n".join(info_lines(ref, [], sampled=["knn"]))
    assert "histograms show for knn only (1 of 2 imputers; the others' rows predate samples" in partial


def test_edited_samples_are_refused_and_a_set_without_samples_stays_valid(tiny_set, tmp_path):
    import shutil
    for suffix in (".json", ".parquet", ".samples.parquet"):
        shutil.copy(tiny_set.with_name("tiny" + suffix), tmp_path / ("tiny" + suffix))
    copy = tmp_path / "tiny.json"
    samples_file = tmp_path / "tiny.samples.parquet"
    samples_file.write_bytes(samples_file.read_bytes() + b"x")
    with pytest.raises(Exception, match="tiny.samples.parquet has checksum"):
        find_reference(str(copy)).check()
    meta = json.loads(copy.read_text())
    old = {k: v for k, v in meta.items() if not k.startswith("samples_") and k != "n_samples"}
    copy.write_text(json.dumps(old))
    older = find_reference(str(copy))
    older.check()
    assert older.samples() is None
    from imputebench.gates.reference.render import info_lines
    assert "  samples    none: the set predates samples" in "\n".join(info_lines(older, []))
    meta.pop("samples_sha256")
    copy.write_text(json.dumps(meta))
    with pytest.raises(Exception, match="'samples_sha256' is missing"):
        find_reference(str(copy))


def test_site_of_a_set_with_samples_draws_histograms(tiny_set, tmp_path):
    assert cli.main(["reference", "site", str(tiny_set), "--out", str(tmp_path / "site")]) == 0
    for page in ("dataset-iris.html", "imputer-mean.html", "imputer-knn.html"):
        html = (tmp_path / "site" / page).read_text()
        assert "true vs imputed at masked cells" in html and "re-run to get histograms" not in html, page
    assert "predates samples" not in (tmp_path / "site" / "index.html").read_text()


def test_site_of_a_set_that_predates_samples_says_so(tiny_set, tmp_path):
    import shutil
    for suffix in (".json", ".parquet"):
        shutil.copy(tiny_set.with_name("tiny" + suffix), tmp_path / ("tiny" + suffix))
    meta = json.loads((tmp_path / "tiny.json").read_text())
    (tmp_path / "tiny.json").write_text(json.dumps({k: v for k, v in meta.items()
                                                    if not k.startswith("samples_") and k != "n_samples"}))
    assert cli.main(["reference", "site", str(tmp_path / "tiny.json"), "--out", str(tmp_path / "site")]) == 0
    index = (tmp_path / "site" / "index.html").read_text()
    assert "Set tiny predates samples of imputed cells" in index
    assert "none of its 1 dataset pages (iris)" in index and "2 imputer pages (knn, mean)" in index
    page = (tmp_path / "site" / "dataset-iris.html").read_text()
    assert "reference set tiny predates samples" in page and "re-run to get histograms" not in page
    assert "true vs imputed at masked cells" not in page


def test_run_against_a_set_with_samples_draws_its_imputers_histograms(tiny_set, tmp_path):
    results = tmp_path / "r"
    assert cli.main(["run", *GRID, "--imputers", "median", "--reference", str(tiny_set),
                     "--results", str(results)]) == 0
    html = (results / "site" / "dataset-iris.html").read_text()
    assert "true vs imputed at masked cells" in html
    assert "true vs imputed at masked cells" in (results / "site" / "imputer-knn.html").read_text()  # the set's


def test_a_set_written_again_from_a_fresh_store_keeps_its_samples(tiny_set, tmp_path):
    import shutil
    for suffix in (".json", ".parquet", ".samples.parquet"):
        shutil.copy(tiny_set.with_name("tiny" + suffix), tmp_path / ("tiny" + suffix))
    # --export-only runs nothing: the samples can only come from the set itself, imported with its rows.
    assert cli.main(["reference", "compute", "tiny", "--results", str(tmp_path / "fresh"), "--out", str(tmp_path),
                     "--export-only"]) == 0
    again, first = find_reference(str(tmp_path / "tiny.json")), find_reference(str(tiny_set))
    assert again.manifest["n_samples"] == first.manifest["n_samples"] > 0
    assert again.samples().sort_values(["job_key", "feature"], kind="stable").reset_index(drop=True).equals(
        first.samples().sort_values(["job_key", "feature"], kind="stable").reset_index(drop=True))
