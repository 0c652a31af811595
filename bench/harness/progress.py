"""What the terminal shows while a run works, in each of its phases (planning and loading data,
reading the store, running the jobs, writing the store, writing the report): a bar for the jobs on a
terminal; otherwise (CI logs, pipes) a line at least every few seconds, so that no phase is silent.

Every phase goes through :meth:`Progress.phase`, the one place that keeps time: a heartbeat thread
writes a line whenever ``every_seconds`` passed without one (a track's planning may load data and fit
domain-gap classifiers for minutes, and says nothing itself)."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from typing import Callable, Iterator

log = logging.getLogger("imputebench")

MIN_WAKE_SECONDS = 0.05  # the heartbeat's shortest sleep (``every_seconds=0`` must not spin)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Progress:
    """Progress of one run's phases and jobs. ``enabled=False`` shows nothing (``--quiet``);
    ``clock``: seconds, monotonic (a test's fake clock)."""

    def __init__(self, enabled: bool = True, every_seconds: float = 10.0, tty: bool | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = enabled
        self.every = every_seconds
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.clock = clock
        self.bar = None
        self.total = 0  # jobs of the jobs phase
        self.statuses: Counter = Counter()
        self.name = ""  # the phase now
        self.t0 = self.last = clock()  # when the phase began; when the last line was written
        self._lock = threading.Lock()  # the heartbeat thread reads what done() writes

    @contextmanager
    def phase(self, name: str, total: int | None = None, announce: bool = True) -> Iterator["Progress"]:
        """Run the block as the phase ``name``: its name in a line when it begins (``announce``), then
        a line whenever ``every_seconds`` pass without one until it ends. ``total``: the jobs phase, of
        that many jobs (a bar on a terminal, else lines counting finished jobs)."""
        with self._lock:
            self.name, self.total = name, total or 0
            self.t0 = self.last = self.clock()
        if self.enabled and total and self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="job", dynamic_ncols=True, file=sys.stderr)
        elif self.enabled and announce and total != 0:
            log.info(name)
        stop = threading.Event()
        heartbeat = None
        if self.enabled and self.bar is None and total != 0:
            heartbeat = threading.Thread(target=self._beat, args=(stop,), name="imputebench-progress", daemon=True)
            heartbeat.start()
        try:
            yield self
        finally:
            stop.set()
            if heartbeat is not None:
                heartbeat.join()
            if self.bar is not None:
                self.bar.close()
                self.bar = None

    def _beat(self, stop: threading.Event) -> None:
        while not stop.wait(max(self.every, MIN_WAKE_SECONDS)):
            self.tick()

    def done(self, status: str) -> None:
        """One job of the jobs phase finished with ``status``."""
        with self._lock:
            self.statuses[status] += 1
        if self.bar is not None:
            self.bar.update(1)
            bad = sum(n for s, n in self.statuses.items() if s != "ok")
            if bad:
                self.bar.set_postfix(not_ok=bad, refresh=False)
        self.tick()

    def tick(self) -> None:
        """A line when ``every_seconds`` passed without one (and no bar shows the jobs)."""
        if not self.enabled or self.bar is not None:
            return
        with self._lock:
            now = self.clock()
            if now - self.last < self.every:
                return
            self.last = now
            text = self.line(now - self.t0) if self.total else f"{self.name}: still working, {_duration(now - self.t0)}"
        log.info(text)

    def line(self, elapsed: float) -> str:
        """``120/864 jobs (118 ok, 2 failed), 35 s, about 3 min 40 s left``."""
        done = sum(self.statuses.values())
        parts = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items())) or "none finished"
        eta = f"about {_duration(elapsed / done * (self.total - done))} left" if done else "estimating time left"
        return f"{done}/{self.total} jobs ({parts}), {_duration(elapsed)}, {eta}"
