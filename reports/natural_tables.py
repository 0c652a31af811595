"""The natural-missingness track's tables for its page (PROTOCOL §10), computed as frames from its rows:
each table's missingness, the imputers' rankings per score and table, the downstream baselines, and
how far the scores' rankings agree. No HTML, no files.

Rankings follow §6: a *block* is what every imputer was scored on alike (a split seed, or an extra
mask: mechanism, rate and seed); per table and score, only the blocks where every imputer that
scored at all has an ``ok``, defined score count; an imputer's score is its mean over those blocks,
and imputers are ranked on those means (1 = best, ties within §6's tolerance share the mean rank).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from ..tracks.natural.scores import RankedScore, ranked_scores
from .leaderboard import BlockMatrix, block_matrix, complete_blocks, rank_rows

NO_MASK = "none"  # the mechanism of a block without an extra mask (downstream, truth-free settings)
AGREE_FROM = 0.8  # Spearman at or above: the two rankings agree
PARTLY_FROM = 0.5  # at or above (and below AGREE_FROM): they partly agree; below: they disagree
MIN_SHARED = 3  # imputers two rankings must share for a Spearman correlation to say anything


def table_patterns(rows: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per table, its missingness pattern (:func:`imputebench.tracks.natural.holes.missingness_pattern`)
    as its jobs carry it, tables in name order."""
    out = {}
    for table, part in rows.groupby("dataset", sort=True):
        stored = part["missing_pattern"].dropna() if "missing_pattern" in part else pd.Series(dtype=object)
        if len(stored):
            out[str(table)] = json.loads(stored.iloc[0])
    return out


