"""The static site end to end from a generated store: files, escaping, failures marked, provenance, the
command, publishing. What the pages show is checked on frames in test_site_frames.py."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imputebench.commands import report
from imputebench.reports.pages.html import slug
from imputebench.reports.provenance import provenance_from_rows
from imputebench.reports.site import build_site
from imputebench.harness.store import ResultStore
from synthetic import synthetic_rows, synthetic_samples  # tests/synthetic.py

EVIL = "<script>alert(1)</script>"
EVIL_IMPUTER = 'x"><img src=x onerror=alert(2)>'
PROVENANCE = {"protocol_version": 1, "versions": {"imputebench": "0.1.0", "numpy": "2.4"}, "seeds": [0, 1],
              "date": "2026-11-21T09:00:00Z", "command": "imputebench run --datasets wine"}


def small_rows(**kw) -> pd.DataFrame:
    args = dict(datasets=("wine", EVIL), imputers=("mean", "knn", EVIL_IMPUTER), mechanisms=("mcar", "mar"),
                rates=(0.2, 0.3), seeds=(0, 1), failure_share=0.05, seed=2)
    args.update(kw)
    return synthetic_rows(**args)


def fail_cell(rows: pd.DataFrame, dataset: str, imputer: str, error: str) -> pd.DataFrame:
    """Every seed of one (in-sample, mcar, 0.2) cell fails with ``error``."""
    rows = rows.copy()
    where = ((rows["dataset"] == dataset) & (rows["imputer"] == imputer) & (rows["setting"] == "in-sample")
             & (rows["mechanism"] == "mcar") & (rows["rate"] == 0.2))
    rows.loc[where, "status"] = "failed"
    rows.loc[where, "error"] = error
    rows.loc[where, ["mae", "rmse", "armse", "cat_accuracy", "jsdist", "rl", "w1"]] = np.nan
    return rows


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One site for the end-to-end checks: a failed cell, a diverged one, an imputer that sees the labels
    (PROTOCOL §3), a dataset with rows dropped from its source and one where that is unknown, samples,
    every figure drawn (the cap: test_a_store_without_samples_or_mar_jobs_gives_notes)."""
    results = tmp_path_factory.mktemp("results")
    rows = fail_cell(small_rows(), "wine", "knn", "RuntimeError: <b>singular</b> matrix")
    diverged = ((rows["dataset"] == EVIL) & (rows["imputer"] == "mean") & (rows["setting"] == "in-sample")
                & (rows["mechanism"] == "mar") & (rows["rate"] == 0.3))
    rows.loc[diverged, "status"] = "diverged"
    rows.loc[diverged, "error"] = "imputed values 1e9 times the observed range"
    rows["uses_labels"] = rows["imputer"] == "knn"
    rows.loc[rows["dataset"] == "wine", "dropped_rows"] = 6
    rows.loc[rows["dataset"] == "wine", "lost_classes"] = '["z", "<q>"]'  # the others: from before the column
    rows.loc[rows["dataset"] == EVIL, "dropped_rows"] = None
    synthetic_samples(rows, results)
    build_site(rows, results / "site", PROVENANCE, samples=results, n_boot=100)
    return results / "site"


def pages(site: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in site.glob("*.html")}


def test_pages_assets_and_tables_exist(site: Path) -> None:
    names = set(pages(site))
    assert {"index.html", "paper.html", "results-in-sample-mcar.html", "results-downstream-mar.html",
            "dataset-wine.html", f"dataset-{slug(EVIL)}.html", "imputer-knn.html",
            f"imputer-{slug(EVIL_IMPUTER)}.html"} <= names
    assert (site / "assets" / "site.js").exists() and (site / "assets" / "style.css").exists()
    assert len(pd.read_parquet(site / "data" / "jobs.parquet")) == 2 * 2 * 2 * 2 * 2 * 3  # the whole store
    for table in ("aggregate", "leaderboard", "failures", "paper-metagain-table1"):
        csv, parquet = site / "data" / f"{table}.csv", site / "data" / f"{table}.parquet"
        assert csv.exists() and parquet.exists(), table
        assert len(pd.read_parquet(parquet)) == len(pd.read_csv(csv)) > 0


