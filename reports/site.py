"""The static leaderboard site: HTML from jinja2 templates (autoescaped), SVG plots, CSV/parquet tables.

``build_site(rows, out_dir, provenance)`` writes::

    index.html                  overview: rankings with CIs, win rates, scores, time, family, profile;
                                CD diagram and Pareto plot per filter selection; failures
    results-<setting>-<mech>.html  per (setting, mechanism): datasets x imputers tables per rate and metric
    paper.html                  Meta-GAIN Tables 1-4 and DiffPuter's MAE/RMSE layout, from the store
    dataset-<slug>.html, imputer-<slug>.html
    transfer.html               the transfer track (PROTOCOL §7), when the store holds its rows
    protocol.html               docs/protocol.md, sections anchored #sN; every "PROTOCOL §N" on a page links there
    assets/ plots/ data/        CSS + JS, SVG figures, every table as CSV and parquet
    .imputebench-site.json      the manifest: the files written and the inputs' content hash (publish.py)

Everything is relative links and local files: it works from ``file://`` and any static host.
Strings from datasets and plugins reach HTML only through jinja2's autoescape. Filters live in the
URL's hash (site.js).

The builder computes and formats nothing itself. It calls the pages every track declares (the
seam is documented in :mod:`imputebench.reports.pages`: ``add_page(site, rows) -> None``, named
``"package.module:function"``), draws the figures they planned, writes the HTML they planned and
publishes the folder atomically (:mod:`.publish`). A page renders frames that pure functions compute
(:mod:`.frames`, :mod:`.facts`, :mod:`.paper_tables`). A new page is a function and a template; a
track's pages are entries of its ``pages`` (:func:`track_pages`).
"""

from __future__ import annotations

import shutil
import sys
import time
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

import jinja2
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .figures import Figure, FigureDrawer
from .entries import parameter_entries
from .frames import python_strings
from .pages import load_page
from .pages.html import fmt, slug
from .pages.protocol import PROTOCOL_PAGE, link_citations, protocol_html
from .provenance import human_time, provenance_from_rows, provenance_items
from .publish import building, check_target, publish

TEMPLATES = files("imputebench.reports") / "templates"
T = TypeVar("T")

__all__ = ["SiteBuilder", "track_pages", "build_site", "provenance_from_rows", "slug"]


def package_template(name: str) -> str | None:
    """The text of a page's own template, named ``"package:path/in/package.html.j2"``; None when it
    names none (jinja2 then says which template is missing)."""
    package, sep, path = name.partition(":")
    if not sep:
        return None
    try:
        return (files(package) / path).read_text(encoding="utf-8")
    except (ImportError, OSError, TypeError, ValueError):
        return None


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The templates' environment, one per process: compiling the templates costs more than a small
    site's pages (pages pass everything they show as context; nothing is stored on it). Templates
    are the site's own (``reports/templates``) or a page's own (:func:`package_template`)."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(TEMPLATES)), jinja2.FunctionLoader(package_template)]),
        autoescape=True,  # every template, whatever its suffix: dataset and plugin strings are data
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = fmt
    env.filters["slug"] = slug
    env.filters["when"] = human_time
    return env