def table_facts(patterns: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per table: rows, features, the share of cells missing, the rows with a hole, the distinct
    row patterns."""
    records = []
    for t, p in patterns.items():
        cells = p["n_rows"] * len(p["columns"])
        complete = sum(pat["rows"] for pat in p["patterns"] if not pat["missing"])
        records.append({"table": t, "rows": p["n_rows"], "features": len(p["columns"]),
                        "missing_share": sum(p["missing"]) / cells if cells else np.nan,
                        "incomplete_rows": p["n_rows"] - complete, "patterns": p["n_patterns"]})
    return pd.DataFrame(records, columns=["table", "rows", "features", "missing_share", "incomplete_rows", "patterns"])


def column_missing(patterns: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per (table, column): its missing cells and their share of the table's rows."""
    records = [{"table": t, "column": c, "missing": m, "share": m / p["n_rows"] if p["n_rows"] else np.nan}
               for t, p in patterns.items() for c, m in zip(p["columns"], p["missing"])]
    return pd.DataFrame(records, columns=["table", "column", "missing", "share"])


def row_patterns(patterns: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per (table, kept row pattern), most common first: the columns a row misses (empty: a
    complete row), how many rows have that pattern and their share."""
    records = [{"table": t, "order": i + 1, "missing_columns": ", ".join(p["columns"][j] for j in pat["missing"]),
                "n_missing": len(pat["missing"]), "rows": pat["rows"],
                "share": pat["rows"] / p["n_rows"] if p["n_rows"] else np.nan}
               for t, p in patterns.items() for i, pat in enumerate(p["patterns"])]
    return pd.DataFrame(records, columns=["table", "order", "missing_columns", "n_missing", "rows", "share"])


def score_blocks(rows: pd.DataFrame, score: RankedScore) -> BlockMatrix:
    """The score's values on its blocks (rows: blocks of every table; columns: imputers)."""
    mine = rows[rows["setting"] == score.setting]
    if score.column not in mine:
        mine = mine.assign(**{score.column: np.nan})
    blocks = mine.assign(mechanism=mine["mechanism"].fillna(NO_MASK), rate=mine["rate"].astype(float).fillna(0.0))
    return block_matrix(blocks, score.column)


def rank_one_table(matrix: BlockMatrix, higher_is_better: bool) -> pd.DataFrame:
    """One table's imputers on one score: mean over the complete blocks, rank on those means (§6),
    blocks used; an imputer with no score at all is listed unranked (NaN)."""
    reduced, unranked, dropped = complete_blocks(matrix)
    n = reduced.values.shape[0]
    means = reduced.values.mean(axis=0) if n else np.full(len(reduced.imputers), np.nan)
    ranks = rank_rows(means[None, :], higher_is_better)[0] if n else np.full(len(reduced.imputers), np.nan)
    ranked = pd.DataFrame({"imputer": reduced.imputers, "mean": means, "rank": ranks,
                           "blocks": n, "blocks_dropped": dropped})
    missing = pd.DataFrame({"imputer": unranked, "mean": np.nan, "rank": np.nan, "blocks": 0,
                            "blocks_dropped": dropped})
    return pd.concat([ranked, missing], ignore_index=True) if len(missing) else ranked


RANKING_COLUMNS = ["table", "score", "label", "higher_is_better", "imputer", "mean", "rank", "blocks",
                   "blocks_dropped", "jobs", "ok"]


def table_rankings(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (table, score, imputer): the mean over the complete blocks, the rank (§6), the blocks used
    and dropped, the jobs and ``ok`` jobs; scores in :func:`ranked_scores` order."""
    parts = []
    for score in ranked_scores():
        mine = rows[rows["setting"] == score.setting]
        if mine.empty:
            continue
        matrix = score_blocks(rows, score)
        tables = matrix.keys["dataset"]
        counts = mine.groupby(["dataset", "imputer"])["status"].agg(jobs="size", ok=lambda s: int((s == "ok").sum()))
        for table in sorted(set(mine["dataset"])):
            ranked = rank_one_table(matrix.take(tables == table), score.higher_is_better)
            ranked = ranked.merge(counts.loc[table].reset_index(), on="imputer", how="inner")  # its own imputers
            parts.append(ranked.assign(table=table, score=score.column, label=score.label,
                                       higher_is_better=score.higher_is_better))
    if not parts:
        return pd.DataFrame(columns=RANKING_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[RANKING_COLUMNS]
    return out.fillna({"blocks": 0, "blocks_dropped": 0}).astype({"blocks": int, "blocks_dropped": int})


def overall_ranks(rankings: pd.DataFrame) -> pd.DataFrame:
    """Per (score, imputer): the mean of its per-table ranks over the tables that ranked it, and how many."""
    ranked = rankings.dropna(subset=["rank"])
    if ranked.empty:
        return pd.DataFrame(columns=["score", "label", "imputer", "mean_rank", "tables"])
    order = {s.column: i for i, s in enumerate(ranked_scores())}
    out = ranked.groupby(["score", "label", "imputer"], sort=False)["rank"].agg(mean_rank="mean", tables="size")
    out = out.reset_index()
    return (out.assign(order=out["score"].map(order)).sort_values(["order", "mean_rank", "imputer"], kind="stable")
            .drop(columns="order").reset_index(drop=True))


def verdict(rho: float) -> str:
    """``agree``, ``partly``, ``disagree``, or ``n/a`` (no correlation to speak of)."""
    if not np.isfinite(rho):
        return "n/a"
    return "agree" if rho >= AGREE_FROM else "partly" if rho >= PARTLY_FROM else "disagree"


def _best(ranks: pd.Series) -> str:
    """The imputer(s) ranked first (ties joined by ' = ')."""
    return " = ".join(sorted(ranks.index[ranks == ranks.min()]))


def agreement_of(rankings: pd.DataFrame) -> pd.DataFrame:
    """Per table and pair of scores: Spearman's correlation between their rankings over the imputers
    both ranked (NaN below :data:`MIN_SHARED` imputers or when a ranking is all ties), the verdict,
    and each score's best imputer."""
    from scipy.stats import spearmanr

    ranked = rankings.dropna(subset=["rank"])
    order = [s.column for s in ranked_scores()]
    records = []
    for table, part in ranked.groupby("table", sort=True):
        wide = part.pivot(index="imputer", columns="score", values="rank")
        scores = [s for s in order if s in wide.columns]
        for i, a in enumerate(scores):
            for b in scores[i + 1:]:
                both = wide[[a, b]].dropna()
                rho = np.nan
                if len(both) >= MIN_SHARED and both[a].nunique() > 1 and both[b].nunique() > 1:
                    rho = float(spearmanr(both[a], both[b]).statistic)
                records.append({"table": table, "score_a": a, "score_b": b, "imputers": len(both), "spearman": rho,
                                "verdict": verdict(rho), "best_a": _best(wide[a].dropna()),
                                "best_b": _best(wide[b].dropna())})
    return pd.DataFrame(records, columns=["table", "score_a", "score_b", "imputers", "spearman", "verdict",
                                          "best_a", "best_b"])


def rank_agreement(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`agreement_of` the rows' :func:`table_rankings` (the track's summary frame)."""
    return agreement_of(table_rankings(rows))


def downstream_baselines(rows: pd.DataFrame) -> pd.DataFrame:
    """Per table, the downstream models that need no imputer, on the same splits (mean over seeds): the
    complete-case model, XGBoost on the raw table, the complete train rows; and the best imputer's mean."""
    mine = rows[(rows["setting"] == "downstream") & rows["native_downstream"].notna()] if "native_downstream" in rows \
        else rows.iloc[:0]
    columns = ["table", "metric", "seeds", "complete_case", "native", "complete_case_rows", "best_imputed"]
    if mine.empty:
        return pd.DataFrame(columns=columns)
    per_split = mine.groupby(["dataset", "seed"]).agg(
        metric=("downstream_metric", "first"), complete_case=("complete_case_downstream", "first"),
        native=("native_downstream", "first"), complete_case_rows=("complete_case_rows", "first"))
    out = per_split.groupby("dataset").agg(metric=("metric", "first"), seeds=("native", "size"),
                                           complete_case=("complete_case", "mean"), native=("native", "mean"),
                                           complete_case_rows=("complete_case_rows", "mean"))
    ok = mine[mine["status"] == "ok"]
    best = ok.groupby(["dataset", "imputer"])["downstream"].mean().groupby("dataset").max()
    out["best_imputed"] = best.reindex(out.index)
    return out.reset_index().rename(columns={"dataset": "table"})[columns]
