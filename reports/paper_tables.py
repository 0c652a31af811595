"""The seed papers' table layouts, filled from the store: Meta-GAIN Tables 1-4 and DiffPuter's MAE/RMSE.
Pure: frames of cells (:func:`imputebench.reports.frames.cell_values`) in, :class:`PaperTable` s out;
the paper page (:mod:`imputebench.reports.pages.paper`) formats them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..protocol.metrics import METRIC_REGISTRY
from .facts import complete_downstream
from .frames import CELL_COLUMNS, cells_at


@dataclass
class PaperTable:
    """One paper table: ``cells`` laid out as ``row_key`` x ``col_key`` (``rows`` x ``columns``), its
    download ``frame`` saved as ``name``; or only a ``note`` when the store holds none of its jobs.
    ``complete``: a last column per row (Meta-GAIN Table 4's complete-data score)."""

    name: str
    title: str
    note: str = ""
    cells: pd.DataFrame | None = None
    row_key: str = "dataset"
    col_key: str = "imputer"
    rows: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    frame: pd.DataFrame | None = None
    complete: pd.Series | None = None


def metagain_tables(cells: pd.DataFrame) -> list[PaperTable]:
    """Meta-GAIN Tables 1-3: ARMSE at 20%, in-sample, under MCAR, MAR and MNAR; datasets x imputers."""
    tables = []
    for number, mechanism in ((1, "mcar"), (2, "mar"), (3, "mnar")):
        part = cells_at(cells, "in-sample", mechanism, 0.2, "armse")
        table = PaperTable(f"paper-metagain-table{number}",
                           f"Meta-GAIN Table {number}: ARMSE, {mechanism.upper()}, 20% missing, in-sample")
        if part.empty:
            table.note = f"The store holds no in-sample {mechanism} jobs at 20%."
        else:
            table.cells, table.frame = part, part[CELL_COLUMNS]
            table.rows, table.columns = sorted(part["dataset"].unique()), sorted(part["imputer"].unique())
        tables.append(table)
    return tables


def metagain_table4(cells: pd.DataFrame, agg: pd.DataFrame) -> PaperTable:
    """Meta-GAIN Table 4: downstream accuracy at MCAR 20%, with the complete data's score per dataset."""
    part = cells_at(cells, "downstream", "mcar", 0.2, "downstream")
    table = PaperTable("paper-metagain-table4", "Meta-GAIN Table 4: downstream accuracy (XGBoost), MCAR, 20% "
                       "missing, with the complete data")
    if part.empty:
        table.note = "The store holds no downstream MCAR jobs at 20%."
        return table
    complete = complete_downstream(agg)
    table.cells, table.complete = part, complete
    table.rows, table.columns = sorted(part["dataset"].unique()), sorted(part["imputer"].unique())
    table.frame = part[CELL_COLUMNS].merge(complete.rename("complete").reset_index(), on="dataset", how="left")
    return table


def diffputer_tables(cells: pd.DataFrame) -> list[PaperTable]:
    """DiffPuter's layout: MAE and RMSE side by side per dataset, MCAR, 30% missing; imputers x
    (dataset, metric), in-sample and out-of-sample."""
    tables = []
    for setting, label in (("in-sample", "in-sample"), ("downstream", "out-of-sample (test part)")):
        table = PaperTable(f"paper-diffputer-{setting}", f"DiffPuter layout: MAE / RMSE, MCAR, 30% missing, {label}",
                           row_key="imputer", col_key="column")
        mae, rmse = cells_at(cells, setting, "mcar", 0.3, "mae"), cells_at(cells, setting, "mcar", 0.3, "rmse")
        if mae.empty and rmse.empty:
            table.note = f"The store holds no {setting} MCAR jobs at 30%."
            tables.append(table)
            continue
        both = pd.concat([mae, rmse], ignore_index=True)
        both["column"] = both["dataset"] + " · " + both["metric"].map(lambda m: METRIC_REGISTRY[m].label)
        table.columns = [f"{d} · {METRIC_REGISTRY[m].label}" for d in sorted(both["dataset"].unique())
                         for m in ("mae", "rmse")]
        table.cells, table.rows, table.frame = both, sorted(both["imputer"].unique()), both[[*CELL_COLUMNS, "column"]]
        tables.append(table)
    return tables


def paper_tables(cells: pd.DataFrame, agg: pd.DataFrame) -> list[PaperTable]:
    """Every paper table, in the page's order."""
    return [*metagain_tables(cells), metagain_table4(cells, agg), *diffputer_tables(cells)]
