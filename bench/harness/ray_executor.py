"""Jobs as Ray tasks, on a local Ray cluster or an existing one by address.

Rows are the same as with :class:`imputebench.harness.executors.LocalExecutor`: the task runs the same
:func:`imputebench.harness.job.run_job` under the same one-thread environment, so each job's numbers depend
only on the job; the runner's store, resume and compaction stay in the calling process
(``on_result``). A task returns its result and writes nothing, so workers on other nodes need no
access to the results folder; each distinct mask and each distinct piece of data (a planned table, a
task's domains: loaded once, by the driver) is put in Ray's object store once.

Faults become rows, never lost jobs:

- a worker that dies (crash, Ray's OOM killer) is retried once (``max_retries=1``), then the job is
  a ``failed`` row that says so;
- a job past ``timeout`` is cancelled (its worker killed) and becomes a ``timeout`` row;
- ``--memory-limit`` is the in-job address-space limit of :class:`imputebench.harness.guard.MemoryLimit`,
  which works in a Ray worker as in any process: a greedy job becomes a ``failed`` row.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from dataclasses import dataclass
from typing import Any, Iterator

from ..errors import UsageError, one_line
from .executors import THREAD_ENV, ResultCallback, Task, TickCallback, init_worker, preload_modules
from .job import Job, KeyedMemo, RunContext, failure_result, run_job
from ..protocol.masks import PackedMask

RAY_MISSING = "the ray executor needs Ray: pip install 'imputebench[ray]'"

# What every worker process runs under: one thread per task (the local executor's THREAD_ENV, so
# numbers match it exactly), and few malloc arenas so --memory-limit counts the job, not the threads.
WORKER_ENV = {**THREAD_ENV, "MALLOC_ARENA_MAX": "2"}
GPU_SHARE = 0.5  # a deep imputer on a small table leaves most of a GPU idle: two share one
IN_FLIGHT_PER_SLOT = 2  # tasks kept submitted per CPU slot: workers never wait on the driver
POLL_SECONDS = 0.25  # how often timeouts are checked while nothing finishes
LOCAL_OBJECT_STORE_MB = 256  # rows are small; a local cluster need not reserve 30% of RAM
# Ray retries a task killed by its out-of-memory monitor without end unless told otherwise, and the
# task's owner (this driver) decides: set before ``ray.init``, a killed job gets one retry like a crash.
DRIVER_ENV = {"RAY_task_oom_retries": "1"}


def _import_ray():
    try:
        import ray
    except ImportError:
        raise UsageError(RAY_MISSING) from None
    return ray


# -- inside a Ray worker process --------------------------------------------------------------
_worker_modules: set[str] = set()  # per worker process: what it has preloaded already
_received = KeyedMemo(8)  # per worker process: the run's data by data key, unpickled once


def _prepare_worker(preload: list[str], driver_path: list[str]) -> None:
    """Start-up paid once per Ray worker process (Ray reuses them), and again only for new modules.

    The driver's import path is appended, as a spawned local worker inherits it, so plugins named by
    dotted path (``module:Class``) resolve; entries that do not exist on this node are skipped.
    """
    for entry in driver_path:
        if entry not in sys.path and os.path.isdir(entry or "."):
            sys.path.append(entry)
    new = [m for m in preload if m not in _worker_modules]
    if new:
        init_worker(new, with_parent=False)  # Ray owns its workers' lifetimes
        _worker_modules.update(new)


STARTED = "imputebench:job-started"  # first item of every task's stream


def run_job_task(job_pickle: bytes, context: RunContext, mask: PackedMask | None, data_pickle: bytes | None,
                 preload: list[str], driver_path: list[str]) -> Iterator[Any]:
    """The Ray task, a streaming generator: :data:`STARTED` once the worker is ready, then the row.

    The first item tells the driver when the job itself starts, after the worker's start-up, so that
    neither queueing nor a fresh worker's start-up counts against ``--timeout`` (as with the local
    pool). :func:`imputebench.harness.job.run_job` never raises.
    """
    _prepare_worker(preload, driver_path)
    # The job and its data arrive pickled and are unpickled here, after the driver's import path is
    # in place: a job's track module (and its data's) may live outside the package, e.g. in a test suite.
    job: Job = pickle.loads(job_pickle)
    data = None if data_pickle is None else _received.get(job.data_key, lambda: pickle.loads(data_pickle))
    yield STARTED
    result = run_job(job, context, mask, data)
    _release_gpu_memory()
    yield result


def _release_gpu_memory() -> None:
    """Workers are reused, also for GPU tasks (Ray's one-call default applies only to functions
    declared with ``num_gpus``): hand torch's cached GPU memory back to the GPU's other sharer."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


