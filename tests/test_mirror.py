"""The catalog against the real mirror of raw UCI files (``../shared/datasets``): every mirrored
dataset canonicalises to its catalog shape and checksum, and the three that are not mirrored are
named as needing the network. Skipped where the mirror is absent."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

import imputebench.datasets as D
from imputebench import cli
from imputebench.datasets import sources

REPO = Path(__file__).resolve().parents[1]
NOT_MIRRORED = {"connect4", "gesture", "news"}


def _find_mirror() -> Path | None:
    candidates = [os.environ.get("IMPUTEBENCH_MIRROR")] + [str(p / "shared" / "datasets") for p in REPO.parents]
    for c in candidates:
        if c and (Path(c) / "MANIFEST.tsv").is_file():
            return Path(c)
    return None


MIRROR = _find_mirror()
pytestmark = [pytest.mark.mirror,
              pytest.mark.skipif(MIRROR is None, reason="no dataset mirror (set IMPUTEBENCH_MIRROR or "
                                                        "put shared/datasets beside the repository)")]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sources, "reachable", lambda url: False)
    D.clear_memo()
    yield
    D.clear_memo()


def test_manifest_lists_exactly_the_mirrored_catalog_files() -> None:
    files = {line.split("\t")[0] for line in (MIRROR / "MANIFEST.tsv").read_text().splitlines()[1:]
             if line and not line.startswith("#")}
    mirrored = {e.mirror_file for e in D.CATALOG.values() if e.name not in NOT_MIRRORED}
    assert mirrored <= files
    assert files - mirrored == {"california_geron.csv"}  # a variant, not a catalog dataset


@pytest.mark.slow  # loads all 18 mirrored tables
def test_fetch_all_loads_the_18_mirrored_datasets_at_their_shapes(tmp_path: Path, monkeypatch, capsys) -> None:
    code = cli.main(["datasets", "fetch", "--all", "--mirror", str(MIRROR), "--data-home", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1  # three need the network
    loaded = dict(re.findall(r"^(\w+): (\d+ x \d+) from mirror:", out, re.M))
    assert set(loaded) == set(D.CATALOG) - NOT_MIRRORED and len(loaded) == 18
    for name, shape in loaded.items():
        rows, features = D.CATALOG[name].shape
        assert shape == f"{rows} x {features}", name
    for name in NOT_MIRRORED:
        assert re.search(rf"^{name}: needs the network", out, re.M), name
    for name in loaded:  # cache entries carry the catalog checksum
        meta = json.loads((tmp_path / "datasets" / f"{name}.json").read_text())
        assert meta["checksum"] == D.CATALOG[name].checksum, name
    assert not list((tmp_path / "datasets").glob(".*tmp"))


def test_availability_before_a_run_names_the_network_datasets() -> None:
    out = D.availability(sorted(D.CATALOG), mirror=MIRROR, data_home="/nonexistent-home")
    assert {n for n, why in out.items() if why} == NOT_MIRRORED