def test_every_figure_is_drawn_by_default(site: Path) -> None:
    html = "".join(pages(site).values())
    assert "Not drawn" not in html and "Could not be drawn" not in html
    drawn = set(re.findall(r'src(?:set)?="(plots/[^"]+\.svg)"', html))
    assert drawn == {f"plots/{p.name}" for p in (site / "plots").glob("*.svg")}
    # every imputer page has its rank curves and Pareto plots, every dataset page its histograms
    imputer = (site / "imputer-knn.html").read_text(encoding="utf-8")
    assert 'src="plots/rank-knn-' in imputer and 'src="plots/pareto-knn-' in imputer
    assert 'src="plots/hist-ds-wine-' in (site / "dataset-wine.html").read_text(encoding="utf-8")
    # the CD diagram and the Pareto plot exist for each mechanism and rate selection, not only pooled
    assert {"cd-in-sample-armse.svg", "cd-in-sample-armse-mar-0.2.svg", "cd-in-sample-armse-all-0.3.svg",
            "pareto-in-sample-armse-mar-all.svg", "pareto-in-sample-rmse.svg"} <= {p.name for p in (site / "plots").iterdir()}


def filter_options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select data-filter="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"', select)


def overview_figures(html: str) -> list[dict[str, str]]:
    """Each figure of the overview: its data attributes and its image (``src``, absent for a note)."""
    out = []
    for attrs, body in re.findall(r'<figure class="plot filterable"([^>]*)>(.*?)</figure>', html, re.S):
        found = dict(re.findall(r'data-([\w-]+)="([^"]*)"', attrs))
        image = re.search(r'<img src="([^"]+)"', body)
        out.append({**found, "src": image.group(1) if image else ""})
    return out


def test_the_overview_figures_follow_setting_metric_mechanism_and_rate(site: Path) -> None:
    """Issue 35: per setting, metric, mechanism and rate, one CD diagram and one Pareto plot, each its own
    image (the page's script shows the selected one); the family filter and the search box do not filter
    an image, and the page says so beside both figures."""
    html = (site / "index.html").read_text(encoding="utf-8")
    metrics = filter_options(html, "metric")
    assert {"armse", "rmse", "mae"} <= set(metrics)
    figures = overview_figures(html)
    assert not any("family" in f for f in figures)  # one image whatever the family filter says
    for kind in ("cd", "pareto"):
        of_kind = [f for f in figures if f["src"].startswith(f"plots/{kind}-")]
        for mechanism, rate in (("all", "all"), ("mar", "0.2"), ("mcar", "all")):
            srcs = {}
            for metric in ("armse", "rmse"):
                match = [f for f in of_kind if (f["setting"], f["metric"], f["mechanism"], f["rate"])
                         == ("in-sample", metric, mechanism, rate)]
                assert len(match) == 1, (kind, metric, mechanism, rate)
                srcs[metric] = match[0]["src"]
            assert len(set(srcs.values())) == len(srcs), kind  # every metric: its own image
    assert html.count('<p class="note search-note" hidden>') == 2
    assert "The family filter and the search box do not filter the figure" in html


def test_a_dataset_pages_pareto_plot_follows_its_metric_filter(site: Path) -> None:
    """Beside each setting and metric's curves, the Pareto plot of that metric (not the primary one's)."""
    html = (site / "dataset-wine.html").read_text(encoding="utf-8")
    figures = overview_figures(html)
    curves = {(f["setting"], f["metric"]) for f in figures if f["src"].startswith("plots/rate-")}
    paretos = {(f["setting"], f.get("metric")): f["src"] for f in figures if f["src"].startswith("plots/pareto-")}
    assert {("in-sample", "rmse"), ("downstream", "downstream")} <= curves and set(paretos) == curves
    assert paretos[("in-sample", "rmse")] == "plots/pareto-wine-in-sample-rmse.svg"
    assert set(filter_options(html, "metric")) >= {m for _, m in curves}


def test_histograms_use_one_imputed_colour_and_a_true_colour_no_imputer_has() -> None:
    from imputebench.reports import plots

    assert plots.TRUE_COLOUR not in plots.PALETTE and plots.IMPUTED_COLOUR not in plots.PALETTE
    samples = pd.DataFrame({"feature": "f", "categorical": False, "panel": ["iris"] * 4 + ["wine"] * 4,
                            "true_value": [1.0, 2, 3, 4, 100, 200, 300, 400],
                            "imputed_value": [1.5, 2, 2.5, 3, 150, 250, 300, 350],
                            "true_label": None, "imputed_label": None})
    per_panel = plots.histograms(samples, "f", ["iris", "wine"], shared_x=False)
    shared = plots.histograms(samples, "f", ["iris", "wine"], shared_x=True)
    assert f'fill="{plots.IMPUTED_COLOUR}"' in per_panel
    assert not any(f'fill="{c}"' in per_panel for c in plots.PALETTE)
    # each dataset its own x range: iris's axis ends at 4, not at wine's 400
    assert ">1</text>" in per_panel and ">4</text>" in per_panel and ">400</text>" in per_panel
    assert shared.count(">400</text>") == 2


