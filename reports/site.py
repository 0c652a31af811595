"""The static leaderboard site: HTML from jinja2 templates (autoescaped), SVG plots, CSV/parquet tables.

``build_site(rows, out_dir, provenance)`` writes::

    index.html                  overview: rankings with CIs, win rates, scores, time, family, profile;
                                CD diagram and Pareto plot per filter selection; failures
    results-<setting>-<mech>.html  per (setting, mechanism): datasets x imputers tables per rate and metric
    paper.html                  Meta-GAIN Tables 1-4 and DiffPuter's MAE/RMSE layout, from the store
    dataset-<slug>.html, imputer-<slug>.html
    transfer.html               the transfer track (PROTOCOL §7), when the store holds its rows
    assets/ plots/ data/        CSS + JS, SVG figures, every table as CSV and parquet
    .imputebench-site.json      the manifest: the files written and the inputs' content hash (publish.py)

Everything is relative links and local files: it works from ``file://`` and any static host.
Strings from datasets and plugins reach HTML only through jinja2's autoescape. Filters live in the
URL's hash (site.js). A page is a ``render(template, path, **context)`` call in ``_build``: a new
page type (e.g. a transfer track) is a method that plans its figures and calls ``render``, and a
link in ``base.html.j2``'s navigation.
"""

from __future__ import annotations

import hashlib
import json
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
from .publish import STAGING_MARK, check_target, publish, staging_folder
from .samples import read_samples

METRIC_LABELS = {name: m.label for name, m in METRIC_REGISTRY.items()}
PRIMARY_METRIC = {"in-sample": "armse", "downstream": "downstream"}
NOT_OK = [s for s in STATUSES if s != "ok"]
TEMPLATES = files("imputebench.reports") / "templates"
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
def _json_versions(texts: Sequence[Any]) -> dict[str, list[str]]:
    versions: dict[str, list[str]] = {}
    for text in texts:
        try:
            for k, v in json.loads(text).items():
                seen = versions.setdefault(k, [])
                if v not in seen:
                    seen.append(v)
        except (ValueError, AttributeError, TypeError):
            continue
    return versions


def _joined(values: Any) -> str:
    return ", ".join(sorted({str(v) for v in values if v is not None and v == v}))


