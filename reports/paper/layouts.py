"""The seed papers' table layouts, filled from the store where it holds their grid: GAIN's Table 2
(RMSE at 20 % MCAR, in-sample, Letter and Spambase; algorithms as rows) and Meta-GAIN's Tables 1-4
(ARMSE at 20 % MCAR / MAR / MNAR in-sample, and downstream accuracy at 20 % MCAR with the
complete-data score; datasets as rows) and Table 5 (Meta-GAIN with its KL term, meta network and
task regulariser switched on or off, ARMSE at 20 % MCAR).

Each layout's condition and datasets are read from the published numbers the package carries
(``imputebench/data/gain.csv``, ``metagain.csv``), so they are declared once. The columns are the
imputers of the exported rows: the suite's numbers in the paper's layout, not the paper's numbers.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from importlib import resources
from typing import Sequence

import numpy as np
import pandas as pd

from ...protocol.metrics import METRIC_REGISTRY
from ..entries import BASE_IMPUTER
from .tables import (NO_JOB, Cell, PaperTable, annotate, caption_of, cells_of, grid, mean_sd, measured, rank_marks,
                     rate_label)

# The papers' metric names -> (the store's metric, its setting). Meta-GAIN's accuracy is the
# downstream score of the fixed model (PROTOCOL §3); the other tables are in-sample.
METRIC_SETTING = {"armse": ("armse", "in-sample"), "rmse": ("rmse", "in-sample"),
                  "accuracy": ("downstream", "downstream")}
ABLATION_TABLE = "Table 5"
COMPLETE = "Complete"  # Meta-GAIN Table 4's no-missing-value column
# Meta-GAIN's switches (its constructor parameters; absent from a row's params = on, the default).
SWITCHES = ("use_kl", "use_meta", "use_task")


@dataclass(frozen=True)
class Layout:
    name: str  # file stem
    title: str
    setting: str
    metric: str
    mechanism: str
    rate: float
    datasets: tuple[str, ...]
    imputers_as_rows: bool  # GAIN prints algorithms as rows, Meta-GAIN datasets as rows
    complete_column: bool


def _published(file: str) -> pd.DataFrame:
    text = resources.files("imputebench").joinpath(f"data/{file}").read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text))


def seed_layouts() -> list[Layout]:
    """Every layout the published numbers describe (Table 5, the ablation, is :func:`ablation_table`)."""
    out = []
    for file, paper, as_rows in (("gain.csv", "GAIN", True), ("metagain.csv", "Meta-GAIN", False)):
        published = _published(file)
        for table, rows in published.groupby("table", sort=True):
            if table == ABLATION_TABLE:
                continue
            first = rows.iloc[0]
            metric, setting = METRIC_SETTING[str(first["metric"])]
            number = str(table).replace("Table ", "")
            out.append(Layout(f"{paper.lower().replace('-', '')}-table{number}", f"{paper} {table}", setting, metric,
                              str(first["mechanism"]), float(first["rate"]), tuple(dict.fromkeys(rows["dataset"])),
                              as_rows, bool((rows["method"] == COMPLETE).any())))
    return out


def _at(agg: pd.DataFrame, setting: str, mechanism: str, rate: float) -> pd.DataFrame:
    return agg[(agg["setting"] == setting) & (agg["mechanism"] == mechanism)
               & np.isclose(agg["rate"].to_numpy(dtype=float), rate)]


def _absent_note(layout: Layout, present: list[str]) -> list[str]:
    absent = [d for d in layout.datasets if d not in present]
    return [f"Datasets of the paper's table not in these rows: {', '.join(absent)}."] if absent else []


def layout_table(agg: pd.DataFrame, layout: Layout, n_seeds: int) -> PaperTable | None:
    """One seed paper's layout from the aggregate rows; None when the store holds none of its cells."""
    part = _at(agg, layout.setting, layout.mechanism, layout.rate)
    part = part[part["dataset"].isin(layout.datasets)]
    if not measured(part, layout.metric):
        return None
    notes = annotate(part, layout.metric)
    datasets = [d for d in layout.datasets if d in set(part["dataset"])]
    imputers = sorted(part["imputer"].unique())
    where = f", {layout.mechanism.upper()} at {rate_label(layout.rate)} missing ({layout.title}'s layout)"
    caption = caption_of(layout.metric, layout.setting, where, n_seeds)
    if layout.imputers_as_rows:
        rows = grid(cells_of(notes, "imputer", "dataset"), imputers, datasets)
        caption = caption.replace("Best in each row", "Best in each column")
        return PaperTable(layout.name, caption, ["imputer"], datasets, rows, notes.drop(columns=["text", "all_bad"]),
                          notes=_absent_note(layout, datasets))
    rows = grid(cells_of(notes, "dataset", "imputer"), datasets, imputers)
    columns = list(imputers)
    data = notes.drop(columns=["text", "all_bad"])
    if layout.complete_column:
        complete = part.groupby("dataset")["complete_downstream_mean"].mean()
        for labels, cells in rows:
            cells.append(Cell(mean_sd(complete.get(labels[0], np.nan), np.nan) or NO_JOB))
        columns.append(COMPLETE)
        data = data.merge(complete.rename("complete").reset_index(), on="dataset", how="left")
        caption += " Complete: the same model on the data without missing values."
    return PaperTable(layout.name, caption, ["dataset"], columns, rows, data, notes=_absent_note(layout, datasets))


