"""Executors run jobs away from the runner, so a crash, hang or memory blow-up of one imputer
becomes a row and never stops the run (isolation).

An executor takes tasks (a job, its stored mask and its data), the run's context and two callbacks: it calls
``on_result`` with each finished job's :class:`imputebench.harness.job.JobResult`, in completion order, and
``on_tick`` about once a second while it waits (the runner flushes rows there; progress keeps its
own time, :mod:`imputebench.harness.progress`). Rows are the same whichever executor ran them: each job's numbers depend only on the job.
Executors write nothing: results go back to the driver's store. They ship each distinct piece of
data (a planned table, a task's domains) to a worker once, not once per job, and know no track:
a worker imports a job's track module when it unpickles the job.

Workers ignore SIGINT: a Ctrl-C at the terminal reaches the whole process group, and only the driver
acts on it (it stops the run, keeping what finished); a KeyboardInterrupt inside a job can then only
come from imputer code, which the guarded call turns into a failed row.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Any, Callable, Iterable, NamedTuple, Protocol

from ..errors import one_line
from .job import Job, JobResult, RunContext, failure_result, receive_data, run_job
from ..protocol.masks import PackedMask

ResultCallback = Callable[[JobResult], None]
TickCallback = Callable[[], None]
TICK_SECONDS = 1.0  # how often an executor calls on_tick while no job finishes


class Task(NamedTuple):
    """What a worker gets: the job's identity, its stored mask (None: not stored yet, the job draws
    it) and its data as the driver loaded it (None: the job loads it)."""

    job: Job
    mask: PackedMask | None
    data: Any = None

# One thread per worker: parallelism comes from workers, and results do not depend on thread counts.
THREAD_ENV = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


class Executor(Protocol):
    def execute(self, tasks: list[Task], context: RunContext, on_result: ResultCallback,
                on_tick: TickCallback = lambda: None) -> None: ...


def die_with_parent(parent: int | None = None) -> None:
    """Ask the kernel to kill this worker when its parent dies (Linux ``PR_SET_PDEATHSIG``), so a
    driver killed by the OOM killer or SIGKILL leaves no worker computing a hung imputer.
    ``parent``: the driver's pid, when known (a worker whose driver died before this call exits)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        parent = parent or os.getppid()
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def init_worker(preload: Iterable[str], with_parent: bool = True, data_pickle: bytes | None = None,
                parent: int | None = None) -> None:
    """Per-worker start-up, paid once: SIGINT ignored, thread limits, the imports every job needs,
    and the run's data (a pickled mapping by data key) when the executor ships it this way.

    The data comes pickled and is unpickled only after the worker asked to die with its parent: its
    classes' imports take seconds, in which a killed driver must not leave the worker behind."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles the user's Ctrl-C
    if with_parent:
        die_with_parent(parent)
    if data_pickle:
        import pickle

        receive_data(pickle.loads(data_pickle))
    os.environ.update(THREAD_ENV)
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")  # keeps address space small under --memory-limit
    import importlib

    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    for module in preload:
        try:
            importlib.import_module(module)
        except Exception:
            pass  # the job itself reports the import error
    if "torch" in os.sys.modules:
        os.sys.modules["torch"].set_num_threads(1)


def preload_modules(jobs: Iterable[Job]) -> list[str]:
    """Modules the jobs will import: their tracks' job modules, the imputers' own modules and the
    scoring stack."""
    from ..registry import discover

    known = discover()
    mods = {"imputebench.harness.job", "xgboost", "sklearn.model_selection"}
    jobs = list(jobs)
    mods.update(type(j).__module__ for j in jobs)
    for name in {j.imputer for j in jobs}:
        if name in known:
            mods.add(known[name].target.partition(":")[0])
    return sorted(mods)


def worker_death_message(exitcode: int | None, memory_limit_mb: float | None) -> str:
    if exitcode is not None and exitcode < 0:
        cause = f"signal {-exitcode}"
        if -exitcode == 9:
            cause += " (killed; out of memory?)" if not memory_limit_mb else f" (memory limit {memory_limit_mb} MB?)"
    else:
        cause = f"exit code {exitcode}"
    return f"worker crashed: {cause}"


class LocalExecutor:
    """A pool of ``workers`` spawned processes (pebble), replaced when a job crashes or times out."""

    def __init__(self, workers: int, timeout: float | None) -> None:
        self.workers = max(1, int(workers))
        self.timeout = timeout

    def execute(self, tasks: list[Task], context: RunContext, on_result: ResultCallback,
                on_tick: TickCallback = lambda: None) -> None:
        from pebble import ProcessExpired, ProcessPool

        if not tasks:
            return
        saved = {k: os.environ.get(k) for k in THREAD_ENV}
        os.environ.update(THREAD_ENV)  # inherited by spawned workers before numpy loads
        # Each distinct piece of data goes to a worker once, at its start, not with every job.
        import pickle

        data = {t.job.data_key: t.data for t in tasks if t.data is not None}
        data_pickle = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL) if data else None
        pool = ProcessPool(max_workers=min(self.workers, len(tasks)), initializer=init_worker,
                           initargs=(preload_modules(t.job for t in tasks), True, data_pickle, os.getpid()),
                           context=multiprocessing.get_context("spawn"))

        def schedule(task: Task):
            return pool.schedule(run_job, args=(task.job, context, task.mask), timeout=self.timeout)

        try:
            # A job whose worker dies is retried once in a fresh worker (as on Ray), then recorded.
            attempts = {task.job.key: 1 for task in tasks}
            futures = {schedule(task): task for task in tasks}
            while futures:
                done, _ = wait(futures, timeout=TICK_SECONDS, return_when=FIRST_COMPLETED)
                for fut in done:
                    task = futures.pop(fut)
                    job = task.job
                    try:
                        result = fut.result()
                    except FutureTimeout:
                        result = failure_result(job, context, "timeout",
                                                f"timeout: no result after {self.timeout:g} s; worker replaced")
                    except ProcessExpired as exc:
                        if attempts[job.key] < 2:
                            attempts[job.key] += 1
                            futures[schedule(task)] = task
                            continue
                        result = failure_result(job, context, "failed", worker_death_message(
                            exc.exitcode, context.memory_limit_mb) + ", also on its retry")
                    except Exception as exc:  # the job function itself broke: still a row, never a lost job
                        result = failure_result(job, context, "failed", one_line(exc))
                    on_result(result)
                on_tick()
        finally:
            pool.stop()
            pool.join()
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
