"""One job of the grid: what runs inside a worker (PROTOCOL §2-§5), a pure function of a :class:`Job`.

:func:`run_job` takes the job's identity, the run's context (data sources, limits) and the job's
stored mask when the store has one, and returns a :class:`JobResult` (its row, its sample of true vs
imputed cells, and the mask when it drew it: deterministically, from the job's identity, PROTOCOL §2).
It writes nothing: the driver's :class:`imputebench.store.ResultStore` is the only writer, so a
worker needs no access to the results folder (a Ray worker on another node has none).

A job never raises: any failure of the imputer (exception, contract violation, NaN output) becomes
a row with status ``failed``; an unreachable rate (PROTOCOL §2) or a table outside the imputer's
scope by design (:class:`NotApplicableError`, PROTOCOL §4) becomes ``infeasible``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
import sys
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from . import PROTOCOL_VERSION, __version__
from .downstream import downstream_score, split_rows
from .errors import ContractViolation, InfeasibleMaskError, NotApplicableError
from .imputer import validate_output
from .masks import PackedMask, apply_mask, draw_mask, job_rng, job_seed
from .metrics import diverged_reason, imputation_metrics
from .samples import encode_samples, sample_cells

SAMPLE_CELLS = 500  # per feature, per job: the site's histograms need no more


@dataclass(frozen=True)
class DataSource:
    """Where datasets come from (PROTOCOL §1 sources)."""

    mirror: str | None = None
    data_home: str | None = None
    allow_network: bool = True


@dataclass(frozen=True)
class RunContext:
    """What one run gives every job besides its identity: where data comes from, the run-level
    limits (recorded in each row, so resume can tell a limit failure from an imputer's), the run id."""

    source: DataSource = field(default_factory=DataSource)
    timeout_s: float | None = None
    memory_limit_mb: float | None = None
    run_id: str | None = None


def mask_key(dataset: str, dataset_checksum: str, mechanism: str, rate: float, seed: int) -> str:
    """PROTOCOL §2: one mask per (dataset, mechanism, rate, seed), on this exact table."""
    ident = [dataset, dataset_checksum, mechanism, f"{float(rate):.6g}", int(seed)]
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Job:
    """A job's identity: everything that determines its numbers, and nothing else."""

    dataset: str
    dataset_checksum: str
    max_rows: int | None
    mechanism: str
    rate: float
    seed: int
    imputer: str
    params: str  # canonical JSON of the imputer's hyper-parameters
    profile: str
    setting: str

    track: ClassVar[str] = "main"  # the transfer track's jobs: imputebench.transfer_job.TransferJob

    @property
    def key(self) -> str:
        """The job key (AMLB-style resume): everything that determines the row's numbers."""
        ident = [self.dataset, self.dataset_checksum, self.max_rows, self.mechanism, f"{self.rate:.6g}",
                 self.seed, self.imputer, self.params, self.setting, PROTOCOL_VERSION]
        return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:24]

    @property
    def mask_key(self) -> str:
        return mask_key(self.dataset, self.dataset_checksum, self.mechanism, self.rate, self.seed)

    def mask_shape(self, tables: dict[str, Any]) -> tuple[int, int]:
        """The shape its mask must have: the planned table's (the driver checks stored masks by it)."""
        return tables[self.dataset].X.shape

    def base_row(self, context: RunContext) -> dict[str, Any]:
        return {
            "job_key": self.key, "track": self.track, "dataset": self.dataset, "dataset_checksum": self.dataset_checksum,
            "max_rows": self.max_rows, "mechanism": self.mechanism, "rate": self.rate, "seed": self.seed,
            "imputer": self.imputer, "params": self.params, "profile": self.profile, "setting": self.setting,
            "protocol_version": PROTOCOL_VERSION, "versions": versions_json(), "run_id": context.run_id,
            "timeout_s": context.timeout_s, "memory_limit_mb": context.memory_limit_mb,
        }


