"""Where a site's numbers come from: the versions, profile, grid and runs that filled a store, and the
command that renders it. Pure functions over result rows and the store's run records."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .. import __version__
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


def human_time(value: Any) -> str:
    """A moment as a reader reads it: ``2026-11-21 09:00 UTC`` (the store's times are UTC; no
    microseconds, no ISO ``T``); ``""`` for none, the text itself when it is not a time."""
    if value is None or str(value) in ("", "NaT", "nan"):
        return ""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return str(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def human_list(values: Sequence[Any]) -> str:
    """A list as text, not a Python repr: ``1``, ``0, 1``; three or more consecutive integers as a
    range, ``0–4``."""
    values = list(values)
    if values and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        numbers, parts, start = sorted(int(v) for v in values), [], 0
        for i in range(1, len(numbers) + 1):
            if i == len(numbers) or numbers[i] != numbers[i - 1] + 1:
                run = numbers[start:i]
                parts += [f"{run[0]}–{run[-1]}"] if len(run) >= 3 else [str(n) for n in run]
                start = i
        return ", ".join(parts)
    return ", ".join(human_value(v) for v in values)


def human_value(value: Any) -> str:
    """Any provenance value as text: lists through :func:`human_list`, mappings as ``key value``
    pairs, the rest as it prints."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {' / '.join(map(human_value, v)) if isinstance(v, list) else human_value(v)}"
                         for k, v in value.items())  # several versions of one package: "numpy 2.3 / 2.4"
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return human_list(sorted(value) if isinstance(value, set) else list(value))
    return "" if value is None else str(value)


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
            "started": human_time(part["finished_at"].min()), "finished": human_time(part["finished_at"].max()),
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
            "started": human_time(r.get("started_at")), "finished": human_time(r.get("finished_at")),
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
    items = [("imputebench", human_value(imputebench))]
    for key, label in labels.items():
        if key in provenance:
            value = provenance[key]
            items.append((label, human_time(value) if key == "date" else human_value(value)))
    items.append(("versions", human_value(versions)))
    items.append(("site built", f"{built} by imputebench {__version__}"))  # the one version, as --version says
    return items
