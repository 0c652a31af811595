"""The online sources through the real clients (ucimlrepo, openml), against a local HTTP server on
127.0.0.1 that stands in for UCI and OpenML with responses generated here. No real network."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import imputebench.datasets as D
from imputebench.datasets import online, sources
from imputebench.datasets.canonical import canonicalize
from imputebench.datasets.catalog import CatalogEntry
from imputebench.errors import DatasetError

UCI_ID, OPENML_ID = 90001, 90002
COLUMNS = ("size", "colour", "weight", "label")


def _raw_table(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "size": rng.normal(10, 2, n).round(3),
        "colour": rng.choice(["red", "green", "blue"], n),
        "weight": rng.integers(1, 50, n),
        "label": rng.choice(["yes", "no"], n),
    })


def _entry(raw: pd.DataFrame, **overrides) -> CatalogEntry:
    """A catalog entry whose shape and checksum are those of ``raw``'s canonical table."""
    ds = canonicalize("toy", raw, target="label", target_kind="classification", categorical=["colour"])
    fields = dict(name="toy", papers=("test",), columns=COLUMNS, target="label", target_kind="classification",
                  categorical=("colour",), uci_id=UCI_ID, openml_id=OPENML_ID, raw_shape=raw.shape,
                  shape=ds.X.shape, checksum=ds.checksum)
    return CatalogEntry(**{**fields, **overrides})


