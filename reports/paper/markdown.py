"""Markdown and CSV for :class:`.tables.PaperTable`, beside the LaTeX, for people who write elsewhere.

Markdown has no underline: the best value is bold and the second in italics. The CSV holds the
numbers behind a table (tidy: one row per cell, mean, sd, seeds, status, mark), not its text.
"""

from __future__ import annotations

from pathlib import Path

from .latex import STATUS_MEANING
from .tables import NO_JOB, UNDEFINED, Cell, PaperTable

STATUS_MARKS = {"diverged": "‡", "failed": "†", "timeout": "§", "infeasible": "¶"}  # as the LaTeX symbols


def _md(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def cell_md(cell: Cell) -> str:
    body = _md(cell.text)
    if cell.all_bad:
        body = f"*{body}*"
    elif cell.mark == "best":
        body = f"**{body}**"
    elif cell.mark == "second":
        body = f"_{body}_"
    return body + STATUS_MARKS.get(cell.flag, "")


def table_md(table: PaperTable) -> str:
    """A pipe table with the caption above and the legend below (all columns in one table)."""
    width = len(table.label_header) + len(table.columns)
    header = [*table.label_header, *table.columns]
    lines = [f"**{_md(table.name)}.** {_md(table.caption)}", "",
             "| " + " | ".join(_md(h) for h in header) + " |",
             "|" + "|".join(["---"] * len(table.label_header) + ["---:"] * len(table.columns)) + "|"]
    for i, (labels, cells) in enumerate(table.rows):
        if i in table.groups:
            lines.append("| " + " | ".join([f"*{_md(table.groups[i])}*", *[""] * (width - 1)]) + " |")
        lines.append("| " + " | ".join([*(_md(x) for x in labels), *(cell_md(c) for c in cells)]) + " |")
    notes = [_md(n) for n in table.notes]
    notes += [f"{STATUS_MARKS[s]} {_md(STATUS_MEANING[s])}" for s in table.flags]
    if NO_JOB in table.has:
        notes.append("— no job in the store for this cell")
    if UNDEFINED in table.has:
        notes.append("n/a: the metric is not defined on this dataset (PROTOCOL §5)")
    if notes:
        lines += ["", "; ".join(n.rstrip(".") for n in notes) + "."]
    return "\n".join(lines) + "\n"


def write_csv(table: PaperTable, path: Path) -> None:
    table.data.to_csv(path, index=False, float_format="%.10g")