class SiteBuilder:
    """A site being built in ``out``: what pages plan through it (the :class:`.pages.Site` they see),
    the figures to draw and the pages to write once every page was called."""

    def __init__(self, out: Path, provenance: Mapping[str, Any], samples: pd.DataFrame | Path | None,
                 max_plots: int, n_boot: int, reference: Mapping[str, Any] | None = None) -> None:
        self.out = Path(out)
        self.samples = samples
        self.n_boot = n_boot
        self.reference = reference
        self.downloads: list[dict[str, str]] = []
        self.timings: dict[str, float] = {}  # phase -> wall seconds (read by the benchmark)
        self._clock = time.perf_counter()
        self._pages: list[tuple[str, str, dict[str, Any]]] = []
        self._shared: dict[str, Any] = {}
        self._nav: list[tuple[str, str]] = []
        self._context: dict[str, Any] = {}
        self._provenance = provenance_items(provenance)
        self._runs = list(provenance.get("runs") or [])
        self.env = environment()
        for sub in ("assets", "plots", "data"):
            (self.out / sub).mkdir(parents=True, exist_ok=True)
        for asset in ("style.css", "site.js"):
            shutil.copyfile(str(TEMPLATES / asset), self.out / "assets" / asset)
        self.drawer = FigureDrawer(self.out, max_plots)

    # what a page uses (pages/__init__.py documents it)
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
        self._pages.append((template, path, context))

    def link(self, label: str, path: str) -> None:
        """A link to a page in every page's navigation."""
        self._nav.append((label, path))

    def context(self, **values: Any) -> None:
        """Values every page's template sees."""
        self._context.update(values)

    def shared(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per site under ``key``; the time it took is a phase of its own."""
        if key not in self._shared:
            self._shared[key] = compute()
            self.lap(key)
        return self._shared[key]

    # the build
    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.timings[phase] = now - self._clock
        self._clock = now

    def build(self, calls: Sequence[tuple[str, pd.DataFrame]]) -> Path:
        """Call each page on its rows (:func:`track_pages`), draw the figures, write the pages; the path
        of index.html."""
        for name, rows in calls:
            load_page(name)(self, rows)
            self.lap(f"page {name.rpartition(':')[2]}")
        self.drawer.draw()
        self.lap("figures")
        # Every site carries the protocol its pages cite, and every citation links to its section.
        self.render("protocol.html.j2", PROTOCOL_PAGE, protocol=protocol_html())
        for template, path, context in self._pages:
            html = self.env.get_template(template).render({
                "provenance": self._provenance, "runs": self._runs, "page": path, "nav_links": self._nav,
                "n_plots_skipped": self.drawer.skipped, **self._context, **context})
            (self.out / path).write_text(link_citations(html), encoding="utf-8")
        self.lap("html")
        return self.out / "index.html"


def track_pages(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(page, rows) for every page of every track (:attr:`imputebench.tracks.Track.pages`), each called
    with its own track's rows: the main track's always (an empty store still gets an overview), another
    track's when the store holds rows of it. A row with no track is the default track's (stores older
    than the track column)."""
    from ..harness.config import DEFAULT_TRACK
    from ..tracks import all_tracks, rows_of

    calls = []
    for track in all_tracks():
        mine = rows_of(rows, track.name)
        if len(mine) or track.name == DEFAULT_TRACK:
            calls += [(page, mine) for page in track.pages]
    return calls


def build_site(rows: pd.DataFrame, out_dir: Path, provenance: Mapping[str, Any] | None = None,
               samples: pd.DataFrame | Path | None = None, *, max_plots: int | None = None,
               n_boot: int = 1000, inputs_hash: str = "", reference: Mapping[str, Any] | None = None,
               pages: Sequence[str] | None = None) -> Path:
    """Render the static site for ``rows`` (schema ``imputebench.harness.store.SCHEMA``) into ``out_dir``;
    returns the path of ``index.html``. ``provenance``: protocol_version, versions, seeds, date,
    command (built from the rows when None). ``samples``: a frame from
    :func:`imputebench.reports.samples.read_samples`, or the results directory (or its ``samples/``
    folder) to read them from; None gives a note in place of the histograms. ``max_plots``: None
    (the default) draws every figure (plots.py writes SVG in milliseconds); a number is an opt-in
    cap, figures kept by priority and the others left with a note. ``reference``: what
    :func:`imputebench.gates.reference.merge_with_store` says about a reference set whose rows are among
    ``rows`` (column ``origin``), shown on the overview. ``inputs_hash``: the content hash of the
    site's inputs, kept in the site's manifest (see :mod:`.publish`) to tell whether it is current.
    ``pages``: the pages, by dotted name (:mod:`.pages`), each called with every row; by default each
    track's own pages with its own rows (:func:`track_pages`). The site is built beside ``out_dir`` and
    swapped in whole; only files an earlier report wrote are ever removed; two reports into one
    folder at once both finish, the one that publishes last leaving its whole site."""
    out_dir = Path(out_dir)
    if out_dir.is_symlink():  # a link to where the site is served: swap the folder it points to
        out_dir = out_dir.resolve()
    check_target(out_dir)  # before any work: a foreign folder is refused with one line
    if provenance is None:
        provenance = provenance_from_rows(rows, "imputebench " + " ".join(sys.argv[1:]))
    # One entry per imputer and hyper-parameters, here where the site takes its rows: every page,
    # ranking and download then tells a --param override from the profile's own jobs.
    rows = python_strings(parameter_entries(rows.reset_index(drop=True)))
    with building(out_dir) as staging:  # built aside, swapped in whole (publish.py)
        builder = SiteBuilder(staging, provenance, samples, sys.maxsize if max_plots is None else max_plots,
                              n_boot, reference)
        builder.build(track_pages(rows) if pages is None else [(page, rows) for page in pages])
        publish(staging, out_dir, inputs_hash)
    # For the benchmark: wall seconds per phase, and the figures drawn, left out and their CPU seconds.
    build_site.last_timings = builder.timings  # type: ignore[attr-defined]
    build_site.last_figures = {"drawn": builder.drawer.selected, "skipped": builder.drawer.skipped,  # type: ignore[attr-defined]
                               "cpu_seconds": builder.drawer.cpu_seconds}
    return out_dir / "index.html"
