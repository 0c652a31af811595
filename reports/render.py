"""The edge between the store and the site: load rows, gather provenance, build the site.

Used by ``imputebench run`` (at the end) and ``imputebench report``.
"""

from __future__ import annotations

from pathlib import Path

from ..store import ResultStore
from .site import DEFAULT_MAX_PLOTS, build_site, provenance_from_rows

# The provenance of a set of rows: protocol version(s), package versions, seeds, date, command.
provenance_of = provenance_from_rows


def site_is_current(results_dir: Path, out_dir: Path | None = None) -> bool:
    """True when the site exists and no job row was written after it (nothing to re-render)."""
    store = ResultStore(results_dir)
    index = (Path(out_dir) if out_dir else store.site_dir) / "index.html"
    files = store.files()
    return index.exists() and bool(files) and index.stat().st_mtime >= max(p.stat().st_mtime for p in files)


def render_report(results_dir: Path, out_dir: Path | None = None, command: str = "imputebench report",
                  max_plots: int = DEFAULT_MAX_PLOTS) -> Path | None:
    """Render the site for a results directory (with the samples the runner left in
    ``results/samples/``); the path of its index.html."""
    store = ResultStore(results_dir)
    rows = store.load()
    return build_site(rows, Path(out_dir) if out_dir else store.site_dir, provenance_of(rows, command),
                      samples=store.root, max_plots=max_plots)