@dataclass
class JobResult:
    """What a job returns to the driver: its row (:data:`imputebench.store.SCHEMA`) and, for an ok
    in-sample job, a bounded sample of true vs imputed cells as parquet bytes (:mod:`imputebench.samples`)."""

    row: dict[str, Any]
    samples: bytes | None = None
    mask: PackedMask | None = None  # drawn by this job (the store had none): the driver stores it


@lru_cache(maxsize=1)
def versions_json() -> str:
    import importlib.metadata as md

    out = {"imputebench": __version__, "python": platform.python_version()}
    for pkg in ("numpy", "pandas", "scikit-learn", "scipy", "xgboost", "torch"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return json.dumps(out, sort_keys=True)


@lru_cache(maxsize=4)
def _dataset(name: str, max_rows: int | None, source: DataSource):
    from .datasets import load_dataset

    return load_dataset(name, max_rows=max_rows, mirror=source.mirror, data_home=source.data_home,
                        allow_network=source.allow_network)


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
    def _status(field_name: str) -> float:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name):
                    return int(line.split()[1]) / 1024
        return 0.0

    def _rss(self) -> float:
        try:
            return self._status("VmRSS:")
        except OSError:
            return 0.0

    def _hwm(self) -> float:
        return self._status("VmHWM:")


class MemoryLimit:
    """A per-job address-space limit (``--memory-limit``), above what the worker already maps.

    An allocation past it raises MemoryError inside the job, which becomes a failed row.
    """

    def __init__(self, limit_mb: float | None) -> None:
        self.limit_mb = limit_mb

    def __enter__(self) -> "MemoryLimit":
        if self.limit_mb:
            self.saved = resource.getrlimit(resource.RLIMIT_AS)
            current = PeakMemory._status("VmSize:")
            cap = int((current + self.limit_mb) * 1024 * 1024)
            resource.setrlimit(resource.RLIMIT_AS, (cap, self.saved[1]))
        return self

    def __exit__(self, *exc) -> None:
        if self.limit_mb:
            resource.setrlimit(resource.RLIMIT_AS, self.saved)


def _one_line(exc: BaseException) -> str:
    msg = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {msg}"[:500]


def _observed_cells_changed(pristine: pd.DataFrame, given: pd.DataFrame) -> str | None:
    """The first column whose observed cells differ between an input and the copy the imputer got."""
    if not isinstance(given, pd.DataFrame) or given.shape != pristine.shape:
        return "its shape"
    for c in pristine.columns:
        if c not in given.columns:
            return f"column {c!r}"
        a, b = pristine[c], given[c]
        obs = a.notna().to_numpy()
        if isinstance(a.dtype, pd.CategoricalDtype):
            same = np.array_equal(a.astype(str).to_numpy()[obs], b.astype(str).to_numpy()[obs])
        else:
            vb = pd.to_numeric(b, errors="coerce").to_numpy(dtype=float)
            same = np.array_equal(a.to_numpy(dtype=float)[obs], vb[obs])
        if not same:
            return f"column {c!r}"
    return None


