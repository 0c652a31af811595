"""The dataset catalog offline: canonicalisation, checksums, the cache, mirrors, user datasets,
availability and the ``imputebench datasets`` commands. No network: the services are unreachable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine

import imputebench.datasets as D
from imputebench import cli
from imputebench.datasets import sources
from imputebench.datasets.builtin import load_wine as builtin_wine
from imputebench.datasets.canonical import as_categories, canonicalize
from imputebench.datasets.catalog import CATALOG, CatalogEntry
from imputebench.errors import DatasetError, UsageError

PROTOCOL_NAMES = {  # PROTOCOL §1 table
    "wireless", "yeast", "balance", "hill_valley", "wine", "connect4", "letter", "turkiye", "chess_krkp",
    "anuran", "heart_cleveland", "adult", "beijing", "default_credit", "gesture", "magic", "news",
    "shoppers", "dry_bean", "california", "spambase",
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sources, "reachable", lambda url: False)
    monkeypatch.delenv("IMPUTEBENCH_MIRROR", raising=False)
    monkeypatch.delenv("IMPUTEBENCH_DATA_HOME", raising=False)
    D.clear_memo()
    yield
    D.clear_memo()


def _uci_wine_csv(path: Path) -> Path:
    """wine.data as UCI ships it (class first, labels 1..3), with the mirror's header."""
    bunch = load_wine(as_frame=True)
    frame = bunch.frame.rename(columns={"od280/od315_of_diluted_wines": "od280_od315_of_diluted_wines"})
    frame.insert(0, "class", frame.pop("target") + 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


TOY_COLUMNS = ("id", "size", "colour", "label")


def _toy_raw() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 40
    raw = pd.DataFrame({"id": np.arange(n).astype(str), "size": rng.normal(size=n).round(4).astype(str),
                        "colour": rng.choice(["red", "blue"], n), "label": rng.choice(["a", "b"], n)})
    raw.loc[3, "size"] = "?"  # a pre-existing missing value: the row is dropped
    return raw


def _toy_entry() -> CatalogEntry:
    ds = canonicalize("toy", _toy_raw(), target="label", target_kind="classification", categorical=["colour"],
                      drop=["id"])
    return CatalogEntry("toy", ("test",), TOY_COLUMNS, "label", "classification", categorical=("colour",),
                        drop=("id",), uci_id=1, raw_shape=(40, 4), shape=ds.X.shape, checksum=ds.checksum,
                        dropped_rows=1)


@pytest.fixture()
def toy_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setitem(D.CATALOG, "toy", _toy_entry())
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    _toy_raw().to_csv(mirror / "toy.csv", index=False)
    return mirror


# --- canonicalisation ----------------------------------------------------------------------------

def test_categories_are_spelled_and_ordered_the_same_from_every_source() -> None:
    from_floats = as_categories(pd.Series([3.0, 10.0, 2.0, 3.0]))
    from_text = as_categories(pd.Series(["3", "10", "2.0", " 3 "]))
    assert list(from_floats.categories) == ["2", "3", "10"]  # numeric order, not "10" < "2"
    assert list(from_text.categories) == list(from_floats.categories)
    assert (from_text.codes == from_floats.codes).all()
    bools = as_categories(pd.Series(["TRUE", "false", "True"]))
    assert list(bools.categories) == ["False", "True"] and list(bools) == ["True", "False", "True"]
    assert list(as_categories(pd.Series([True, False])).categories) == ["False", "True"]


def test_canonicalize_drops_incomplete_rows_cleans_labels_and_types_columns() -> None:
    raw = pd.DataFrame({"age": ["39", "50", "?", "28"], "job": ["a", "b", "a", "NA"],
                        "income": ["<=50K", ">50K.", ">50K", ">50K"]})
    ds = canonicalize("t", raw, target="income", target_kind="classification", categorical=["job"])
    assert ds.dropped_rows == 2 and ds.X.shape == (2, 2)
    assert ds.X["age"].dtype == np.float64 and isinstance(ds.X["job"].dtype, pd.CategoricalDtype)
    assert list(ds.y.cat.categories) == ["<=50K", ">50K"]  # '>50K.' and '>50K' are one class
    assert ds.lost_classes == ()  # '>50K' lost two rows but survives in '>50K.'


def test_canonicalize_says_which_classes_vanished_with_the_dropped_rows() -> None:
    raw = pd.DataFrame({"a": ["1", "2", "?", "4", "5", ""], "label": ["x", "y", "z", "x", "10", "10."]})
    ds = canonicalize("t", raw, target="label", target_kind="classification")
    assert ds.dropped_rows == 2 and list(ds.y.cat.categories) == ["10", "x", "y"]
    assert ds.lost_classes == ("z",)
    reg = canonicalize("t", raw.assign(label=["1", "2", "3", "4", "5", "6"]), target="label",
                       target_kind="regression")
    assert reg.dropped_rows == 2 and reg.lost_classes == ()  # a regression target has no classes


# --- the catalog -----------------------------------------------------------------------------------

def test_catalog_holds_every_protocol_dataset_with_consistent_facts() -> None:
    assert set(CATALOG) == PROTOCOL_NAMES
    for e in CATALOG.values():
        assert e.raw_shape[1] == len(e.columns), e.name
        assert set(e.categorical) <= set(e.features), e.name
        assert set(e.drop) <= set(e.columns) and e.target in e.columns, e.name
        assert e.shape == (e.raw_shape[0] - e.dropped_rows, len(e.features)), e.name
        assert e.uci_id is not None or e.openml_id is not None, e.name
    unmeasured = {n for n, e in CATALOG.items() if e.checksum is None}
    assert unmeasured == {"connect4", "gesture", "news"}  # the three that are not mirrored
    assert set(CATALOG["chess_krkp"].categorical) == set(CATALOG["chess_krkp"].features)
    assert {"cp", "thal"} <= set(CATALOG["heart_cleveland"].categorical)


def test_dataset_names_cover_catalog_and_builtins() -> None:
    names = D.dataset_names()
    assert PROTOCOL_NAMES <= set(names)
    assert {"iris", "digits", "breast_cancer", "diabetes"} <= set(names)
    assert len(names) == len(set(names))


def test_sklearn_wine_is_the_catalog_wine() -> None:
    # PROTOCOL §1: every source of the same dataset yields the same table.
    assert builtin_wine().checksum == CATALOG["wine"].checksum


def test_wine_from_a_mirror_equals_the_builtin_and_is_cached(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    _uci_wine_csv(mirror / "wine.csv")
    ds = D.load_dataset("wine", mirror=mirror, data_home=tmp_path / "home")
    assert ds.source.startswith("mirror:")
    assert ds.checksum == builtin_wine().checksum
    cached = sources.Cache(tmp_path / "home")
    assert cached.has("wine")
    assert cached.read("wine").checksum == ds.checksum


def test_the_cache_keeps_what_was_dropped(toy_mirror: Path, tmp_path: Path) -> None:
    ds = D.load_dataset("toy", mirror=toy_mirror, data_home=tmp_path)
    lost = D.Dataset("toy", ds.X, ds.y, ds.target_kind, ds.checksum, "mirror", dropped_rows=5, lost_classes=("c",))
    sources.Cache(tmp_path).write(lost)
    back = sources.Cache(tmp_path).read("toy")
    assert (back.dropped_rows, back.lost_classes) == (5, ("c",))
    assert json.loads(sources.Cache(tmp_path).sidecar_path("toy").read_text())["lost_classes"] == ["c"]


def test_max_rows_subsamples_stratified() -> None:
    ds = D.load_dataset("wine", max_rows=60)
    assert ds.X.shape == (60, 13) and set(ds.y.cat.categories) == {"1", "2", "3"}


# --- mirror, cache and corruption ---------------------------------------------------------------------

def test_mirror_load_is_verified_and_written_atomically(toy_mirror: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    ds = D.load_dataset("toy", mirror=toy_mirror, data_home=home)
    assert ds.X.shape == (39, 2) and ds.dropped_rows == 1 and "id" not in ds.X.columns
    files = sorted(p.name for p in (home / "datasets").iterdir())
    assert files == ["toy.json", "toy.parquet"]  # no temporary file left behind
    meta = json.loads((home / "datasets" / "toy.json").read_text())
    assert meta["checksum"] == ds.checksum and ds.meta["cache_path"].endswith("toy.parquet")


@pytest.mark.parametrize("damage", ["truncate", "value"])
def test_a_corrupt_mirror_file_is_a_one_line_error_and_leaves_the_cache_clean(
        toy_mirror: Path, tmp_path: Path, damage: str) -> None:
    path = toy_mirror / "toy.csv"
    text = path.read_text()
    if damage == "truncate":
        path.write_text(text[: len(text) // 2] + "\n1,2,3,4,5,6\n")  # broken tail
    else:
        path.write_text(text.replace(text.splitlines()[5].split(",")[1], "7.5", 1))
    with pytest.raises(DatasetError) as err:
        D.load_dataset("toy", mirror=toy_mirror, data_home=tmp_path / "home")
    assert "\n" not in str(err.value) and str(err.value).startswith("toy: ")
    assert not (tmp_path / "home" / "datasets").exists() or not any((tmp_path / "home" / "datasets").iterdir())


def test_a_corrupt_cache_entry_is_an_error_never_a_silent_reload(toy_mirror: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    D.load_dataset("toy", mirror=toy_mirror, data_home=home)
    D.clear_memo()
    table = home / "datasets" / "toy.parquet"
    table.write_bytes(table.read_bytes()[:100])
    with pytest.raises(DatasetError, match="unreadable.*--refresh"):
        D.load_dataset("toy", mirror=toy_mirror, data_home=home)
    # --refresh replaces it from the mirror.
    assert D.load_dataset("toy", mirror=toy_mirror, data_home=home, refresh=True).checksum == CATALOG_TOY_CK()


def CATALOG_TOY_CK() -> str:  # noqa: N802 - reads the patched entry
    return D.CATALOG["toy"].checksum


def test_a_cache_entry_whose_content_changed_fails_its_checksum(toy_mirror: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    ds = D.load_dataset("toy", mirror=toy_mirror, data_home=home)
    changed = ds.X.copy()
    changed.loc[0, "size"] += 1.0
    changed["__target__"] = ds.y.array
    changed.to_parquet(home / "datasets" / "toy.parquet", index=False)
    D.clear_memo()
    with pytest.raises(DatasetError, match="fails its checksum"):
        D.load_dataset("toy", data_home=home)


def test_a_cache_entry_that_is_not_the_catalogs_table_is_stale(toy_mirror: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    home = tmp_path / "home"
    D.load_dataset("toy", mirror=toy_mirror, data_home=home)
    monkeypatch.setitem(D.CATALOG, "toy", replace(D.CATALOG["toy"], checksum="0123456789abcdef"))
    D.clear_memo()
    with pytest.raises(DatasetError, match="checksum mismatch.*stale.*--refresh"):
        D.load_dataset("toy", mirror=toy_mirror, data_home=home)


def test_an_interrupted_cache_write_leaves_no_entry(toy_mirror: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self, f, **kwargs):
        f.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.warns(UserWarning, match="not cached"):
        ds = D.load_dataset("toy", mirror=toy_mirror, data_home=tmp_path / "home")
    assert ds.checksum == D.CATALOG["toy"].checksum  # the run goes on with the verified table
    assert list((tmp_path / "home" / "datasets").iterdir()) == []


def test_a_parquet_without_its_sidecar_is_not_an_entry(toy_mirror: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    D.load_dataset("toy", mirror=toy_mirror, data_home=home)
    (home / "datasets" / "toy.json").unlink()
    assert not sources.Cache(home).has("toy")
    assert D.availability(["toy"], data_home=home)["toy"] is not None


# --- availability --------------------------------------------------------------------------------------

def test_availability_says_what_cannot_be_had_and_why(toy_mirror: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    out = D.availability(["toy", "connect4", "wine", "iris", "nope"], mirror=toy_mirror, data_home=home)
    assert out["toy"] is None and out["wine"] is None and out["iris"] is None
    assert out["connect4"].startswith("connect4: needs the network") and "connect4.csv" in out["connect4"]
    assert "unknown dataset" in out["nope"]
    assert not (home / "datasets").exists()  # nothing was fetched


def test_data_home_defaults_to_the_user_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert D.data_home() == tmp_path / "xdg" / "imputebench"
    monkeypatch.setenv("IMPUTEBENCH_DATA_HOME", str(tmp_path / "env"))
    assert D.data_home() == tmp_path / "env"
    assert D.data_home(tmp_path / "flag") == tmp_path / "flag"


# --- user datasets ---------------------------------------------------------------------------------------

def _user_table(tmp_path: Path) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    return pd.DataFrame({"a": rng.normal(size=30), "kind": rng.choice(["x", "y", "z"], 30),
                         "price": rng.normal(100, 10, 30)})


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_user_dataset_runs_like_any_other(tmp_path: Path, suffix: str) -> None:
    frame = _user_table(tmp_path)
    file = tmp_path / f"mine.{suffix}"
    frame.to_csv(file, index=False) if suffix == "csv" else frame.to_parquet(file)
    home = tmp_path / "home"
    entry = D.add_user_dataset(home, "mine", file, target="price", categorical=("kind",))
    assert entry.target_kind == "regression" and entry.shape == (30, 2)
    assert "mine" in D.dataset_names(data_home=home)
    ds = D.load_dataset("mine", data_home=home)
    assert ds.checksum == entry.checksum and isinstance(ds.X["kind"].dtype, pd.CategoricalDtype)
    assert D.availability(["mine"], data_home=home) == {"mine": None}


def test_a_user_file_edited_after_add_changes_nothing_but_an_edited_copy_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "mine.csv"
    frame = _user_table(tmp_path)
    frame.to_csv(file, index=False)
    entry = D.add_user_dataset(tmp_path, "mine", file, target="kind")
    frame.loc[0, "a"] = 123.0
    frame.to_csv(file, index=False)  # the source file: no longer what is read
    assert D.load_dataset("mine", data_home=tmp_path).checksum == entry.checksum
    D.clear_memo()
    copy = tmp_path / "user-tables" / entry.copy
    copy.write_text(file.read_text())  # the copy itself: an error, never another table under the name
    with pytest.raises(DatasetError, match=r"^mine: its copy .* was changed \(checksum"):
        D.load_dataset("mine", data_home=tmp_path)


def test_user_dataset_mistakes_are_usage_errors(tmp_path: Path) -> None:
    file = tmp_path / "mine.csv"
    _user_table(tmp_path).to_csv(file, index=False)
    with pytest.raises(UsageError, match="catalog, built-in"):
        D.add_user_dataset(tmp_path, "adult", file, target="price", reserved=set(CATALOG))
    with pytest.raises(UsageError, match="not columns of the table: --target nope; its columns: a, kind, price"):
        D.add_user_dataset(tmp_path, "mine", file, target="nope")
    with pytest.raises(DatasetError, match="--categorical"):
        D.add_user_dataset(tmp_path, "mine", file, target="price")  # 'kind' is text, undeclared


def test_add_refuses_tables_too_small_to_benchmark(tmp_path: Path) -> None:
    frame = _user_table(tmp_path).head(12).astype(object)
    frame.loc[[0, 1, 2], "a"] = "?"  # 12 rows, 3 with a missing value: 9 complete
    file = tmp_path / "small.csv"
    frame.to_csv(file, index=False)
    with pytest.raises(DatasetError, match=r"^small: small.csv has 9 complete row\(s\) \(3 dropped for missing "
                                           r"values\); a dataset needs at least 10$"):
        D.add_user_dataset(tmp_path, "small", file, target="price", categorical=("kind",))
    frame.loc[[0, 1, 2], "a"] = 0.5  # 12 complete rows are enough
    frame.to_csv(file, index=False)
    assert D.add_user_dataset(tmp_path, "small", file, target="price", categorical=("kind",)).shape == (12, 2)
    narrow = tmp_path / "narrow.csv"
    _user_table(tmp_path)[["a", "price"]].to_csv(narrow, index=False)
    with pytest.raises(DatasetError, match="has 1 feature column\\(s\\) besides the target 'price'; a dataset "
                                           "needs at least 2"):
        D.add_user_dataset(tmp_path, "narrow", narrow, target="price")
    assert "narrow" not in D.dataset_names(data_home=tmp_path)  # a refused table is not registered


# --- the command line ------------------------------------------------------------------------------------

def _cli(monkeypatch: pytest.MonkeyPatch, capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_fetch_list_and_info(toy_mirror: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    home = str(tmp_path / "home")
    code, out, _ = _cli(monkeypatch, capsys, "datasets", "fetch", "toy", "connect4", "--mirror", str(toy_mirror),
                        "--data-home", home)
    assert code == 1
    assert re.search(r"^toy: 39 x 2 from mirror:.*, 1 row with missing values dropped\)$", out, re.M)
    assert re.search(r"^connect4: needs the network", out, re.M)

    code, out, _ = _cli(monkeypatch, capsys, "datasets", "info", "toy", "--json", "--data-home", home)
    info = json.loads(out)
    assert code == 0 and info["rows"] == 39 and info["features"] == 2
    assert info["types"] == {"size": "numeric", "colour": "categorical"}
    assert info["target"] == "label" and info["checksum"] == D.CATALOG["toy"].checksum
    assert info["cache_path"].endswith("toy.parquet") and info["source"].startswith("mirror:")

    code, out, _ = _cli(monkeypatch, capsys, "datasets", "list", "--json", "--data-home", home)
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["toy"]["cached"] and not rows["connect4"]["available"] and rows["iris"]["available"]
    assert rows["toy"]["dropped_rows"] == 1 and rows["iris"]["dropped_rows"] == 0
    code, out, _ = _cli(monkeypatch, capsys, "datasets", "list", "--data-home", home)
    assert re.search(r"^heart_cleveland\s+catalog\s+297 x 13 \(6 dropped\)", out, re.M)


def test_cli_add_then_info(tmp_path: Path, monkeypatch, capsys) -> None:
    file = tmp_path / "mine.csv"
    _user_table(tmp_path).to_csv(file, index=False)
    home = str(tmp_path / "home")
    code, out, _ = _cli(monkeypatch, capsys, "datasets", "add", "mine", str(file), "--target", "price",
                        "--categorical", "kind", "--data-home", home)
    assert code == 0 and "mine: 30 x 2" in out and "0 rows with missing values dropped" in out
    code, out, _ = _cli(monkeypatch, capsys, "datasets", "info", "mine", "--json", "--data-home", home)
    assert json.loads(out)["features"] == 2


def test_cli_info_of_a_dataset_not_fetched_says_what_the_catalog_drops(tmp_path: Path, monkeypatch, capsys) -> None:
    code, out, _ = _cli(monkeypatch, capsys, "datasets", "info", "heart_cleveland", "--offline", "--data-home",
                        str(tmp_path))
    assert code == 0 and "dropped_rows: 6 rows with missing values dropped" in out  # PROTOCOL §1: six '?' rows


def test_cli_add_and_info_say_what_was_dropped(tmp_path: Path, monkeypatch, capsys) -> None:
    frame = _user_table(tmp_path).astype(object)
    frame.loc[frame["kind"] == "z", "a"] = "NA"  # every 'z' row misses a value: class 'z' vanishes
    n_z = int((frame["kind"] == "z").sum())
    file = tmp_path / "mine.csv"
    frame[["a", "price", "kind"]].assign(b=range(30)).to_csv(file, index=False)
    home = str(tmp_path / "home")
    code, out, _ = _cli(monkeypatch, capsys, "datasets", "add", "mine", str(file), "--target", "kind",
                        "--data-home", home)
    assert code == 0 and f"{n_z} rows with missing values dropped (class 'z' no longer present)" in out
    code, out, _ = _cli(monkeypatch, capsys, "datasets", "info", "mine", "--json", "--data-home", home)
    info = json.loads(out)
    assert info["rows"] == 30 - n_z and info["dropped_rows"] == n_z and info["lost_classes"] == ["z"]
    code, out, _ = _cli(monkeypatch, capsys, "datasets", "info", "mine", "--data-home", home)
    assert f"dropped_rows: {n_z} rows with missing values dropped (class 'z' no longer present)" in out


def test_cli_errors_are_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    code, out, err = _cli(monkeypatch, capsys, "datasets", "fetch", "--data-home", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "--all" in err
    code, out, err = _cli(monkeypatch, capsys, "datasets", "info", "nope", "--data-home", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "unknown dataset" in err
    one = tmp_path / "one.csv"
    pd.DataFrame({"x": np.arange(20.0), "y": np.arange(20.0)}).to_csv(one, index=False)
    code, out, err = _cli(monkeypatch, capsys, "datasets", "add", "one", str(one), "--target", "y",
                          "--data-home", str(tmp_path))
    assert code != 0 and err.count("\n") == 1 and "at least 2" in err


# --- sources are objects tried in order -----------------------------------------------------------

class _RawTableSource:
    """A test source that serves the toy table's raw rows (as a new online service would), or fails."""

    cacheable = True

    def __init__(self, name: str, fail: type[Exception] | None = None) -> None:
        self.name, self.fail, self.loads = name, fail, 0

    def offers(self, name: str, where) -> bool:
        return name == "toy"

    def load(self, name: str, where):
        self.loads += 1
        if self.fail is not None:
            raise self.fail(f"{name}: {self.name} is down")
        return sources.canonical_from_raw(D.CATALOG[name], _toy_raw(), source=self.name)


def test_a_new_source_is_one_object_in_the_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(D.CATALOG, "toy", _toy_entry())
    home = tmp_path / "home"
    assert D.availability(["toy"], data_home=home)["toy"].startswith("toy: needs the network")
    down, up = _RawTableSource("down", fail=sources.SourceFailed), _RawTableSource("up")
    network = [s for s in sources.SOURCES if isinstance(s, sources.ServiceSource)]
    assert [s.name for s in network] == ["uci", "openml"]
    at = sources.SOURCES.index(network[0])
    monkeypatch.setattr(sources, "SOURCES", [*sources.SOURCES[:at], down, up, *sources.SOURCES[at:]])
    assert D.availability(["toy"], data_home=home)["toy"] is None
    ds = D.load_dataset("toy", data_home=home)
    assert (down.loads, up.loads) == (1, 1) and ds.source == "up"  # a source that failed handed over
    assert ds.checksum == _toy_entry().checksum and sources.Cache(home).has("toy")  # cached, as it is cacheable
    D.clear_memo()
    assert D.load_dataset("toy", data_home=home).meta["cached"] and up.loads == 1  # the cache comes first now


def test_a_source_error_that_is_not_a_hand_over_stops_the_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from imputebench.errors import DatasetError

    monkeypatch.setitem(D.CATALOG, "toy", _toy_entry())
    wrong, up = _RawTableSource("wrong", fail=DatasetError), _RawTableSource("up")
    monkeypatch.setattr(sources, "SOURCES", [wrong, up])
    with pytest.raises(DatasetError, match="toy: wrong is down"):
        D.load_dataset("toy", data_home=tmp_path)
    assert up.loads == 0  # PROTOCOL §1: never silently another source's table
