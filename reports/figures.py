"""The site's figures: requested while the builder plans the pages, drawn once it is done, every one
by default, or the first ``max_plots`` by (priority, request order) under an opt-in cap.

``plots`` writes SVG directly in a few milliseconds a figure, so the figures are drawn in this
process: a pool of workers (which matplotlib's 0.1-0.25 s a figure once needed) costs more to start
than the drawing. A figure that cannot be drawn gets its reason on the page; the site goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import one_line
from . import plots

# Priorities under a cap: the overview's key figures, then each dataset's primary metric, Pareto
# fronts, histograms, imputer curves, and the remaining metrics last.
PRIORITY = {"overview": 0, "primary": 1, "pareto": 2, "histogram": 3, "imputer": 4, "cd-other": 5, "other": 6}
BUDGET_NOTE = "Not drawn: the report's --max-plots cap is reached (the numbers are in the tables and CSVs)."


@dataclass
class Figure:
    """A figure on a page; ``path`` (relative to the site root) is set once it is drawn, ``note``
    says why when it is not."""

    caption: str
    attrs: dict[str, str] = field(default_factory=dict)
    path: str | None = None
    note: str = ""
    warning: str = ""  # what the reader must know before reading it (a CD diagram that separates nothing)
    narrow: Figure | None = None  # the same figure laid out for a phone screen, where there is one


@dataclass
class PlotRequest:
    """A figure to draw: ``plots.<function>(*args)`` into ``out/<path>``. ``args`` may be a function
    that builds them, so that a figure left out by a cap costs nothing."""

    priority: int
    order: int
    path: str
    function: str
    args: tuple | Callable[[], tuple]
    figure: Figure


def draw_figure(out: Path, path: str, function: str, args: tuple) -> float:
    """Draw one figure to its file; returns the CPU seconds it took."""
    start = time.process_time()
    (Path(out) / path).write_text(getattr(plots, function)(*args), encoding="utf-8")
    return time.process_time() - start


class FigureDrawer:
    """Collects :class:`PlotRequest` s and draws them (all, or the first ``max_plots`` by priority
    then request order: the same store gives the same site)."""

    def __init__(self, out: Path, max_plots: int) -> None:
        self.out = Path(out)
        self.max_plots = max(0, max_plots)
        self.requests: list[PlotRequest] = []
        self.selected = 0
        self.skipped = 0
        self.cpu_seconds = 0.0  # figure drawing CPU (read by the benchmark)

    def request(self, priority: str, path: str, caption: str, function: str, args: tuple | Callable[[], tuple],
                attrs: dict[str, str] | None = None) -> Figure:
        """Plan a figure; its ``path`` (drawn) or ``note`` (left out, or failed) is set by :meth:`draw`."""
        figure = Figure(caption, dict(attrs or {}))
        self.requests.append(PlotRequest(PRIORITY[priority], len(self.requests), path, function, args, figure))
        return figure

    def draw(self) -> list[Figure]:
        """Draw the requested figures; returns those that could not be drawn (their ``path`` is
        cleared and ``note`` says why: one bad figure never stops the site)."""
        ranked = sorted(self.requests, key=lambda r: (r.priority, r.order))
        self.requests = []
        failed = []
        for n, request in enumerate(ranked):
            if n >= self.max_plots:
                request.figure.note = BUDGET_NOTE
                self.skipped += 1
                continue
            self.selected += 1
            try:
                args = request.args() if callable(request.args) else request.args
                self.cpu_seconds += draw_figure(self.out, request.path, request.function, args)
            except Exception as error:  # noqa: BLE001 - reported on the page, the site goes on
                request.figure.note = f"Could not be drawn: {one_line(error, first_line=True)}"
                failed.append(request.figure)
                continue
            request.figure.path = request.path
        return failed