def test_every_link_and_asset_is_local(site: Path) -> None:
    for name, html in pages(site).items():
        assert not re.search(r'(src|href)="(https?:)?//', html), name
        for target in re.findall(r'(?:src|href)="([^"#]+)"', html):
            assert (site / target).exists(), f"{name} links to missing {target}"


def test_strings_from_datasets_and_plugins_are_escaped(site: Path) -> None:
    for name, html in pages(site).items():
        assert EVIL not in html, name
        assert "<img src=x" not in html, name
        assert html.count("<script") == 1, name  # the site's own script tag only
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert "x&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in index


def test_failed_cell_is_marked_with_its_error(site: Path) -> None:
    html = (site / "results-in-sample-mcar.html").read_text(encoding="utf-8")
    cell = re.search(r'<td class="st-failed" title="([^"]*)" data-sort="">failed</td>', html)
    assert cell is not None
    assert "2 of 2 jobs did not succeed (failed): RuntimeError: &lt;b&gt;singular&lt;/b&gt; matrix" in cell.group(1)
    failures = pd.read_csv(site / "data" / "failures.csv")
    assert ((failures["dataset"] == "wine") & (failures["imputer"] == "knn") & (failures["status"] == "failed")).sum() >= 2
    imputer_page = (site / "imputer-knn.html").read_text(encoding="utf-8")
    assert "RuntimeError: &lt;b&gt;singular&lt;/b&gt; matrix" in imputer_page


def test_diverged_jobs_are_marked_as_failures(site: Path) -> None:
    results = (site / "results-in-sample-mar.html").read_text(encoding="utf-8")
    cell = re.search(r'<td class="(st-diverged[^"]*)" title="([^"]*)"', results)
    assert cell is not None and "did not succeed (diverged): imputed values 1e9" in cell.group(2)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<span class="badge st-diverged" title="2 diverged job\(s\)">2 diverged</span>', index)


def test_label_using_imputers_are_marked_on_the_leaderboard(site: Path) -> None:
    # PROTOCOL §3: an imputer that sees the training labels is marked where it is ranked.
    marked = re.findall(r'imputer-(\w+)\.html">\w+</a> <span class="badge labels"', (site / "index.html").read_text())
    assert set(marked) == {"knn"}
    assert "This imputer sees the training labels" in (site / "imputer-knn.html").read_text(encoding="utf-8")


def test_a_datasets_size_says_how_many_rows_were_dropped(site: Path) -> None:
    """PROTOCOL §1: dropped rows, and the classes lost with them, are shown wherever the dataset's size is
    shown; unknown stays silent."""
    wine = (site / "dataset-wine.html").read_text(encoding="utf-8")
    assert ("500 rows × 8 features (6 rows with missing values dropped from the source; classes &#39;z&#39;, "
            "&#39;&lt;q&gt;&#39; no longer present, "
            '<a class="cite" href="protocol.html#s1">PROTOCOL §1</a>)') in wine
    evil = (site / f"dataset-{slug(EVIL)}.html").read_text(encoding="utf-8")
    assert "rows with missing values dropped" not in evil and "no longer present" not in evil
    jobs = pd.read_parquet(site / "data" / "jobs.parquet")  # the job rows' download says it too
    assert set(jobs.loc[jobs["dataset"] == "wine", "lost_classes"]) == {'["z", "<q>"]'}


def test_best_value_marked_per_row(site: Path) -> None:
    aggregate = pd.read_parquet(site / "data" / "aggregate.parquet")
    part = aggregate[(aggregate["setting"] == "in-sample") & (aggregate["mechanism"] == "mar")
                     & (aggregate["rate"] == 0.3) & (aggregate["dataset"] == "wine")]
    best = part.loc[part["armse_mean"].idxmin()]
    html = (site / "results-in-sample-mar.html").read_text(encoding="utf-8")
    table = html[html.index('data-rate="0.3" data-metric="armse"'):]
    row = table[table.index('href="dataset-wine.html"'):]
    row = row[:row.index("</tr>")]
    assert re.search(r'class="[^"]*best[^"]*"[^>]*>' + f"{best['armse_mean']:.3f}", row)
    assert row.count("best") == 1


def test_provenance_on_every_page(site: Path) -> None:
    for name, html in pages(site).items():
        assert "imputebench run --datasets wine" in html, name
        assert "imputebench 0.1.0, numpy 2.4" in html, name