# -- in the driver ----------------------------------------------------------------------------
class _Submitter:
    """Submits one task at a time; what all tasks share, and each distinct mask and piece of data,
    is put in Ray's object store once."""

    def __init__(self, ray: Any, tasks: list[Task], context: RunContext, gpu: dict[str, float]) -> None:
        self.ray = ray
        self.gpu = gpu
        self.args = (preload_modules(t.job for t in tasks), list(sys.path))  # every task's last arguments
        self.context_ref = ray.put(context)
        self.mask_refs: dict[int, Any] = {}  # by the mask object's id: one object per distinct mask
        self.data_refs: dict[str, Any] = {}  # by data key
        self.remote = ray.remote(run_job_task)
        self.options = dict(num_cpus=1, max_retries=1, retry_exceptions=False, num_returns="streaming",
                            runtime_env={"env_vars": WORKER_ENV})

    def _mask_ref(self, mask: PackedMask | None) -> Any:
        if mask is None:
            return None
        if id(mask) not in self.mask_refs:
            self.mask_refs[id(mask)] = self.ray.put(mask)
        return self.mask_refs[id(mask)]

    def _data_ref(self, job: Job, data: Any) -> Any:
        if data is None:
            return None
        if job.data_key not in self.data_refs:
            self.data_refs[job.data_key] = self.ray.put(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
        return self.data_refs[job.data_key]

    def __call__(self, task: Task) -> Any:
        """Submit ``task``; its stream of items (:data:`STARTED`, then the result)."""
        job = task.job
        return self.remote.options(**self.options, num_gpus=self.gpu[job.imputer],
                                   name=f"imputebench:{job.imputer}:{job.dataset}").remote(
            pickle.dumps(job), self.context_ref, self._mask_ref(task.mask), self._data_ref(job, task.data), *self.args)


@dataclass
class _Running:
    job: Job
    started: float | None = None  # driver's monotonic time when the task reported STARTED


class RayExecutor:
    """Jobs as Ray tasks: ``num_cpus=1`` each, plus a GPU share for GPU imputers when the cluster has GPUs.

    Without ``address`` a local cluster of ``workers`` CPUs is started and shut down afterwards;
    with one, the existing cluster is joined and its CPUs set the concurrency. A Ray session that
    is already initialised in this process is used as it is and left running.
    """

    def __init__(self, workers: int, timeout: float | None, address: str | None = None) -> None:
        self.ray = _import_ray()  # fail at once with one line, before any job runs
        self.workers = max(1, int(workers))
        self.timeout = timeout
        self.address = address

    # -- cluster ---------------------------------------------------------------------------
    def _connect(self) -> bool:
        """Initialise Ray; True when this call started the session (so it must shut it down).

        A session already initialised by the caller is used as it is (set :data:`DRIVER_ENV` before
        starting it for the retry-once rule on out-of-memory kills).
        """
        ray = self.ray
        if ray.is_initialized():
            return False
        for name, value in DRIVER_ENV.items():
            os.environ.setdefault(name, value)  # an explicit setting of the user's wins
        runtime_env = {"env_vars": WORKER_ENV}
        if self.address:
            ray.init(address=self.address, runtime_env=runtime_env)
        else:
            ray.init(num_cpus=self.workers, include_dashboard=False, runtime_env=runtime_env,
                     object_store_memory=LOCAL_OBJECT_STORE_MB * 1024 * 1024)
        return True

    def _slots(self) -> int:
        return max(1, int(self.ray.cluster_resources().get("CPU", self.workers)))

    def _gpu_shares(self, jobs: list[Job]) -> dict[str, float]:
        """GPU share per imputer: ``GPU_SHARE`` for GPU imputers when the cluster has a GPU, else 0."""
        from ..registry import resolve

        has_gpu = self.ray.cluster_resources().get("GPU", 0) > 0
        shares = {}
        for name in {j.imputer for j in jobs}:
            info = resolve(name).info
            shares[name] = GPU_SHARE if has_gpu and info is not None and info.gpu else 0.0
        return shares

    # -- execution -------------------------------------------------------------------------
    def execute(self, tasks: list[Task], context: RunContext, on_result: ResultCallback,
                on_tick: TickCallback = lambda: None) -> None:
        if not tasks:
            return
        started_here = self._connect()
        try:
            self._execute(tasks, context, on_result, on_tick)
        finally:
            if started_here:
                self.ray.shutdown()

    def _execute(self, tasks: list[Task], context: RunContext, on_result: ResultCallback,
                 on_tick: TickCallback) -> None:
        ray = self.ray
        submit = _Submitter(ray, tasks, context, self._gpu_shares([t.job for t in tasks]))
        in_flight_max = IN_FLIGHT_PER_SLOT * self._slots()
        queue = list(reversed(tasks))  # pop() from the end: submission in grid order
        last_tick = time.monotonic()
        running: dict[Any, _Running] = {}  # task's ObjectRefGenerator -> job, in submission order
        try:
            while queue or running:
                while queue and len(running) < in_flight_max:  # bounded: progress and ETA stay honest
                    task = queue.pop()
                    running[submit(task)] = _Running(task.job)
                ready, _ = ray.wait(list(running), num_returns=1, timeout=POLL_SECONDS)
                if ready:  # collect whatever else is ready too, without waiting
                    rest = [r for r in running if r not in ready]
                    ready += ray.wait(rest, num_returns=len(rest), timeout=0)[0] if rest else []
                for stream in ready:
                    item = self._next_item(stream, running[stream].job, context)
                    if isinstance(item, str) and item == STARTED:
                        running[stream].started = time.monotonic()
                    else:
                        del running[stream]
                        on_result(item)
                for stream in self._overdue(running):
                    ray.cancel(stream, force=True)  # kills the worker; a cancelled task is not retried
                    job = running.pop(stream).job
                    on_result(failure_result(job, context, "timeout",
                                             f"timeout: no result after {self.timeout:g} s; Ray task cancelled"))
                if time.monotonic() - last_tick >= 1.0:
                    on_tick()
                    last_tick = time.monotonic()
        finally:
            for stream in running:  # only when interrupted: leave no task running on the cluster
                ray.cancel(stream, force=True)

    def _overdue(self, running: dict[Any, _Running]) -> list[Any]:
        if self.timeout is None:
            return []
        now = time.monotonic()
        return [ref for ref, e in running.items() if e.started is not None and now - e.started > self.timeout]

    def _next_item(self, stream: Any, job: Job, context: RunContext) -> Any:
        """The task's next item (:data:`STARTED` or its result), or a failure result saying why it gave none."""
        ex = self.ray.exceptions
        try:
            return self.ray.get(next(stream))
        except ex.OutOfMemoryError as exc:
            why = f"worker killed by Ray's out-of-memory monitor, also on its retry: {first_line(exc)}"
        except (ex.WorkerCrashedError, ex.NodeDiedError, ex.LocalRayletDiedError) as exc:
            why = f"worker crashed, also on its retry: {first_line(exc)}"
        except ex.TaskCancelledError as exc:
            return failure_result(job, context, "timeout", f"timeout: Ray task cancelled: {first_line(exc)}")
        except ex.RayTaskError as exc:  # the task function itself raised (e.g. an unimportable plugin)
            cause = exc.cause if getattr(exc, "cause", None) is not None else exc
            why = f"{type(cause).__name__}: {first_line(cause)}"
        except ex.RayError as exc:
            why = f"Ray error: {type(exc).__name__}: {first_line(exc)}"
        return failure_result(job, context, "failed", why[:500])


def first_line(exc: BaseException) -> str:
    """Ray's messages are long and multi-line; the row keeps the first non-empty line."""
    return one_line(exc, None, typed=False, first_line=True)
