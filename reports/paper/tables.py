"""The export's tables as pure frames and :class:`PaperTable` objects; the writers (``latex.py``,
``markdown.py``) only format them.

Cells are mean ± sd over the seeds that succeeded (``leaderboard.aggregate``, PROTOCOL §6). In each
comparison (one dataset, mechanism, rate and setting: the same masks) the best mean is marked
``best`` and the next distinct one ``second``; scores tied by PROTOCOL §6's rule (``leaderboard.tied``
via ``merge_ties``) share a mark. A cell whose jobs did not all succeed keeps a flag naming the worst
status, and a cell with no successful job shows that status instead of a number: never a blank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ...harness.store import STATUSES
from .. import leaderboard as lb
from .selection import metric_label

NOT_OK = [s for s in STATUSES if s != "ok"]
CELL_KEYS = ["setting", "dataset", "mechanism", "rate"]  # one comparison: the same masks (PROTOCOL §6)
NO_JOB = "—"  # no job in the store for this cell
UNDEFINED = "n/a"  # jobs ran, the metric is undefined here (PROTOCOL §5: e.g. RMSE on all-categorical data)
# The site's primary metric per setting: the figures' default when no metric is asked for.
PRIMARY_METRIC = {"in-sample": "armse", "downstream": "downstream"}


@dataclass(frozen=True)
class Cell:
    text: str
    mark: str = ""  # "best", "second" or ""
    flag: str = ""  # the worst status among the cell's jobs when not all succeeded, else ""
    all_bad: bool = False  # no job of the cell succeeded: ``text`` is the status


@dataclass
class PaperTable:
    """One table: label columns then value columns; ``groups`` puts a heading row before a row."""

    name: str  # file stem
    caption: str
    label_header: list[str]
    columns: list[str]
    rows: list[tuple[list[str], list[Cell]]]
    data: pd.DataFrame  # the numbers behind it, tidy, for the CSV
    groups: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    split_columns: bool = True  # a writer may split the value columns over several parts

    @property
    def flags(self) -> list[str]:
        """The statuses flagged in the table, in STATUSES order (for the legend)."""
        seen = {c.flag for _, cells in self.rows for c in cells if c.flag}
        return [s for s in NOT_OK if s in seen]

    @property
    def has(self) -> set[str]:
        """Which special texts occur (NO_JOB, UNDEFINED)."""
        return {c.text for _, cells in self.rows for c in cells if c.text in (NO_JOB, UNDEFINED)}


def rank_marks(values: np.ndarray, higher_better: bool) -> np.ndarray:
    """'best' / 'second' / '' for one comparison's scores: the best distinct score after merging ties
    (PROTOCOL §6), then the next one. NaN is never marked."""
    v = lb.merge_ties(np.asarray(values, dtype=float))
    oriented = -v if higher_better else v
    out = np.full(v.shape, "", dtype=object)
    distinct = np.unique(oriented[~np.isnan(oriented)])
    if distinct.size:
        out[oriented == distinct[0]] = "best"
    if distinct.size > 1:
        out[oriented == distinct[1]] = "second"
    return out


def number(value: float, digits: int = 3) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def mean_sd(mean: float, sd: float, digits: int = 3) -> str:
    """'0.123 ± 0.004'; the sd is left out when there was one seed."""
    if not np.isfinite(mean):
        return ""
    return f"{mean:.{digits}f} ± {sd:.{digits}f}" if np.isfinite(sd) else f"{mean:.{digits}f}"


def worst_status(agg: pd.DataFrame) -> np.ndarray:
    """The first not-ok status (in STATUSES order: diverged before failed, ...) among each
    aggregate row's jobs; '' when every job succeeded."""
    counts = [agg.get(f"n_{s}", pd.Series(0, index=agg.index)).to_numpy() > 0 for s in NOT_OK]
    return np.select(counts, NOT_OK, "") if len(agg) else np.array([], dtype=object)