def _fit_transform(imputer, X_fit: pd.DataFrame, y_fit: pd.Series | None,
                   others: list[pd.DataFrame]) -> tuple[list, float, float]:
    """Impute the fit table by ``fit_transform`` (a transductive imputer's own answer, PROTOCOL §3),
    then ``others`` by ``transform``; seconds of the first step and of the second (PROTOCOL §4).

    The imputer only ever sees copies, so an in-place edit cannot reach the pristine inputs, the
    cached dataset or another job; each output is checked against the pristine input, and an edit
    of the observed cells of a copy (X or y) is a contract breach too.
    """
    uses_labels = bool(getattr(getattr(imputer, "info", None), "uses_labels", False))
    given_fit = X_fit.copy(deep=True)
    given_y = y_fit.copy(deep=True) if uses_labels and y_fit is not None else None
    given = [X.copy(deep=True) for X in others]
    t0 = time.perf_counter()
    outputs = [imputer.fit_transform(given_fit, given_y)]
    t1 = time.perf_counter()
    outputs += [imputer.transform(X) for X in given]
    t2 = time.perf_counter()
    for X_in, X_out in zip([X_fit, *others], outputs):
        validate_output(X_in, X_out)  # PROTOCOL §4: the harness checks, against the pristine input
    for what, pristine, copy in [("fit_transform", X_fit, given_fit), *(("transform", a, b) for a, b in zip(others, given))]:
        where = _observed_cells_changed(pristine, copy)
        if where:
            raise ContractViolation(f"{what} changed observed cells of its input X in place ({where}); "
                                    "an imputer must not edit its inputs (PROTOCOL §4)")
    if given_y is not None and not given_y.equals(y_fit):
        raise ContractViolation("fit changed the labels y in place; an imputer must not edit its inputs (PROTOCOL §4)")
    return outputs, t1 - t0, t2 - t1


def _device_of(imputer) -> str:
    dev = getattr(imputer, "device_", None)
    return str(getattr(dev, "type", dev) or "cpu")


def _warning_summary(caught: list[warnings.WarningMessage]) -> tuple[int, str | None]:
    """How many warnings a job raised, and the most frequent one as one line."""
    if not caught:
        return 0, None
    lines = Counter(f"{w.category.__name__}: {' '.join(str(w.message).split())}"[:300] for w in caught)
    return len(caught), lines.most_common(1)[0][0]


@lru_cache(maxsize=8)
def _drawn_mask(dataset: str, max_rows: int | None, source: DataSource, mechanism: str, rate: float,
                seed: int) -> PackedMask:
    """PROTOCOL §2: the mask of (dataset, mechanism, rate, seed), from a seed derived from those four
    values, so every worker draws the same one; cached, as every imputer of the grid shares it."""
    X = _dataset(dataset, max_rows, source).X
    try:
        mask = draw_mask(X, mechanism, rate, job_rng(dataset, mechanism, rate, seed))
    except InfeasibleMaskError as exc:
        return PackedMask.of_infeasible(str(exc))
    meta = {"dataset": dataset, "mechanism": mechanism, "rate": rate, "seed": seed,
            "realised_rate": float(1.0 - mask.mean())}
    return PackedMask.pack(mask, meta)


def run_job(job: Job, context: RunContext, mask: PackedMask | None = None) -> JobResult:
    """Run one job on its stored mask (drawn here when there is none) and return its result;
    nothing is written anywhere. A transfer job (PROTOCOL §7) runs its own track's body."""
    if job.track == "transfer":
        from .transfer_job import run_transfer_job

        return run_transfer_job(job, context, mask)
    row = job.base_row(context)
    drawn = None
    if mask is None:
        try:
            mask = drawn = _drawn_mask(job.dataset, job.max_rows, context.source, job.mechanism, job.rate, job.seed)
        except Exception as exc:
            row.update(status="failed", error="dataset: " + _one_line(exc))
            return JobResult(row)
    if mask.infeasible:
        row.update(status="infeasible", error=mask.infeasible)
        return JobResult(row, mask=drawn)
    try:
        ds = _dataset(job.dataset, job.max_rows, context.source)
        row.update(n_rows=ds.X.shape[0], n_features=ds.X.shape[1], dropped_rows=ds.dropped_rows)
        if mask.shape != ds.X.shape:
            raise ValueError(f"the stored mask is {mask.shape}, the table {ds.X.shape}")
        row["realised_rate"] = mask.meta["realised_rate"]
    except Exception as exc:
        row.update(status="failed", error="dataset: " + _one_line(exc))
        return JobResult(row, mask=drawn)

    # Warnings are counted into the row, not printed: a run's terminal stays readable.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        samples = _impute_and_score(job, context, ds, mask.unpack(), row)
    row["warnings"], row["warning"] = _warning_summary(caught)
    return JobResult(row, samples, drawn)


