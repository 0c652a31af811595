"""``export_paper``: write an export folder from result rows (the edge: files, matplotlib, pdflatex).

The folder::

    README.md            provenance: protocol version, profile, grid, hyper-parameters, versions, runs, command
    references.bib       imputebench, every imputer and dataset in the rows
    paper.tex            a standalone document that inputs every table and figure
    tables/NAME.tex|md|csv
    figures/NAME.pdf|png
    .imputebench-paper.json   the files written (a re-export removes only those)

The maths is elsewhere (``leaderboard.py``, ``tables.py``, ``layouts.py``); a track with its own
tables declares them (``imputebench.tracks.Track.paper_exports``: ``module:function(rows, folder, metrics)``).
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ...errors import UsageError
from ...protocol.metrics import METRIC_REGISTRY
from .. import leaderboard as lb
from ..entries import BASE_IMPUTER, parameter_entries
from .bib import collect_references, plugin_citations
from .latex import document, table_tex
from .layouts import ablation_table, layout_table, seed_layouts
from .markdown import table_md, write_csv
from .readme import Contents, Source, readme
from ...tracks import rows_of
from .selection import Selection, metrics_of, select_rows, track_of
from .style import ONE_COLUMN, RC, TWO_COLUMN, imputer_styles, pyplot, save
from .tables import PRIMARY_METRIC, PaperTable, annotate, leaderboard_table, results_table, slug

MANIFEST = ".imputebench-paper.json"


@dataclass
class ExportOptions:
    max_columns: int = 7  # value columns per LaTeX table part
    figures: bool = True
    n_boot: int = 1000


class OutputFolder:
    """Writes tables (.tex, .md, .csv) and figures (.pdf, .png) and remembers what it wrote."""

    def __init__(self, out: Path, options: ExportOptions) -> None:
        self.out, self.options = out, options
        self.contents = Contents()
        self.written: list[Path] = []
        self.figure_entries: list[tuple[str, str, float]] = []  # (path for LaTeX, caption, width in inches)
        (out / "tables").mkdir(parents=True, exist_ok=True)
        (out / "figures").mkdir(parents=True, exist_ok=True)

    def warn(self, text: str) -> None:
        self.contents.warnings.append(text)

    def table(self, table: PaperTable | None) -> None:
        if table is None:
            return
        stem = self.out / "tables" / table.name
        stem.with_suffix(".tex").write_text(table_tex(table, self.options.max_columns), encoding="utf-8")
        stem.with_suffix(".md").write_text(table_md(table), encoding="utf-8")
        write_csv(table, stem.with_suffix(".csv"))
        self.written += [stem.with_suffix(s) for s in (".tex", ".md", ".csv")]
        self.contents.tables.append((table.name, table.caption.split(": ")[0]))

    def figure(self, draw: Callable[[], Any], name: str, caption: str, width: float) -> None:
        """Draw (inside the export's style) and save one figure; a figure that fails to draw is a
        warning in the README, not a failed export."""
        if not self.options.figures:
            return
        plt = pyplot()
        stem = self.out / "figures" / name
        try:
            with plt.rc_context(RC):
                self.written += save(draw(), stem)
        except Exception as exc:  # noqa: BLE001  one bad figure must not lose the others
            plt.close("all")
            self.warn(f"figure {name} was not drawn: {type(exc).__name__}: {exc}")
            return
        self.contents.figures.append((name, caption))
        self.figure_entries.append((f"figures/{name}.pdf", caption, width))


def prepare_folder(out: Path) -> None:
    """``out`` must be absent, empty, or an earlier export (its files listed in its manifest, which
    are removed); any other folder is refused, so an export never overwrites someone's files."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; give a folder")
    if not out.exists() or not any(out.iterdir()):
        out.mkdir(parents=True, exist_ok=True)
        return
    manifest = out / MANIFEST
    if not manifest.is_file():
        raise UsageError(f"--out {out} is not empty and holds no earlier export ({MANIFEST}); "
                         "give a new or empty folder")
    try:
        listed = json.loads(manifest.read_text()).get("files", [])
    except (OSError, ValueError):
        raise UsageError(f"cannot read {manifest}; remove the folder or give another --out") from None
    for rel in listed:
        path = (out / rel).resolve()
        if out.resolve() in path.parents and path.is_file():
            path.unlink()


def _seconds(rows: pd.DataFrame) -> dict[str, pd.Series]:
    """Mean fit + transform seconds per imputer of the successful jobs, per setting."""
    ok = rows[rows["status"] == "ok"]
    seconds = ok["fit_seconds"].astype(float) + ok["transform_seconds"].astype(float)
    return {s: part.groupby(ok.loc[part.index, "imputer"]).mean() for s, part in seconds.groupby(ok["setting"])}


def figure_metrics(setting: str, metrics: Sequence[str], asked: Sequence[str]) -> list[str]:
    """The metrics a setting's figures show: the asked ones, else the setting's primary metric."""
    if asked:
        return [m for m in asked if m in metrics]
    primary = PRIMARY_METRIC.get(setting)
    return [primary] if primary in metrics else list(metrics[:1])


def main_tables(folder: OutputFolder, rows: pd.DataFrame, metrics: list[str], agg: pd.DataFrame,
                boards: pd.DataFrame) -> None:
    n_seeds = int(rows["seed"].nunique())
    seconds = _seconds(rows)
    for setting in sorted(rows["setting"].dropna().unique()):
        for metric in metrics:
            folder.table(leaderboard_table(boards, setting, metric, seconds.get(setting, pd.Series(dtype=float))))
            folder.table(results_table(agg, setting, metric, n_seeds))
    for layout in seed_layouts():
        if layout.metric in metrics:  # a --metric filter applies to the papers' layouts too
            folder.table(layout_table(agg, layout, n_seeds))
    folder.table(ablation_table(rows, n_seeds, metrics))


def _comparison_figures(folder: OutputFolder, rows: pd.DataFrame, setting: str, metric: str,
                        matrix: lb.BlockMatrix, styles: dict) -> None:
    """The CD diagram, rank heat map and Pareto plot of one setting and metric (all masks pooled)."""
    ranking = lb.rank_imputers(matrix, metric, n_boot=10)
    if ranking.table.empty:
        folder.warn(f"{setting}, {metric}: no imputer could be ranked, so no CD diagram, heat map or Pareto plot")
        return
    label, where = METRIC_REGISTRY[metric].label, f"{setting}, {METRIC_REGISTRY[metric].label}"
    result = lb.friedman_nemenyi(ranking.dataset_scores, lb.higher_is_better(metric))
    if result is not None:
        from .figures import cd_diagram

        caption = (f"Critical-difference diagram, {where}: mean rank over {len(ranking.dataset_scores)} datasets "
                   f"(1 = best); Friedman chi2 = {result.statistic:.2f}, p = {result.pvalue:.2g}; imputers joined "
                   f"by a bar do not differ by the Nemenyi CD = {result.cd:.2f} (alpha = {result.alpha}).")
        folder.figure(lambda: cd_diagram(result.mean_ranks, result.cd), f"cd-{slug(setting)}-{metric}", caption,
                      ONE_COLUMN)
    else:
        folder.warn(f"{where}: the Friedman test needs at least 3 ranked imputers and 2 datasets; no CD diagram")
    from .figures import pareto_plot, rank_heatmap

    folder.figure(lambda: rank_heatmap(ranking.dataset_ranks), f"ranks-{slug(setting)}-{metric}",
                  f"Rank of each imputer on each dataset, {where} (1 = best; masks pooled per dataset).", TWO_COLUMN)
    points = pd.DataFrame({"imputer": ranking.table["imputer"], "quality": ranking.table["mean_rank"]})
    points["seconds"] = points["imputer"].map(_seconds(rows).get(setting, pd.Series(dtype=float))).astype(float)
    front = lb.pareto_front(points["seconds"].to_numpy(), points["quality"].to_numpy(), False)
    on_front = ", ".join(points["imputer"][front])
    folder.figure(lambda: pareto_plot(points, front, f"mean rank, {label}", styles), f"pareto-{slug(setting)}-{metric}",
                  f"Time against quality, {where}: mean time per job against mean rank (lower is better on both); "
                  f"on the Pareto front: {on_front}.", ONE_COLUMN)


def main_figures(folder: OutputFolder, rows: pd.DataFrame, metrics: list[str], asked: Sequence[str],
                 agg: pd.DataFrame) -> None:
    if not folder.options.figures:
        return
    if rows["rate"].nunique() < 2:
        folder.warn("one missing rate in these rows: no metric-against-rate curves")
    from .figures import metric_vs_rate

    styles = imputer_styles(rows["imputer"].unique())
    matrices = lb.block_matrices(rows, metrics)
    for setting in sorted(rows["setting"].dropna().unique()):
        for metric in figure_metrics(setting, metrics, asked):
            matrix = matrices.get((setting, metric))
            if matrix is None or np.isnan(matrix.values).all():
                continue
            _comparison_figures(folder, rows, setting, metric, matrix, styles)
            cells = annotate(agg[agg["setting"] == setting], metric)
            label = METRIC_REGISTRY[metric].label
            for dataset, part in cells.groupby("dataset", sort=True):
                if part["mean"].isna().all() or part["rate"].nunique() < 2:
                    continue  # a curve needs two rates at least
                folder.figure(lambda p=part, m=label: metric_vs_rate(p, m, styles),
                              f"rate-{slug(setting)}-{metric}-{slug(dataset)}",
                              f"{label} against the missing rate on {dataset}, {setting} (bars: ± sd over seeds).",
                              TWO_COLUMN)


def export_tracks(folder: OutputFolder, rows: pd.DataFrame, metrics: list[str]) -> None:
    """Each track's own tables and figures (its ``paper_exports``), with its own rows."""
    from ...harness.config import DEFAULT_TRACK
    from ...tracks import get_track, rows_of

    for name in sorted(set(track_of(rows)) - {DEFAULT_TRACK}):
        try:
            exports = get_track(name).paper_exports
        except UsageError:  # rows of a track this install does not know
            exports = ()
        if not exports:
            folder.warn(f"rows of track {name!r}: this imputebench has no paper tables for that track")
        for target in exports:
            module, _, function = target.partition(":")
            getattr(importlib.import_module(module), function)(rows_of(rows, name), folder, metrics)


def compile_pdf(out: Path) -> Path:
    """Typeset ``paper.tex`` with pdflatex (twice, for long tables); the PDF's path. UsageError with
    the log's last lines when it fails or pdflatex is missing."""
    if shutil.which("pdflatex") is None:
        raise UsageError("--pdf needs pdflatex (Debian: apt-get install texlive-latex-recommended)")
    for _ in range(2):
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=out,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            tail = "\n".join(done.stdout.splitlines()[-15:])
            raise UsageError(f"pdflatex failed on {out / 'paper.tex'}:\n{tail}")
    return out / "paper.pdf"


def export_paper(rows: pd.DataFrame, out: Path, selection: Selection, source: Source, command: str,
                 options: ExportOptions | None = None, version: str = "") -> OutputFolder:
    """Write the export folder for the rows a selection keeps (see the module docstring)."""
    options = options or ExportOptions()
    # One entry per imputer and hyper-parameters (as on the site): two settings of knn are two rows of
    # every table, never pooled; ``base_imputer`` keeps the registered name (citations, the ablation).
    rows = parameter_entries(select_rows(rows, selection))
    out = Path(out)
    prepare_folder(out)
    folder = OutputFolder(out, options)
    main = rows_of(rows)
    metrics = metrics_of(main if len(main) else rows, selection)
    if len(main):
        agg = lb.aggregate(main, metrics)
        boards = lb.leaderboards(main, metrics, n_boot=options.n_boot)
        main_tables(folder, main, metrics, agg, boards)
        main_figures(folder, main, metrics, selection.metrics, agg)
    export_tracks(folder, rows, list(selection.metrics))
    imputers, datasets = sorted(rows[BASE_IMPUTER].dropna().unique()), sorted(rows["dataset"].dropna().unique())
    refs = collect_references(imputers, datasets, plugin_citations(imputers))
    (out / "references.bib").write_text(refs.text, encoding="utf-8")
    keys = list(dict.fromkeys(k for ks in refs.keys.values() for k in ks))
    tex = document("imputebench results", [f"tables/{name}" for name, _ in folder.contents.tables],
                   folder.figure_entries, ["imputebench", *keys], f"Exported from the {source.label}.")
    (out / "paper.tex").write_text(tex, encoding="utf-8")
    (out / "README.md").write_text(readme(rows, source, command, folder.contents, refs, version), encoding="utf-8")
    folder.written += [out / "references.bib", out / "paper.tex", out / "README.md"]
    # pdflatex's by-products too, so that a re-export clears them.
    extra = [out / f"paper.{s}" for s in ("pdf", "aux", "log", "out")]
    files = sorted({p.relative_to(out).as_posix() for p in [*folder.written, *extra]})
    (out / MANIFEST).write_text(json.dumps({"files": files, "command": command}, indent=1), encoding="utf-8")
    return folder