def variant_of(params: str) -> str:
    """Meta-GAIN's ablation variant from a row's params: e.g. 'KL on, meta off, task on'."""
    try:
        values = json.loads(params) if isinstance(params, str) and params else {}
    except ValueError:
        values = {}
    names = {"use_kl": "KL", "use_meta": "meta", "use_task": "task"}
    return ", ".join(f"{names[s]} {'on' if values.get(s, True) else 'off'}" for s in SWITCHES)


def ablation_table(rows: pd.DataFrame, n_seeds: int, metrics: Sequence[str]) -> PaperTable | None:
    """Meta-GAIN Table 5: ARMSE at 20 % MCAR, in-sample, one column per switch combination that the
    rows hold for ``metagain`` (read from each row's params), plus ``gain``, the paper's all-off row.
    None unless the rows hold at least two variants (or its metric is not among ``metrics``)."""
    layout = next(iter(_published("metagain.csv").query("table == @ABLATION_TABLE").itertuples()), None)
    if layout is None:
        return None
    metric, setting = METRIC_SETTING[str(layout.metric)]
    if metric not in metrics:
        return None
    sel = rows[(rows["setting"] == setting) & (rows["mechanism"] == layout.mechanism)
               & np.isclose(rows["rate"].to_numpy(dtype=float), float(layout.rate))]
    # By registered name: the variants are entries of their own (metagain[use_kl=false], ...), told apart here by params.
    base = sel[BASE_IMPUTER] if BASE_IMPUTER in sel else sel["imputer"]
    meta = sel[base == "metagain"]
    if meta.empty or meta["params"].map(variant_of).nunique() < 2:
        return None
    datasets = [d for d in dict.fromkeys(_published("metagain.csv").query("table == @ABLATION_TABLE")["dataset"])
                if d in set(meta["dataset"])]
    labelled = pd.concat([meta.assign(column="Meta-GAIN: " + meta["params"].map(variant_of)),
                          sel[base == "gain"].assign(column="gain (all off)")], ignore_index=True)
    labelled = labelled[labelled["dataset"].isin(datasets)]
    ok = labelled[labelled["status"] == "ok"]
    stats = ok.groupby(["dataset", "column"])[metric].agg(["mean", "std"])
    worst = labelled[labelled["status"] != "ok"].groupby(["dataset", "column"])["status"].first()
    columns = sorted(labelled["column"].unique())
    body = []
    for dataset in datasets:
        means = np.array([stats["mean"].get((dataset, c), np.nan) for c in columns])
        marks = rank_marks(means, higher_better=METRIC_REGISTRY[metric].higher_is_better)
        cells = []
        for column, mean, mark in zip(columns, means, marks):
            flag = worst.get((dataset, column), "")
            text = mean_sd(mean, stats["std"].get((dataset, column), np.nan)) or flag or NO_JOB
            cells.append(Cell(text, mark, flag, bool(flag) and not np.isfinite(mean)))
        body.append(([dataset], cells))
    caption = caption_of(metric, setting, f", {layout.mechanism.upper()} at {rate_label(layout.rate)} missing "
                         "(Meta-GAIN Table 5's ablation: KL term, meta network and task regulariser on or off)",
                         n_seeds)
    data = stats.reset_index()
    return PaperTable("metagain-table5", caption, ["dataset"], columns, body, data)
