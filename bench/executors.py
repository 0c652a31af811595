"""Executors run jobs away from the runner, so a crash, hang or memory blow-up of one imputer
becomes a row and never stops the run (isolation).

An executor takes jobs and a callback; it calls the callback with each finished row, in completion
order. Rows are the same whichever executor ran them: each job's numbers depend only on the job.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Callable, Iterable, Protocol

from .job import Job, failure_row, run_job

RowCallback = Callable[[dict], None]

# One thread per worker: parallelism comes from workers, and results do not depend on thread counts.
THREAD_ENV = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


class Executor(Protocol):
    def execute(self, jobs: list[Job], on_row: RowCallback) -> None: ...


def init_worker(preload: Iterable[str]) -> None:
    """Per-worker start-up, paid once: thread limits and the imports every job needs."""
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


def preload_modules(jobs: list[Job]) -> list[str]:
    """Modules the jobs will import: the imputers' own modules and the scoring stack."""
    from .registry import discover

    known = discover()
    mods = {"imputebench.job", "xgboost", "sklearn.model_selection"}
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

    def execute(self, jobs: list[Job], on_row: RowCallback) -> None:
        from pebble import ProcessExpired, ProcessPool

        if not jobs:
            return
        saved = {k: os.environ.get(k) for k in THREAD_ENV}
        os.environ.update(THREAD_ENV)  # inherited by spawned workers before numpy loads
        pool = ProcessPool(max_workers=min(self.workers, len(jobs)), initializer=init_worker,
                           initargs=(preload_modules(jobs),), context=multiprocessing.get_context("spawn"))
        try:
            # A job whose worker dies is retried once in a fresh worker (as on Ray), then recorded.
            attempts = {job.key: 1 for job in jobs}
            futures = {pool.schedule(run_job, args=(job,), timeout=self.timeout): job for job in jobs}
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = futures.pop(fut)
                    try:
                        row = fut.result()
                    except FutureTimeout:
                        row = failure_row(job, "timeout", f"timeout: no result after {self.timeout:g} s; worker replaced")
                    except ProcessExpired as exc:
                        if attempts[job.key] < 2:
                            attempts[job.key] += 1
                            futures[pool.schedule(run_job, args=(job,), timeout=self.timeout)] = job
                            continue
                        row = failure_row(job, "failed", worker_death_message(exc.exitcode, job.memory_limit_mb)
                                          + ", also on its retry")
                    except Exception as exc:  # the job function itself broke: still a row, never a lost job
                        row = failure_row(job, "failed", f"{type(exc).__name__}: {exc}"[:500])
                    on_row(row)
        finally:
            pool.stop()
            pool.join()
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
