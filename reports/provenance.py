"""Where a site's numbers come from: the versions, profile, grid and runs that filled a store, and the
command that renders it. Pure functions over result rows and the store's run records."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

import pandas as pd

from ..harness.store import STATUSES


def _json_versions(texts: Sequence[Any]) -> dict[str, list[str]]:
    versions: dict[str, list[str]] = {}
    for text in texts:
        try:
            for k, v in json.loads(text).items():
                seen = versions.setdefault(k, [])
                if v not in seen:
                    seen.append(v)
        except (ValueError, AttributeError, TypeError):
            continue
    return versions


def _joined(values: Any) -> str:
    return ", ".join(sorted({str(v) for v in values if v is not None and v == v}))


def runs_from_rows(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """The runs that filled a store, read from its rows when the store keeps no run records: by
    ``run_id`` where the rows have one, else by (imputebench version, protocol version, profile)."""
    if rows.empty:
        return []
    frame = rows.assign(imputebench=[(_json_versions([t]).get("imputebench") or [""])[0] for t in rows["versions"]])
    keys = ["run_id"] if "run_id" in frame and frame["run_id"].notna().any() else ["imputebench", "protocol_version",
                                                                                  "profile"]
    runs = []
    for key, part in frame.groupby(keys, dropna=False, sort=False):
        statuses = part["status"].value_counts()
        runs.append({
            "run_id": str(key[0]) if keys == ["run_id"] else "", "command": "",
            "started": str(part["finished_at"].min())[:19], "finished": str(part["finished_at"].max())[:19],
            "imputebench": _joined(part["imputebench"]), "protocol_version": _joined(part["protocol_version"]),
            "profile": _joined(part["profile"]), "jobs": len(part),
            "statuses": ", ".join(f"{int(statuses[s])} {s}" for s in STATUSES if statuses.get(s, 0)),
        })
    return sorted(runs, key=lambda r: r["started"])


def runs_from_records(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The store's own run records (``ResultStore.runs()``) in the shape :func:`runs_from_rows` gives."""
    runs = []
    for r in records:
        counts = r.get("status_counts") or r.get("statuses") or {}
        runs.append({
            "run_id": str(r.get("run_id", "")), "command": str(r.get("command", "")),
            "started": str(r.get("started_at") or "")[:19], "finished": str(r.get("finished_at") or "")[:19],
            "imputebench": str(r.get("imputebench_version", r.get("imputebench", ""))),
            "protocol_version": str(r.get("protocol_version", "")), "profile": str(r.get("profile", "")),
            "jobs": int(sum(counts.values())) if isinstance(counts, Mapping) else "",
            "statuses": ", ".join(f"{n} {s}" for s, n in counts.items() if n) if isinstance(counts, Mapping) else "",
            "grid": r.get("grid") or {},
        })
    return sorted(runs, key=lambda r: r["started"])


def _axis_count(rows: pd.DataFrame, columns: Sequence[str]) -> int:
    """Distinct value combinations of ``columns`` (a missing value is a value: a natural job has no mechanism)."""
    return len(rows[list(columns)].drop_duplicates())


def grid_line(rows: pd.DataFrame, axes: Sequence[tuple[str, Sequence[str]]]) -> str:
    """``2 tasks × 2 n_target × ... = 24 jobs``: each axis named and counted; an axis of several columns
    adds their own counts (``6 imputer-strategy pairs (2 imputer, 4 strategy)``). A store holding part
    of a grid (an interrupted run, runs of different grids) says how much."""
    parts, product = [], 1
    for label, columns in axes:
        present = [c for c in columns if c in rows]
        if not present:
            continue
        n = _axis_count(rows, present)
        product *= n
        each = f" ({', '.join(f'{_axis_count(rows, [c])} {c}' for c in present)})" if len(present) > 1 else ""
        parts.append(f"{n} {label}{each}")
    total = f"{len(rows)} jobs" if product == len(rows) else f"{product} combinations, {len(rows)} jobs in the store"
    return " × ".join(parts) + f" = {total}"


def grid_of(rows: pd.DataFrame) -> str:
    """The grid a store holds, in words: per track, its axes counted and the jobs (the track's name
    first when the store holds several tracks)."""
    from ..tracks import Track, get_track, rows_of, track_names
    from ..errors import UsageError

    present = [name for name in track_names() if len(rows_of(rows, name))]
    if "track" in rows:  # a track whose declaration is not installed here keeps the core axes
        present += sorted(set(rows["track"].dropna()) - set(present))
    lines = []
    for name in present:
        try:
            axes = get_track(name).axes
        except UsageError:
            axes = Track.axes
        line = grid_line(rows_of(rows, name), axes)
        lines.append(f"{name}: {line}" if len(present) > 1 else line)
    return "; ".join(lines) if lines else grid_line(rows, Track.axes)


def provenance_from_rows(rows: pd.DataFrame, command: str,
                         runs: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Provenance of a store from its rows (and its run records when it keeps them): versions,
    profile, grid, the runs that filled it, and ``command``, the command rendering the site. The
    command of a run is never replaced by a later ``imputebench report``: it comes from the run
    records, or is ``command`` itself when that is the run."""
    versions = _json_versions(rows["versions"].dropna().unique())
    run_list = runs_from_records(runs) if runs else runs_from_rows(rows)
    run_commands = [r["command"] for r in run_list if r.get("command")]
    if not run_commands and command.split()[1:2] == ["run"]:
        run_commands = [command]
    return {
        "protocol_version": sorted({int(v) for v in rows["protocol_version"].dropna()}),
        "versions": {k: v[0] if len(v) == 1 else v for k, v in sorted(versions.items())},
        "profile": _joined(rows["profile"]),
        "grid": grid_of(rows),
        "seeds": sorted({int(s) for s in rows["seed"].dropna()}),
        "date": str(rows["finished_at"].max()) if len(rows) else "",
        "command": "; ".join(run_commands) or "not recorded in this store",
        "rendered_by": command,
        "runs": run_list,
    }


def provenance_items(provenance: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The footer's (label, text) pairs: versions, profile, grid, seeds, dates, commands, build time."""
    built = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    versions = provenance.get("versions") or {}
    imputebench = versions.get("imputebench", "") if isinstance(versions, Mapping) else ""
    labels = {"protocol_version": "protocol version", "profile": "profile", "grid": "grid", "seeds": "seeds",
              "date": "last job finished", "command": "produced by", "rendered_by": "rendered by"}
    items = [("imputebench", imputebench if isinstance(imputebench, str) else json.dumps(imputebench))]
    for key, label in labels.items():
        if key not in provenance:
            continue
        value = provenance[key]
        items.append((label, value if isinstance(value, str) else json.dumps(value)))
    items.append(("versions", ", ".join(f"{k} {v}" for k, v in versions.items()) if isinstance(versions, Mapping)
                  else str(versions)))
    items.append(("site built", built))
    return items
