"""What the site shows, checked on frames: cells, rankings, Pareto data, paper tables, facts and their
formatting, computed by the pure functions the pages render (no runner, no site built), and the page
seam itself."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imputebench.errors import ImputeBenchError
from imputebench.protocol.metrics import QUALITY_METRICS
from imputebench.reports import entries, facts, frames
from imputebench.reports import leaderboard as lb
from imputebench.reports.pages import load_page
from imputebench.reports.pages.html import cell_display, grid_table
from imputebench.reports.pages.index import ranking_records
from imputebench.reports.paper_tables import paper_tables
from imputebench.reports.transfer_tables import negative_counts, strategy_wins
from synthetic import synthetic_rows


def job(dataset: str, imputer: str, armse: float | None, *, seed: int = 0, setting: str = "in-sample",
        mechanism: str = "mcar", rate: float = 0.2, status: str = "ok", error: str | None = None,
        seconds: float = 1.0, **values: float) -> dict:
    """One job row with the columns the frames read; metrics other than ARMSE are NaN unless given."""
    row = {"setting": setting, "dataset": dataset, "mechanism": mechanism, "rate": rate, "seed": seed,
           "imputer": imputer, "status": status, "error": error, "fit_seconds": 0.75 * seconds,
           "transform_seconds": 0.25 * seconds, "complete_downstream": np.nan, "job_key": f"{dataset}|{imputer}|{seed}",
           **{m: np.nan for m in QUALITY_METRICS}}
    row.update(armse=np.nan if armse is None else armse, **values)
    return row


def frame(jobs: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(jobs)


# -- cells ------------------------------------------------------------------------------------------------
def test_cells_mark_the_best_of_each_row_ties_included_and_keep_failures() -> None:
    rows = frame([job("d", "A", 0.2, seed=0), job("d", "A", 0.4, seed=1),  # mean 0.3
                  job("d", "B", 0.3, seed=0), job("d", "B", 0.3, seed=1),  # mean 0.3: tied with A
                  job("d", "C", 0.1, seed=0), job("d", "C", None, seed=1, status="failed", error="boom"),
                  job("d", "D", None, seed=0, status="diverged", error="1e9"),
                  job("d", "D", None, seed=1, status="failed", error="x")])
    cells = frames.cell_values(lb.aggregate(rows), ["armse"]).set_index("imputer")
    assert cells.loc["A", "mean"] == pytest.approx(0.3) and cells.loc["A", "std"] == pytest.approx(np.std([0.2, 0.4],
                                                                                                          ddof=1))
    assert list(cells["best"]) == [False, False, True, False]  # C's one ok seed (0.1) is the best mean
    assert (cells.loc["C", "n_ok"], cells.loc["C", "n_bad"], cells.loc["C", "error"]) == (1, 1, "boom")
    assert cells.loc["D", "worst_status"] == "diverged" and np.isnan(cells.loc["D", "mean"])
    ties = frames.cell_values(lb.aggregate(rows[rows["imputer"].isin(["A", "B"])]), ["armse"])
    assert list(ties["best"]) == [True, True]


def test_a_metric_with_no_value_and_no_failure_has_no_cells() -> None:
    rows = frame([job("d", "A", 0.2), job("d", "B", 0.3)])
    cells = frames.cell_values(lb.aggregate(rows), ["armse", "rmse"])
    assert set(cells["metric"]) == {"armse"}
    assert list(cells.columns) == [*frames.CELL_COLUMNS, *frames.CELL_DETAIL]


def test_a_cell_shows_its_numbers_its_failures_or_why_it_has_none() -> None:
    rows = frame([job("d", "A", 0.2, seed=0), job("d", "A", 0.4, seed=1),
                  job("d", "B", 0.1, seed=0), job("d", "B", None, seed=1, status="timeout", error="600 s"),
                  job("d", "C", None, seed=0, status="failed", error="<b>singular</b>"),
                  job("d", "C", None, seed=1, status="diverged", error="1e9"),
                  job("e", "A", None, rmse=0.5), job("e", "B", None, rmse=0.6)])
    cells = frames.cell_values(lb.aggregate(rows), ["armse"])
    shown = cell_display(cells).assign(dataset=cells["dataset"], imputer=cells["imputer"]).set_index(
        ["dataset", "imputer"])
    assert shown.loc[("d", "A"), "text"] == "0.300 ± 0.141" and shown.loc[("d", "A"), "title"] == "2 of 2 seeds"
    assert shown.loc[("d", "B"), "text"] == "0.100 ⚠" and shown.loc[("d", "B"), "cls"] == "st-partial best"
    assert shown.loc[("d", "B"), "title"] == "1 of 2 jobs did not succeed (timeout): 600 s"
    # no seed succeeded: the worst status (diverged before failed), and the first error
    assert (shown.loc[("d", "C"), "text"], shown.loc[("d", "C"), "cls"]) == ("diverged", "st-diverged")
    assert shown.loc[("d", "C"), "title"] == "2 of 2 jobs did not succeed (diverged): <b>singular</b>"
    assert shown.loc[("e", "A"), "text"] == "n/a" and "not defined for this dataset" in shown.loc[("e", "A"), "title"]
    assert float(shown.loc[("d", "A"), "sort"]) == pytest.approx(0.3) and shown.loc[("d", "C"), "sort"] == ""
    html = grid_table(cells, "dataset", "imputer", ["d", "e", "f"], ["A", "C"])
    assert 'class="st-diverged"' in html[0]["cells"][1] and "&lt;b&gt;singular&lt;/b&gt;" in html[0]["cells"][1]
    assert html[2]["cells"][0] == '<td class="st-none" title="no job in the store" data-sort="">—</td>'


# -- the overview's rankings ------------------------------------------------------------------------------
def three_imputers() -> pd.DataFrame:
    """Two datasets, two settings, one mask each; C is the fastest and worst."""
    jobs = []
    for setting in ("in-sample", "downstream"):
        for dataset, scores in (("d1", (0.1, 0.2, 0.3)), ("d2", (0.2, 0.1, 0.3))):
            for imputer, score, seconds in zip("ABC", scores, (4.0, 2.0, 1.0)):
                extra = {"downstream": 1 - score} if setting == "downstream" else {}
                jobs.append(job(dataset, imputer, score, setting=setting, seconds=seconds, **extra))
    return frame(jobs)


def test_comparison_extras_are_means_over_ok_jobs_at_every_pooling() -> None:
    rows = frame([job("d", "A", 0.2, mechanism="mcar", rate=0.2, seconds=2.0),
                  job("d", "A", 0.4, mechanism="mar", rate=0.2, seconds=4.0),
                  job("d", "A", 0.6, mechanism="mar", rate=0.5, seconds=6.0),
                  job("d", "A", None, mechanism="mar", rate=0.5, seed=1, status="failed", seconds=100.0)])
    extras = frames.comparison_extras(rows, ["armse"]).set_index(["mechanism", "rate"])
    assert extras.loc[("all", "all"), "armse"] == pytest.approx(0.4)
    assert extras.loc[("all", "all"), "seconds"] == pytest.approx(4.0)  # the failed job's time is left out
    assert extras.loc[("mar", "all"), "armse"] == pytest.approx(0.5)
    assert extras.loc[("all", "0.2"), "armse"] == pytest.approx(0.3)
    assert extras.loc[("mar", "0.5"), "seconds"] == pytest.approx(6.0)
    assert len(extras) == 3 + 2 + 2 + 1  # (mechanism, rate) pairs, per mechanism, per rate, pooled


def test_the_ranking_table_carries_score_downstream_time_and_the_best() -> None:
    rows = three_imputers()
    agg = lb.aggregate(rows)
    metrics = frames.held_metrics(agg)
    boards = lb.leaderboards(rows, metrics, n_boot=50)
    table = frames.ranking_table(boards, frames.comparison_extras(rows, metrics), metrics)
    pooled = table[(table["setting"] == "in-sample") & (table["metric"] == "armse") & (table["mechanism"] == "all")
                   & (table["rate"] == "all")].set_index("imputer")
    assert pooled.loc["A", "score"] == pytest.approx(0.15) and pooled.loc["C", "score"] == pytest.approx(0.3)
    assert pooled.loc["A", "downstream"] == pytest.approx(0.85)  # the downstream setting's score beside it
    assert pooled.loc["B", "seconds"] == pytest.approx(2.0)
    assert list(pooled["best"]) == [True, True, False]  # A and B share mean rank 1.5
    assert pooled["has_ci"].all() and (pooled["n_bad"] == 0).all()
    records = {r["imputer"]: r for r in ranking_records(pooled.reset_index())}
    assert records["A"]["mean_rank"] == "1.50" and records["C"]["score"] == "0.300"
    assert records["C"]["seconds"] == "1.00" and records["C"]["marks"] == []


def test_one_dataset_gives_no_interval_and_failures_are_counted_by_status() -> None:
    rows = frame([job("d", "A", 0.1), job("d", "B", 0.2), job("d", "C", None, status="diverged", error="e")])
    metrics = ["armse"]
    table = frames.ranking_table(lb.leaderboards(rows, metrics, n_boot=20), frames.comparison_extras(rows, metrics),
                                 metrics)
    records = {r["imputer"]: r for r in ranking_records(table[(table["mechanism"] == "all") & (table["rate"] == "all")])}
    assert records["A"]["ci"] == "n/a"
    assert records["C"]["marks"] == [("diverged", 1)] and records["C"]["n_bad"] == 1
    # PROTOCOL §6: a failure is a result, ranked last (not left out of the ranking).
    assert records["C"]["ranked"] and records["C"]["mean_rank"] == "3.00" and records["A"]["mean_rank"] == "1.00"


def reversed_rmse() -> pd.DataFrame:
    """:func:`three_imputers` with an RMSE on which C, the worst on ARMSE, is best and A worst."""
    rows = three_imputers()
    rows["rmse"] = rows["imputer"].map({"A": 0.9, "B": 0.5, "C": 0.1})
    return rows


def test_selections_carry_the_critical_difference_and_a_pareto_front_per_metric() -> None:
    rows = reversed_rmse()
    metrics = ["armse", "rmse", "downstream"]
    table = frames.ranking_table(lb.leaderboards(rows, metrics, n_boot=20), frames.comparison_extras(rows, metrics),
                                 metrics)
    found = {(s.setting, s.metric, s.mechanism, s.rate): s for s in frames.selections(table)}
    assert ("in-sample", "armse", "all", "all") not in found  # pooled: the exact Friedman test instead
    mcar = found[("in-sample", "armse", "mcar", "all")]
    assert mcar.reading.cd == pytest.approx(lb.critical_difference(3, 2)) and mcar.n_datasets == 2
    points, front = mcar.pareto
    assert dict(zip(points["imputer"], front)) == {"A": False, "B": True, "C": True}  # B: A's rank, faster
    # The Metric filter moves the Pareto plot too: on RMSE, C is best and fastest, alone on the front.
    points, front = found[("in-sample", "rmse", "mcar", "all")].pareto
    assert dict(zip(points["imputer"], points["quality"])) == {"A": 3.0, "B": 2.0, "C": 1.0}
    assert dict(zip(points["imputer"], front)) == {"A": False, "B": False, "C": True}
    assert found[("downstream", "armse", "mcar", "all")].pareto is not None  # every metric, not only the primary
    two = frames.selections(table[table["imputer"] != "C"])
    assert all(s.reading is None for s in two)  # fewer than 3 imputers: no CD


def test_pareto_points_over_all_datasets_or_one_and_the_reasons_for_none() -> None:
    rows = three_imputers()
    lf = frames.leaderboard_frames(rows, n_boot=20)
    points, front = lf.pareto("in-sample")
    assert dict(zip(points["imputer"], points["seconds"])) == pytest.approx({"A": 4.0, "B": 2.0, "C": 1.0})
    assert list(points["quality"]) == [1.5, 1.5, 3.0]
    one, _ = lf.pareto("in-sample", "d1")
    assert dict(zip(one["imputer"], one["quality"])) == {"A": 1.0, "B": 2.0, "C": 3.0}
    assert lf.pareto("in-sample") is lf.pareto("in-sample")  # computed once
    assert lf.pareto("in-sample") is lf.pareto("in-sample", None, "armse")  # the primary metric by default
    by_rmse = frames.leaderboard_frames(reversed_rmse(), n_boot=20).pareto("in-sample", None, "rmse")[0]
    assert dict(zip(by_rmse["imputer"], by_rmse["quality"])) == {"A": 3.0, "B": 2.0, "C": 1.0}
    failed = frames.leaderboard_frames(frame([job("d", "A", None, status="failed"),
                                               job("d", "B", None, status="timeout")]), n_boot=5)
    assert failed.pareto("in-sample") == "No imputer could be ranked (see failures)."
    assert failed.pareto("downstream") == "No downstream values in this setting."


def test_pooled_tests_and_the_friedman_table() -> None:
    rows = three_imputers()
    lf = frames.leaderboard_frames(rows, n_boot=20)
    tests = frames.pooled_tests(lf.matrices, lf.settings, lf.metrics)
    assert {(t.setting, t.metric) for t in tests} == {("in-sample", "armse"), ("downstream", "armse"),
                                                      ("downstream", "downstream")}
    table = frames.friedman_table(tests)
    assert list(table.columns) == ["setting", "metric", "k", "n_datasets", "chi2", "p_value", "cd", "alpha"]
    assert (table["k"] == 3).all() and (table["n_datasets"] == 2).all()
    assert table["cd"].iloc[0] == pytest.approx(lb.critical_difference(3, 2))


# -- paper tables -----------------------------------------------------------------------------------------
def test_paper_tables_follow_the_store() -> None:
    rows = synthetic_rows(datasets=("wine", "iris"), imputers=("mean", "knn"), mechanisms=("mcar",), rates=(0.2, 0.3),
                          seeds=(0, 1), failure_share=0.0)
    agg = lb.aggregate(rows)
    tables = {t.name: t for t in paper_tables(frames.cell_values(agg, frames.held_metrics(agg)), agg)}
    assert tables["paper-metagain-table2"].note == "The store holds no in-sample mar jobs at 20%."
    table1 = tables["paper-metagain-table1"]
    assert (table1.rows, table1.columns) == (["iris", "wine"], ["knn", "mean"])
    assert set(table1.frame["rate"]) == {0.2} and set(table1.frame["metric"]) == {"armse"}
    table4 = tables["paper-metagain-table4"]
    assert set(table4.frame["metric"]) == {"downstream"} and table4.frame["complete"].notna().all()
    expected = rows[rows["setting"] == "downstream"].groupby("dataset")["complete_downstream"].mean()
    assert table4.complete.to_dict() == pytest.approx(expected.to_dict())
    diffputer = tables["paper-diffputer-in-sample"]
    assert set(diffputer.frame["metric"]) == {"mae", "rmse"} and set(diffputer.frame["rate"]) == {0.3}
    assert diffputer.columns == ["iris · MAE", "iris · RMSE", "wine · MAE", "wine · RMSE"]


# -- facts ------------------------------------------------------------------------------------------------
def test_dataset_and_imputer_facts() -> None:
    rows = synthetic_rows(datasets=("wine", "iris"), imputers=("mean", "metagain"), mechanisms=("mcar",), rates=(0.2,),
                          seeds=(0,))
    rows["uses_labels"] = rows["imputer"] == "metagain"
    rows.loc[rows["dataset"] == "wine", "dropped_rows"] = 6
    rows.loc[rows["dataset"] == "iris", "dropped_rows"] = None
    known = facts.dataset_facts(rows)
    assert known.loc["wine", "dropped"] == 6 and np.isnan(known.loc["iris", "dropped"])
    assert known.loc["wine", "rows"] == 500 and known.loc["wine", "checksums"] == rows["dataset_checksum"].iloc[0]
    assert facts.uses_labels(rows) == {"mean": False, "metagain": True}
    assert facts.profiles(rows) == {"mean": "quick", "metagain": "quick"}
    assert facts.from_reference(rows) == set()
    origin = rows.assign(origin=np.where(rows["imputer"] == "mean", "reference", "store"))
    assert facts.from_reference(origin) == {"mean"}
    counts = facts.status_counts(rows.assign(status=["ok"] * (len(rows) - 1) + ["timeout"]))
    assert counts == {"ok": len(rows) - 1, "diverged": 0, "failed": 0, "timeout": 1, "infeasible": 0}


def test_the_classes_lost_with_dropped_rows_are_facts_of_a_dataset_and_an_old_store_has_none() -> None:
    """PROTOCOL §1: the rows' lost classes (JSON text) pooled per dataset in first-seen order; "[]" is
    known none, a null or a store from before the column is unknown (None), never a guess."""
    rows = synthetic_rows(datasets=("wine", "iris", "soy"), imputers=("mean", "knn"), mechanisms=("mcar",),
                          rates=(0.2,), seeds=(0,))
    rows["lost_classes"] = np.where(rows["dataset"] == "soy", '["2-4-d-injury", "herbicide-injury"]', "[]")
    rows.loc[(rows["dataset"] == "soy") & (rows["imputer"] == "knn"), "lost_classes"] = '["herbicide-injury", "x"]'
    rows.loc[rows["dataset"] == "iris", "lost_classes"] = None
    known = facts.dataset_facts(rows)["lost"]
    assert known["soy"] == ("2-4-d-injury", "herbicide-injury", "x") and known["wine"] == () and known["iris"] is None
    old = facts.dataset_facts(rows.drop(columns="lost_classes"))
    assert old["lost"].isna().all() and list(old.index) == ["iris", "soy", "wine"]


def test_the_histograms_show_one_condition_per_dataset_by_preference() -> None:
    rows = synthetic_rows(datasets=("wine",), imputers=("mean", "knn"), mechanisms=("mar", "mcar"),
                          rates=(0.1, 0.25, 0.5), seeds=(2, 1), failure_share=0.0)
    jobs = facts.reference_jobs(rows)
    assert set(zip(jobs["setting"], jobs["mechanism"], jobs["rate"], jobs["seed"])) == {("in-sample", "mcar", 0.25, 1)}
    assert sorted(jobs["imputer"]) == ["knn", "mean"]
    no_mcar = facts.reference_jobs(rows[rows["mechanism"] != "mcar"])
    assert set(no_mcar["mechanism"]) == {"mar"}


def test_sample_statistics_show_a_collapsed_imputer() -> None:
    true = np.arange(1.0, 9.0)
    part = pd.DataFrame({"panel": ["mean"] * 8 + ["knn"] * 8, "true_value": np.r_[true, true],
                         "imputed_value": np.r_[np.full(8, true.mean()), true + 0.1]})
    stats = {r["panel"]: r for r in facts.sample_statistics(part)}
    assert stats["mean"]["imputed_iqr"] == 0 and stats["knn"]["imputed_iqr"] == pytest.approx(stats["knn"]["true_iqr"])
    assert stats["knn"]["imputed_median"] == pytest.approx(4.6)


def test_an_imputers_standing_curve_and_cells_per_dataset() -> None:
    rows = three_imputers()
    lf = frames.leaderboard_frames(rows, n_boot=20)
    mine = lf.boards[(lf.boards["imputer"] == "C") & (lf.boards["setting"] == "in-sample")
                     & (lf.boards["metric"] == "armse")]
    assert facts.standing(mine)["mean_rank"] == 3.0 and facts.standing(mine)["n_bad"] == 0
    assert facts.standing(mine.iloc[:0]) is None
    assert list(facts.rank_curve(mine).itertuples(index=False)) == [("mcar", 0.2, 3.0)]
    summary = facts.per_dataset_summary(lf.cells[lf.cells["imputer"] == "A"])
    in_sample = summary[summary["setting"] == "in-sample"].set_index("dataset")
    assert in_sample.loc["d1", "best"] == 1 and in_sample.loc["d2", "best"] == 0 and in_sample.loc["d1", "cells"] == 1
    assert set(summary["metric"]) == {"armse", "downstream"}  # each setting's primary metric


def test_failures_table_and_summary() -> None:
    rows = frame([job("d", "A", 0.1), job("d", "B", None, status="failed", error="boom"),
                  job("e", "B", None, status="failed", error="boom"), job("e", "C", None, status="timeout")])
    failures = frames.failures_table(rows)
    assert list(failures["imputer"]) == ["B", "B", "C"]
    summary = facts.failure_summary(failures)
    assert summary.iloc[0][["imputer", "status", "error", "jobs"]].tolist() == ["B", "failed", "boom", 2]


# -- the transfer page's tables ---------------------------------------------------------------------------
def test_strategy_wins_and_negative_counts() -> None:
    summary = pd.DataFrame({
        "task": ["t", "t", "t", "t", "u", "u"], "imputer": "A", "n_target": [50, 50, 200, 200, 50, 50],
        "strategy": ["target-only", "pooled"] * 3, "gain_mean": [0.0, 0.1, 0.0, -0.2, 0.0, -0.4],
        "gain_low": [0.0, 0.05, 0.0, -0.3, np.nan, np.nan], "verdict": [True, True, True, True, False, False],
        "negative": [False, False, False, True, False, False]})
    wins = strategy_wins(summary).set_index("n_target")
    assert (wins.loc[50, "pooled"], wins.loc[50, "target-only"], wins.loc[50, "total"]) == (1, 1, 2)
    assert (wins.loc[200, "pooled"], wins.loc[200, "target-only"]) == (0, 1)
    counts = negative_counts(summary)
    assert counts.loc[("A", "t"), ["negative", "cells", "too_few"]].tolist() == [1, 2, 0]
    assert counts.loc[("A", "t"), "mean"] == pytest.approx(-0.05)
    # A pair whose cells lack a verdict: no cell counted, the heat map says n/a, never 0/0.
    assert counts.loc[("A", "u"), ["negative", "cells", "too_few"]].tolist() == [0, 0, 1]
    from imputebench.reports.transfer_page import negative_heatmap

    row = negative_heatmap(summary)["rows"][0]["cells"]
    assert [c["text"] for c in row] == ["1/2", "n/a"] and "too few masks" in row[1]["title"]


# -- the page seam ----------------------------------------------------------------------------------------
class RecordingSite:
    """A stand-in for the builder that records what a page asks of it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: self.calls.append(name)


