"""The GitHub Pages workflow for the reference leaderboard, built locally: every `imputebench` step
of docs/github-pages-reference.yml runs here, and its artifact is a whole site."""

import shlex
from pathlib import Path

import pytest
import yaml

from imputebench import cli
from imputebench.gates.reference import find_reference

WORKFLOW = Path(__file__).resolve().parents[1] / "docs" / "github-pages-reference.yml"


@pytest.mark.slow  # runner-driven end to end (the maths it checks have frame-level tests)
def test_pages_workflow_builds_the_reference_site(tmp_path, monkeypatch, capsys):
    flow = yaml.safe_load(WORKFLOW.read_text())
    steps = flow["jobs"]["build"]["steps"]
    commands = [shlex.split(s["run"], comments=True) for s in steps if "run" in s and s["run"].startswith("imputebench")]
    assert [c[:3] for c in commands] == [["imputebench", "reference", "info"], ["imputebench", "reference", "site"]]
    artifact = next(s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    monkeypatch.chdir(tmp_path)
    for command in commands:
        assert cli.main(command[1:]) == 0
    site = tmp_path / artifact
    html = (site / "index.html").read_text()
    ref = find_reference(commands[1][3])
    assert f"This leaderboard is reference set {ref.name}" in html
    assert f"{ref.manifest['n_rows']} precomputed jobs" in html
    for imputer in ref.manifest["rows_per_imputer"]:
        assert (site / f"imputer-{imputer}.html").exists()
    assert (site / "data" / "jobs.parquet").exists()
    assert flow["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages")
