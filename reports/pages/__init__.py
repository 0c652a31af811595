"""The site's pages, and the seam a page plugs in at.

A page is a function with this signature (:data:`PageFunction`)::

    def add_page(site: Site, rows: pandas.DataFrame) -> None

named by a dotted path, ``"package.module:function"``. Tracks declare their pages
(``imputebench.tracks.Track.pages``: the main track's leaderboard pages, the transfer track's
``transfer.html``, ...); the builder (:func:`imputebench.reports.site.build_site`) calls each track's
pages with that track's rows, the main track's always (an empty store still gets its overview),
another track's when the store holds rows of it. Then it draws the figures the pages planned,
writes the HTML and publishes the folder.

``rows`` are the track's rows (string columns as Python objects, a fresh index). A page computes
nothing itself: its numbers come from pure functions returning frames
(:mod:`imputebench.reports.frames`, :mod:`.facts`, :mod:`.paper_tables`, or a track's own), and it
formats them through ``site`` (:class:`Site`):

- ``site.render(template, path, **context)``: an HTML page from a jinja2 template (autoescaped),
  written once the figures are drawn: a file of ``reports/templates``, or a page's own template
  named ``"package:path/in/package.html.j2"``; either extends ``base.html.j2`` for the navigation,
  the provenance footer and the site's CSS and JS;
- ``site.figure(name, caption, priority, function, args, attrs)``: a figure, ``plots.<function>(*args)``
  drawn into ``plots/<name>.svg`` (``args`` may be a function that builds them); the returned
  :class:`~imputebench.reports.figures.Figure` goes into the page's context;
- ``site.write_table(name, frame, title, csv=True)``: ``data/<name>.csv`` and ``.parquet``, listed
  among the overview's downloads; returns the links for the page;
- ``site.link(label, path)``: a link to the page in every page's navigation;
- ``site.context(**values)``: values every page's template sees (the main pages set the datasets and
  imputers of the navigation);
- ``site.shared(key, compute)``: a value several pages share (the leaderboard's frames), computed once;
- ``site.samples`` (the samples: a frame, the results folder, or None), ``site.n_boot`` (bootstrap
  resamples of the rankings), ``site.reference`` (what a reference set added to the rows, or None),
  ``site.downloads`` (every table written, a list that later pages extend: pass it to a template
  and it lists them all, as the pages are written after every page was planned).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, TypeVar

import pandas as pd

from ...errors import ImputeBenchError
from ..figures import Figure

T = TypeVar("T")

class Site(Protocol):
    """What a page may use of the site being built (:class:`imputebench.reports.site.SiteBuilder`)."""

    samples: pd.DataFrame | Path | None
    n_boot: int
    reference: Mapping[str, Any] | None
    downloads: list[dict[str, str]]

    def render(self, template: str, path: str, **context: Any) -> None: ...

    def figure(self, name: str, caption: str, priority: str, function: str, args: tuple | Callable[[], tuple],
               attrs: Mapping[str, str] | None = None) -> Figure: ...

    def write_table(self, name: str, frame: pd.DataFrame, title: str, csv: bool = True) -> dict[str, str]: ...

    def link(self, label: str, path: str) -> None: ...

    def context(self, **values: Any) -> None: ...

    def shared(self, key: str, compute: Callable[[], T]) -> T: ...


PageFunction = Callable[[Site, pd.DataFrame], None]


def load_page(name: str) -> PageFunction:
    """The page function a dotted name ``"package.module:function"`` names; one line when there is none."""
    module, _, function = name.partition(":")
    if not module or not function:
        raise ImputeBenchError(f"site page {name!r} is not named as 'package.module:function'")
    try:
        found = import_module(module)
    except ImportError as error:
        raise ImputeBenchError(f"site page {name!r}: module {module} cannot be imported "
                               f"({type(error).__name__}: {error})") from error
    page = getattr(found, function, None)
    if not callable(page):
        raise ImputeBenchError(f"site page {name!r}: module {module} has no function {function}")
    return page