def measured(part: pd.DataFrame, metric: str) -> bool:
    """Whether a table of ``metric`` over these aggregate rows says anything: some value, or jobs that all
    failed (their statuses). Jobs that succeeded without the metric mean it does not apply (PROTOCOL §5)."""
    if part.empty:
        return False
    return bool(part[f"{metric}_mean"].notna().any() or part["n_ok"].sum() == 0)


def annotate(agg: pd.DataFrame, metric: str, digits: int = 3) -> pd.DataFrame:
    """Per aggregate row (``leaderboard.aggregate``): mean, sd, seeds, the display text, the mark
    (best/second per comparison) and the flag. Tidy: the CSV's columns."""
    mean = agg[f"{metric}_mean"].to_numpy(dtype=float)
    sd = agg[f"{metric}_std"].to_numpy(dtype=float)
    flag = worst_status(agg)
    all_bad = (agg["n_ok"].to_numpy() == 0) & (flag != "")
    text = np.array([mean_sd(m, s, digits) for m, s in zip(mean, sd)], dtype=object)
    text = np.where(all_bad, flag, np.where(text == "", UNDEFINED, text))
    marks = np.full(len(agg), "", dtype=object)
    higher = lb.higher_is_better(metric)
    for index in agg.groupby(CELL_KEYS, sort=False).indices.values():
        marks[index] = rank_marks(mean[index], higher)
    return pd.DataFrame({
        **{k: agg[k].to_numpy() for k in lb.GROUP_KEYS}, "metric": metric, "mean": mean, "sd": sd,
        "n_ok": agg["n_ok"].to_numpy(), "n_jobs": agg["n_jobs"].to_numpy(), "status": flag,
        "mark": marks, "text": text, "all_bad": all_bad,
    })


def cells_of(annotated: pd.DataFrame, row_key: str, col_key: str) -> dict[tuple, Cell]:
    cols = [annotated[k].tolist() for k in (row_key, col_key, "text", "mark", "status", "all_bad")]
    return {(r, c): Cell(t, m, f, bool(b)) for r, c, t, m, f, b in zip(*cols)}


def grid(cells: dict[tuple, Cell], rows: Sequence[str], columns: Sequence[str]) -> list[tuple[list[str], list[Cell]]]:
    """Rows of cells; a cell with no job is the explicit NO_JOB mark."""
    return [([str(r)], [cells.get((r, c), Cell(NO_JOB)) for c in columns]) for r in rows]


def rate_label(rate: float) -> str:
    return f"{100 * float(rate):g} %"


def caption_of(metric: str, setting: str, where: str, n_seeds: int) -> str:
    seeds = f"{n_seeds} seed{'s' if n_seeds != 1 else ''}"
    return (f"{metric_label(metric)}, {setting} setting{where}: mean ± sd over {seeds} per dataset and imputer. "
            "Best in each row in bold, second underlined (scores equal within PROTOCOL §6's tolerance share a mark).")


def results_table(agg: pd.DataFrame, setting: str, metric: str, n_seeds: int) -> PaperTable | None:
    """One setting and metric: rows are datasets grouped by (mechanism, rate), columns the imputers.
    None when nothing was measured and nothing failed."""
    part = agg[agg["setting"] == setting]
    if not measured(part, metric):
        return None
    notes = annotate(part, metric)
    imputers = sorted(part["imputer"].unique())
    rows: list[tuple[list[str], list[Cell]]] = []
    groups: dict[int, str] = {}
    for (mechanism, rate), sub in notes.groupby(["mechanism", "rate"], sort=True):
        groups[len(rows)] = f"{str(mechanism).upper()}, {rate_label(rate)} missing"
        rows += grid(cells_of(sub, "dataset", "imputer"), sorted(sub["dataset"].unique()), imputers)
    return PaperTable(f"results-{slug(setting)}-{metric}", caption_of(metric, setting, "", n_seeds), ["dataset"],
                      imputers, rows, notes.drop(columns=["text", "all_bad"]), groups)