def test_each_track_page_gets_its_own_rows_and_none_without_them() -> None:
    from imputebench.reports.site import track_pages

    main = synthetic_rows(datasets=("wine",), imputers=("mean",), mechanisms=("mcar",), rates=(0.2,), seeds=(0,))
    transfer_page = "imputebench.reports.transfer_page:add_transfer_page"
    calls = track_pages(main)
    assert calls and transfer_page not in [page for page, _ in calls]  # no transfer rows: no transfer page
    assert all(len(rows) == len(main) for _, rows in calls)
    assert track_pages(pd.DataFrame({"imputer": ["mean"]}))  # a store without a track column is the main track's
    other = main.assign(track="transfer")
    both = pd.concat([main.assign(track=None), other], ignore_index=True)
    routed = dict(track_pages(both))
    assert (routed[transfer_page]["track"] == "transfer").all() and len(routed[transfer_page]) == len(other)
    assert len(routed["imputebench.reports.pages.index:add_index_page"]) == len(main)
    site = RecordingSite()
    load_page(transfer_page)(site, other.iloc[:0])  # called with no rows, it adds nothing
    assert site.calls == []


@pytest.mark.parametrize(("name", "says"), [
    ("imputebench.reports.pages.nothing:add", "module imputebench.reports.pages.nothing cannot be imported"),
    ("imputebench.reports.pages.index", "is not named as 'package.module:function'"),
    ("imputebench.reports.pages.index:TOO_FEW", "module imputebench.reports.pages.index has no function TOO_FEW"),
    ("imputebench.reports.pages.index:missing", "has no function missing")])