def test_histograms_and_descriptive_statistics_from_samples(site: Path) -> None:
    html = (site / "dataset-wine.html").read_text(encoding="utf-8")
    assert "Descriptive statistics, true vs imputed" in html
    stats = pd.read_csv(site / "data" / "describe-ds-wine.csv")
    mean_rows = stats[stats["panel"] == "mean"]
    assert (mean_rows["imputed_iqr"] == 0).all()  # the collapsed imputer shows no spread
    assert (stats.loc[stats["panel"] == "knn", "imputed_iqr"] > 0).all()


def test_a_store_without_samples_or_mar_jobs_gives_notes(tmp_path: Path) -> None:
    rows = small_rows(imputers=("mean", "knn", "mice"), mechanisms=("mcar",), rates=(0.2, 0.3))
    build_site(rows, tmp_path / "site", PROVENANCE, samples=None, max_plots=0, n_boot=20)
    html = (tmp_path / "site" / "dataset-wine.html").read_text(encoding="utf-8")
    assert "No samples of imputed values in this store" in html
    assert "Not drawn: the report&#39;s --max-plots cap is reached" in html
    assert not list((tmp_path / "site" / "plots").glob("*.svg"))
    paper = (tmp_path / "site" / "paper.html").read_text(encoding="utf-8")
    assert "The store holds no in-sample mar jobs at 20%." in paper  # no MAR in this store
    assert "The store holds no in-sample MCAR jobs at 30%." not in paper
    for table in ("paper-metagain-table1", "paper-metagain-table4", "paper-diffputer-in-sample"):
        assert (tmp_path / "site" / "data" / f"{table}.csv").is_file(), table


def test_provenance_from_rows() -> None:
    rows = small_rows(mechanisms=("mcar",), rates=(0.2,))
    prov = provenance_from_rows(rows, "imputebench report")
    assert prov["protocol_version"] == [1] and prov["seeds"] == [0, 1]
    assert prov["versions"]["imputebench"] == "0.1.0" and prov["rendered_by"] == "imputebench report"
    assert prov["command"] == "not recorded in this store"  # a report never passes for the run
    assert prov["date"].startswith("2026-11-21")
    assert prov["profile"] == "quick" and prov["grid"].endswith(f"= {len(rows)} jobs")
    assert provenance_from_rows(rows, "imputebench run --datasets wine")["command"] == "imputebench run --datasets wine"


def test_a_store_filled_by_several_runs_lists_each(tmp_path: Path) -> None:
    import json

    first = small_rows(imputers=("mean", "knn"), mechanisms=("mcar",), rates=(0.2,))
    second = small_rows(imputers=("mice",), mechanisms=("mcar",), rates=(0.2,))
    second["versions"] = json.dumps({"imputebench": "0.2.0"})
    second["finished_at"] = first["finished_at"].max() + pd.Timedelta(days=1)
    rows = pd.concat([first, second], ignore_index=True)
    prov = provenance_from_rows(rows, "imputebench report")
    assert [(r["imputebench"], r["jobs"]) for r in prov["runs"]] == [("0.1.0", len(first)), ("0.2.0", len(second))]
    records = [{"run_id": "r1", "started_at": "2026-11-20T10:00", "finished_at": "2026-11-20T10:05", "command":
                "imputebench run --imputers mean,knn", "imputebench_version": "0.1.0", "protocol_version": 1,
                "profile": "quick", "grid": {}, "status_counts": {"ok": 10}},
               {"run_id": "r2", "started_at": "2026-11-21T10:00", "finished_at": "2026-11-21T10:02", "command":
                "imputebench run --imputers mice", "imputebench_version": "0.2.0", "protocol_version": 1,
                "profile": "quick", "grid": {}, "status_counts": {"ok": 4, "failed": 1}}]
    prov = provenance_from_rows(rows, "imputebench report", runs=records)
    assert prov["command"] == "imputebench run --imputers mean,knn; imputebench run --imputers mice"
    index = build_site(rows, tmp_path / "site", prov, max_plots=0, n_boot=20).read_text(encoding="utf-8")
    assert "Runs that filled this store" in index and "4 ok, 1 failed" in index
    assert "imputebench run --imputers mice" in index and "imputebench report" in index


