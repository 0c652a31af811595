"""HTML pieces every page uses: file-name slugs, number formats and the cells of the datasets x imputers
tables. Formatting only: the numbers come from :mod:`imputebench.reports.frames`."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any, Sequence

import markupsafe
import numpy as np
import pandas as pd

DISPLAY_COLUMNS = ["text", "cls", "title", "sort"]  # what a cell shows; the downloads keep the numbers only
NOT_DEFINED = "metric not defined for this dataset (PROTOCOL §5)"


def slug(name: str) -> str:
    """A file-name-safe, unique slug: the name itself when it is safe, else a cleaned name + digest."""
    if re.fullmatch(r"[A-Za-z0-9_.-]{1,60}", name) and not name.startswith("."):
        return name
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:40] or "x"
    return f"{clean}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


def direction_arrow(higher_is_better: bool) -> str:
    """The arrow a column header carries: ↑ when higher is better, ↓ when lower is."""
    return "↑" if higher_is_better else "↓"


def fmt(value: float, digits: int = 3) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.{digits}f}"


def percent(value: float) -> str:
    return "" if np.isnan(value) else f"{100 * value:.0f}%"


def cell_display(cells: pd.DataFrame) -> pd.DataFrame:
    """What each cell of :func:`imputebench.reports.frames.cell_values` shows: text, css class, tooltip
    and sort key (columns :data:`DISPLAY_COLUMNS`, same index), vectorised. A cell where no seed
    succeeded shows its worst status; a partial one a ⚠; a metric the dataset does not define, n/a."""
    mean, std = cells["mean"].to_numpy(dtype=float), cells["std"].to_numpy(dtype=float)
    n_bad, n_ok, n_jobs = (cells[c].to_numpy() for c in ("n_bad", "n_ok", "n_jobs"))
    worst = cells["worst_status"].to_numpy(dtype=object)
    text = np.array([("" if np.isnan(m) else (f"{m:.3f} ± {s:.3f}" if not np.isnan(s) else f"{m:.3f}"))
                     for m, s in zip(mean, std)], dtype=object)
    all_bad = (n_ok == 0) & (n_bad > 0)
    text = np.where(all_bad, worst, text)
    text = np.where((n_ok > 0) & (n_bad > 0), text + " ⚠", text)
    text = np.where((text == "") & ~all_bad, "n/a", text)
    cls = np.where(all_bad, "st-" + worst, np.where(n_bad > 0, "st-partial", ""))
    cls = np.where(cells["best"].to_numpy(dtype=bool), np.char.add(cls.astype(str), " best"), cls)
    title = np.where(n_bad > 0,
                     [f"{b} of {j} jobs did not succeed ({w}): {e}" for b, j, w, e in
                      zip(n_bad, n_jobs, worst, cells["error"].to_numpy(dtype=object))],
                     [f"{o} of {j} seeds" for o, j in zip(n_ok, n_jobs)])
    title = np.where(text == "n/a", NOT_DEFINED, title)
    return pd.DataFrame({"text": text, "cls": cls, "title": title,
                         "sort": np.where(np.isnan(mean), "", mean.astype(str))}, index=cells.index)


@lru_cache(maxsize=65536)
def _escape(value: str) -> str:
    return str(markupsafe.escape(value))  # cached: cell classes, titles and numbers repeat a lot


def cell_html(text: str, cls: str, title: str, sort: str) -> markupsafe.Markup:
    """One table cell, every field escaped. Built here rather than in the template because a large
    store has ~10^5 cells and a macro call per cell costs seconds (the benchmark's figure)."""
    return markupsafe.Markup(f'<td class="{_escape(cls)}" title="{_escape(title)}" data-sort="{_escape(sort)}">'
                             f'{_escape(text)}</td>')


MISSING_CELL = cell_html("—", "st-none", "no job in the store", "")


def grid_table(cells: pd.DataFrame, row_key: str, col_key: str, row_names: Sequence[str],
               col_names: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of a table from cells (:func:`imputebench.reports.frames.cell_values`, with ``col_key``):
    ``[{"name": row, "cells": [cell HTML per column]}]``; a cell with no job is an explicit dash, never blank."""
    shown = cell_display(cells)
    columns = [cells[row_key].tolist(), cells[col_key].tolist(), *(shown[k].tolist() for k in DISPLAY_COLUMNS)]
    lookup = {(r, c): cell_html(t, k, ti, so) for r, c, t, k, ti, so in zip(*columns)}
    return [{"name": r, "cells": [lookup.get((r, c), MISSING_CELL) for c in col_names]} for r in row_names]
