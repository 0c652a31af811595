"""The static leaderboard site: HTML from jinja2 templates (autoescaped), SVG plots, CSV/parquet tables.

``build_site(rows, out_dir, provenance)`` writes::

    index.html                  overview: rankings with CIs, win rates, CD diagrams, Pareto, failures
    results-<setting>-<mech>.html  per (setting, mechanism): datasets x imputers tables per rate and metric
    paper.html                  Meta-GAIN Tables 1-4 and DiffPuter's MAE/RMSE layout, from the store
    dataset-<slug>.html, imputer-<slug>.html
    assets/ plots/ data/        CSS + JS, SVG figures, every table as CSV and parquet

Everything is relative links and local files: it works from ``file://`` and any static host.
Strings from datasets and plugins reach HTML only through jinja2's autoescape.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import time
from datetime import datetime, timezone
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import jinja2
import markupsafe
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..metrics import METRIC_REGISTRY
from ..store import METRICS, STATUSES
from . import leaderboard as lb
from . import plots
from .figures import Figure, FigureDrawer
from .samples import read_samples

METRIC_LABELS = {name: m.label for name, m in METRIC_REGISTRY.items()}
PRIMARY_METRIC = {"in-sample": "armse", "downstream": "downstream"}
NOT_OK = [s for s in STATUSES if s != "ok"]
TEMPLATES = files("imputebench.reports") / "templates"
# Plot budget: matplotlib costs 0.05-0.25 s of CPU a figure, so a large store gets its key figures
# (by figures.PRIORITY) and the rest is left to the tables and CSVs, with a note in place of the figure.
DEFAULT_MAX_PLOTS = 40
HISTOGRAM_FEATURES = 3


def slug(name: str) -> str:
    """A file-name-safe, unique slug: the name itself when it is safe, else a cleaned name + digest."""
    if re.fullmatch(r"[A-Za-z0-9_.-]{1,60}", name) and not name.startswith("."):
        return name
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:40] or "x"
    return f"{clean}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


def python_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """String columns as Python-object arrays. The site filters and groups its frames thousands of
    times, and numpy takes on object arrays are several times faster than pandas' Arrow-backed
    string takes (about 1.5 s of the 100,000-row benchmark)."""
    strings = {c: object for c, dtype in frame.dtypes.items()
               if dtype != object and pd.api.types.is_string_dtype(dtype)}
    return frame.astype(strings) if strings else frame


def split(frame: pd.DataFrame, key: str) -> dict[str, pd.DataFrame]:
    """One groupby instead of a boolean filter per page."""
    return {name: part for name, part in frame.groupby(key, sort=False)}


def fmt(value: float, digits: int = 3) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.{digits}f}"


def rate_label(rate: float) -> str:
    return f"{float(rate):g}"


# -- provenance ------------------------------------------------------------------------------------
def provenance_from_rows(rows: pd.DataFrame, command: str) -> dict[str, Any]:
    """Provenance of a store built from the rows' own columns (for ``imputebench report``)."""
    versions: dict[str, Any] = {}
    for text in rows["versions"].dropna().unique():
        try:
            for k, v in json.loads(text).items():
                seen = versions.setdefault(k, [])
                if v not in seen:
                    seen.append(v)
        except (ValueError, AttributeError):
            continue
    return {
        "protocol_version": sorted({int(v) for v in rows["protocol_version"].dropna()}),
        "versions": {k: v[0] if len(v) == 1 else v for k, v in sorted(versions.items())},
        "seeds": sorted({int(s) for s in rows["seed"].dropna()}),
        "date": str(rows["finished_at"].max()) if len(rows) else "",
        "command": command,
    }


def _provenance_items(provenance: Mapping[str, Any]) -> list[tuple[str, str]]:
    built = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    items = []
    for key in ("protocol_version", "date", "seeds", "command"):
        value = provenance.get(key, "")
        items.append((key.replace("_", " "), value if isinstance(value, str) else json.dumps(value)))
    versions = provenance.get("versions") or {}
    items.append(("versions", ", ".join(f"{k} {v}" for k, v in versions.items()) if isinstance(versions, Mapping)
                  else str(versions)))
    items.append(("site built", built))
    return items


