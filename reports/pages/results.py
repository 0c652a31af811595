"""The results pages, one per (setting, mechanism): datasets x imputers tables per missing rate and metric."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..entries import with_params
from ..frames import CELL_COLUMNS, primary_metric, rate_label
from . import Site
from .html import grid_table, slug
from .view import leaderboard_view


def page_path(setting: str, mechanism: str) -> str:
    return f"results-{slug(setting)}-{slug(mechanism)}.html"


def results_pages(cells: pd.DataFrame) -> list[dict[str, str]]:
    """The results pages of these cells: setting, mechanism and path of each (the overview links them)."""
    pairs = cells[["setting", "mechanism"]].drop_duplicates().sort_values(["setting", "mechanism"])
    return [{"setting": s, "mechanism": m, "path": page_path(s, m)} for s, m in pairs.itertuples(index=False)]


def add_results_pages(site: Site, rows: pd.DataFrame) -> None:
    view = leaderboard_view(site, rows)
    frames = view.frames
    for (setting, mechanism), cells in frames.cells.groupby(["setting", "mechanism"], sort=True):
        datasets, imputers = sorted(cells["dataset"].unique()), sorted(cells["imputer"].unique())
        tables: list[dict[str, Any]] = []
        for (rate, metric), part in cells.groupby(["rate", "metric"], sort=True):
            if part["mean"].isna().all() and part["n_bad"].eq(0).all():
                continue  # metric undefined for every dataset here
            tables.append({"rate": rate_label(rate), "metric": metric,
                           "rows": grid_table(part, "dataset", "imputer", datasets, imputers)})
        data = site.write_table(f"results-{slug(setting)}-{slug(mechanism)}",
                                with_params(cells[CELL_COLUMNS], view.params),
                                f"results, {setting}, {mechanism}")
        site.render("results.html.j2", page_path(setting, mechanism), setting=setting, mechanism=mechanism,
                    tables=tables, columns=imputers, data=data,
                    metrics=sorted({t["metric"] for t in tables}, key=frames.metrics.index),
                    rates=sorted({t["rate"] for t in tables}, key=float),
                    default_metric=primary_metric(setting, frames.metrics))
