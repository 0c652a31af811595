"""What the terminal shows while a run works: a bar on a terminal, a line every few seconds
without one (CI logs, pipes), and a status line from the first second (planning loads datasets)."""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter

log = logging.getLogger("imputebench")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Progress:
    """Progress of one run's jobs. ``enabled=False`` shows nothing (``--quiet``)."""

    def __init__(self, enabled: bool = True, every_seconds: float = 10.0, tty: bool | None = None) -> None:
        self.enabled = enabled
        self.every = every_seconds
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.bar = None
        self.total = 0
        self.statuses: Counter = Counter()

    def status(self, message: str) -> None:
        """One line of what the run is doing before jobs start (planning, loading, drawing masks)."""
        if self.enabled:
            log.info(message)

    def start(self, total: int) -> None:
        self.total = total
        self.t0 = self.last = time.monotonic()
        if self.enabled and total and self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="job", dynamic_ncols=True, file=sys.stderr)

    def done(self, status: str) -> None:
        self.statuses[status] += 1
        if self.bar is not None:
            self.bar.update(1)
            bad = sum(n for s, n in self.statuses.items() if s != "ok")
            if bad:
                self.bar.set_postfix(not_ok=bad, refresh=False)
        self.tick()

    def tick(self) -> None:
        if not self.enabled or self.bar is not None or not self.total:
            return
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            log.info(self.line(now - self.t0))

    def line(self, elapsed: float) -> str:
        """``120/864 jobs (118 ok, 2 failed), 35 s, about 3 min 40 s left``."""
        done = sum(self.statuses.values())
        parts = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items())) or "none finished"
        eta = f"about {_duration(elapsed / done * (self.total - done))} left" if done else "estimating time left"
        return f"{done}/{self.total} jobs ({parts}), {_duration(elapsed)}, {eta}"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