def test_report_command_renders_the_store(tmp_path: Path, capsys: pytest.CaptureFixture,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    rows = small_rows(imputers=("mean", "knn", "mice"), mechanisms=("mcar",), rates=(0.2,))
    ResultStore(tmp_path / "results").append(rows.to_dict("records"))
    argv = ["report", "--results", str(tmp_path / "results"), "--out", str(tmp_path / "out"), "--max-plots", "2"]
    monkeypatch.setattr("sys.argv", ["imputebench", *argv])
    # The command module's own parser: the test does not depend on bench/cli.py's module list.
    parser = argparse.ArgumentParser(prog="imputebench")
    report.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    assert args.func(args) == 0
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "imputebench report --results" in index
    assert f"{len(rows)} jobs" in index
    assert "site written" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["-1", "many"])
def test_report_rejects_a_bad_plot_budget_with_one_line(tmp_path: Path, value: str) -> None:
    out = subprocess.run([sys.executable, "-m", "imputebench.cli", "report", "--results", str(tmp_path),
                          "--max-plots", value], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "--max-plots takes a whole number of figures, 0 or more" in lines[0], out.stderr
    assert not (tmp_path / "site").exists()


# -- a report that is safe to run anywhere, any time ---------------------------------------------------
def report_cli(*argv: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "imputebench.cli", "report", *argv], capture_output=True, text=True,
                          timeout=timeout)


def report_here(*argv: str) -> int:
    """``imputebench report ARGV`` in this process (the command module's own parser)."""
    parser = argparse.ArgumentParser(prog="imputebench")
    report.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", *argv])
    return args.func(args)


def small_store(root: Path, **kw) -> pd.DataFrame:
    rows = small_rows(imputers=("mean", "knn", "mice"), mechanisms=("mcar",), rates=(0.2,), **kw)
    ResultStore(root).append(rows.to_dict("records"))
    return rows


def test_report_refuses_a_foreign_folder_and_keeps_its_files(tmp_path: Path) -> None:
    small_store(tmp_path / "results")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    out = report_cli("--results", str(tmp_path / "results"), "--out", str(foreign))
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "did not write" in lines[0] and str(foreign) in lines[0], out.stderr
    assert [p.name for p in foreign.iterdir()] == ["thesis.tex"]


def test_rerender_removes_only_its_own_files(tmp_path: Path) -> None:
    from imputebench.reports.publish import MANIFEST, read_manifest

    rows = small_rows(imputers=("mean", "knn", "mice"), mechanisms=("mcar",), rates=(0.2,))
    site = tmp_path / "site"
    build_site(rows, site, PROVENANCE, max_plots=0, n_boot=20)
    assert (site / "imputer-mice.html").exists()
    (site / "notes.txt").write_text("a file the user put in the site folder")
    (site / "plots" / "annotated.svg").write_text("<svg/>")
    build_site(rows[rows["imputer"] != "mice"], site, PROVENANCE, max_plots=0, n_boot=20)  # a store without mice
    assert not (site / "imputer-mice.html").exists()  # ours, stale: removed
    assert (site / "notes.txt").read_text() == "a file the user put in the site folder"
    assert (site / "plots" / "annotated.svg").exists()
    manifest = read_manifest(site)
    assert "imputer-knn.html" in manifest["files"] and "notes.txt" not in manifest["files"]
    assert sorted(manifest["kept"]) == ["notes.txt", "plots/annotated.svg"]
    assert MANIFEST not in manifest["files"]
    # no staging folder left; beside the site only its publishing lock (publish.site_lock)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [".site.imputebench-lock"]


