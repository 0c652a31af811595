"""The one guarded call into imputer code (PROTOCOL §4), for every track.

Every call a job makes into an imputer (its construction, ``fit``, ``transform``, ``fit_transform``,
``adapt``, ``sample``, and whatever a later track adds) goes through :meth:`ImputerGuard.call` (construction
through :meth:`ImputerGuard.make`), and both through :meth:`ImputerGuard.invoke`, which:

- hands the imputer its own deep copies of ``X`` (and of ``y`` when the imputer uses labels), so an
  in-place edit cannot reach the pristine inputs, a cached table or another job;
- checks, after the call, that the copies' observed cells and dtypes (``X``) and labels (``y``) were
  not edited in place, and validates an imputed output (each of ``sample``'s tables) against the
  pristine input (:func:`imputebench.imputer.validate_output`);
- turns *any* exception the plugin raises, ``BaseException`` included (``SystemExit``,
  ``KeyboardInterrupt``, ``GeneratorExit``, ``MemoryError``), into a :class:`PluginFailure` naming
  it (``NotApplicableError``: ``infeasible``, PROTOCOL §4). Workers ignore SIGINT, so a
  ``KeyboardInterrupt`` inside a job can only come from plugin code; the user's Ctrl-C reaches the
  driver, which stops the run;
- measures the seconds of fitting and of imputing, and (over the ``with`` block) the job's peak
  memory under its ``--memory-limit``.
"""

from __future__ import annotations

import resource
import time
from typing import Any, Callable, TypeVar

import numpy as np
import pandas as pd

from ..errors import ContractViolation, NotApplicableError, one_line

T = TypeVar("T")
LABELLED_METHODS = frozenset({"fit", "fit_transform", "adapt"})  # called as method(X, y, **kwargs)
FIT_METHODS = LABELLED_METHODS  # their seconds are the row's fit_seconds; the others' transform_seconds
IMPUTING_METHODS = frozenset({"transform", "fit_transform"})  # return the imputed table: validated
DRAWING_METHODS = frozenset({"sample"})  # return m imputed tables (PROTOCOL §9): each validated


class PluginFailure(Exception):
    """Imputer code failed or broke the contract; ``status`` and ``message`` are the job's row's."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def uses_labels(imputer: Any) -> bool:
    """Whether the imputer declares that it uses the train labels (PROTOCOL §3)."""
    return bool(getattr(getattr(imputer, "info", None), "uses_labels", False))


def device_of(imputer: Any) -> str:
    """Where the imputer computed (its ``device_`` attribute, torch's device type, or ``cpu``)."""
    dev = getattr(imputer, "device_", None)
    return str(getattr(dev, "type", dev) or "cpu")


def failure_fields(exc: BaseException, memory_limit_mb: float | None) -> dict[str, str]:
    """The ``status`` and ``error`` of a job's row that ``exc`` ended (one line)."""
    if isinstance(exc, PluginFailure):
        return {"status": exc.status, "error": exc.message}
    if isinstance(exc, NotApplicableError):  # PROTOCOL §4: outside the imputer's scope by design
        return {"status": "infeasible", "error": one_line(exc)}
    if isinstance(exc, MemoryError) and memory_limit_mb:
        return {"status": "failed", "error": f"MemoryError: memory limit of {memory_limit_mb} MB exceeded"}
    return {"status": "failed", "error": one_line(exc)}


def observed_cells_changed(pristine: pd.DataFrame, given: Any) -> str | None:
    """What differs between an input and the copy an imputer was given: its shape, a column's
    dtype or observed cells (the first such column), or None."""
    if not isinstance(given, pd.DataFrame) or given.shape != pristine.shape:
        return "its shape"
    for c in pristine.columns:
        if c not in given.columns:
            return f"column {c!r}"
        a, b = pristine[c], given[c]
        if a.dtype != b.dtype:
            return f"column {c!r}'s dtype"
        obs = a.notna().to_numpy()
        if isinstance(a.dtype, pd.CategoricalDtype):
            same = np.array_equal(a.astype(str).to_numpy()[obs], b.astype(str).to_numpy()[obs])
        else:
            vb = pd.to_numeric(b, errors="coerce").to_numpy(dtype=float)
            same = np.array_equal(a.to_numpy(dtype=float)[obs], vb[obs])
        if not same:
            return f"column {c!r}"
    return None


class PeakMemory:
    """Peak resident memory of this process during a block, in MB above its level at the start.

    Linux resets the high-water mark through /proc/self/clear_refs; elsewhere ru_maxrss is used.
    """

    def __enter__(self) -> "PeakMemory":
        self.base = self._rss()
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.exact = True
        except OSError:
            self.exact = False
        return self

    def __exit__(self, *exc) -> None:
        peak = self._hwm() if self.exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.mb = max(0.0, peak - self.base)

    @staticmethod
    def status_mb(field_name: str) -> float:
        """A size field of /proc/self/status (``VmRSS:``, ``VmHWM:``, ``VmSize:``) in MB."""
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name):
                    return int(line.split()[1]) / 1024
        return 0.0

    def _rss(self) -> float:
        try:
            return self.status_mb("VmRSS:")
        except OSError:
            return 0.0

    def _hwm(self) -> float:
        return self.status_mb("VmHWM:")