def _impute_and_score(job: Job, context: RunContext, ds, mask: np.ndarray, row: dict[str, Any]) -> bytes | None:
    """Fit, transform and score into ``row``; the in-sample sample of cells, if any."""
    from .registry import make_imputer

    samples = None
    try:
        imputer = make_imputer(job.imputer, json.loads(job.params),
                               random_state=job_seed(job.dataset, job.mechanism, job.rate, job.seed) % (2 ** 31))
        row["uses_labels"] = bool(getattr(getattr(imputer, "info", None), "uses_labels", False))
        X_masked = apply_mask(ds.X, mask)  # a new frame: the pristine masked input of this job
        with MemoryLimit(context.memory_limit_mb), PeakMemory() as mem:
            if job.setting == "in-sample":  # PROTOCOL §3 in-sample: fit_transform, masked cells
                (out,), fit_s, tr_s = _fit_transform(imputer, X_masked, ds.y, [])
                scores = imputation_metrics(ds.X, out, mask)
                samples = encode_samples(job.key, sample_cells(ds.X, out, mask, max_cells=SAMPLE_CELLS,
                                                               rng=np.random.default_rng(0)))
            else:  # PROTOCOL §3 downstream: fit on masked train only, transform both parts
                if ds.y is None or ds.target_kind is None:
                    row.update(status="infeasible", error="downstream needs a target; this dataset has none")
                    return None
                train, test = split_rows(len(ds.X), ds.y, ds.target_kind, job.seed)
                Xtr, Xte = X_masked.iloc[train], X_masked.iloc[test]
                ytr, yte = ds.y.iloc[train], ds.y.iloc[test]
                (out_tr, out_te), fit_s, tr_s = _fit_transform(imputer, Xtr, ytr, [Xte])
                scores = imputation_metrics(ds.X.iloc[test], out_te, mask[test], reference=ds.X)  # out-of-sample
                scores["downstream"] = downstream_score(out_tr, ytr, out_te, yte, ds.target_kind)
                scores["complete_downstream"] = _complete_score(job.dataset, job.max_rows, context.source, job.seed)
                row["downstream_metric"] = "accuracy" if ds.target_kind == "classification" else "r2"
        row.update(scores)
        diverged = diverged_reason(scores)  # PROTOCOL §6: numbers kept, status marks them
        row.update(status="diverged" if diverged else "ok", error=diverged, fit_seconds=fit_s,
                   transform_seconds=tr_s, peak_memory_mb=mem.mb, device=_device_of(imputer))
    except NotApplicableError as exc:  # PROTOCOL §4: outside the imputer's scope by design, not a failure
        row.update(status="infeasible", error=_one_line(exc))
        samples = None
    except MemoryError as exc:
        row.update(status="failed", error=f"MemoryError: memory limit of {context.memory_limit_mb} MB exceeded"
                   if context.memory_limit_mb else _one_line(exc))
        samples = None
    except Exception as exc:
        row.update(status="failed", error=_one_line(exc))
        samples = None
        if os.environ.get("IMPUTEBENCH_DEBUG"):
            traceback.print_exc(file=sys.stderr)
    return samples


@lru_cache(maxsize=64)
def _complete_score(dataset: str, max_rows: int | None, source: DataSource, seed: int) -> float:
    """PROTOCOL §3: the complete-data score of the same model on the same split, beside the imputed one."""
    ds = _dataset(dataset, max_rows, source)
    train, test = split_rows(len(ds.X), ds.y, ds.target_kind, seed)
    return downstream_score(ds.X.iloc[train], ds.y.iloc[train], ds.X.iloc[test], ds.y.iloc[test], ds.target_kind)


def failure_result(job: Job, context: RunContext, status: str, error: str) -> JobResult:
    """The result of a job whose worker never returned (crash, timeout, killed for memory)."""
    row = job.base_row(context)
    row.update(status=status, error=error)
    return JobResult(row)

