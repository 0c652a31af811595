"""Datasets you bring (``imputebench datasets add/remove``): a copy in the data home with where it came
from, identifier and dropped columns, the table's own missing values kept for the natural track,
errors that name every offending column, and entries written before copies were kept. No network."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import imputebench.datasets as D
from imputebench import cli
from imputebench.datasets import sources
from imputebench.datasets.canonical import canonicalize
from imputebench.errors import DatasetError, UsageError


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sources, "reachable", lambda url: False)
    monkeypatch.delenv("IMPUTEBENCH_MIRROR", raising=False)
    monkeypatch.delenv("IMPUTEBENCH_DATA_HOME", raising=False)
    monkeypatch.delenv("IMPUTEBENCH_NATURAL", raising=False)
    D.clear_memo()
    yield
    D.clear_memo()


def _table(n: int = 40, seed: int = 3) -> pd.DataFrame:
    """A table as users bring them: a sample identifier, two measurements, a category, a free-text
    note and a class target."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"Id": np.arange(1000, 1000 + n), "width": rng.normal(5, 1, n).round(3),
                         "height": rng.normal(10, 2, n).round(3), "colour": rng.choice(["red", "blue"], n),
                         "comment": [f"sample {i} looked fine" for i in range(n)],
                         "label": rng.choice(["a", "b"], n)})


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- a copy in the data home ------------------------------------------------------------------------

def test_a_moved_source_file_still_loads_from_the_copy(tmp_path: Path, capsys) -> None:
    file = _csv(_table(), tmp_path / "src" / "samples.csv")
    home = tmp_path / "home"
    entry = D.add_user_dataset(home, "samples", file, target="label", categorical=("colour",), ids=("Id",),
                               drop=("comment",))
    file.rename(tmp_path / "src" / "moved.csv")
    ds = D.load_dataset("samples", data_home=home)
    assert ds.checksum == entry.checksum and list(ds.X.columns) == ["width", "height", "colour"]
    assert D.availability(["samples"], data_home=home) == {"samples": None}
    code, out, _ = _cli(capsys, "datasets", "list", "--data-home", str(home), "--offline")
    line = next(x for x in out.splitlines() if x.startswith("samples "))
    assert code == 0 and line.endswith("stored") and "network" not in line


def test_the_registry_records_origin_sha256_and_date_and_one_content_is_stored_once(tmp_path: Path) -> None:
    file = _csv(_table(), tmp_path / "samples.csv")
    home = tmp_path / "home"
    a = D.add_user_dataset(home, "a", file, target="label", categorical=("colour",), ids=("Id",), drop=("comment",))
    b = D.add_user_dataset(home, "b", file, target="colour", categorical=("label",), ids=("Id",), drop=("comment",))
    sha = hashlib.sha256(file.read_bytes()).hexdigest()
    assert a.origin == str(file.resolve()) and a.sha256 == sha and a.copy == f"{sha}.csv"
    assert abs((datetime.now() - datetime.strptime(a.added, "%Y-%m-%dT%H:%M:%SZ")).days) <= 1
    assert b.copy == a.copy and sorted(p.name for p in (home / "user-tables").iterdir()) == [a.copy]
    stored = json.loads((home / "user_datasets.json").read_text())["a"]
    assert stored["origin"] == a.origin and stored["sha256"] == sha and stored["ids"] == ["Id"]


@pytest.mark.parametrize("suffix", ["tsv", "parquet"])
def test_tsv_and_parquet_tables_are_copied_as_they_are(tmp_path: Path, suffix: str) -> None:
    frame = _table().drop(columns=["comment"])
    file = tmp_path / f"t.{suffix}"
    frame.to_csv(file, index=False, sep="\t") if suffix == "tsv" else frame.to_parquet(file)
    entry = D.add_user_dataset(tmp_path / "home", "t", file, target="label", categorical=("colour",), ids=("Id",))
    assert entry.copy.endswith(f".{suffix}") and entry.shape == (40, 3)
    file.unlink()
    assert D.load_dataset("t", data_home=tmp_path / "home").checksum == entry.checksum


# --- identifier and dropped columns, and errors that name every column -----------------------------

def test_an_identifier_column_is_removed_and_one_left_in_gets_a_hint(tmp_path: Path) -> None:
    file = _csv(_table().drop(columns=["comment"]), tmp_path / "t.csv")
    notes: list[str] = []
    kept = D.add_user_dataset(tmp_path, "kept", file, target="label", categorical=("colour",), note=notes.append)
    assert "Id" in D.load_dataset("kept", data_home=tmp_path).X.columns  # a feature, as asked...
    assert len(notes) == 1 and notes[0].startswith("Id has a different whole number") and "--id Id" in notes[0]
    removed = D.add_user_dataset(tmp_path, "removed", file, target="label", categorical=("colour",), ids=("Id",))
    assert removed.shape == (40, 3) and kept.shape == (40, 4) and removed.checksum != kept.checksum
    assert "Id" not in D.load_dataset("removed", data_home=tmp_path).X.columns