class MemoryLimit:
    """A per-job address-space limit (``--memory-limit``), above what the worker already maps.

    An allocation past it raises MemoryError inside the job, which becomes a failed row.
    """

    def __init__(self, limit_mb: float | None) -> None:
        self.limit_mb = limit_mb

    def __enter__(self) -> "MemoryLimit":
        if self.limit_mb:
            self.saved = resource.getrlimit(resource.RLIMIT_AS)
            current = PeakMemory.status_mb("VmSize:")
            cap = int((current + self.limit_mb) * 1024 * 1024)
            resource.setrlimit(resource.RLIMIT_AS, (cap, self.saved[1]))
        return self

    def __exit__(self, *exc) -> None:
        if self.limit_mb:
            resource.setrlimit(resource.RLIMIT_AS, self.saved)


def validate_draws(X: pd.DataFrame, out: Any, m: int | None) -> None:
    """PROTOCOL §9: ``sample`` returns a list of ``m`` tables, each an imputation of ``X`` (§4)."""
    from ..imputer import validate_output

    if not isinstance(out, list) or (m is not None and len(out) != m):
        got = f"{len(out)} tables" if isinstance(out, list) else type(out).__name__
        raise ContractViolation(f"sample returned {got}, not a list of m={m} DataFrames (PROTOCOL §9)")
    for table in out:
        validate_output(X, table)


class ImputerGuard:
    """One job's guarded calls into imputer code, under its memory limit, with its measurements::

        with ImputerGuard(context.memory_limit_mb) as guard:
            imputer = guard.make(name, params, random_state)
            out = guard.call(imputer, "fit_transform", X, y)
            ...  # scoring stays inside: the peak memory and the limit cover the whole job
        row.update(guard.measurements())
    """

    def __init__(self, memory_limit_mb: float | None = None) -> None:
        self.memory_limit_mb = memory_limit_mb
        self.fit_seconds = 0.0
        self.transform_seconds = 0.0
        self.peak = PeakMemory()
        self.limit = MemoryLimit(memory_limit_mb)

    def __enter__(self) -> "ImputerGuard":
        self.limit.__enter__()
        self.peak.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.peak.__exit__(*exc)
        self.limit.__exit__(*exc)

    def measurements(self) -> dict[str, float]:
        return {"fit_seconds": self.fit_seconds, "transform_seconds": self.transform_seconds,
                "peak_memory_mb": self.peak.mb}

    def invoke(self, what: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` (imputer code, named ``what`` in messages); any exception it raises becomes a
        :class:`PluginFailure` naming it. The one place plugin code is entered."""
        t0 = time.perf_counter()
        try:
            return fn()
        except Exception as exc:
            fields = failure_fields(exc, self.memory_limit_mb)
            raise PluginFailure(fields["status"], fields["error"]) from None
        except BaseException as exc:  # SystemExit, KeyboardInterrupt, GeneratorExit: never the run's end
            msg = " ".join(str(exc).split())
            text = f"{type(exc).__name__} raised by {what}" + (f": {msg}" if msg else "")
            raise PluginFailure("failed", text[:500]) from None
        finally:
            seconds = time.perf_counter() - t0
            if what in FIT_METHODS:
                self.fit_seconds += seconds
            elif what != "__init__":
                self.transform_seconds += seconds

    def make(self, name: str, params: dict[str, Any], random_state: int) -> Any:
        """The imputer ``name`` built with ``params`` (its constructor is plugin code too)."""
        from ..registry import make_imputer

        return self.invoke("__init__", lambda: make_imputer(name, params, random_state=random_state))

    def call(self, imputer: Any, method: str, X: pd.DataFrame, y: pd.Series | None = None, **kwargs: Any) -> Any:
        """``imputer.method(X[, y], **kwargs)`` on copies; its output, validated when it is an imputed table.

        ``y`` is handed (as a copy) to the methods that take labels, and only to an imputer that
        uses labels (PROTOCOL §3). A breach of the contract raises :class:`PluginFailure`.
        """
        given_X = X.copy(deep=True)
        given_y = y.copy(deep=True) if y is not None and uses_labels(imputer) else None
        if method in LABELLED_METHODS:
            out = self.invoke(method, lambda: getattr(imputer, method)(given_X, given_y, **kwargs))
        else:
            out = self.invoke(method, lambda: getattr(imputer, method)(given_X, **kwargs))
        try:
            if method in IMPUTING_METHODS:
                from ..imputer import validate_output

                validate_output(X, out)  # PROTOCOL §4: the harness checks, against the pristine input
            elif method in DRAWING_METHODS:
                validate_draws(X, out, kwargs.get("m"))
            where = observed_cells_changed(X, given_X)
            if where:
                raise ContractViolation(f"{method} changed observed cells of its input X in place ({where}); "
                                        "an imputer must not edit its inputs (PROTOCOL §4)")
            if given_y is not None and not (given_y.equals(y) and given_y.dtype == y.dtype):
                raise ContractViolation(f"{method} changed the labels y in place; an imputer must not edit "
                                        "its inputs (PROTOCOL §4)")
        except ContractViolation as exc:
            raise PluginFailure("failed", one_line(exc)) from None
        return out