def leaderboard_table(boards: pd.DataFrame, setting: str, metric: str, seconds: pd.Series) -> PaperTable | None:
    """The pooled leaderboard of one setting and metric (mechanisms and rates pooled): the rating with
    its interval where the rows carry one (``rating``, ``rating_low``, ``rating_high``), else the mean
    rank with its 95 % bootstrap interval; win rate; datasets; time per job; jobs that did not succeed."""
    b = boards[(boards["setting"] == setting) & (boards["metric"] == metric) & (boards["mechanism"] == lb.ALL)
               & (boards["rate"] == lb.ALL)]
    if b.empty:
        return None
    rated = {"rating", "rating_low", "rating_high"} <= set(b.columns) and b["rating"].notna().any()
    score, low, high = ("rating", "rating_low", "rating_high") if rated else ("mean_rank", "ci_low", "ci_high")
    values = b[score].to_numpy(dtype=float)
    marks = rank_marks(values, higher_better=bool(rated))  # a rating: higher is better; a rank: lower
    n_datasets = int(b["n_datasets"].max())
    rows = []
    for (_, r), mark in zip(b.iterrows(), marks):
        interval = f"[{r[low]:.2f}, {r[high]:.2f}]" if np.isfinite(r[low]) else "n/a"
        bad = ", ".join(f"{int(r[f'n_{s}'])} {s}" for s in NOT_OK if r.get(f"n_{s}", 0))
        rows.append(([str(r["imputer"])], [
            Cell(number(r[score], 2) or "unranked", mark), Cell(interval),
            Cell("" if not np.isfinite(r["win_rate"]) else f"{100 * r['win_rate']:.0f} %"),
            Cell(str(int(r["n_datasets"]))), Cell(number(seconds.get(r["imputer"], np.nan), 2) or NO_JOB),
            Cell(bad or "0", flag=next((s for s in NOT_OK if r.get(f"n_{s}", 0)), "")),
        ]))
    what = "rating" if rated else "mean rank (1 = best)"
    interval = "its interval" if rated else "its 95 % bootstrap interval over datasets"
    caption = (f"Leaderboard, {setting} setting, {metric_label(metric)}: {what} with {interval}, over "
               f"{n_datasets} datasets, mechanisms and rates pooled; win rate = share of head-to-head comparisons "
               "on the same masks won (ties count half); time = mean fit + transform seconds per successful job.")
    columns = ["rating" if rated else "mean rank", "95 % interval", "win rate", "datasets", "time (s)",
               "not ok"]
    data = b.assign(seconds=b["imputer"].map(seconds)).reset_index(drop=True)
    return PaperTable(f"leaderboard-{slug(setting)}-{metric}", caption, ["imputer"], columns, rows, data,
                      split_columns=False)


def cd_cliques(mean_ranks: Sequence[float], cd: float) -> list[tuple[int, int]]:
    """Groups of a critical-difference diagram (Demšar 2006): over imputers sorted by mean rank, the
    maximal runs (start, end index) whose rank span is below ``cd`` (not significantly different);
    a run inside an earlier one is not repeated."""
    values = np.asarray(mean_ranks, dtype=float)
    cliques, last_end = [], -1
    for start in range(len(values)):
        end = start
        while end + 1 < len(values) and values[end + 1] - values[start] < cd:
            end += 1
        if end > start and end > last_end:
            cliques.append((start, end))
            last_end = end
    return cliques


def slug(name: str) -> str:
    """A file-name-safe, unique form of a setting, dataset or imputer name: the name itself when it
    is safe, else a cleaned name and a digest (so two names never share a file)."""
    import hashlib
    import re

    name = str(name)
    if re.fullmatch(r"[A-Za-z0-9_-]{1,60}", name):
        return name
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:40] or "x"
    return f"{clean}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"
