"""The natural-missingness tables (PROTOCOL §10) through the dataset layer: ``load_dataset(name,
keep_missing=True, natural=DIR)`` gives each with its own holes, checked against its declaration; the
same files added as user tables with ``keep_missing`` give the same tables. The shared tables are
never committed: those tests are skipped without them (``$IMPUTEBENCH_NATURAL`` or
``../shared/datasets-natural`` beside the clone)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import imputebench.datasets as D
from conftest import natural_tables_dir
from imputebench.datasets import natural, sources
from imputebench.datasets.natural import NATURAL_TABLES, NaturalTable
from imputebench.errors import DatasetError


@pytest.fixture
def natural_dir() -> Path:
    d = natural_tables_dir()
    if d is None:
        pytest.skip("natural tables ../shared/datasets-natural are absent (set IMPUTEBENCH_NATURAL to run this test)")
    return d


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sources, "reachable", lambda url: False)
    monkeypatch.delenv("IMPUTEBENCH_NATURAL", raising=False)
    D.clear_memo()
    yield
    D.clear_memo()


def test_the_shared_natural_tables_load_with_their_holes(natural_dir: Path, tmp_path: Path) -> None:
    manifest = pd.read_csv(natural_dir / "MANIFEST.tsv", sep="\t")
    assert sorted(manifest["file"]) == sorted(t.file for t in NATURAL_TABLES.values())
    assert D.availability(sorted(NATURAL_TABLES), data_home=tmp_path, keep_missing=True, natural=natural_dir) == \
        {n: None for n in NATURAL_TABLES}
    for row in manifest.itertuples():
        table = NATURAL_TABLES[row.file.removesuffix(".csv")]
        assert table.raw_shape == (row.rows, row.columns)
        ds = D.load_dataset(table.name, data_home=tmp_path, keep_missing=True, natural=natural_dir)
        assert ds.X.shape == table.shape and ds.checksum == table.checksum and ds.y.notna().all()
        assert ds.meta["missing_cells"] == int(ds.X.isna().to_numpy().sum()) > 0
        assert not set(table.ids) & set(ds.X.columns)
        for c in table.categorical:  # a hole is a missing category, never a category of its own
            assert ds.X[c].dtype == "category" and "nan" not in ds.X[c].cat.categories


@pytest.mark.slow
def test_the_shared_natural_tables_read_as_user_tables_added_with_keep_missing(natural_dir: Path, tmp_path: Path) -> None:
    for table in NATURAL_TABLES.values():
        name = f"my_{table.name}"
        entry = D.add_user_dataset(tmp_path, name, natural_dir / table.file, target=table.target,
                                   categorical=table.categorical, ids=table.ids, target_kind=table.target_kind,
                                   keep_missing=True)
        assert entry.checksum_kept == table.checksum and entry.shape_kept == table.shape
        kept = D.load_dataset(name, data_home=tmp_path, keep_missing=True)
        assert kept.checksum == table.checksum and kept.meta["missing_cells"] == entry.missing_cells
    assert set(D.natural_names(data_home=tmp_path)) == set(NATURAL_TABLES) | {f"my_{t}" for t in NATURAL_TABLES}


# --- without the shared files: a declared table of our own ------------------------------------------

def _toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, NaturalTable]:
    rng = np.random.default_rng(0)
    raw = pd.DataFrame({"pid": range(30), "x": rng.normal(size=30).round(3).astype(str),
                        "g": rng.choice(["u", "v"], 30), "t": rng.choice(["p", "q"], 30)})
    raw.loc[[2, 4], "x"] = "NA"
    raw.loc[[3], "g"] = ""
    directory = tmp_path / "natural"
    directory.mkdir()
    raw.to_csv(directory / "toyn.csv", index=False)
    table = NaturalTable("toyn", "t", "classification", categorical=("g",), ids=("pid",), raw_shape=(30, 4))
    measured = natural.read_natural(table, directory)
    table = replace(table, shape=measured.X.shape, checksum=measured.checksum)
    monkeypatch.setitem(NATURAL_TABLES, "toyn", table)
    return directory, table


def test_a_natural_table_is_checked_and_loads_only_with_keep_missing(tmp_path: Path, monkeypatch) -> None:
    directory, table = _toy(tmp_path, monkeypatch)
    ds = D.load_dataset("toyn", data_home=tmp_path, keep_missing=True, natural=directory)
    assert ds.X.shape == (30, 2) and ds.meta["missing_cells"] == 3 and ds.source.startswith("natural:")
    monkeypatch.setenv("IMPUTEBENCH_NATURAL", str(directory))  # the option's environment variable
    D.clear_memo()
    assert D.load_dataset("toyn", data_home=tmp_path, keep_missing=True).checksum == table.checksum
    with pytest.raises(DatasetError, match=r"unknown dataset 'toyn' \(a natural-missingness table: it loads with "
                                           r"keep_missing=True\)"):
        D.load_dataset("toyn", data_home=tmp_path)
    assert "toyn" not in D.dataset_names(data_home=tmp_path)  # never a synthetic-mask table by accident


def test_a_natural_table_that_is_not_the_declared_one_is_an_error(tmp_path: Path, monkeypatch) -> None:
    directory, _ = _toy(tmp_path, monkeypatch)
    raw = pd.read_csv(directory / "toyn.csv", dtype=str, keep_default_na=False)
    raw.loc[0, "x"] = "9.5"
    raw.to_csv(directory / "toyn.csv", index=False)
    with pytest.raises(DatasetError, match="toyn: checksum mismatch .*not the exported table"):
        D.load_dataset("toyn", data_home=tmp_path, keep_missing=True, natural=directory)
    assert D.availability(["toyn"], data_home=tmp_path, keep_missing=True, natural=tmp_path / "nowhere")["toyn"] == \
        f"toyn: a natural-missingness table: no toyn.csv in {tmp_path / 'nowhere'}"
    assert D.availability(["toyn"], data_home=tmp_path, keep_missing=True)["toyn"].endswith(
        "no directory of natural tables (--natural DIR or $IMPUTEBENCH_NATURAL)")


def test_datasets_list_and_info_show_the_natural_tables(tmp_path: Path, monkeypatch, capsys) -> None:
    import json

    from imputebench import cli

    directory, table = _toy(tmp_path, monkeypatch)
    home = str(tmp_path / "home")
    assert cli.main(["datasets", "list", "--json", "--offline", "--data-home", home, "--natural", str(directory)]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["toyn"]["kind"] == "natural" and rows["toyn"]["available"] and rows["toyn"]["keep_missing"]
    assert not rows["boys"]["available"] or (directory / "boys.csv").is_file()
    assert cli.main(["datasets", "list", "--offline", "--data-home", home]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("toyn "))
    assert line.endswith("unavailable: a natural-missingness table: no directory of natural tables "
                         "(--natural DIR or $IMPUTEBENCH_NATURAL)")
    assert cli.main(["datasets", "info", "toyn", "--json", "--data-home", home, "--natural", str(directory)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["kind"] == "natural" and info["missing_cells_kept"] == 3 and info["checksum"] == table.checksum
    assert info["id_columns"] == ["pid"] and info["rows"] == 30
