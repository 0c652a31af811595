"""The online services that serve tables by id (PROTOCOL §1): UCI through ``ucimlrepo`` and OpenML
through ``openml``. Each download is retried with exponential backoff on OS-level faults, all within
one deadline; neither client has a timeout of its own. Used by the catalog's network sources and by
``imputebench datasets add NAME openml:ID`` (a table you bring by id)."""

from __future__ import annotations

import socket
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

import pandas as pd
import tenacity

from ..errors import DatasetError, UsageError, one_line

# Network policy, read at call time so a test can shorten it.
NETWORK_ATTEMPTS = 3
NETWORK_BACKOFF_S = 1.0
NETWORK_TIMEOUT_S = 300.0
PROBE_TIMEOUT_S = 2.0


def uci_api_url() -> str:
    """ucimlrepo's endpoint, read where ucimlrepo reads it (its module constant ``API_BASE_URL``)."""
    import ucimlrepo.fetch

    return ucimlrepo.fetch.API_BASE_URL


def openml_server_url() -> str:
    import openml

    return openml.config.server


_probe_results: dict[tuple[str, int], bool] = {}


def reachable(url: str) -> bool:
    """A quick TCP connect to ``url``'s host (memoised in-process): is that service reachable?"""
    parsed = urlparse(url)
    key = (parsed.hostname or "", parsed.port or (443 if parsed.scheme == "https" else 80))
    if key not in _probe_results:
        try:
            with socket.create_connection(key, timeout=PROBE_TIMEOUT_S):
                _probe_results[key] = True
        except OSError:
            _probe_results[key] = False
    return _probe_results[key]


def download_uci(uci_id: int, work_dir: Path) -> pd.DataFrame:
    """UCI dataset ``uci_id``'s original table (every column)."""
    import ucimlrepo

    repo = ucimlrepo.fetch_ucirepo(id=uci_id)
    return repo.data.original


def download_openml(openml_id: int, work_dir: Path) -> pd.DataFrame:
    """OpenML dataset ``openml_id``'s table, IDs and ignored attributes included (the caller says
    what is dropped, the same for every source)."""
    import openml

    # openml keeps its own download cache; give it a scratch directory so a broken download never
    # lingers there, and let our retry policy be the only one.
    openml.config.set_root_cache_directory(str(work_dir))
    openml.config.set_retry_policy("robot", n_retries=1)
    ds = openml.datasets.get_dataset(openml_id, download_data=True, download_qualities=False,
                                     download_features_meta_data=False)
    frame, _, _, _ = ds.get_data(include_row_id=True, include_ignore_attribute=True)
    return frame


DOWNLOADS: dict[str, tuple[Callable[[], str], Callable[[int, Path], pd.DataFrame]]] = {
    "uci": (uci_api_url, download_uci),
    "openml": (openml_server_url, download_openml),
}


def parse_service_id(text: str) -> tuple[str, int] | None:
    """``openml:ID`` / ``uci:ID`` -> (service, id); None when ``text`` is not of that form (a path)."""
    service, sep, ident = str(text).partition(":")
    if not sep or service.lower() not in DOWNLOADS:
        return None
    if not ident.isdigit():
        raise UsageError(f"{text!r}: a table by id is {service.lower()}:ID with a whole number, e.g. {service.lower()}:61")
    return service.lower(), int(ident)


def _retrying(fetch: Callable) -> Callable:
    # Transient faults are OS-level: ucimlrepo reports any HTTP or URL failure as ConnectionError,
    # openml's requests errors are OSErrors too; anything else (not found, bad data) fails at once.
    return tenacity.retry(
        stop=tenacity.stop_after_attempt(NETWORK_ATTEMPTS),
        wait=tenacity.wait_exponential(multiplier=NETWORK_BACKOFF_S, max=30 * NETWORK_BACKOFF_S),
        retry=tenacity.retry_if_exception_type(OSError),
        reraise=True,
    )(fetch)


def with_deadline(call: Callable[[], Any], seconds: float, what: str) -> Any:
    """Run ``call`` in a daemon thread and give up after ``seconds``. An abandoned call writes
    nothing we keep (what it fetched is written by the caller)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True, name="imputebench-download")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise DatasetError(f"{what} timed out after {seconds:g} s; try again or use a mirror (--mirror)")
    if "error" in box:
        raise box["error"]
    return box["value"]


def download(service: str, ident: int, work_dir: Path, what: str) -> pd.DataFrame:
    """``service``'s table ``ident``, retried with backoff within :data:`NETWORK_TIMEOUT_S`; a
    timeout is a :class:`DatasetError`, a client's own error is raised as it came."""
    fetch = _retrying(DOWNLOADS[service][1])
    return with_deadline(lambda: fetch(ident, work_dir), NETWORK_TIMEOUT_S, what)


class DownloadFailed(DatasetError):
    """A service did not deliver a table (unreachable, too slow, not found, a server error)."""


def download_table(service: str, ident: int, home: Path, *, what: str) -> pd.DataFrame:
    """``service``'s table ``ident`` (``"uci"`` or ``"openml"``), downloaded in a scratch folder of the
    data home; any failure is a one-line :class:`DownloadFailed` naming ``what`` and the service."""
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=home / "tmp", prefix=f"{what}-") as work:
        try:
            return download(service, ident, Path(work), f"{what}: {service} download")
        except DatasetError as exc:
            raise DownloadFailed(str(exc)) from None
        except Exception as exc:  # a client's own error type (not found, server error)
            raise DownloadFailed(f"{what}: {service} failed ({one_line(exc, first_line=True)})") from None
