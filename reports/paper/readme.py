"""The export folder's README.md: where the numbers come from (protocol version, profile, grid,
hyper-parameters, versions, the runs and their commands, the export's own command) and what each
file is, so the folder can go into a paper's supplement as it is. Pure: text from rows and records."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

import pandas as pd

from ...harness.store import STATUSES
from ..provenance import grid_of
from .bib import References


@dataclass(frozen=True)
class Source:
    """Where the exported rows come from: a results folder or a reference set, and its run records."""

    label: str  # e.g. "results folder `results`" or "reference set `quick-v1`"
    runs: Sequence[Mapping[str, Any]] = ()
    description: str = ""


@dataclass
class Contents:
    tables: list[tuple[str, str]] = field(default_factory=list)  # (file stem, caption)
    figures: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _md(text: object) -> str:
    return str(text).replace("|", "\\|")


def _values(rows: pd.DataFrame, column: str) -> str:
    if column not in rows:
        return "not recorded"
    values = sorted({v for v in rows[column].dropna().tolist()}, key=lambda v: (isinstance(v, str), v))
    if column == "rate":
        return ", ".join(f"{100 * float(v):g} %" for v in values)
    return ", ".join(str(v) for v in values) or "not recorded"


def grid_lines(rows: pd.DataFrame) -> list[str]:
    statuses = rows["status"].value_counts()
    counts = ", ".join(f"{int(statuses[s])} {s}" for s in STATUSES if statuses.get(s, 0))
    lines = [f"- **protocol version**: {_values(rows, 'protocol_version')}",
             f"- **profile**: {_values(rows, 'profile')}",
             f"- **jobs**: {len(rows)} ({counts})",
             f"- **grid**: {grid_of(rows)}"]
    for label, column in (("datasets", "dataset"), ("imputers", "imputer"), ("mechanisms", "mechanism"),
                          ("missing rates", "rate"), ("seeds", "seed"), ("settings", "setting"), ("tracks", "track")):
        if column in rows and rows[column].notna().any():
            lines.append(f"- **{label}** ({rows[column].nunique()}): {_values(rows, column)}")
    return lines


def params_table(rows: pd.DataFrame) -> list[str]:
    """Each imputer's hyper-parameters as the rows record them (one line per distinct set)."""
    table = (rows.assign(params=rows["params"].fillna("{}"), profile=rows["profile"].fillna(""))
             .groupby(["imputer", "profile", "params"]).size().rename("jobs").reset_index())
    lines = ["| imputer | profile | hyper-parameters (the rows' `params`) | jobs |", "|---|---|---|---:|"]
    for r in table.itertuples(index=False):
        lines.append(f"| {_md(r.imputer)} | {_md(r.profile)} | `{_md(r.params)}` | {r.jobs} |")
    several = table.groupby(["imputer", "profile"]).size()
    several = [f"{imp} ({prof})" for (imp, prof), n in several.items() if n > 1]
    if several:
        lines += ["", f"Several hyper-parameter sets for {', '.join(several)}: its table cells pool them "
                      "(Meta-GAIN's ablation variants are split in its Table 5)."]
    return lines


def versions_lines(rows: pd.DataFrame) -> list[str]:
    counts = rows["versions"].fillna("").value_counts()
    lines = []
    for text, n in counts.items():
        try:
            versions = json.loads(text) if text else {}
        except ValueError:
            versions = {"unreadable": text}
        described = ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) or "not recorded"
        lines.append(f"- {described} ({n} jobs)")
    return lines


def runs_lines(rows: pd.DataFrame, runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """The runs that computed the rows: their records (command, dates, machine) where the source keeps
    them, else the run ids the rows carry."""
    used = set(rows["run_id"].dropna().astype(str)) if "run_id" in rows else set()
    records = [r for r in runs if not used or str(r.get("run_id", "")) in used]
    if records:
        lines = ["| run | started | finished | command |", "|---|---|---|---|"]
        for r in sorted(records, key=lambda r: str(r.get("started_at", ""))):
            lines.append(f"| {_md(r.get('run_id', ''))} | {_md(str(r.get('started_at', ''))[:19])} | "
                         f"{_md(str(r.get('finished_at', ''))[:19])} | `{_md(r.get('command', ''))}` |")
        return lines
    if used:
        return [f"No run records beside these rows; they carry the run ids {', '.join(sorted(used))}."]
    return ["No run records beside these rows."]


def readme(rows: pd.DataFrame, source: Source, command: str, contents: Contents, references: References,
           imputebench_version: str) -> str:
    """The README.md of an export folder."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# imputebench results for a paper", "",
           f"Exported from the {source.label} by imputebench {imputebench_version} on {now} with", "",
           f"```\n{command}\n```", ""]
    if source.description:
        out += [source.description, ""]
    out += ["Rebuild this folder with the same command; `pdflatex paper.tex` (run twice) typesets every table "
            "and figure. The rules behind the numbers are imputebench's protocol (docs/protocol.md, the "
            "version below); cells are mean ± sd over the seeds that succeeded, and a cell whose jobs did "
            "not all succeed is marked, never left blank.", "", "## Files", "",
            "- `paper.tex`: a standalone document that inputs every table and figure (`pdflatex paper.tex`).",
            "- `references.bib`: what to cite for the imputers and datasets below, and imputebench itself.",
            "- `tables/NAME.tex` (LaTeX, booktabs), `tables/NAME.md` (markdown), `tables/NAME.csv` (the numbers):", ""]
    out += [f"  - `{name}`: {_md(caption)}" for name, caption in contents.tables]
    out += ["", "- `figures/NAME.pdf` (vector, fonts embedded) and `figures/NAME.png` (300 dpi):", ""]
    out += [f"  - `{name}`: {_md(caption)}" for name, caption in contents.figures] or ["  - none"]
    out += ["", "## Protocol and grid", "", *grid_lines(rows), "", "## Hyper-parameters", "", *params_table(rows),
            "", "## Versions", "", *versions_lines(rows), "", "## Runs", "", *runs_lines(rows, source.runs), "",
            "## Citations", ""]
    out += [f"- {name}: {', '.join(keys) if keys else 'none declared'}" for name, keys in references.keys.items()]
    if references.missing:
        out += ["", f"No citation is known for: {', '.join(references.missing)} (a plugin declares one in its "
                    "`ImputerInfo(citation=...)`)."]
    notes = [*references.problems, *contents.warnings]
    if notes:
        out += ["", "## Notes", "", *[f"- {n}" for n in notes]]
    return "\n".join(out) + "\n"