def _arff(raw: pd.DataFrame) -> str:
    lines = ["@RELATION toy", "@ATTRIBUTE size REAL", "@ATTRIBUTE colour {blue,green,red}",
             "@ATTRIBUTE weight INTEGER", "@ATTRIBUTE label {no,yes}", "@DATA"]
    lines += [",".join(map(str, row)) for row in raw.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def _openml_description(base: str, arff_text: str) -> str:
    md5 = hashlib.md5(arff_text.encode()).hexdigest()
    return f"""<oml:data_set_description xmlns:oml="http://openml.org/openml">
<oml:id>{OPENML_ID}</oml:id><oml:name>toy</oml:name><oml:version>1</oml:version>
<oml:description>generated</oml:description><oml:format>ARFF</oml:format>
<oml:upload_date>2024-01-01T00:00:00</oml:upload_date><oml:licence>Public</oml:licence>
<oml:url>{base}/data/v1/download/{OPENML_ID}/toy.arff</oml:url>
<oml:md5_checksum>{md5}</oml:md5_checksum>
<oml:default_target_attribute>label</oml:default_target_attribute>
<oml:visibility>public</oml:visibility><oml:status>active</oml:status>
</oml:data_set_description>"""


class FakeServices:
    """UCI's JSON API + CSV files and OpenML's XML API + ARFF files, from one local server."""

    def __init__(self, raw: pd.DataFrame) -> None:
        self.raw = raw
        self.uci_raw = raw
        self.hits: list[str] = []
        self.fail_first: dict[str, int] = {}  # path prefix -> number of 503 answers before success
        self.delay_s: dict[str, float] = {}
        services = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                services.hits.append(self.path)
                for prefix, seconds in services.delay_s.items():
                    if self.path.startswith(prefix):
                        time.sleep(seconds)
                for prefix, left in services.fail_first.items():
                    if self.path.startswith(prefix) and left > 0:
                        services.fail_first[prefix] = left - 1
                        self._send(503, b"busy", "text/plain")
                        return
                status, body, kind = services.answer(self.path)
                self._send(status, body, kind)

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path: str) -> tuple[int, bytes, str]:
        if path.startswith("/api/dataset?id="):
            uci_id = int(path.split("=")[1])
            if uci_id != UCI_ID:
                return 200, json.dumps({"status": 404, "message": "not found"}).encode(), "application/json"
            variables = [{"name": c, "role": "Target" if c == "Label" else "Feature"}
                         for c in ("Label", "Size", "COLOUR", "weight_g")]
            meta = {"uci_id": UCI_ID, "name": "toy", "data_url": f"{self.base}/static/toy.csv",
                    "variables": variables, "additional_info": None, "intro_paper": None}
            return 200, json.dumps({"status": 200, "data": meta}).encode(), "application/json"
        if path == "/static/toy.csv":
            # UCI's CSV spells and orders columns its own way: target first, other case, a renamed one.
            uci = self.uci_raw[["label", "size", "colour", "weight"]]
            uci = uci.set_axis(["Label", "Size", "COLOUR", "weight_g"], axis=1)
            return 200, uci.to_csv(index=False).encode(), "text/csv"
        if path.startswith(f"/api/v1/xml/data/{OPENML_ID}"):
            return 200, _openml_description(self.base, _arff(self.raw)).encode(), "text/xml"
        if path.startswith(f"/data/v1/download/{OPENML_ID}/"):
            return 200, _arff(self.raw).encode(), "text/plain"
        return 404, b"not found", "text/plain"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def services(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    raw = _raw_table()
    fake = FakeServices(raw)
    import openml
    import ucimlrepo.fetch

    # ucimlrepo reads its endpoint from this module constant at call time; openml from its config.
    monkeypatch.setattr(ucimlrepo.fetch, "API_BASE_URL", f"{fake.base}/api/dataset")
    monkeypatch.setattr(openml.config, "server", f"{fake.base}/api/v1/xml")
    monkeypatch.setattr(online, "NETWORK_BACKOFF_S", 0.01)
    monkeypatch.setattr(online, "NETWORK_TIMEOUT_S", 20.0)
    monkeypatch.setitem(D.CATALOG, "toy", _entry(raw))
    D.clear_memo()
    yield fake
    D.clear_memo()
    fake.close()


def test_uci_fetch_through_ucimlrepo_is_verified_and_cached(services: FakeServices, tmp_path: Path) -> None:
    ds = D.load_dataset("toy", data_home=tmp_path)
    assert ds.source == "uci"
    assert ds.checksum == D.CATALOG["toy"].checksum
    assert ds.X.shape == (60, 3) and ds.X["colour"].dtype == "category"
    assert any(h.startswith("/api/dataset?id=") for h in services.hits)
    assert not any(h.startswith("/api/v1/xml") for h in services.hits)  # UCI answered first
    assert (tmp_path / "datasets" / "toy.parquet").is_file()
    # Next process-free load comes from the cache: no new request.
    D.clear_memo()
    n_hits = len(services.hits)
    again = D.load_dataset("toy", data_home=tmp_path)
    assert len(services.hits) == n_hits and again.checksum == ds.checksum


def test_openml_is_tried_when_uci_fails(services: FakeServices, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(D.CATALOG, "toy", _entry(services.raw, uci_id=12345))  # UCI says: not found
    ds = D.load_dataset("toy", data_home=tmp_path)
    assert ds.source == "openml"
    assert ds.checksum == D.CATALOG["toy"].checksum
    assert any(h.startswith(f"/data/v1/download/{OPENML_ID}") for h in services.hits)
    # openml's own download cache lived in a scratch directory that is gone again.
    assert not any((tmp_path / "tmp").iterdir())


def test_transient_failures_are_retried_with_backoff(services: FakeServices, tmp_path: Path) -> None:
    services.fail_first["/api/dataset"] = 2  # two 503s, then an answer (3 attempts allowed)
    ds = D.load_dataset("toy", data_home=tmp_path)
    assert ds.source == "uci"
    assert sum(h.startswith("/api/dataset") for h in services.hits) == 3


def test_a_checksum_mismatch_online_is_an_error_and_leaves_no_cache(services: FakeServices,
                                                                    tmp_path: Path) -> None:
    tampered = services.raw.copy()
    tampered.loc[0, "size"] = 99.0
    services.uci_raw = tampered
    with pytest.raises(DatasetError, match="checksum mismatch") as err:
        D.load_dataset("toy", data_home=tmp_path)
    assert "\n" not in str(err.value)
    # PROTOCOL §1: a mismatch is an error, not a reason to quietly take OpenML's copy instead.
    assert not any(h.startswith("/api/v1/xml") for h in services.hits)
    assert not (tmp_path / "datasets" / "toy.parquet").exists()
    assert not (tmp_path / "datasets" / "toy.json").exists()


def test_online_columns_that_cannot_be_paired_are_an_error() -> None:
    entry = _entry(_raw_table())
    with pytest.raises(DatasetError, match="do not match"):
        sources.align_columns(entry, pd.DataFrame(columns=["Size", "colour", "label"]))
    aligned = sources.align_columns(entry, pd.DataFrame(columns=["LABEL", "x", "Colour", "SIZE"]))
    assert list(aligned.columns) == list(COLUMNS)


def test_a_download_past_its_deadline_times_out_and_caches_nothing(services: FakeServices, tmp_path: Path,
                                                                   monkeypatch) -> None:
    monkeypatch.setattr(online, "NETWORK_TIMEOUT_S", 0.5)
    monkeypatch.setitem(D.CATALOG, "toy", _entry(services.raw, openml_id=None))
    services.delay_s["/static/toy.csv"] = 3.0
    start = time.monotonic()
    with pytest.raises(DatasetError, match="timed out"):
        D.load_dataset("toy", data_home=tmp_path)
    assert time.monotonic() - start < 2.5
    assert not (tmp_path / "datasets" / "toy.json").exists()


def test_availability_probes_the_services_without_downloading(services: FakeServices, tmp_path: Path) -> None:
    out = D.availability(["toy"], data_home=tmp_path)
    assert out == {"toy": None}
    assert services.hits == []  # a TCP connect, no request
    assert D.availability(["toy"], data_home=tmp_path, allow_network=False)["toy"].startswith("toy: needs the network")


# --- a table brought by id: ``datasets add NAME openml:ID`` / ``uci:ID`` -------------------------------

@pytest.mark.parametrize("service, ident", [("openml", OPENML_ID), ("uci", UCI_ID)])
def test_add_by_id_fetches_through_the_client_once_and_keeps_a_copy(services: FakeServices, tmp_path: Path,
                                                                      service: str, ident: int) -> None:
    home = tmp_path / "home"
    colour = "colour" if service == "openml" else "COLOUR"  # each service spells its columns its own way
    label = "label" if service == "openml" else "Label"
    entry = D.add_user_dataset(home, "fetched", f"{service}:{ident}", target=label, categorical=(colour,))
    assert entry.origin == f"{service}:{ident}" and entry.shape == (60, 3) and entry.target_kind == "classification"
    assert (home / "user-tables" / entry.copy).is_file() and not any((home / "tmp").iterdir())
    n_hits = len(services.hits)
    assert n_hits > 0
    D.clear_memo()
    assert D.load_dataset("fetched", data_home=home).checksum == entry.checksum
    again = D.add_user_dataset(home, "again", f"{service}:{ident}", target=label, categorical=(colour,),
                               allow_network=False)  # fetched before: the copy is the cache
    assert len(services.hits) == n_hits and again.copy == entry.copy and again.checksum == entry.checksum


def test_add_by_id_fails_in_one_line_offline_or_when_the_service_does_not_deliver(services: FakeServices,
                                                                                 tmp_path: Path) -> None:
    from imputebench.errors import UsageError

    with pytest.raises(DatasetError, match=r"^mine: openml:\d+ needs the network, and network use is off$"):
        D.add_user_dataset(tmp_path, "mine", f"openml:{OPENML_ID}", target="label", allow_network=False)
    with pytest.raises(DatasetError, match=r"^mine: uci failed \(") as err:
        D.add_user_dataset(tmp_path, "mine", "uci:12345", target="label")  # the fake UCI says: not found
    assert "\n" not in str(err.value) and "mine" not in D.dataset_names(data_home=tmp_path)
    with pytest.raises(UsageError, match="openml:ID with a whole number"):
        D.add_user_dataset(tmp_path, "mine", "openml:abc", target="label")