def test_freshness_is_a_content_hash_not_a_timestamp(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import os

    from imputebench.reports.render import render_report, site_is_current

    results = tmp_path / "results"
    small_store(results)
    assert not site_is_current(results)
    render_report(results)
    assert site_is_current(results)
    for path in ResultStore(results).files():  # touched, not changed: still current
        os.utime(path, (1e9, 2e9))
    assert site_is_current(results)
    more = small_rows(imputers=("median",), mechanisms=("mcar",), rates=(0.2,))
    ResultStore(results).append(more.to_dict("records"))
    assert not site_is_current(results)
    assert report_here("--results", str(results)) == 0
    assert "site written" in capsys.readouterr().out
    assert "imputer-median.html" in {p.name for p in (results / "site").iterdir()}
    assert report_here("--results", str(results)) == 0
    assert "site unchanged" in capsys.readouterr().out


@pytest.mark.slow
def test_a_report_killed_at_any_moment_leaves_the_previous_site(tmp_path: Path) -> None:
    import signal
    import time

    results = tmp_path / "results"
    small_store(results)
    assert report_cli("--results", str(results)).returncode == 0
    site = results / "site"
    before = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    ResultStore(results).append(small_rows(imputers=("median",), mechanisms=("mcar",), rates=(0.2,)).to_dict("records"))
    for delay in (0.3, 1.0, 1.6, 2.2):  # start-up, loading, building, writing
        process = subprocess.Popen([sys.executable, "-m", "imputebench.cli", "report", "--results", str(results)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        now = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
        if now != before:  # the kill came after the swap: the new site, whole
            assert "imputer-median.html" in {str(p) for p in now}
            before = now
    assert (site / "index.html").exists()
    out = report_cli("--results", str(results))  # the next report cleans up and is whole
    assert out.returncode == 0
    assert not [p for p in results.iterdir() if p.name.startswith(".imputebench-staging")]


# A real report that stops once its staging folder exists until it is told to go on: the second report
# then certainly starts (and clears leftovers) while the first one is building.
PAUSED_REPORT = """
import sys, time
from pathlib import Path
from imputebench.reports import site
build = site.SiteBuilder.build
def paused(self, *args, **kwargs):
    Path(sys.argv[2]).touch()
    while not Path(sys.argv[3]).exists():
        time.sleep(0.02)
    return build(self, *args, **kwargs)
site.SiteBuilder.build = paused
from imputebench.cli import main
sys.exit(main(["report", "--results", sys.argv[1], "--force"]))
"""


@pytest.mark.slow
def test_two_reports_at_once_both_finish_with_one_whole_site(tmp_path: Path) -> None:
    """Two ``imputebench report`` processes on one results folder at once: the second runs from start
    to end while the first is building; both exit 0 and leave one whole site, no staging folder."""
    import time

    from imputebench.reports.publish import MANIFEST, STAGING_PREFIX, read_manifest

    results = tmp_path / "results"
    small_store(results)
    building, go = tmp_path / "building", tmp_path / "go"
    first = subprocess.Popen([sys.executable, "-c", PAUSED_REPORT, str(results), str(building), str(go)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not building.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert building.exists(), first.communicate()[1]
    second = report_cli("--results", str(results), "--force")
    go.touch()
    out, err = first.communicate(timeout=300)
    for returncode, stdout, stderr in ((second.returncode, second.stdout, second.stderr), (first.returncode, out, err)):
        assert returncode == 0, stderr
        assert "site written" in stdout
    site = results / "site"
    manifest = read_manifest(site)
    assert manifest is not None and manifest["kept"] == []  # the second site's files were not carried over
    assert {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()} == {*manifest["files"], MANIFEST}
    assert not list(results.glob(STAGING_PREFIX + "*"))


def test_a_site_folder_reached_through_a_link_is_swapped_where_it_is(tmp_path: Path) -> None:
    rows = small_rows(imputers=("mean", "knn", "mice"), mechanisms=("mcar",), rates=(0.2,))
    served = tmp_path / "www" / "site"
    build_site(rows, served, PROVENANCE, max_plots=0, n_boot=20)
    link = tmp_path / "site-link"
    link.symlink_to(served, target_is_directory=True)
    build_site(rows[rows["imputer"] != "mice"], link, PROVENANCE, max_plots=0, n_boot=20)
    assert link.is_symlink() and not (served / "imputer-mice.html").exists() and (served / "index.html").exists()
    assert sorted(p.name for p in (tmp_path / "www").iterdir()) == [".site.imputebench-lock", "site"]  # no staging


def test_the_protocol_ships_with_the_site_and_every_citation_links_to_its_section(site: Path) -> None:
    protocol = (site / "protocol.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="(s\d+)"', protocol))
    assert {"s1", "s5", "s6", "s10"} <= anchors
    for name, html in pages(site).items():
        assert 'href="protocol.html"' in html, name  # the navigation and the footer
        text = re.sub(r"<[^>]*>", "", re.sub(r'<a class="cite"[^>]*>[^<]*</a>', "", re.sub(
            r"<(title|option|a)\b.*?</\1>", "", html, flags=re.DOTALL)))
        assert not re.search(r"§\d", text), f"{name} cites the protocol without a link"
        for section in re.findall(r'href="protocol.html#(s\d+)"', html):
            assert section in anchors, f"{name} links to a missing section {section}"
    assert 'href="protocol.html#s6"' in (site / "index.html").read_text(encoding="utf-8")


def test_the_overview_shows_the_table_first_with_a_glossary_and_the_method_folded(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    filters, glossary = index.index('class="filters sticky"'), index.index('<details class="glossary">')
    table, method = index.index('class="filterable ranking"'), index.index('<details class="method">')
    assert filters < glossary < table < method
    terms = index[glossary:table]
    summary = terms[terms.index("<summary>"):terms.index("</summary>")]  # the one line a reader sees
    assert all(t in summary for t in ("mask", "in-sample vs downstream", "ARMSE", "win rate", "rating", "↓", "↑"))
    assert re.findall(r"<dt>([^<]*)</dt>", terms) == ["mask", "in-sample", "downstream", "ARMSE", "win rate", "rating"]
    # The method prose lives in the fold only: nothing but the glossary between the filters and the table.
    assert "bootstrap interval over datasets" in index[method:] and "bootstrap" not in index[:table]


def test_every_metric_column_header_says_which_way_is_better(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", index[index.index('class="filterable ranking"'):])
    assert {"mean rank ↓", "win rate ↑", "ARMSE ↓", "categorical accuracy ↑", "downstream score ↑", "time s ↓"} <= set(headers)
    results = (site / "results-in-sample-mcar.html").read_text(encoding="utf-8")
    assert "<h2>RMSE ↓ at 0.2 missing</h2>" in results
    paper = (site / "paper.html").read_text(encoding="utf-8")
    assert "(ARMSE ↓)" in paper and "(MAE ↓ · RMSE ↓)" in paper


def test_cd_diagrams_say_friedmans_p_and_n_and_warn_when_n_is_too_small(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    captions = re.findall(r"<figcaption>([^<]*Nemenyi CD[^<]*)</figcaption>\s*(<p class=\"warn\">[^<]*</p>)?", index)
    assert captions and all("Friedman χ²" in c and ", p = " in c and "N = 2 datasets" in c for c, _ in captions)
    # 2 datasets, 3 imputers: the critical difference (2.34) exceeds any possible spread of mean ranks (2).
    assert all("2 datasets are too few to separate these 3 imputers" in w for _, w in captions)


def test_the_overview_has_a_heat_coloured_rank_matrix_per_setting_and_metric(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    start = index.index("<h2>Per dataset</h2>")
    matrix = index[start:index.index("</section>", start)]
    first = matrix[:matrix.index("</table>")]
    assert "<th data-type=\"num\">wine</th>" in first
    cells = re.findall(r'<td style="background:(#[0-9a-f]{6})" title="([^"]*)" data-sort="[^"]*">([^<]*)</td>', first)
    assert len(cells) == 3 * 2  # 3 imputers x 2 datasets
    assert {text for _, _, text in cells} <= {"1.0", "1.5", "2.0", "2.5", "3.0"}
    assert any(c == "#67a9cf" for c, _, t in cells if t == "1.0")


def test_wide_tables_keep_their_first_column_in_view(site: Path) -> None:
    css = (site / "assets" / "style.css").read_text(encoding="utf-8")
    rule = re.search(r"\.scroll td:first-child, \.scroll th:first-child \{([^}]*)\}", css)
    assert rule and "position: sticky" in rule.group(1) and "left: 0" in rule.group(1)
    # declared before the cell colours, which must still win on a best or failed first cell
    assert css.index(rule.group(0)) < css.index("td.best, tr.best td")
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<div class="scroll"><table class="sortable">' in index


def test_the_provenance_footer_reads_as_text(tmp_path: Path) -> None:
    rows = small_rows(mechanisms=("mcar",), rates=(0.2,), seeds=(0, 1, 2, 3))
    rows["finished_at"] = pd.Timestamp("2026-11-21 09:00:00.123456", tz="UTC")
    index = build_site(rows, tmp_path / "site", max_plots=0, n_boot=20).read_text(encoding="utf-8")
    footer = index[index.index('<footer class="provenance">'):]
    values = dict(re.findall(r"<dt>([^<]*)</dt><dd><code>([^<]*)</code></dd>", footer))
    assert values["seeds"] == "0–3" and values["protocol version"] == "1"
    assert values["last job finished"] == "2026-11-21 09:00 UTC"
    assert not any(c in v for v in values.values() for c in "[]{}")  # no Python or JSON repr
    assert ".123456" not in footer


def test_histograms_on_an_imputer_page_name_the_feature_of_each_dataset(site: Path) -> None:
    html = (site / "imputer-knn.html").read_text(encoding="utf-8")
    drawn = re.findall(r'src="(plots/hist-imp-knn[^"]*\.svg)"', html)
    assert drawn
    svg = (site / drawn[0]).read_text(encoding="utf-8")
    panels = re.findall(r'font-weight="600"[^>]*>([^<]*)</text>', svg)
    assert panels and all(" · " in p for p in panels), panels  # "dataset · feature", never a bare dataset
    assert "wine · alcohol" in panels


@pytest.mark.slow
def test_a_param_override_is_its_own_labelled_entry_with_its_parameters_on_every_page(tmp_path: Path) -> None:
    """Issue 35: each number carries its configuration. knn with --param knn.n_neighbors=3 and the ci
    profile's knn (n_neighbors 5) in one store are two entries; each page says which ran with what."""
    from imputebench.cli import main
    from imputebench.registry import info_of

    results = tmp_path / "results"
    common = ["run", "--profile", "ci", "--datasets", "iris", "--mechanisms", "mcar", "--rates", "0.2",
              "--seeds", "0", "--setting", "in-sample", "--results", str(results), "--jobs", "1", "--quiet",
              "--no-report"]
    assert main([*common, "--imputers", "mean,knn"]) == 0
    assert main([*common, "--imputers", "knn", "--param", "knn.n_neighbors=3"]) == 0
    assert main(["report", "--results", str(results)]) == 0
    site = results / "site"
    index = (site / "index.html").read_text()
    override = "knn[n_neighbors=3]"
    assert f'href="imputer-{slug(override)}.html">{override}</a> <span class="badge overridden"' in index
    assert 'title="hyper-parameters: n_neighbors=5" href="imputer-knn.html">knn</a> <span' not in index  # not marked
    assert 'title="hyper-parameters: n_neighbors=5" href="imputer-knn.html">knn</a>' in index
    page = (site / f"imputer-{slug(override)}.html").read_text()
    assert 'class="badge overridden"' in page and "<th>n_neighbors</th>" in page
    assert re.search(r"<th>n_neighbors</th><td[^>]*><code>3</code> \(overridden\)", page)
    plain = (site / "imputer-knn.html").read_text()
    assert "badge overridden" not in plain and re.search(r"<th>n_neighbors</th><td><code>5</code></td>", plain)
    assert "<code>n_neighbors=5</code> (the quick profile's)" in plain  # ci's row of the declared table
    mean = (site / "imputer-mean.html").read_text()
    assert "none: the constructor's defaults" in mean
    # the declared departures, from the one declaration: a profile-cut of mice_linear shows on its page
    # when it runs; here knn's and mean's declare none under every profile, and the page says so
    assert not info_of("knn").deviations and "No departure from the paper declared under every profile." in plain
    board = pd.read_csv(site / "data" / "leaderboard.csv")
    assert set(board.loc[board["imputer"].str.startswith("knn"), "params"]) == {"n_neighbors=5", "n_neighbors=3"}


def test_an_imputer_page_shows_its_profiles_parameters_and_the_declared_departures(tmp_path: Path) -> None:
    """The declaration's hyper-parameters per profile and its departures from the paper, every line of
    them, on the page of an imputer whose rows ran the quick profile; an override beside them is labelled."""
    import markupsafe

    from imputebench.registry import info_of

    rows = synthetic_rows(datasets=("wine", "iris"), imputers=("mice_linear", "gain"), mechanisms=("mcar",),
                          rates=(0.2,), seeds=(0, 1), settings=("in-sample",), failure_share=0.0)
    rows.loc[rows["imputer"] == "mice_linear", "params"] = '{"logistic_max_iter": 50, "max_iter": 5}'
    rows.loc[rows["imputer"] == "gain", "params"] = '{"iterations": 200}'  # a store older than the flag
    build_site(rows, tmp_path / "site", PROVENANCE, n_boot=20)
    page = (tmp_path / "site" / "imputer-mice_linear.html").read_text()
    assert "<code>logistic_max_iter=100</code>, <code>max_iter=10</code>" in page  # the paper profile's
    assert re.search(r"<th>max_iter</th><td><code>5</code></td>", page) and "badge overridden" not in page
    for deviation in info_of("mice_linear").deviations:
        assert str(markupsafe.escape(str(deviation))) in page
    gain = "gain[iterations=200]"  # quick declares 400 iterations: this store's GAIN is not quick's
    page = (tmp_path / "site" / f"imputer-{slug(gain)}.html").read_text()
    assert "badge overridden" in page and re.search(r"<code>200</code> \(overridden\)", page)
    assert all(str(markupsafe.escape(str(d))) in page for d in info_of("gain").deviations)
    assert gain in (tmp_path / "site" / "index.html").read_text()


def test_the_footer_names_the_imputebench_that_built_the_site(site: Path) -> None:
    """One version number, in one place: the one `imputebench --version` prints is on every page."""
    from imputebench import __version__

    for page in ("index.html", "dataset-wine.html"):
        assert f"by imputebench {__version__}</code>" in (site / page).read_text(encoding="utf-8"), page