def runs_from_rows(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """The runs that filled a store, read from its rows when the store keeps no run records: by
    ``run_id`` where the rows have one, else by (imputebench version, protocol version, profile)."""
    if rows.empty:
        return []
    frame = rows.assign(imputebench=[(_json_versions([t]).get("imputebench") or [""])[0] for t in rows["versions"]])
    keys = ["run_id"] if "run_id" in frame and frame["run_id"].notna().any() else ["imputebench", "protocol_version",
                                                                                  "profile"]
    runs = []
    for key, part in frame.groupby(keys, dropna=False, sort=False):
        statuses = part["status"].value_counts()
        runs.append({
            "run_id": str(key[0]) if keys == ["run_id"] else "", "command": "",
            "started": str(part["finished_at"].min())[:19], "finished": str(part["finished_at"].max())[:19],
            "imputebench": _joined(part["imputebench"]), "protocol_version": _joined(part["protocol_version"]),
            "profile": _joined(part["profile"]), "jobs": len(part),
            "statuses": ", ".join(f"{int(statuses[s])} {s}" for s in STATUSES if statuses.get(s, 0)),
        })
    return sorted(runs, key=lambda r: r["started"])


def runs_from_records(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The store's own run records (``ResultStore.runs()``) in the shape :func:`runs_from_rows` gives."""
    runs = []
    for r in records:
        counts = r.get("status_counts") or r.get("statuses") or {}
        runs.append({
            "run_id": str(r.get("run_id", "")), "command": str(r.get("command", "")),
            "started": str(r.get("started_at") or "")[:19], "finished": str(r.get("finished_at") or "")[:19],
            "imputebench": str(r.get("imputebench_version", r.get("imputebench", ""))),
            "protocol_version": str(r.get("protocol_version", "")), "profile": str(r.get("profile", "")),
            "jobs": int(sum(counts.values())) if isinstance(counts, Mapping) else "",
            "statuses": ", ".join(f"{n} {s}" for s, n in counts.items() if n) if isinstance(counts, Mapping) else "",
            "grid": r.get("grid") or {},
        })
    return sorted(runs, key=lambda r: r["started"])


def grid_of(rows: pd.DataFrame) -> str:
    """The grid a store holds, in words: counts per axis and the jobs."""
    axes = [("datasets", "dataset"), ("imputers", "imputer"), ("mechanisms", "mechanism"), ("rates", "rate"),
            ("seeds", "seed"), ("settings", "setting")]
    parts = [f"{rows[c].nunique()} {label}" for label, c in axes]
    return " × ".join(parts) + f" = {len(rows)} jobs"


def provenance_from_rows(rows: pd.DataFrame, command: str,
                         runs: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Provenance of a store from its rows (and its run records when it keeps them): versions,
    profile, grid, the runs that filled it, and ``command``, the command rendering the site. The
    command of a run is never replaced by a later ``imputebench report``: it comes from the run
    records, or is ``command`` itself when that is the run."""
    versions = _json_versions(rows["versions"].dropna().unique())
    run_list = runs_from_records(runs) if runs else runs_from_rows(rows)
    run_commands = [r["command"] for r in run_list if r.get("command")]
    if not run_commands and command.split()[1:2] == ["run"]:
        run_commands = [command]
    return {
        "protocol_version": sorted({int(v) for v in rows["protocol_version"].dropna()}),
        "versions": {k: v[0] if len(v) == 1 else v for k, v in sorted(versions.items())},
        "profile": _joined(rows["profile"]),
        "grid": grid_of(rows),
        "seeds": sorted({int(s) for s in rows["seed"].dropna()}),
        "date": str(rows["finished_at"].max()) if len(rows) else "",
        "command": "; ".join(run_commands) or "not recorded in this store",
        "rendered_by": command,
        "runs": run_list,
    }


def _provenance_items(provenance: Mapping[str, Any]) -> list[tuple[str, str]]:
    built = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    versions = provenance.get("versions") or {}
    imputebench = versions.get("imputebench", "") if isinstance(versions, Mapping) else ""
    labels = {"protocol_version": "protocol version", "profile": "profile", "grid": "grid", "seeds": "seeds",
              "date": "last job finished", "command": "produced by", "rendered_by": "rendered by"}
    items = [("imputebench", imputebench if isinstance(imputebench, str) else json.dumps(imputebench))]
    for key, label in labels.items():
        if key not in provenance:
            continue
        value = provenance[key]
        items.append((label, value if isinstance(value, str) else json.dumps(value)))
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
    # The worst status among a cell's jobs, in STATUSES order after "ok" (diverged first: PROTOCOL §6
    # keeps its numbers but counts it as a failure); "ok" when every job succeeded.
    worst_status = np.select([agg.get(f"n_{s}", pd.Series(0, index=agg.index)).to_numpy() > 0 for s in NOT_OK],
                             NOT_OK, "ok")
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
    """Holds what every page shares (environment, provenance, plot cap, output folders)."""

    def __init__(self, rows: pd.DataFrame, out_dir: Path, provenance: Mapping[str, Any],
                 samples: pd.DataFrame | Path | None, max_plots: int, n_boot: int,
                 transfer_rows: pd.DataFrame | None = None, reference: Mapping[str, Any] | None = None) -> None:
        self.rows = rows
        self.reference = reference
        # Imputers whose every row comes from a reference set (PROTOCOL §8): marked wherever they are named.
        self.from_reference = (set(rows.loc[rows["origin"] == "reference", "imputer"])
                               - set(rows.loc[rows["origin"] != "reference", "imputer"])) if "origin" in rows else set()
        self.transfer_rows = transfer_rows  # the transfer track's rows (PROTOCOL §7): its own page
        self.out = Path(out_dir)
        self.samples_source = samples
        self.max_plots = max_plots
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
        self.runs = list(provenance.get("runs") or [])
        self.settings = sorted(rows["setting"].dropna().unique())
        self.datasets = sorted(rows["dataset"].dropna().unique())
        self.imputers = sorted(rows["imputer"].dropna().unique())
        self.mechanisms = sorted(rows["mechanism"].dropna().unique())
        self.rates = sorted(rows["rate"].dropna().unique())
        self.colours = plots.colour_of(self.imputers)
        # Metadata of the built-in imputers (a light table, no implementation imported); plugins are "plugin".
        from ..registry.info import BUILTIN_INFO

        self.info = {name: BUILTIN_INFO.get(name) for name in self.imputers}
        self.family = {name: info.family if info else "plugin" for name, info in self.info.items()}
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
        them, so that figures left out by a cap cost nothing."""
        return self.drawer.request(priority, f"plots/{name}.svg", caption, function, args, dict(attrs or {}))

    def render(self, template: str, path: str, **context: Any) -> None:
        """Plan a page; pages are written once the figures are drawn."""
        self.pages.append((template, path, context))

    def finish(self) -> int:
        """Draw the figures, then write every page (a figure that failed shows its reason).
        Returns the number of figures left out."""
        self.drawer.draw()
        self.lap("figures")
        self._write_pages()
        self.lap("html")
        return self.drawer.skipped

    def _write_pages(self) -> None:
        for template, path, context in self.pages:
            html = self.env.get_template(template).render(
                provenance=self.provenance, runs=self.runs, page=path, settings=self.settings, mechanisms=self.mechanisms,
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
        self.drawer = FigureDrawer(self.out, self.max_plots)
        return self._build()

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
        self._overview_figures()
        self.dataset_figures = {dataset: self._dataset_figures(dataset) for dataset in self.datasets}
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
            rows=("n_rows", "max"), features=("n_features", "max"), dropped=("dropped_rows", "max"),
            checksums=("dataset_checksum", lambda c: ", ".join(sorted(set(c.dropna().astype(str))))))
        self.uses_labels = self.rows.groupby("imputer")["uses_labels"].agg(
            lambda v: bool(v.fillna(False).astype(bool).any())).to_dict()
        self.profiles = self.rows.groupby("imputer")["profile"].agg(
            lambda v: ", ".join(sorted(set(v.dropna().astype(str))))).to_dict()
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
        if self.transfer_rows is not None and len(self.transfer_rows):  # the transfer track's one hook
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
                attrs = {"setting": setting, "metric": metric, "mechanism": lb.ALL, "rate": lb.ALL}
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
            pooled = self._pareto_figure(setting, f"pareto-{slug(setting)}", None, "overview")
            pooled.attrs.update(mechanism=lb.ALL, rate=lb.ALL)
            pareto_figures.append(pooled)
        self.cd_figures, self.friedman_rows, self.pareto_figures = cd_figures, friedman_rows, pareto_figures

    def _comparison_extras(self) -> pd.DataFrame:
        """Per (setting, mechanism, rate, imputer), pooled levels ``lb.ALL`` included: the mean of
        every metric and of the time per job (fit + transform) over the ok jobs, for the ranking table."""
        ok = self.rows[self.rows["status"] == "ok"]
        values = [*self.metrics, "seconds"]
        ok = ok.assign(seconds=ok["fit_seconds"].astype(float) + ok["transform_seconds"].astype(float),
                       rate=ok["rate"].map(rate_label))[["setting", "imputer", "mechanism", "rate", *values]]
        parts = []
        for mechanism in (True, False):
            for rate in (True, False):
                keys = ["setting", "imputer", *(["mechanism"] if mechanism else []), *(["rate"] if rate else [])]
                part = ok.groupby(keys, sort=False)[values].mean().reset_index()
                parts.append(part.assign(**({} if mechanism else {"mechanism": lb.ALL}),
                                         **({} if rate else {"rate": lb.ALL})))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["setting", "imputer",
                                                                                       "mechanism", "rate", *values])

    def _index_page(self) -> None:
        b = self.boards
        extras = self._comparison_extras()
        b = b.merge(extras, on=["setting", "imputer", "mechanism", "rate"], how="left", suffixes=("", "_x"))
        ranked = b["mean_rank"].notna().to_numpy()
        has_ci = ranked & b["ci_low"].notna().to_numpy()
        n_bad = b[[f"n_{s}" for s in NOT_OK]].sum(axis=1).to_numpy()
        best_rank = b.groupby(["setting", "metric", "mechanism", "rate"], sort=False)["mean_rank"].transform("min")
        score = np.full(len(b), np.nan)
        for metric in self.metrics:
            at = (b["metric"] == metric).to_numpy()
            score[at] = b.loc[at, metric].to_numpy(dtype=float)
        # Downstream score beside every ranking (as README's table): the downstream setting's jobs on the
        # same mechanism and rate selection, whatever the setting ranked.
        if "downstream" in extras:
            down = extras[extras["setting"] == "downstream"].set_index(["imputer", "mechanism", "rate"])["downstream"]
            downstream = b.set_index(["imputer", "mechanism", "rate"]).index.map(down).to_numpy(dtype=float)
        else:
            downstream = np.full(len(b), np.nan)
        display = pd.DataFrame({
            "imputer": b["imputer"].to_numpy(dtype=object), "ranked": ranked,
            "mean_rank": [fmt(v, 2) for v in b["mean_rank"]],
            # One dataset gives no interval (PROTOCOL §6): n/a, not a blank or a zero-width interval.
            "ci": [f"{lo:.2f} – {hi:.2f}" if ok else "n/a" for lo, hi, ok in zip(b["ci_low"], b["ci_high"], has_ci)],
            "ci_sort": [fmt(v, 4) for v in b["ci_high"]],
            "win_rate": ["" if np.isnan(v) else f"{100 * v:.0f}%" for v in b["win_rate"]],
            "win_sort": [fmt(v, 4) for v in b["win_rate"]], "n_ok": b["n_ok"].to_numpy(), "n_bad": n_bad,
            "score": [fmt(v) for v in score], "score_sort": [fmt(v, 6) for v in score],
            "downstream": [fmt(v) for v in downstream], "downstream_sort": [fmt(v, 6) for v in downstream],
            "seconds": [fmt(v, 2) for v in b["seconds"]], "seconds_sort": [fmt(v, 6) for v in b["seconds"]],
            "marks": [[(s, int(n)) for s, n in zip(NOT_OK, counts) if n]
                      for counts in b[[f"n_{s}" for s in NOT_OK]].to_numpy()],
            "best": ranked & (b["mean_rank"] == best_rank).to_numpy(),
        })
        records = display.to_dict("records")
        self._filtered_overview_figures(b)
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
            result_pages=self.result_pages, downloads=self.downloads, uses_labels=self.uses_labels,
            families=sorted(set(self.family.values())), family=self.family, profiles=self.profiles,
            reference=self.reference, from_reference=self.from_reference)

    def _filtered_overview_figures(self, boards: pd.DataFrame) -> None:
        """The overview's CD diagram and Pareto plot for every mechanism and rate selection (the pooled
        ones are drawn with the exact Friedman test in :meth:`_overview_figures`), so that the figures
        follow the page's filters. Mean ranks and time per job come from the ranking table itself."""
        part = boards[((boards["mechanism"] != lb.ALL) | (boards["rate"] != lb.ALL)) & boards["mean_rank"].notna()]
        for (setting, metric, mechanism, rate), table in part.groupby(["setting", "metric", "mechanism", "rate"],
                                                                       sort=True):
            attrs = {"setting": setting, "metric": metric, "mechanism": mechanism, "rate": rate}
            where = f"mechanism {mechanism}, rate {rate}"
            k, n = len(table), int(table["n_datasets"].max())
            if k >= 3 and n >= 2:
                ranks = pd.Series(table["mean_rank"].to_numpy(dtype=float), index=table["imputer"].to_numpy())
                cd = lb.critical_difference(k, n)
                self.cd_figures.append(self.figure(
                    f"cd-{slug(setting)}-{metric}-{slug(mechanism)}-{slug(rate)}",
                    f"{setting}, {METRIC_LABELS[metric]}, {where}: Nemenyi CD = {cd:.2f} (α = 0.05) over {n} datasets",
                    "cd-other", "cd_diagram", (ranks, cd, ""), attrs))
            else:
                self.cd_figures.append(Figure(f"{setting}, {METRIC_LABELS[metric]}, {where}", attrs,
                                              note="The Friedman test needs at least 3 ranked imputers and 2 datasets."))
            if metric != PRIMARY_METRIC.get(setting, self.metrics[0]):
                continue
            points = pd.DataFrame({"imputer": table["imputer"].to_numpy(), "quality": table["mean_rank"].to_numpy(float),
                                   "seconds": table["seconds"].to_numpy(float)})
            front = lb.pareto_front(points["seconds"].to_numpy(), points["quality"].to_numpy(), False)
            self.pareto_figures.append(self.figure(
                f"pareto-{slug(setting)}-{slug(mechanism)}-{slug(rate)}",
                f"{setting}, {where}: time against mean rank on {METRIC_LABELS[metric]} (lower is better on both); "
                f"on the front: {', '.join(points['imputer'][front])}", "other", "pareto_plot",
                (points, f"mean rank, {METRIC_LABELS[metric]}", front, self.colours, None),
                {"setting": setting, "mechanism": mechanism, "rate": rate}))

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
            both["column"] = both["dataset"] + " · " + both["metric"].map(METRIC_LABELS)
            ds = sorted(both["dataset"].unique())
            cols = [f"{d} · {METRIC_LABELS[m]}" for d in ds for m in ("mae", "rmse")]
            imps = sorted(both["imputer"].unique())
            data = self.write_table(f"paper-diffputer-{slug(setting)}", both.drop(columns=DISPLAY_COLUMNS),
                                    title)
            sections.append({"title": title, "columns": cols, "row_label": "imputer",
                             "rows": grid_table(both, "imputer", "column", imps, cols), "data": data})
        deviations = [(name, info.deviations) for name, info in self.info.items() if info and info.deviations]
        return self.render("paper.html.j2", "paper.html", sections=sections, deviations=deviations)

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
            # Imputers on one dataset share an x range; datasets (an imputer's page) each keep their own.
            figures.append(self.figure(f"hist-{name}-{slug(feature)}", f"{feature}: true vs imputed at masked cells",
                                       "histogram", "histograms", (part, feature, list(panels), panel_key == "imputer"),
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
                name, priority = f"rate-{slug(dataset)}-{slug(setting)}-{metric}", "primary" if metric == primary \
                    else "other"
                figure = self.figure(name, caption, priority, "metric_vs_rate",
                                     lambda a=sagg, c=columns, m=metric: (a[c], m, METRIC_LABELS[m], self.colours),
                                     attrs)
                # Its panels side by side are too small to read on a phone: a stacked version beside it.
                figure.narrow = self.figure(f"{name}-narrow", caption, priority, "metric_vs_rate",
                                            lambda a=sagg, c=columns, m=metric: (a[c], m, METRIC_LABELS[m],
                                                                                 self.colours, True), attrs)
                figures.append(figure)
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
                           info={"rows": info["rows"], "features": info["features"], "checksums": info["checksums"],
                                 "dropped": info["dropped"]})

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
                           uses_labels=self.uses_labels.get(imputer, False), info=self.info.get(imputer),
                           family=self.family.get(imputer, ""), profile=self.profiles.get(imputer, ""))


def build_site(rows: pd.DataFrame, out_dir: Path, provenance: Mapping[str, Any] | None = None,
               samples: pd.DataFrame | Path | None = None, *, max_plots: int | None = None,
               n_boot: int = 1000, inputs_hash: str = "", reference: Mapping[str, Any] | None = None) -> Path:
    """Render the static site for ``rows`` (schema ``imputebench.store.SCHEMA``) into ``out_dir``;
    returns the path of ``index.html``. ``provenance``: protocol_version, versions, seeds, date,
    command (built from the rows when None). ``samples``: a frame from
    :func:`imputebench.reports.samples.read_samples`, or the results directory (or its ``samples/``
    folder) to read them from; None gives a note in place of the histograms. ``max_plots``: None
    (the default) draws every figure (plots.py writes SVG in milliseconds); a number is an opt-in
    cap, figures kept by priority and the others left with a note. ``reference``: what
    :func:`imputebench.reference.merge_with_store` says about a reference set whose rows are among
    ``rows`` (column ``origin``), shown on the overview. ``inputs_hash``: the content hash of the
    site's inputs, kept in the site's manifest (see :mod:`.publish`) to tell whether it is current.
    The site is built beside ``out_dir`` and swapped in whole; only files an earlier report wrote
    are ever removed."""
    out_dir = Path(out_dir)
    if out_dir.is_symlink():  # a link to where the site is served: swap the folder it points to
        out_dir = out_dir.resolve()
    check_target(out_dir)  # before any work: a foreign folder is refused with one line
    if provenance is None:
        provenance = provenance_from_rows(rows, "imputebench " + " ".join(sys.argv[1:]))
    rows = python_strings(rows.reset_index(drop=True))
    # The transfer track (PROTOCOL §7) has its own page; the main pages never mix its rows in.
    transfer = (rows["track"] == "transfer").to_numpy() if "track" in rows else np.zeros(len(rows), bool)
    transfer_rows, rows = rows[transfer].reset_index(drop=True), rows[~transfer].reset_index(drop=True)
    budget = sys.maxsize if max_plots is None else max_plots
    staging = staging_folder(out_dir)  # built aside, swapped in whole (publish.py)
    try:
        builder = SiteBuilder(rows, staging, provenance, samples, budget, n_boot, transfer_rows, reference)
        builder.build()
        publish(staging, out_dir, inputs_hash)
    finally:
        if (staging / STAGING_MARK).exists():  # not published: the folder is wholly ours
            shutil.rmtree(staging, ignore_errors=True)
    index = out_dir / "index.html"
    # For the benchmark: wall seconds per phase, and the figures drawn, left out and their CPU seconds.
    build_site.last_timings = builder.timings  # type: ignore[attr-defined]
    build_site.last_figures = {"drawn": builder.drawer.selected, "skipped": builder.drawer.skipped,  # type: ignore[attr-defined]
                               "cpu_seconds": builder.drawer.cpu_seconds}
    return index