def test_a_page_that_cannot_be_loaded_is_one_line(name: str, says: str) -> None:
    with pytest.raises(ImputeBenchError) as error:
        load_page(name)
    assert len(str(error.value).splitlines()) == 1 and says in str(error.value)


NOTES_PAGE = '''
import pandas as pd


def add_page(site, rows: pd.DataFrame) -> None:
    data = site.write_table("notes", rows.groupby("imputer").size().rename("jobs").reset_index(), "jobs per imputer")
    site.link("Notes", "notes.html")
    site.render("notes_track:notes.html.j2", "notes.html", data=data, imputers_seen=sorted(set(rows["imputer"])))
'''
NOTES_TEMPLATE = '''{% extends "base.html.j2" %}
{% block content %}<h1>Notes</h1><p id="notes">{{ imputers_seen|join(", ") }}: {{ data.csv }}</p>{% endblock %}
'''


def test_a_page_from_outside_the_package_plugs_in_by_its_dotted_name(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A page and its template in a package of its own: a table, an HTML page, a navigation link."""
    from imputebench.reports.site import build_site

    package = tmp_path / "notes_track"
    package.mkdir()
    (package / "__init__.py").write_text(NOTES_PAGE)
    (package / "notes.html.j2").write_text(NOTES_TEMPLATE)
    monkeypatch.syspath_prepend(str(tmp_path))
    rows = synthetic_rows(datasets=("wine",), imputers=("mean", "knn"), mechanisms=("mcar",), rates=(0.2,), seeds=(0,))
    build_site(rows, tmp_path / "site", pages=("notes_track:add_page",))
    site = tmp_path / "site"
    assert sorted(p.name for p in site.glob("*.html")) == ["notes.html", "protocol.html"]  # the protocol ships always
    html = (site / "notes.html").read_text()
    assert '<a href="notes.html" class="here">Notes</a>' in html
    assert '<p id="notes">knn, mean: data/notes.csv</p>' in html and "Provenance" in html
    assert pd.read_csv(site / "data" / "notes.csv").to_dict("list") == {"imputer": ["knn", "mean"], "jobs": [2, 2]}


# -- the protocol page and its citations ----------------------------------------------------------------
def test_protocol_sections_are_anchored_and_its_contents_links_follow() -> None:
    from imputebench.reports.pages.protocol import render_protocol

    html = str(render_protocol("Contents: [6 Aggregation](#6-aggregation)\n\n## 6. Aggregation\n\nRanks.\n\n"
                               "## Notes\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"))
    assert '<h2 id="s6">6. Aggregation</h2>' in html
    assert 'href="#s6"' in html and "#6-aggregation" not in html
    assert '<h2 id="notes">' in html and "<table>" in html


def test_the_shipped_protocol_has_every_section_anchored() -> None:
    from imputebench.reports.pages.protocol import protocol_html

    sections = re.findall(r"^## (\d+)\.", (Path(__file__).parents[1] / "docs" / "protocol.md").read_text("utf-8"), re.MULTILINE)
    assert len(sections) >= 10
    html = str(protocol_html())
    for n in sections:
        assert f'id="s{n}"' in html, n
    assert not re.search(r'href="#(?!s\d)', html)  # every contents link lands on an anchor that exists


def test_citations_are_linked_in_text_only() -> None:
    from imputebench.reports.pages.protocol import link_citations

    html = ('<p title="see PROTOCOL §5">ranked (PROTOCOL §6), ties within §6\'s tolerance; §10 too</p>'
            '<a href="x.html">PROTOCOL §7</a><option>§2</option><title>§3</title>')
    linked = link_citations(html)
    assert '<p title="see PROTOCOL §5">' in linked  # an attribute stays an attribute
    assert '(<a class="cite" href="protocol.html#s6">PROTOCOL §6</a>)' in linked
    assert '<a class="cite" href="protocol.html#s6">§6</a>\'s' in linked
    assert '<a class="cite" href="protocol.html#s10">§10</a> too' in linked
    assert '<a href="x.html">PROTOCOL §7</a>' in linked and "<option>§2</option><title>§3</title>" in linked
    assert linked.count('class="cite"') == 3
    assert link_citations("<p>no citation</p>") == "<p>no citation</p>"


def test_metric_headers_carry_their_declared_direction() -> None:
    from imputebench.protocol.metrics import METRICS_DECLARED
    from imputebench.reports.pages.view import METRIC_HEADERS

    assert METRIC_HEADERS["armse"] == "ARMSE ↓" and METRIC_HEADERS["downstream"] == "downstream score ↑"
    for m in METRICS_DECLARED:
        assert METRIC_HEADERS[m.name].endswith("↑" if m.higher_is_better else "↓"), m.name


# -- what is said under a CD diagram ----------------------------------------------------------------------
def test_friedman_from_mean_ranks_is_scipys_test_on_untied_ranks() -> None:
    from scipy import stats

    ranks = np.array([[1, 2, 3, 4], [2, 1, 3, 4], [1, 3, 2, 4], [1, 2, 4, 3], [2, 1, 4, 3]], dtype=float)
    statistic, p = frames.friedman_from_ranks(ranks.mean(axis=0), len(ranks))
    expected = stats.friedmanchisquare(*ranks.T)
    assert statistic == pytest.approx(expected.statistic) and p == pytest.approx(expected.pvalue)


def test_cd_reading_warns_when_the_datasets_cannot_separate_the_imputers() -> None:
    nine = pd.Series(np.linspace(3.5, 6.6, 9), index=[f"i{j}" for j in range(9)])
    four = frames.cd_reading(nine, 4, lb.critical_difference(9, 4))  # the 4 datasets, 9 imputers
    assert four.cd > four.spread == pytest.approx(3.1) and four.k == 9 and four.n_datasets == 4
    assert "4 datasets are too few to separate these 9 imputers" in four.warning
    spread_out = pd.Series(np.arange(1.0, 10.0), index=nine.index)  # every dataset agrees: spread 8 > CD
    few = frames.cd_reading(spread_out, 10, lb.critical_difference(9, 10))
    assert few.pvalue < 1e-6 and "fewer than 2k = 18" in few.warning
    many = frames.cd_reading(spread_out, 40, lb.critical_difference(9, 40))
    assert many.warning == ""
    level = frames.cd_reading(pd.Series([1.9, 2.0, 2.1], index=list("abc")), 40, 0.05)
    assert level.pvalue > 0.05 and "finds no difference" in level.warning


# -- the overview's per-dataset matrix -------------------------------------------------------------------
def test_heat_colours_run_from_blue_best_to_orange_worst() -> None:
    from imputebench.reports.colours import heat_colours

    colours = heat_colours(np.array([1.0, 2.0, 3.0, np.nan, 9.0]), 1.0, 3.0)
    assert list(colours) == ["#67a9cf", "#f7f7f7", "#ef8a62", "", "#ef8a62"]  # clipped beyond the worst
    assert list(heat_colours(np.array([0.9, 0.1]), 0.9, 0.1)) == ["#67a9cf", "#ef8a62"]  # higher is better


def test_dataset_rank_matrix_ranks_each_imputer_on_each_dataset() -> None:
    jobs = [job(d, i, v) for d, values in (("iris", (0.1, 0.2, 0.3)), ("wine", (0.3, 0.1, 0.2)))
            for i, v in zip("ABC", values)]
    rows = frame(jobs)
    matrix = lb.block_matrices(rows, ["armse"])[("in-sample", "armse")]
    ranked = frames.dataset_rank_matrix(lb.rank_imputers(matrix, "armse", n_boot=10))
    assert list(ranked.columns) == frames.MATRIX_COLUMNS
    cell = ranked.set_index(["imputer", "dataset"])
    assert cell.loc[("A", "iris"), "rank"] == 1 and cell.loc[("A", "wine"), "rank"] == 3
    assert cell.loc[("B", "wine"), "rank"] == 1 and cell.loc[("B", "wine"), "score"] == pytest.approx(0.1)
    assert cell.loc[("A", "iris"), "colour"] == "#67a9cf" and cell.loc[("A", "wine"), "colour"] == "#ef8a62"
    assert list(dict.fromkeys(ranked["imputer"])) == ["B", "A", "C"]  # mean ranks 1.5, 2, 2.5: best first


# -- provenance as a reader reads it ----------------------------------------------------------------------
def test_provenance_values_are_text_not_python_reprs() -> None:
    from imputebench.reports.provenance import human_list, human_time, human_value

    assert human_list([1]) == "1" and human_list([0, 1]) == "0, 1" and human_list([0, 1, 2, 3, 4]) == "0–4"
    assert human_list(np.array([7, 0, 1, 2, 9])) == "0–2, 7, 9"
    assert human_time("2026-11-21 09:00:00.123456+00:00") == "2026-11-21 09:00 UTC"
    assert human_time(pd.Timestamp("2026-11-21T10:30:59", tz="Europe/Paris")) == "2026-11-21 09:30 UTC"
    assert human_time("2026-11-20T10:00") == "2026-11-20 10:00 UTC" and human_time(None) == ""
    assert human_value({"imputebench": "0.1.0", "numpy": ["2.3", "2.4"]}) == "imputebench 0.1.0, numpy 2.3 / 2.4"
    assert human_value(["quick", "paper"]) == "quick, paper"


# -- one entry per imputer and hyper-parameters ------------------------------------------------------------
def configured(imputer: str, params: str | None, overridden: bool | None, *, profile: str = "ci",
               track: str = "main", armse: float = 0.3, dataset: str = "d") -> dict:
    return {**job(dataset, imputer, armse), "params": params, "profile": profile, "params_overridden": overridden,
            "track": track}


def test_jobs_with_other_parameters_are_their_own_entry_named_by_the_keys_that_differ() -> None:
    rows = frame([configured("knn", '{"n_neighbors": 5}', False), configured("knn", '{"n_neighbors": 3}', True),
                  configured("knn", '{"n_neighbors": 3, "weights": "distance"}', True),
                  configured("mean", "{}", False), configured("knn", None, None, dataset="e")])
    out = entries.parameter_entries(rows)
    assert list(out["imputer"]) == ["knn", "knn[n_neighbors=3,weights=default]",
                                    "knn[n_neighbors=3,weights=distance]", "mean", "knn"]
    assert list(out["base_imputer"]) == ["knn", "knn", "knn", "mean", "knn"]
    # a row older than the columns ran with its profile's declared params, not overridden
    assert out["params"].iloc[4] == '{"n_neighbors": 5}' and out["params_overridden"].iloc[4] == False  # noqa: E712
    assert entries.entry_params(out)["knn[n_neighbors=3,weights=distance]"] == "n_neighbors=3, weights=distance"
    # the rankings then never pool them: three knn entries ranked apart
    assert set(lb.aggregate(out)["imputer"]) == {"knn", "knn[n_neighbors=3,weights=default]",
                                                 "knn[n_neighbors=3,weights=distance]", "mean"}


def test_a_lone_override_is_named_and_a_store_without_the_flag_is_compared_with_the_declaration() -> None:
    rows = frame([configured("gain", '{"iterations": 200}', None, profile="quick"),
                  configured("gain", '{"adapt_iterations": 200, "batch_size": 256, "iterations": 400, "learning_rate": 0.01}',
                             None, track="transfer",
                             profile="quick"),
                  configured("mean", "{}", None)])
    out = entries.parameter_entries(rows)
    assert list(out["imputer"]) == ["gain[iterations=200]", "gain", "mean"]  # per track: main's own override
    assert list(out["params_overridden"]) == [True, False, False]
    declared = {("x", "quick"): {"a": 1}, ("x", "paper"): {"a": 2}}
    two_profiles = frame([configured("x", '{"a": 1}', False, profile="quick"),
                          configured("x", '{"a": 2}', False, profile="paper")])
    named = entries.parameter_entries(two_profiles, lambda i, p: declared[(i, p)])
    assert list(named["imputer"]) == ["x[a=1]", "x[a=2]"]  # two profiles' own params: neither is pooled
    assert list(entries.parameter_entries(frame([configured("mean", "{}", False)]))["imputer"]) == ["mean"]
    lost = entries.parameter_entries(frame([configured("knn", None, None), {**configured("x", "{}", None), "imputer": None}]))
    assert list(lost["imputer"].fillna("none")) == ["knn", "none"]  # a row without an imputer keeps none


def test_downloads_carry_each_entrys_parameters() -> None:
    table = pd.DataFrame({"setting": ["s", "s"], "imputer": ["knn", "knn[n_neighbors=3]"], "mean": [1.0, 2.0]})
    out = entries.with_params(table, {"knn": "n_neighbors=5", "knn[n_neighbors=3]": "n_neighbors=3"})
    assert list(out.columns) == ["setting", "imputer", "params", "mean"]
    assert list(out["params"]) == ["n_neighbors=5", "n_neighbors=3"]


def test_an_imputer_pages_configuration_comes_from_its_rows_and_its_one_declaration() -> None:
    from imputebench.registry import info_of

    plain = facts.imputer_configuration(info_of("mice_linear"), ['{"logistic_max_iter": 50, "max_iter": 5}'], ["ci"])
    assert plain["ran"] == [[("logistic_max_iter", "50"), ("max_iter", "5")]] and plain["overridden"] == []
    by_profile = {d["profile"]: d for d in plain["declared"]}
    assert by_profile["paper"]["params"] == [("logistic_max_iter", "100"), ("max_iter", "10")]
    assert by_profile["ci"]["source"] == "quick" and by_profile["ci"]["ran"] and not by_profile["paper"]["ran"]
    assert by_profile["quick"]["deviations"] == [str(d) for d in info_of("mice_linear").deviations
                                                 if d.profile == "quick"] != []
    assert by_profile["ci"]["deviations"] == by_profile["quick"]["deviations"]  # ci runs quick's cut values
    assert by_profile["paper"]["deviations"] == []
    knn = facts.imputer_configuration(info_of("knn"), ['{"n_neighbors": 3}'], ["ci"])
    assert knn["ran"] == [[("n_neighbors", "3")]] and knn["overridden"] == ["n_neighbors"]
    gain = facts.imputer_configuration(info_of("gain"), ['{"iterations": 600}'], ["quick"])
    assert gain["common"] == [str(d) for d in info_of("gain").deviations if d.profile is None] != []
    assert facts.imputer_configuration(None, ["{}"], ["quick"]) == {"ran": [[]], "overridden": [], "declared": [],
                                                                    "common": []}
