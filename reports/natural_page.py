"""The natural-missingness track's page (PROTOCOL §10): per table its missingness (share missing per
column, the most common row patterns, a pattern matrix drawn as inline SVG), its rankings per score,
the downstream baselines, and where the scores' rankings disagree, in plain sentences; downloads.

``add_natural_page(site, rows)`` is a site page (the seam: :mod:`imputebench.reports.pages`), called
with the natural track's rows; it adds nothing when there are none. The numbers come from
:mod:`.natural_tables`; this module only lays them out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..tracks.natural.scores import ranked_scores
from .natural_tables import (AGREE_FROM, MIN_SHARED, PARTLY_FROM, agreement_of, column_missing, downstream_baselines,
                             overall_ranks, row_patterns, table_facts, table_patterns, table_rankings)
from .entries import entry_params, with_params
from .pages import Site
from .pages.html import direction_arrow, slug

PAGE = "natural.html"
FAILURES_SHOWN = 50
# the pattern matrix: cell size, the room for column names (written upwards) and for the row counts
CELL_W, CELL_H, NAME_CHARS, CHAR_H, COUNT_W = 16, 12, 14, 6.2, 92


def percent(share: float) -> str:
    """A share as a whole percentage; a small one that rounds to 0 says so ("<1%")."""
    return "<1%" if 0 < share < 0.005 else f"{100 * share:.0f}%"


def short(name: str, chars: int = NAME_CHARS) -> str:
    return name if len(name) <= chars else name[:chars - 1] + "…"


def pattern_matrix(pattern: dict[str, Any]) -> dict[str, Any]:
    """The layout of one table's pattern matrix: a row per kept row pattern (most common first), a
    column per feature, a cell dark where that pattern misses the feature; counts on the right."""
    names = [short(c) for c in pattern["columns"]]
    top = int(max((len(n) for n in names), default=1) * CHAR_H) + 8
    n = pattern["n_rows"] or 1
    cells, counts = [], []
    for i, pat in enumerate(pattern["patterns"]):
        y = top + i * CELL_H
        missing = set(pat["missing"])
        cells += [{"x": j * CELL_W, "y": y, "missing": j in missing} for j in range(len(names))]
        counts.append({"x": len(names) * CELL_W + 6, "y": y + CELL_H - 2,
                       "text": f"{pat['rows']} row{'s' if pat['rows'] != 1 else ''} ({percent(pat['rows'] / n)})",
                       "title": ", ".join(pattern["columns"][j] for j in pat["missing"]) or "complete rows"})
    labels = [{"x": j * CELL_W + CELL_W / 2 + 3, "y": top - 4, "text": name, "full": full}
              for j, (name, full) in enumerate(zip(names, pattern["columns"]))]
    return {"width": len(names) * CELL_W + COUNT_W, "height": top + len(pattern["patterns"]) * CELL_H + 2,
            "cell_w": CELL_W - 1, "cell_h": CELL_H - 1, "cells": cells, "counts": counts, "labels": labels}


def rank_cell(r: pd.Series | None, first: float) -> dict[str, Any]:
    """One imputer's place on one score: rank and mean, or why it has none; ``first``: the best rank
    on that score (tied imputers share it)."""
    if r is None:
        return {"text": "", "sort": "", "best": False, "title": "no jobs"}
    jobs = f"{int(r['ok'])} of {int(r['jobs'])} jobs ok"
    if pd.isna(r["rank"]):
        return {"text": "–", "sort": "", "best": False, "title": f"not ranked: no ok, defined score ({jobs})"}
    return {"text": f"{r['rank']:g} · {r['mean']:.3f}", "sort": f"{r['rank']:g}", "best": r["rank"] == first,
            "title": f"mean over {int(r['blocks'])} complete blocks; {jobs}"
                     + (f"; {int(r['blocks_dropped'])} blocks dropped" if r["blocks_dropped"] else "")}


def ranking_rows(part: pd.DataFrame, scores: list[str]) -> list[dict[str, Any]]:
    """A table's imputers, one row each, a cell per score; ordered by the first score's rank."""
    wide = {s: part[part["score"] == s].set_index("imputer") for s in scores}
    first = wide[scores[0]]["rank"] if scores else pd.Series(dtype=float)
    imputers = sorted(set(part["imputer"]), key=lambda i: (first.get(i, np.inf) if pd.notna(first.get(i)) else np.inf, i))
    return [{"imputer": i, "cells": [rank_cell(wide[s].loc[i] if i in wide[s].index else None, wide[s]["rank"].min())
                                     for s in scores]}
            for i in imputers]


def agreement_sentence(r: pd.Series, labels: dict[str, str]) -> str:
    """One pair of scores on one table, said plainly."""
    a, b = labels[r["score_a"]], labels[r["score_b"]]
    if r["verdict"] == "n/a":
        return (f"{a} and {b} cannot be compared here: fewer than {MIN_SHARED} imputers are ranked by both, "
                "or one of them ranks them all equal.")
    words = {"agree": "agree", "partly": "partly agree", "disagree": "disagree"}[r["verdict"]]
    text = f"{a} and {b} {words} (Spearman {r['spearman']:.2f} over {r['imputers']} imputers)"
    if r["best_a"] != r["best_b"]:
        return f"{text}: the first puts {r['best_a']} first, the second {r['best_b']}."
    return f"{text}; both put {r['best_a']} first."


def table_context(table: str, pattern: dict[str, Any] | None, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Everything one table's section shows."""
    labels = {s.column: s.label for s in ranked_scores()}
    headers = {s.column: f"{s.label} {direction_arrow(s.higher_is_better)}" for s in ranked_scores()}
    notes = {s.column: s.note for s in ranked_scores() if s.note}
    rankings, agreement, baselines = frames["rankings"], frames["agreement"], frames["baselines"]
    facts, columns, patterns = frames["facts"], frames["columns"], frames["patterns"]
    part = rankings[rankings["table"] == table]
    scores = [s.column for s in ranked_scores() if s.column in set(part["score"])]
    pairs = agreement[agreement["table"] == table]
    base = baselines[baselines["table"] == table]
    cols = columns[columns["table"] == table].sort_values("share", ascending=False, kind="stable")
    return {
        "name": table, "anchor": f"t-{slug(table)}", "pattern": pattern,
        "matrix": pattern_matrix(pattern) if pattern else None,
        "facts": facts[facts["table"] == table].iloc[0].to_dict() if (facts["table"] == table).any() else None,
        "columns": cols.to_dict("records"), "patterns": patterns[patterns["table"] == table].to_dict("records"),
        "scores": [{"column": s, "label": headers[s], "note": notes.get(s, "")} for s in scores],
        "ranking": ranking_rows(part, scores),
        "agreement": [{"verdict": r["verdict"], "text": agreement_sentence(r, labels)} for _, r in pairs.iterrows()],
        "baseline": base.iloc[0].to_dict() if len(base) else None,
    }


