"""The edge between the store and the site: load rows, gather provenance, build the site."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from ..store import ResultStore


def provenance_of(rows, command: str) -> dict:
    """Protocol version, package versions, seeds, date and command of a set of rows."""
    versions = {}
    if len(rows):
        versions = json.loads(rows["versions"].dropna().iloc[-1]) if rows["versions"].notna().any() else {}
    return {
        "protocol_version": int(rows["protocol_version"].max()) if len(rows) else None,
        "versions": versions,
        "seeds": sorted(int(s) for s in rows["seed"].dropna().unique()) if len(rows) else [],
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
    }


def render_report(results_dir: Path, out_dir: Path | None = None, command: str = "imputebench report") -> Path | None:
    """Render the site for a results directory; the path of its index.html (None: no site module)."""
    try:
        from .site import build_site
    except ImportError:
        return None
    store = ResultStore(results_dir)
    rows = store.load()
    return build_site(rows, Path(out_dir) if out_dir else store.site_dir, provenance_of(rows, command))