def test_every_text_column_is_named_with_the_flag_that_fixes_it(tmp_path: Path) -> None:
    # HouseVotes84's shape: 16 y/n votes, none declared categorical.
    rng = np.random.default_rng(0)
    votes = pd.DataFrame({f"V{i}": rng.choice(["y", "n"], 30) for i in range(1, 17)})
    votes["Class"] = rng.choice(["democrat", "republican"], 30)
    file = _csv(votes, tmp_path / "votes.csv")
    with pytest.raises(DatasetError) as err:
        D.add_user_dataset(tmp_path, "votes", file, target="Class")
    message = str(err.value)
    assert message.startswith("votes: 16 columns not declared categorical hold text: V1 (")
    assert "--categorical " + ",".join(f"V{i}" for i in range(1, 17)) in message and "--drop" in message
    assert "\n" not in message
    # Every column a flag names that is not in the table, all at once.
    with pytest.raises(UsageError, match=r"not columns of the table: --categorical V99, V98; --id nope; its columns"):
        D.add_user_dataset(tmp_path, "votes", file, target="Class", categorical=("V1", "V99", "V98"), ids=("nope",))
    with pytest.raises(UsageError, match=r"given two: 'V1' \(--categorical and --drop\)"):
        D.add_user_dataset(tmp_path, "votes", file, target="Class", categorical=("V1",), drop=("V1",))


def test_a_text_identifier_is_named_as_one(tmp_path: Path) -> None:
    frame = _table().drop(columns=["comment"]).assign(Id=[f"S-{i:03d}" for i in range(40)])
    with pytest.raises(DatasetError, match=r"1 column not declared categorical holds text: Id \('S-000'\); declare "
                                           r"it with --categorical Id, or remove it with --drop or --id; Id looks "
                                           r"like an identifier: --id Id$"):
        D.add_user_dataset(tmp_path, "t", _csv(frame, tmp_path / "t.csv"), target="label", categorical=("colour",))


# --- a table's own missing values, kept for the natural-missingness track ----------------------------

def _holey(n: int = 60) -> pd.DataFrame:
    frame = _table(n).drop(columns=["comment"]).astype(object)
    frame.loc[[1, 5, 9], "width"] = ""  # missing as users write it
    frame.loc[[2, 5], "colour"] = "NA"
    frame.loc[[7], "label"] = "?"  # no target: dropped on every track
    return frame


def test_keep_missing_loads_the_holes_only_when_asked(tmp_path: Path) -> None:
    file = _csv(_holey(), tmp_path / "holey.csv")
    entry = D.add_user_dataset(tmp_path, "holey", file, target="label", categorical=("colour",), ids=("Id",),
                               keep_missing=True)
    assert entry.shape == (55, 3) and entry.dropped_rows == 5  # PROTOCOL §1: complete rows only
    assert entry.shape_kept == (59, 3) and entry.missing_cells == 5
    complete = D.load_dataset("holey", data_home=tmp_path)
    assert not complete.X.isna().any().any() and complete.checksum == entry.checksum
    kept = D.load_dataset("holey", data_home=tmp_path, keep_missing=True)
    assert kept.X.shape == (59, 3) and kept.checksum == entry.checksum_kept and kept.dropped_rows == 1
    assert kept.meta["keep_missing"] and kept.meta["missing_cells"] == 5
    assert int(kept.X["width"].isna().sum()) == 3 and int(kept.X["colour"].isna().sum()) == 2
    assert list(kept.X["colour"].cat.categories) == ["blue", "red"]  # a hole is not a category
    assert "holey" in D.natural_names(data_home=tmp_path)
    assert D.load_dataset("holey", data_home=tmp_path, keep_missing=True, max_rows=30).X.shape == (30, 3)


def test_a_table_added_without_keep_missing_has_no_holes_to_give(tmp_path: Path) -> None:
    file = _csv(_holey(), tmp_path / "holey.csv")
    D.add_user_dataset(tmp_path, "holey", file, target="label", categorical=("colour",), ids=("Id",))
    assert "holey" not in D.natural_names(data_home=tmp_path)
    with pytest.raises(DatasetError, match="holey: its missing values were not kept"):
        D.load_dataset("holey", data_home=tmp_path, keep_missing=True)


def test_a_mostly_incomplete_table_is_for_the_natural_track_only(tmp_path: Path) -> None:
    frame = _holey(30)
    frame.loc[3:, "height"] = ""  # 3 complete rows
    file = _csv(frame, tmp_path / "sparse.csv")
    with pytest.raises(DatasetError, match="complete row"):
        D.add_user_dataset(tmp_path, "sparse", file, target="label", categorical=("colour",), ids=("Id",))
    entry = D.add_user_dataset(tmp_path, "sparse", file, target="label", categorical=("colour",), ids=("Id",),
                               keep_missing=True)
    assert entry.shape_kept == (29, 3)
    assert D.load_dataset("sparse", data_home=tmp_path, keep_missing=True).X.shape == (29, 3)
    with pytest.raises(DatasetError, match=r"sparse: \d complete rows .*added with --keep-missing for the "
                                           r"natural-missingness track"):
        D.load_dataset("sparse", data_home=tmp_path)