def disagreements(agreement: pd.DataFrame) -> list[str]:
    """Every (table, pair of scores) whose rankings disagree, as sentences, for the page's summary."""
    labels = {s.column: s.label for s in ranked_scores()}
    bad = agreement[agreement["verdict"] == "disagree"].sort_values(["spearman", "table"])
    return [f"{r['table']}: {agreement_sentence(r, labels)}" for _, r in bad.iterrows()]


def overall_context(overall: pd.DataFrame) -> list[dict[str, Any]]:
    """Per score: the imputers by mean rank over the tables."""
    return [{"label": label, "rows": part.to_dict("records")} for (_, label), part in
            overall.groupby(["score", "label"], sort=False)]


def add_natural_page(site: Site, rows: pd.DataFrame) -> None:
    """Plan the natural-missingness page from the track's rows; nothing when there are none."""
    if rows.empty:
        return
    patterns = table_patterns(rows)
    rankings = table_rankings(rows)
    agreement = agreement_of(rankings)
    baselines = downstream_baselines(rows)
    overall = overall_ranks(rankings)
    facts, columns, kinds = table_facts(patterns), column_missing(patterns), row_patterns(patterns)
    frames = {"rankings": rankings, "agreement": agreement, "baselines": baselines, "facts": facts,
              "columns": columns, "patterns": kinds}
    downloads = [
        site.write_table("natural-jobs", rows[[c for c in rows.columns if c not in ("versions", "missing_pattern")]],
                         "natural-missingness jobs (one row per job)"),
        site.write_table("natural-rankings", with_params(rankings, entry_params(rows)), "rankings per table and score"),
        site.write_table("natural-agreement", agreement, "agreement between the scores' rankings (Spearman)"),
        site.write_table("natural-baselines", baselines, "downstream baselines: complete-case and raw-table XGBoost"),
        site.write_table("natural-tables", facts, "the tables and their holes"),
        site.write_table("natural-columns", columns, "missing cells per column"),
        site.write_table("natural-patterns", kinds, "most common row patterns of missing cells"),
    ]
    not_ok = rows[rows["status"] != "ok"].sort_values(["dataset", "setting", "imputer", "seed"], kind="stable")
    not_ok = not_ok.assign(mechanism=not_ok["mechanism"].fillna("–"),
                           rate=[("" if pd.isna(r) else r) for r in not_ok["rate"]])  # no extra mask: shown blank
    tables = sorted(set(rows["dataset"]))
    site.link("Natural holes", PAGE)
    site.render("natural.html.j2", PAGE, n_jobs=len(rows), statuses=rows["status"].value_counts().to_dict(),
                tables=[table_context(t, patterns.get(t), frames) for t in tables],
                overall=overall_context(overall), disagreements=disagreements(agreement),
                agree_from=AGREE_FROM, partly_from=PARTLY_FROM,
                failures=not_ok.head(FAILURES_SHOWN).to_dict("records"), n_failures=len(not_ok),
                natural_downloads=downloads)


__all__ = ["add_natural_page", "agreement_sentence", "pattern_matrix"]
