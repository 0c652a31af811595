"""The site's figures: planned as the builder goes, kept by priority under an optional cap, drawn in
this process or in worker processes while the pages are still being built.

Every figure is drawn by default: ``plots`` writes SVG directly in milliseconds (matplotlib took
0.1-0.25 s a figure, which is what the cap and the workers were for). ``--max-plots`` remains an
opt-in cap. The builder requests figures as it plans the site and *settles* a priority once no
figure of that priority or a more important one can still be requested; the cap's share of the
settled figures is drawn at once. The selection is the same as sorting every request by (priority,
request order) and taking the first ``max_plots``, whatever the timing: the site is the same for
the same store. Workers (``workers > 1``) are optional; in-process drawing is the default.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import plots

# Priorities under a plot cap: the overview's key figures, then each dataset's primary metric,
# Pareto fronts, histograms, imputer curves, and the remaining metrics last.
PRIORITY = {"overview": 0, "primary": 1, "pareto": 2, "histogram": 3, "imputer": 4, "cd-other": 5, "other": 6}
WORKER_NICENESS = 10
BUDGET_NOTE = "Not drawn: the report's --max-plots cap is reached (the numbers are in the tables and CSVs)."


@dataclass
class Figure:
    """A figure on a page; ``path`` (relative to the site root) is set once it is selected to draw."""

    caption: str
    attrs: dict[str, str] = field(default_factory=dict)
    path: str | None = None
    note: str = ""
    narrow: Figure | None = None  # the same figure laid out for a phone screen, where there is one


@dataclass
class PlotRequest:
    """A figure to draw: ``plots.<function>(*args)`` into ``out/<path>``. ``args`` may be a function
    that builds them, so that figures over the budget cost nothing."""

    priority: int
    order: int
    path: str
    function: str
    args: tuple | Callable[[], tuple]
    figure: Figure


def draw_figure(out: str, path: str, function: str, args: tuple) -> float:
    """Draw one figure to its file; returns the CPU seconds it took (module level: runs in a worker)."""
    start = time.process_time()
    (Path(out) / path).write_text(getattr(plots, function)(*args), encoding="utf-8")
    return time.process_time() - start


def warm_up() -> None:
    """Draw a throw-away figure: matplotlib loads its fonts and caches on the first one (~0.1 s).
    Run once in the server process the workers fork from, so that no worker pays it."""
    plots.rank_vs_rate(plots.pd.DataFrame({"mechanism": ["mcar"], "rate": [0.1], "mean_rank": [1.0]}), "")


def _no_op() -> float:
    return 0.0


def _worker_context() -> multiprocessing.context.BaseContext:
    """Workers forked from a small server process that has already imported matplotlib: they start
    fast, and unlike forks of the builder they do not carry (and garbage-collect) its large heap."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["imputebench.reports.figure_worker"])
        return context
    return multiprocessing.get_context("spawn")


class FigureDrawer:
    """Collects :class:`PlotRequest` s, keeps the first ``max_plots`` by (priority, order), and draws
    them: in ``workers`` processes when ``workers > 1``, else in this process at :meth:`wait`."""

    def __init__(self, out: Path, max_plots: int, workers: int) -> None:
        self.out = Path(out)
        self.max_plots = max(0, max_plots)
        self.pending: list[PlotRequest] = []
        self.settled = -1  # every priority <= settled is decided
        self.selected = 0
        self.skipped = 0
        self.cpu_seconds = 0.0  # figure drawing CPU, workers included (read by the benchmark)
        self._order = 0
        self._queued: list[PlotRequest] = []  # selected, drawn in this process at wait()
        self._failures: list[Figure] = []
        self._futures: list[tuple[PlotRequest | None, Future]] = []  # None: a worker start-up task
        self._pool: ProcessPoolExecutor | None = None
        self._starting: threading.Thread | None = None
        if workers > 1 and self.max_plots > 0:
            # Niced workers: the builder (the critical path) keeps its core; figures take what is left,
            # and every core once the pages are written.
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=_worker_context(),
                                             initializer=os.nice, initargs=(WORKER_NICENESS,))
            # One no-op task per worker starts them all (the pool starts a worker per task while none
            # is idle); from a thread, because the first start waits for the server's imports.
            self._starting = threading.Thread(target=self._start_workers, args=(workers,), daemon=True)
            self._starting.start()

    def _start_workers(self, workers: int) -> None:
        pool = self._pool
        if pool is None:
            return
        try:
            self._futures += [(None, pool.submit(_no_op)) for _ in range(workers)]
        except Exception:  # noqa: BLE001 - no workers here (e.g. processes not allowed): draw in process
            self._pool = None

    def request(self, priority: str, path: str, caption: str, function: str, args: tuple | Callable[[], tuple],
                attrs: dict[str, str] | None = None) -> Figure:
        """Plan a figure; its ``path`` (drawn) or ``note`` (over budget) is set when its priority settles."""
        rank = PRIORITY[priority]
        if rank <= self.settled:
            raise RuntimeError(f"figure {path!r} requested after priority {priority!r} was settled")
        figure = Figure(caption, dict(attrs or {}))
        self.pending.append(PlotRequest(rank, self._order, path, function, args, figure))
        self._order += 1
        return figure

    def settle(self, priority: str | None = None) -> None:
        """No figure of ``priority`` or a more important one will be requested any more (None: no
        figure at all): select what the budget allows among them and start drawing it."""
        level = max(PRIORITY.values()) if priority is None else PRIORITY[priority]
        ready = sorted((r for r in self.pending if r.priority <= level), key=lambda r: (r.priority, r.order))
        self.pending = [r for r in self.pending if r.priority > level]
        self.settled = max(self.settled, level)
        for request in ready:
            if self.selected >= self.max_plots:
                request.figure.note = BUDGET_NOTE
                self.skipped += 1
                continue
            self.selected += 1
            request.figure.path = request.path
            try:
                request.args = request.args() if callable(request.args) else request.args
            except Exception as error:  # noqa: BLE001 - reported on the page, the site goes on
                self._failures.append(self._failed(request, error))
                continue
            self._started()
            try:
                if self._pool is None:
                    raise RuntimeError("no figure workers")
                future = self._pool.submit(draw_figure, str(self.out), request.path, request.function, request.args)
            except Exception:  # noqa: BLE001 - no pool, or a broken one: draw it in this process
                self._queued.append(request)
            else:
                self._futures.append((request, future))

    def _started(self) -> None:
        if self._starting is not None:
            self._starting.join()
            self._starting = None

    def wait(self) -> list[Figure]:
        """Draw or wait for every selected figure; returns those that could not be drawn (their
        ``path`` is cleared and ``note`` says why: one bad figure never stops the site)."""
        self._started()
        for request, future in self._futures:
            try:
                self.cpu_seconds += future.result()
            except Exception:  # noqa: BLE001 - the figure's own error, or a worker that died
                if request is not None:
                    self._queued.append(request)  # drawn again here: a lost worker loses no figure
        self._futures = []
        for request in self._queued:
            try:
                self.cpu_seconds += draw_figure(str(self.out), request.path, request.function, request.args)
            except Exception as error:  # noqa: BLE001 - reported on the page, the site goes on
                self._failures.append(self._failed(request, error))
        self._queued = []
        failed, self._failures = self._failures, []
        return failed

    @staticmethod
    def _failed(request: PlotRequest, error: BaseException) -> Figure:
        request.figure.path = None
        request.figure.note = f"Could not be drawn: {type(error).__name__}: {error}".splitlines()[0]
        return request.figure

    def close(self) -> None:
        self._started()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