# --- entries written before copies were kept ------------------------------------------------------

def _old_entry(home: Path, name: str, file: Path) -> dict:
    """A registry entry as imputebench wrote it before it kept copies: the file's path only."""
    raw = pd.read_csv(file, dtype=str, keep_default_na=False)
    ds = canonicalize(name, raw, target="label", target_kind="classification", categorical=["colour"])
    entry = {"name": name, "path": str(file), "target": "label", "target_kind": "classification",
             "categorical": ["colour"], "checksum": ds.checksum, "shape": list(ds.X.shape), "dropped_rows": 0,
             "lost_classes": []}
    home.mkdir(parents=True, exist_ok=True)
    (home / "user_datasets.json").write_text(json.dumps({name: entry}))
    return entry


def test_an_old_path_only_entry_loads_and_is_copied_on_first_load(tmp_path: Path) -> None:
    file = _csv(_table().drop(columns=["Id", "comment"]), tmp_path / "old.csv")
    home = tmp_path / "home"
    entry = _old_entry(home, "old", file)
    ds = D.load_dataset("old", data_home=home)
    assert ds.checksum == entry["checksum"]
    migrated = json.loads((home / "user_datasets.json").read_text())["old"]
    assert migrated["origin"] == str(file) and migrated["copy"] == hashlib.sha256(file.read_bytes()).hexdigest() + ".csv"
    file.unlink()
    D.clear_memo()
    assert D.load_dataset("old", data_home=home).checksum == entry["checksum"]  # from the copy now


def test_an_old_entry_whose_file_moved_says_why_everywhere(tmp_path: Path, capsys) -> None:
    from imputebench.harness.job import DataSource
    from imputebench.harness.runner import RunConfig
    from imputebench.tracks.main.grid import resolve_datasets

    home = tmp_path / "home"
    file = _csv(_table().drop(columns=["Id", "comment"]), tmp_path / "gone.csv")
    _old_entry(home, "gone", file)
    file.unlink()
    why = D.availability(["gone"], data_home=home)["gone"]
    assert why.startswith("gone: added by an older imputebench, which kept no copy, and its file")
    assert "imputebench datasets add gone FILE --target label --replace" in why
    code, out, _ = _cli(capsys, "datasets", "list", "--data-home", str(home), "--offline")
    line = next(x for x in out.splitlines() if x.startswith("gone "))
    assert "needs the network" not in line and "unavailable: added by an older imputebench" in line
    _, unavailable = resolve_datasets(RunConfig(datasets=["gone"], source=DataSource(data_home=str(home))))
    assert unavailable == {"gone": why}  # what `run` prints when it skips the dataset


# --- remove --------------------------------------------------------------------------------------

def test_remove_unregisters_and_deletes_the_copy_unless_shared(tmp_path: Path, capsys) -> None:
    file = _csv(_table(), tmp_path / "t.csv")
    home = str(tmp_path / "home")
    for name in ("one", "two"):
        code, out, _ = _cli(capsys, "datasets", "add", name, str(file), "--target", "label", "--categorical", "colour",
                            "--id", "Id", "--drop", "comment", "--data-home", home)
        assert code == 0 and "removed columns: Id, comment" in out
    copy = next((tmp_path / "home" / "user-tables").iterdir())
    code, out, _ = _cli(capsys, "datasets", "remove", "one", "--data-home", home)
    assert code == 0 and "one" not in D.dataset_names(data_home=home) and copy.is_file()  # "two" still uses it
    assert "kept: another dataset uses the same table" in out
    code, out, _ = _cli(capsys, "datasets", "remove", "two", "--data-home", home)
    assert code == 0 and not copy.exists() and "and its copy" in out
    code, _, err = _cli(capsys, "datasets", "remove", "iris", "--data-home", home)
    assert code == 2 and err.count("\n") == 1 and "only datasets you added can be removed" in err
    code, _, err = _cli(capsys, "datasets", "remove", "two", "--data-home", home)
    assert code == 2 and "no user dataset 'two'" in err


def test_cli_add_keep_missing_and_info(tmp_path: Path, capsys) -> None:
    file = _csv(_holey(), tmp_path / "holey.csv")
    home = str(tmp_path / "home")
    code, out, _ = _cli(capsys, "datasets", "add", "holey", str(file), "--target", "label", "--categorical", "colour",
                        "--id", "Id", "--keep-missing", "--data-home", home)
    assert code == 0 and "kept for the natural-missingness track: 59 x 3 with 5 missing cells" in out
    code, out, _ = _cli(capsys, "datasets", "info", "holey", "--json", "--data-home", home)
    info = json.loads(out)
    assert info["keep_missing"] and info["missing_cells_kept"] == 5 and info["id_columns"] == ["Id"]
    assert info["origin"] == str(file.resolve()) and info["copy"].endswith(".csv") and info["rows"] == 55