# -- tables of cells -------------------------------------------------------------------------------
def annotate_cells(agg: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Per aggregate row and metric: display text, css class, tooltip, sort key, best flag. Long
    format (one row per aggregate row and metric), vectorised; best is per (setting, dataset,
    mechanism, rate) among imputers (PROTOCOL §6: the same masks)."""
    parts = []
    cell_keys = ["setting", "dataset", "mechanism", "rate"]
    n_bad = agg[[f"n_{s}" for s in NOT_OK]].sum(axis=1).to_numpy()
    n_jobs = agg["n_jobs"].to_numpy()
    n_ok = agg["n_ok"].to_numpy()
    worst_status = np.select([agg["n_failed"] > 0, agg["n_timeout"] > 0, agg["n_infeasible"] > 0],
                             ["failed", "timeout", "infeasible"], "ok")
    errors = agg["error"].astype(object).where(agg["error"].notna(), "").to_numpy()
    for metric in metrics:
        mean = agg[f"{metric}_mean"].to_numpy(dtype=float)
        std = agg[f"{metric}_std"].to_numpy(dtype=float)
        if np.isnan(mean).all() and n_bad.sum() == 0:
            continue
        best = lb.best_within(mean, [agg[k].to_numpy() for k in cell_keys], metric)
        text = np.array([("" if np.isnan(m) else (f"{m:.3f} ± {s:.3f}" if not np.isnan(s) else f"{m:.3f}"))
                         for m, s in zip(mean, std)], dtype=object)
        all_bad = (n_ok == 0) & (n_bad > 0)
        text = np.where(all_bad, worst_status, text)
        text = np.where((n_ok > 0) & (n_bad > 0), text + " ⚠", text)
        text = np.where((text == "") & ~all_bad, "n/a", text)
        cls = np.where(all_bad, "st-" + worst_status, np.where(n_bad > 0, "st-partial", ""))
        cls = np.where(best, np.char.add(cls.astype(str), " best"), cls)
        title = np.where(n_bad > 0,
                         [f"{b} of {j} jobs did not succeed ({w}): {e}" for b, j, w, e in
                          zip(n_bad, n_jobs, worst_status, errors)],
                         [f"{o} of {j} seeds" for o, j in zip(n_ok, n_jobs)])
        title = np.where((text == "n/a"), "metric not defined for this dataset (PROTOCOL §5)", title)
        parts.append(pd.DataFrame({
            **{k: agg[k].to_numpy() for k in lb.GROUP_KEYS}, "metric": metric,
            "text": text, "cls": cls, "title": title, "sort": np.where(np.isnan(mean), "", mean.astype(str)),
            "mean": mean, "std": std, "best": best, "n_ok": n_ok, "n_jobs": n_jobs,
        }))
    if not parts:
        return pd.DataFrame(columns=[*lb.GROUP_KEYS, "metric", "text", "cls", "title", "sort", "mean", "std", "best"])
    return pd.concat(parts, ignore_index=True)


DISPLAY_COLUMNS = ["text", "cls", "title", "sort"]  # HTML-only columns, not in the downloads
MISSING_CELL_FIELDS = {"text": "—", "cls": "st-none", "title": "no job in the store", "sort": ""}


@lru_cache(maxsize=65536)
def _escape(value: str) -> str:
    return str(markupsafe.escape(value))  # cached: cell classes, titles and numbers repeat a lot


def cell_html(text: str, cls: str, title: str, sort: str) -> markupsafe.Markup:
    """One table cell, every field escaped. Built here rather than in the template because a large
    store has ~10^5 cells and a macro call per cell costs seconds (the benchmark's figure)."""
    return markupsafe.Markup(f'<td class="{_escape(cls)}" title="{_escape(title)}" data-sort="{_escape(sort)}">'
                             f'{_escape(text)}</td>')


MISSING_CELL = cell_html(**MISSING_CELL_FIELDS)


def grid_table(cells: pd.DataFrame, row_key: str, col_key: str, row_names: Sequence[str],
               col_names: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of a table from annotated cells: ``[{"name": row, "cells": [cell HTML per column]}]``;
    a cell with no job is an explicit dash, never blank."""
    columns = [cells[k].tolist() for k in (row_key, col_key, "text", "cls", "title", "sort")]
    lookup = {(r, c): cell_html(t, k, ti, so) for r, c, t, k, ti, so in zip(*columns)}
    return [{"name": r, "cells": [lookup.get((r, c), MISSING_CELL) for c in col_names]} for r in row_names]


# -- the build -------------------------------------------------------------------------------------
class SiteBuilder:
    """Holds what every page shares (environment, provenance, plot budget, output folders)."""

    def __init__(self, rows: pd.DataFrame, out_dir: Path, provenance: Mapping[str, Any],
                 samples: pd.DataFrame | Path | None, max_plots: int, n_boot: int, workers: int) -> None:
        self.rows = rows
        self.out = Path(out_dir)
        self.samples_source = samples
        self.max_plots = max_plots
        self.workers = workers
        self.timings: dict[str, float] = {}  # phase -> wall seconds (read by the benchmark)
        self._clock = time.perf_counter()
        self.pages: list[tuple[str, str, dict[str, Any]]] = []
        self.n_boot = n_boot
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=True,  # every template, whatever its suffix: dataset and plugin strings are data
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters["fmt"] = fmt
        self.env.filters["slug"] = slug
        self.provenance = _provenance_items(provenance)
        self.settings = sorted(rows["setting"].dropna().unique())
        self.datasets = sorted(rows["dataset"].dropna().unique())
        self.imputers = sorted(rows["imputer"].dropna().unique())
        self.mechanisms = sorted(rows["mechanism"].dropna().unique())
        self.rates = sorted(rows["rate"].dropna().unique())
        self.colours = plots.colour_of(self.imputers)
        self.downloads: list[dict[str, str]] = []

    # files
    def write_table(self, name: str, frame: pd.DataFrame, title: str, csv: bool = True) -> dict[str, str]:
        """Write a table as CSV and parquet under data/; returns the links for the page."""
        data = self.out / "data"
        table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
        pq.write_table(table, data / f"{name}.parquet")
        entry = {"title": title, "csv": "", "parquet": f"data/{name}.parquet"}
        if csv:  # pyarrow's writer: several times faster than DataFrame.to_csv on large tables
            pacsv.write_csv(table, data / f"{name}.csv")
            entry["csv"] = f"data/{name}.csv"
        self.downloads.append(entry)
        return entry

    def figure(self, name: str, caption: str, priority: str, function: str, args: tuple | Callable[[], tuple],
               attrs: Mapping[str, str] | None = None) -> Figure:
        """Plan a figure (see :class:`figures.FigureDrawer`). ``args`` may be a function that builds
        them, so that figures over the budget cost nothing."""
        return self.drawer.request(priority, f"plots/{name}.svg", caption, function, args, dict(attrs or {}))

    def render(self, template: str, path: str, **context: Any) -> None:
        """Plan a page; pages are written after the figures are settled."""
        self.pages.append((template, path, context))

    def finish(self) -> int:
        """Settle the last figures, write every page while the workers draw, then wait for them.
        Returns the number of figures left out."""
        self.drawer.settle()
        self._write_pages()
        self.lap("html")
        failed = self.drawer.wait()
        self.lap("figures (waiting)")
        if failed:  # rare: the pages that showed them get the reason instead
            self._write_pages()
        return self.drawer.skipped

    def _write_pages(self) -> None:
        for template, path, context in self.pages:
            html = self.env.get_template(template).render(
                provenance=self.provenance, page=path, settings=self.settings, mechanisms=self.mechanisms,
                datasets=self.datasets, imputers=self.imputers, metric_labels=METRIC_LABELS, primary=PRIMARY_METRIC,
                default_setting="in-sample" if "in-sample" in self.settings else (self.settings or [""])[0],
                n_plots_skipped=self.drawer.skipped, **context)
            (self.out / path).write_text(html, encoding="utf-8")

    # pages
    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.timings[phase] = now - self._clock
        self._clock = now

    def build(self) -> Path:
        for sub in ("assets", "plots", "data"):
            (self.out / sub).mkdir(parents=True, exist_ok=True)
        for asset in ("style.css", "site.js"):
            shutil.copyfile(str(TEMPLATES / asset), self.out / "assets" / asset)
        self.drawer = FigureDrawer(self.out, self.max_plots, self.workers)  # workers start now
        try:
            return self._build()
        finally:
            self.drawer.close()

    def _build(self) -> Path:
        self.agg = python_strings(lb.aggregate(self.rows))
        self.metrics = [m for m in METRICS if self.agg[f"{m}_mean"].notna().any()] or ["armse"]
        self.matrices = lb.block_matrices(self.rows, self.metrics)
        self.settings_of = {"dataset": self.rows.groupby("dataset")["setting"].unique().map(set).to_dict(),
                            "imputer": self.rows.groupby("imputer")["setting"].unique().map(set).to_dict()}
        ok = self.rows[self.rows["status"] == "ok"]
        seconds = ok["fit_seconds"].astype(float) + ok["transform_seconds"].astype(float)
        self.seconds = {None: seconds.groupby([ok["setting"], ok["imputer"]]).mean(),
                        "dataset": seconds.groupby([ok["setting"], ok["dataset"], ok["imputer"]]).mean()}
        self.pareto_points: dict[tuple[str, str | None], tuple[pd.DataFrame, np.ndarray] | str] = {}
        self.lap("aggregate")
        # The budget's most important figures are known first (overview, then each dataset's primary
        # metric and Pareto front): they start drawing now, while the tables and pages are built.
        self._overview_figures()
        self.dataset_figures = {dataset: self._dataset_figures(dataset) for dataset in self.datasets}
        self.drawer.settle("pareto")
        self.lap("figures planned")
        self.cells = python_strings(annotate_cells(self.agg, self.metrics))
        self.boards = python_strings(lb.leaderboards(self.rows, self.metrics, n_boot=self.n_boot,
                                                     matrices=self.matrices))
        self.lap("leaderboards")
        # The raw store as parquet only: as CSV it is ~50 MB per 100,000 jobs (the site's tables have both).
        self.write_table("jobs", self.rows, "every job row (the store)", csv=False)
        self.write_table("aggregate", self.agg, "mean and std over seeds per cell")
        self.write_table("leaderboard", self.boards, "rankings: every setting, metric, mechanism and rate")
        self.failures = self.rows[self.rows["status"] != "ok"][
            ["setting", "dataset", "mechanism", "rate", "seed", "imputer", "status", "error"]
        ].sort_values(["setting", "dataset", "mechanism", "rate", "seed", "imputer"])
        self.write_table("failures", self.failures, "jobs that failed, timed out or were infeasible")
        self.lap("data files")
        self.ref_samples = self._reference_samples()
        self.lap("samples")
        self.by_dataset = {name: split(frame, "dataset") for name, frame in
                           (("cells", self.cells), ("failures", self.failures))}
        self.by_imputer = {name: split(frame, "imputer") for name, frame in
                           (("cells", self.cells), ("failures", self.failures), ("boards", self.boards))}
        # Small per-dataset and per-imputer facts, from one groupby each (no filter of every row per page).
        self.dataset_info = self.rows.groupby("dataset").agg(
            rows=("n_rows", "max"), features=("n_features", "max"),
            checksums=("dataset_checksum", lambda c: ", ".join(sorted(set(c.dropna().astype(str))))))
        self.uses_labels = self.rows.groupby("imputer")["uses_labels"].agg(
            lambda v: bool(v.fillna(False).astype(bool).any())).to_dict()
        self.lap("indexes")
        self.result_pages = self._results_pages()
        self._paper_page()
        self.lap("results and paper pages")
        for dataset in self.datasets:
            self._dataset_page(dataset)
        self.lap("dataset pages")
        for imputer in self.imputers:
            self._imputer_page(imputer)
        self.lap("imputer pages")
        self._index_page()
        self.lap("overview")
        if len(getattr(self, "transfer_rows", ())):  # the transfer track's one hook
            from .transfer_page import add_transfer_page

            add_transfer_page(self, self.transfer_rows)
            self.lap("transfer page")
        self.finish()
        return self.out / "index.html"

    def _overview_figures(self) -> None:
        """The overview's CD diagrams (Friedman + Nemenyi per setting and metric) and Pareto fronts."""
        cd_figures, friedman_rows, pareto_figures = [], [], []
        for setting in self.settings:
            for metric in self.metrics:
                matrix = self.matrices[(setting, metric)]
                if np.isnan(matrix.values).all():
                    continue
                ranking = lb.rank_imputers(matrix, metric, n_boot=10)
                result = lb.friedman_nemenyi(ranking.dataset_scores, lb.higher_is_better(metric)) \
                    if len(ranking.dataset_scores) else None
                attrs = {"setting": setting, "metric": metric}
                if result is None:
                    cd_figures.append(Figure(f"{setting}, {METRIC_LABELS[metric]}", attrs,
                                             note="Friedman test needs at least 3 ranked imputers and 2 datasets."))
                    continue
                friedman_rows.append({"setting": setting, "metric": metric, "k": len(result.mean_ranks),
                                      "n_datasets": len(ranking.dataset_scores), "chi2": result.statistic,
                                      "p_value": result.pvalue, "cd": result.cd, "alpha": result.alpha})
                caption = (f"{setting}, {METRIC_LABELS[metric]}: Friedman χ² = {result.statistic:.2f}, "
                           f"p = {result.pvalue:.2g}; Nemenyi CD = {result.cd:.2f} (α = {result.alpha}) over "
                           f"{len(ranking.dataset_scores)} datasets, all mechanisms and rates pooled")
                priority = "overview" if metric == PRIMARY_METRIC.get(setting) else "cd-other"
                cd_figures.append(self.figure(f"cd-{slug(setting)}-{metric}", caption, priority, "cd_diagram",
                                              (result.mean_ranks, result.cd, ""), attrs))
            pareto_figures.append(self._pareto_figure(setting, f"pareto-{slug(setting)}", None, "overview"))
        self.cd_figures, self.friedman_rows, self.pareto_figures = cd_figures, friedman_rows, pareto_figures

    def _index_page(self) -> None:
        b = self.boards
        ranked = b["mean_rank"].notna().to_numpy()
        n_bad = b[[f"n_{s}" for s in NOT_OK]].sum(axis=1).to_numpy()
        best_rank = b.groupby(["setting", "metric", "mechanism", "rate"], sort=False)["mean_rank"].transform("min")
        display = pd.DataFrame({
            "imputer": b["imputer"].to_numpy(dtype=object), "ranked": ranked,
            "mean_rank": [fmt(v, 2) for v in b["mean_rank"]],
            "ci": [f"{lo:.2f} – {hi:.2f}" if ok else "" for lo, hi, ok in zip(b["ci_low"], b["ci_high"], ranked)],
            "ci_sort": [fmt(v, 4) for v in b["ci_high"]],
            "win_rate": ["" if np.isnan(v) else f"{100 * v:.0f}%" for v in b["win_rate"]],
            "win_sort": [fmt(v, 4) for v in b["win_rate"]], "n_ok": b["n_ok"].to_numpy(), "n_bad": n_bad,
            "bad_title": [", ".join(f"{n} {s}" for s, n in zip(NOT_OK, counts) if n)
                          for counts in b[[f"n_{s}" for s in NOT_OK]].to_numpy()],
            "best": ranked & (b["mean_rank"] == best_rank).to_numpy(),
        })
        records = display.to_dict("records")
        tables = []
        for key, index in b.groupby(["setting", "metric", "mechanism", "rate"], sort=False).indices.items():
            setting, metric, mechanism, rate = key
            first = b.iloc[index[0]]
            tables.append({"setting": setting, "metric": metric, "mechanism": mechanism, "rate": rate,
                           "rows": [records[i] for i in index], "n_blocks": int(first["n_blocks"]),
                           "n_dropped": int(first["n_blocks_dropped"]),
                           "n_datasets": int(b["n_datasets"].iloc[index].max())})
        friedman = pd.DataFrame(self.friedman_rows)
        if len(friedman):
            self.write_table("friedman", friedman, "Friedman test and Nemenyi critical difference")
        status_counts = self.rows["status"].value_counts().reindex(list(STATUSES), fill_value=0)
        failure_summary = (self.failures.groupby(["imputer", "status", "error"], dropna=False).size()
                           .rename("jobs").reset_index().sort_values("jobs", ascending=False).head(50))
        return self.render(
            "index.html.j2", "index.html", tables=tables, cd_figures=self.cd_figures, pareto_figures=self.pareto_figures,
            metrics=self.metrics, rates=[rate_label(r) for r in self.rates], status_counts=status_counts.to_dict(),
            n_jobs=len(self.rows), failure_summary=failure_summary.to_dict("records"),
            result_pages=self.result_pages, downloads=self.downloads, uses_labels=self.uses_labels)

    def _pareto_data(self, setting: str, dataset: str | None) -> tuple[pd.DataFrame, np.ndarray] | str:
        """Points (imputer, seconds, quality = mean rank on the primary metric on the same masks,
        PROTOCOL §6) and the front, over every dataset or one; a reason string when there are none."""
        key = (setting, dataset)
        if key in self.pareto_points:
            return self.pareto_points[key]
        metric = PRIMARY_METRIC.get(setting, self.metrics[0])
        result: tuple[pd.DataFrame, np.ndarray] | str
        if metric not in self.metrics:
            result = f"No {metric} values in this setting."
        else:
            matrix = self.matrices[(setting, metric)]
            if dataset is not None:
                matrix = matrix.take(matrix.keys["dataset"] == dataset)
                seconds = self.seconds["dataset"].get((setting, dataset), pd.Series(dtype=float))
            else:
                seconds = self.seconds[None].get(setting, pd.Series(dtype=float))
            ranking = lb.rank_imputers(matrix, metric, n_boot=10)
            if ranking.table.empty:
                result = "No imputer could be ranked (see failures)."
            else:
                points = pd.DataFrame({"imputer": ranking.table["imputer"], "quality": ranking.table["mean_rank"]})
                points["seconds"] = points["imputer"].map(seconds).to_numpy(dtype=float)
                result = (points, lb.pareto_front(points["seconds"].to_numpy(), points["quality"].to_numpy(), False))
        self.pareto_points[key] = result
        return result

    def _pareto_figure(self, setting: str, name: str, highlight: str | None, priority: str = "pareto",
                       dataset: str | None = None) -> Figure:
        """Mean time per job against mean rank on the primary metric, over every dataset or one."""
        attrs = {"setting": setting}
        data = self._pareto_data(setting, dataset)
        if isinstance(data, str):
            return Figure(setting, attrs, note=data)
        points, front = data
        metric = PRIMARY_METRIC.get(setting, self.metrics[0])
        caption = (f"{setting}: time against mean rank on {METRIC_LABELS[metric]} (lower is better on both); "
                   f"on the front: {', '.join(points['imputer'][front])}")
        return self.figure(name, caption, priority, "pareto_plot",
                           (points, f"mean rank, {METRIC_LABELS[metric]}", front, self.colours, highlight), attrs)

    def _results_pages(self) -> list[dict[str, str]]:
        pages = []
        for (setting, mechanism), cells in self.cells.groupby(["setting", "mechanism"], sort=True):
            path = f"results-{slug(setting)}-{slug(mechanism)}.html"
            datasets = sorted(cells["dataset"].unique())
            imputers = sorted(cells["imputer"].unique())
            tables = []
            for (rate, metric), part in cells.groupby(["rate", "metric"], sort=True):
                if part["mean"].isna().all() and part["cls"].eq("").all():
                    continue  # metric undefined for every dataset here
                tables.append({"rate": rate_label(rate), "metric": metric,
                               "rows": grid_table(part, "dataset", "imputer", datasets, imputers)})
            data = self.write_table(f"results-{slug(setting)}-{slug(mechanism)}",
                                    cells.drop(columns=DISPLAY_COLUMNS),
                                    f"results, {setting}, {mechanism}")
            self.render("results.html.j2", path, setting=setting, mechanism=mechanism, tables=tables,
                        columns=imputers, metrics=sorted(set(t["metric"] for t in tables), key=self.metrics.index),
                        rates=sorted({t["rate"] for t in tables}, key=float), data=data,
                        default_metric=PRIMARY_METRIC.get(setting, self.metrics[0]))
            pages.append({"setting": setting, "mechanism": mechanism, "path": path})
        return pages

    def _paper_page(self) -> None:
        """Meta-GAIN Tables 1-3 (ARMSE at 20%, in-sample, MCAR/MAR/MNAR), Table 4 (downstream accuracy,
        MCAR 20%, with the complete-data score) and DiffPuter's MAE/RMSE at 30% (MCAR, in-sample)."""
        sections = []

        def cells_at(setting: str, mechanism: str, rate: float, metric: str) -> pd.DataFrame:
            c = self.cells
            return c[(c["setting"] == setting) & (c["mechanism"] == mechanism) & np.isclose(c["rate"], rate)
                     & (c["metric"] == metric)]

        for number, mechanism in ((1, "mcar"), (2, "mar"), (3, "mnar")):
            part = cells_at("in-sample", mechanism, 0.2, "armse")
            title = f"Meta-GAIN Table {number}: ARMSE, {mechanism.upper()}, 20% missing, in-sample"
            if part.empty:
                sections.append({"title": title, "note": f"The store holds no in-sample {mechanism} jobs at 20%."})
                continue
            ds, imps = sorted(part["dataset"].unique()), sorted(part["imputer"].unique())
            data = self.write_table(f"paper-metagain-table{number}", part.drop(columns=DISPLAY_COLUMNS), title)
            sections.append({"title": title, "columns": imps, "row_label": "dataset",
                             "rows": grid_table(part, "dataset", "imputer", ds, imps), "data": data})
        part = cells_at("downstream", "mcar", 0.2, "downstream")
        title = "Meta-GAIN Table 4: downstream accuracy (XGBoost), MCAR, 20% missing, with the complete data"
        if part.empty:
            sections.append({"title": title, "note": "The store holds no downstream MCAR jobs at 20%."})
        else:
            ds, imps = sorted(part["dataset"].unique()), sorted(part["imputer"].unique())
            rows = grid_table(part, "dataset", "imputer", ds, imps)
            complete = self.agg[(self.agg["setting"] == "downstream")].groupby("dataset")["complete_downstream_mean"].mean()
            for row in rows:
                value = complete.get(row["name"], np.nan)
                row["cells"].append(cell_html(fmt(value), "complete", "complete data, no missing value", fmt(value, 6)))
            frame = part.drop(columns=DISPLAY_COLUMNS).merge(
                complete.rename("complete").reset_index(), on="dataset", how="left")
            data = self.write_table("paper-metagain-table4", frame, title)
            sections.append({"title": title, "columns": [*imps, "Complete"], "row_label": "dataset", "rows": rows,
                             "data": data})
        for setting, label in (("in-sample", "in-sample"), ("downstream", "out-of-sample (test part)")):
            title = f"DiffPuter layout: MAE / RMSE, MCAR, 30% missing, {label}"
            mae, rmse = cells_at(setting, "mcar", 0.3, "mae"), cells_at(setting, "mcar", 0.3, "rmse")
            if mae.empty and rmse.empty:
                sections.append({"title": title, "note": f"The store holds no {setting} MCAR jobs at 30%."})
                continue
            both = pd.concat([mae, rmse], ignore_index=True)
            both["column"] = both["dataset"] + " · " + both["metric"].str.upper()
            ds = sorted(both["dataset"].unique())
            cols = [f"{d} · {m}" for d in ds for m in ("MAE", "RMSE")]
            imps = sorted(both["imputer"].unique())
            data = self.write_table(f"paper-diffputer-{slug(setting)}", both.drop(columns=DISPLAY_COLUMNS),
                                    title)
            sections.append({"title": title, "columns": cols, "row_label": "imputer",
                             "rows": grid_table(both, "imputer", "column", imps, cols), "data": data})
        return self.render("paper.html.j2", "paper.html", sections=sections)

    def _reference_samples(self) -> pd.DataFrame | None:
        """Samples of one reference condition per dataset: in-sample, MCAR (or the first mechanism),
        the rate nearest 30%, the lowest seed; None when there are none."""
        source = self.samples_source
        if source is None:
            return None
        ok = self.rows.loc[self.rows["status"] == "ok", ["job_key", "dataset", "imputer", "setting", "mechanism",
                                                         "rate", "seed"]]
        if ok.empty:
            return None
        # One condition per dataset, by preference: in-sample, MCAR (else the first mechanism by name),
        # the rate nearest 30%, the lowest seed; every imputer's job under it.
        preference = ok.assign(p_setting=ok["setting"] != "in-sample", p_mechanism=ok["mechanism"] != "mcar",
                               p_rate=(ok["rate"].astype(float) - 0.3).abs())
        preference = preference.sort_values(["dataset", "p_setting", "p_mechanism", "mechanism", "p_rate", "rate",
                                             "seed"], kind="stable")
        condition = ["dataset", "setting", "mechanism", "rate", "seed"]
        chosen = preference.drop_duplicates("dataset")[condition]
        ref_jobs = ok.merge(chosen, on=condition, how="inner")
        if isinstance(source, pd.DataFrame):
            samples = source[source["job_key"].isin(set(ref_jobs["job_key"]))]
        else:
            samples = read_samples(Path(source).parent if Path(source).name == "samples" else source,
                                   ref_jobs["job_key"])
        if samples.empty:
            return None
        samples = samples.drop(columns=[c for c in ("dataset", "imputer") if c in samples.columns])
        return python_strings(samples.merge(ref_jobs, on="job_key", how="inner"))

    def _samples_section(self, samples: pd.DataFrame | None, name: str, panel_key: str,
                         panels: Sequence[str]) -> dict[str, Any]:
        """Histograms per sampled feature and descriptive statistics, true vs imputed."""
        if samples is None or samples.empty:
            return {"note": "No samples of imputed values in this store: the runner writes them to "
                            "results/samples/ (a bounded sample of masked cells per job); re-run to get histograms."}
        first = samples.iloc[0]
        condition = f"{first['setting']}, {first['mechanism'].upper()}, rate {rate_label(first['rate'])}, seed {first['seed']}"
        features = list(dict.fromkeys(samples["feature"]))[:HISTOGRAM_FEATURES]
        figures, stat_rows = [], []
        for feature in features:
            part = samples[samples["feature"] == feature].rename(columns={panel_key: "panel"})
            part = part.assign(imputer=part["panel"])  # plots.histograms panels by the "imputer" column
            colours = self.colours if panel_key == "imputer" else plots.colour_of(list(panels))
            figures.append(self.figure(f"hist-{name}-{slug(feature)}", f"{feature}: true vs imputed at masked cells",
                                       "histogram", "histograms", (part, feature, list(panels), colours),
                                       {"feature": feature}))
            if not part["categorical"].any():
                for panel, values in part.groupby("panel", sort=True):
                    t = lb.describe_values(values["true_value"].to_numpy())
                    i = lb.describe_values(values["imputed_value"].to_numpy())
                    stat_rows.append({"feature": feature, "panel": panel, **{f"true_{k}": v for k, v in t.items()},
                                      **{f"imputed_{k}": v for k, v in i.items()}})
        stats_frame = pd.DataFrame(stat_rows)
        data = self.write_table(f"describe-{name}", stats_frame, f"descriptive statistics, {name}") \
            if len(stats_frame) else None
        return {"condition": condition, "features": features, "figures": figures,
                "stats": stats_frame.to_dict("records"), "data": data}

    def _dataset_figures(self, dataset: str) -> tuple[list[Figure], list[Figure]]:
        """A dataset's metric-against-rate figures (its primary metric first in the budget) and Pareto fronts."""
        agg = self.agg[self.agg["dataset"].to_numpy() == dataset]
        figures = []
        for setting in self.settings:
            sagg = agg[agg["setting"] == setting]
            if sagg.empty:
                continue
            primary = PRIMARY_METRIC.get(setting)
            for metric in self.metrics:
                if sagg[f"{metric}_mean"].isna().all():
                    continue
                attrs = {"setting": setting, "metric": metric}
                caption = f"{METRIC_LABELS[metric]} against the missing rate, {setting} (band: ± std over seeds)"
                columns = ["mechanism", "imputer", "rate", f"{metric}_mean", f"{metric}_std"]
                figures.append(self.figure(f"rate-{slug(dataset)}-{slug(setting)}-{metric}", caption,
                                           "primary" if metric == primary else "other", "metric_vs_rate",
                                           lambda a=sagg, c=columns, m=metric: (a[c], m, METRIC_LABELS[m], self.colours),
                                           attrs))
        paretos = [self._pareto_figure(s, f"pareto-{slug(dataset)}-{slug(s)}", None, dataset=dataset)
                   for s in self.settings if s in self.settings_of["dataset"].get(dataset, set())]
        return figures, paretos

    def _dataset_page(self, dataset: str) -> None:
        figures, paretos = self.dataset_figures[dataset]
        samples = None if self.ref_samples is None else self.ref_samples[self.ref_samples["dataset"] == dataset]
        samples_section = self._samples_section(samples, f"ds-{slug(dataset)}", "imputer", self.imputers)
        summary = self.by_dataset["cells"].get(dataset, self.cells.iloc[:0])
        fails = self.by_dataset["failures"].get(dataset, self.failures.iloc[:0])
        data = self.write_table(f"dataset-{slug(dataset)}", summary.drop(columns=DISPLAY_COLUMNS),
                                f"dataset {dataset}")
        info = self.dataset_info.loc[dataset]
        return self.render("dataset.html.j2", f"dataset-{slug(dataset)}.html", dataset=dataset, figures=figures,
                           paretos=paretos, samples=samples_section, data=data,
                           metrics=[m for m in self.metrics if any(f.attrs.get("metric") == m for f in figures)],
                           failures=fails.head(200).to_dict("records"), n_failures=len(fails),
                           info={"rows": info["rows"], "features": info["features"], "checksums": info["checksums"]})

    def _imputer_page(self, imputer: str) -> None:
        boards = self.by_imputer["boards"].get(imputer, self.boards.iloc[:0])
        figures, paretos, summaries = [], [], []
        for setting in self.settings:
            metric = PRIMARY_METRIC.get(setting, self.metrics[0])
            mine = boards[(boards["setting"] == setting) & (boards["metric"] == metric)]
            pooled = mine[(mine["mechanism"] == lb.ALL) & (mine["rate"] == lb.ALL)]
            if len(pooled):
                r = pooled.iloc[0]
                summaries.append({"setting": setting, "metric": METRIC_LABELS.get(metric, metric),
                                  "mean_rank": fmt(r["mean_rank"], 2), "ci": f"{fmt(r['ci_low'], 2)} – {fmt(r['ci_high'], 2)}",
                                  "win_rate": "" if np.isnan(r["win_rate"]) else f"{100 * r['win_rate']:.0f}%",
                                  "n_ok": int(r["n_ok"]), "n_bad": int(sum(r[f"n_{s}"] for s in NOT_OK))})
            curve = mine[(mine["mechanism"] != lb.ALL) & (mine["rate"] != lb.ALL) & mine["mean_rank"].notna()]
            if len(curve):
                curve = curve.assign(rate=curve["rate"].astype(float))
                figures.append(self.figure(f"rank-{slug(imputer)}-{slug(setting)}",
                                           f"{setting}: mean rank on {METRIC_LABELS.get(metric, metric)} against the "
                                           "missing rate, per mechanism", "imputer", "rank_vs_rate",
                                           (curve[["mechanism", "rate", "mean_rank"]], ""), {"setting": setting}))
            if setting in self.settings_of["imputer"].get(imputer, set()):
                paretos.append(self._pareto_figure(setting, f"pareto-{slug(imputer)}-{slug(setting)}", imputer,
                                                   "other"))
        cells = self.by_imputer["cells"].get(imputer, self.cells.iloc[:0])
        per_dataset = cells[cells["metric"] == cells["setting"].map(PRIMARY_METRIC)]
        table = (per_dataset.groupby(["setting", "dataset", "metric"], sort=True)
                 .agg(mean=("mean", "mean"), best=("best", "sum"), cells=("best", "size"),
                      n_ok=("n_ok", "sum"), n_jobs=("n_jobs", "sum")).reset_index())
        samples = None if self.ref_samples is None else self.ref_samples[self.ref_samples["imputer"] == imputer]
        if samples is not None and len(samples):
            first_features = samples.groupby("dataset")["feature"].first()
            samples = samples[samples["feature"] == samples["dataset"].map(first_features)]
            samples = samples.assign(feature="first sampled feature of each dataset")
        samples_section = self._samples_section(samples, f"imp-{slug(imputer)}", "dataset", self.datasets)
        data = self.write_table(f"imputer-{slug(imputer)}", table, f"imputer {imputer}")
        fails = self.by_imputer["failures"].get(imputer, self.failures.iloc[:0])
        return self.render("imputer.html.j2", f"imputer-{slug(imputer)}.html", imputer=imputer, figures=figures,
                           paretos=paretos, summaries=summaries, table=table.to_dict("records"),
                           samples=samples_section, data=data, failures=fails.head(200).to_dict("records"),
                           n_failures=len(fails),
                           uses_labels=self.uses_labels.get(imputer, False))


def build_site(rows: pd.DataFrame, out_dir: Path, provenance: Mapping[str, Any] | None = None,
               samples: pd.DataFrame | Path | None = None, *, max_plots: int = DEFAULT_MAX_PLOTS,
               n_boot: int = 1000, workers: int | None = None) -> Path:
    """Render the static site for ``rows`` (schema ``imputebench.store.SCHEMA``) into ``out_dir``;
    returns the path of ``index.html``. ``provenance``: protocol_version, versions, seeds, date,
    command (built from the rows when None). ``samples``: a frame from
    :func:`imputebench.reports.samples.read_samples`, or the results directory (or its ``samples/``
    folder) to read them from; None gives a note in place of the histograms. ``max_plots``: the
    figures drawn, by priority (the others keep a note). ``workers``: figure processes, drawing
    while the pages are built (default ``min(4, cores)``; 0 or 1 draws them in this process)."""
    out_dir = Path(out_dir)
    if provenance is None:
        provenance = provenance_from_rows(rows, "imputebench " + " ".join(sys.argv[1:]))
    if out_dir.exists():
        for sub in ("plots", "data"):  # stale figures of a previous store must not linger
            shutil.rmtree(out_dir / sub, ignore_errors=True)
        for page in out_dir.glob("*.html"):
            page.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = python_strings(rows.reset_index(drop=True))
    # The transfer track (PROTOCOL §7) has its own page; the main pages never mix its rows in.
    transfer = rows["track"].to_numpy() == "transfer" if "track" in rows else np.zeros(len(rows), bool)
    transfer_rows, rows = rows[transfer].reset_index(drop=True), rows[~transfer].reset_index(drop=True)
    workers = min(4, os.cpu_count() or 1) if workers is None else workers
    builder = SiteBuilder(rows, out_dir, provenance, samples, max_plots, n_boot, workers)
    builder.transfer_rows = transfer_rows
    index = builder.build()
    # For the benchmark: wall seconds per phase, and the figures drawn, left out and their CPU seconds.
    build_site.last_timings = builder.timings  # type: ignore[attr-defined]
    build_site.last_figures = {"drawn": builder.drawer.selected, "skipped": builder.drawer.skipped,  # type: ignore[attr-defined]
                               "cpu_seconds": builder.drawer.cpu_seconds}
    return index
