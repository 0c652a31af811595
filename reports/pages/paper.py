"""The paper views: Meta-GAIN Tables 1-4 and DiffPuter's MAE/RMSE layout, filled from the store
(:mod:`imputebench.reports.paper_tables`), and where our implementations depart from the papers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..paper_tables import PaperTable, paper_tables
from . import Site
from .html import cell_html, fmt, grid_table
from .view import METRIC_HEADERS, leaderboard_view

COMPLETE_TITLE = "complete data, no missing value"


def section(site: Site, table: PaperTable) -> dict[str, Any]:
    """One table as the page shows it: a grid with its download, or the note saying why there is none."""
    if table.cells is None:
        return {"title": table.title, "note": table.note}
    rows = grid_table(table.cells, table.row_key, table.col_key, table.rows, table.columns)
    columns = list(table.columns)
    if table.complete is not None:  # Meta-GAIN Table 4: the complete data's score closes each row
        for row in rows:
            value = table.complete.get(row["name"], np.nan)
            row["cells"].append(cell_html(fmt(value), "complete", COMPLETE_TITLE, fmt(value, 6)))
        columns.append("Complete")
    data = site.write_table(table.name, table.frame, table.title)
    shown = " · ".join(METRIC_HEADERS[m] for m in dict.fromkeys(table.cells["metric"]))  # the metrics' directions
    return {"title": f"{table.title} ({shown})", "columns": columns, "row_label": table.row_key, "rows": rows, "data": data}


def add_paper_page(site: Site, rows: pd.DataFrame) -> None:
    view = leaderboard_view(site, rows)
    sections = [section(site, table) for table in paper_tables(view.frames.cells, view.frames.agg)]
    declared = {view.base_of.get(name, name): info for name, info in view.info.items()}  # once per imputer
    deviations = [(name, info.deviations) for name, info in declared.items() if info and info.deviations]
    site.render("paper.html.j2", "paper.html", sections=sections, deviations=deviations)
