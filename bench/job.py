"""One job of the grid: what runs inside a worker (PROTOCOL §2-§5), as a function of a :class:`Job`.

A job never raises: any failure of the imputer (exception, contract violation, NaN output) becomes
a row with status ``failed``; an unreachable rate becomes ``infeasible`` (PROTOCOL §2).
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
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from . import PROTOCOL_VERSION, __version__
from .downstream import downstream_score, split_rows
from .errors import InfeasibleMaskError
from .imputer import validate_output
from .masks import apply_mask, draw_mask, job_rng, job_seed
from .metrics import imputation_metrics
from .store import ResultStore


@dataclass(frozen=True)
class DataSource:
    """Where datasets come from (PROTOCOL §1 sources)."""

    mirror: str | None = None
    data_home: str | None = None
    allow_network: bool = True


@dataclass(frozen=True)
class Job:
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
    results_dir: str
    source: DataSource = field(default_factory=DataSource)
    memory_limit_mb: float | None = None

    @property
    def key(self) -> str:
        """The job key (AMLB-style resume): everything that determines the row's numbers."""
        ident = [self.dataset, self.dataset_checksum, self.max_rows, self.mechanism, f"{self.rate:.6g}",
                 self.seed, self.imputer, self.params, self.setting, PROTOCOL_VERSION]
        return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:24]

    @property
    def mask_key(self) -> str:
        """PROTOCOL §2: one mask per (dataset, mechanism, rate, seed), on this exact table."""
        ident = [self.dataset, self.dataset_checksum, self.mechanism, f"{self.rate:.6g}", self.seed]
        return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:24]

    def base_row(self) -> dict[str, Any]:
        return {
            "job_key": self.key, "track": "main", "dataset": self.dataset, "dataset_checksum": self.dataset_checksum,
            "max_rows": self.max_rows, "mechanism": self.mechanism, "rate": self.rate, "seed": self.seed,
            "imputer": self.imputer, "params": self.params, "profile": self.profile, "setting": self.setting,
            "protocol_version": PROTOCOL_VERSION, "versions": versions_json(),
        }


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


def get_mask(job: Job, X: pd.DataFrame) -> tuple[np.ndarray, dict]:
    """The stored mask of this job's (dataset, mechanism, rate, seed), drawn and stored on first use."""
    store = ResultStore(job.results_dir)
    hit = store.load_mask(job.mask_key)
    if hit is not None and hit[0].shape == X.shape:
        return hit
    if hit is not None and hit[1].get("infeasible"):
        raise InfeasibleMaskError(hit[1]["infeasible"])
    try:
        mask = draw_mask(X, job.mechanism, job.rate, job_rng(job.dataset, job.mechanism, job.rate, job.seed))
    except InfeasibleMaskError as exc:
        store.save_mask(job.mask_key, np.zeros((0, 0), bool), {"infeasible": str(exc)})
        raise
    meta = {"dataset": job.dataset, "mechanism": job.mechanism, "rate": job.rate, "seed": job.seed,
            "realised_rate": float(1.0 - mask.mean())}
    store.save_mask(job.mask_key, mask, meta)
    return mask, meta


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


def _fit_transform(imputer, X_fit: pd.DataFrame, y_fit, to_transform: list[pd.DataFrame]) -> tuple[list, float, float]:
    uses_labels = bool(getattr(getattr(imputer, "info", None), "uses_labels", False))
    t0 = time.perf_counter()
    imputer.fit(X_fit, y_fit if uses_labels else None)
    t1 = time.perf_counter()
    outputs = [imputer.transform(X) for X in to_transform]
    t2 = time.perf_counter()
    for X_in, X_out in zip(to_transform, outputs):
        validate_output(X_in, X_out)  # PROTOCOL §4: the harness checks
    return outputs, t1 - t0, t2 - t1


def _device_of(imputer) -> str:
    dev = getattr(imputer, "device_", None)
    return str(getattr(dev, "type", dev) or "cpu")


def run_job(job: Job) -> dict[str, Any]:
    """Run one job and return its result row (see :data:`imputebench.store.SCHEMA`)."""
    from .registry import make_imputer

    if getattr(job, "track", "main") == "transfer":  # PROTOCOL §7: the transfer track's job
        from .transfer_job import run_transfer_job

        return run_transfer_job(job)

    row = job.base_row()
    try:
        ds = _dataset(job.dataset, job.max_rows, job.source)
        row.update(n_rows=ds.X.shape[0], n_features=ds.X.shape[1])
        mask, meta = get_mask(job, ds.X)
        row["realised_rate"] = meta["realised_rate"]
    except InfeasibleMaskError as exc:
        row.update(status="infeasible", error=_one_line(exc))
        return row
    except Exception as exc:
        row.update(status="failed", error="dataset: " + _one_line(exc))
        return row

    try:
        imputer = make_imputer(job.imputer, json.loads(job.params),
                               random_state=job_seed(job.dataset, job.mechanism, job.rate, job.seed) % (2 ** 31))
        row["uses_labels"] = bool(getattr(getattr(imputer, "info", None), "uses_labels", False))
        X_masked = apply_mask(ds.X, mask)
        with MemoryLimit(job.memory_limit_mb), PeakMemory() as mem:
            if job.setting == "in-sample":  # PROTOCOL §3 in-sample: fit then transform, masked cells
                (out,), fit_s, tr_s = _fit_transform(imputer, X_masked, ds.y, [X_masked])
                scores = imputation_metrics(ds.X, out, mask)
                _keep_samples(job, ds.X, out, mask)
            else:  # PROTOCOL §3 downstream: fit on masked train only, transform both parts
                if ds.y is None or ds.target_kind is None:
                    row.update(status="infeasible", error="downstream needs a target; this dataset has none")
                    return row
                train, test = split_rows(len(ds.X), ds.y, ds.target_kind, job.seed)
                Xtr, Xte = X_masked.iloc[train], X_masked.iloc[test]
                ytr, yte = ds.y.iloc[train], ds.y.iloc[test]
                (out_tr, out_te), fit_s, tr_s = _fit_transform(imputer, Xtr, ytr, [Xtr, Xte])
                scores = imputation_metrics(ds.X.iloc[test], out_te, mask[test], reference=ds.X)  # out-of-sample
                scores["downstream"] = downstream_score(out_tr, ytr, out_te, yte, ds.target_kind)
                scores["complete_downstream"] = _complete_score(job.dataset, job.max_rows, job.source, job.seed)
                row["downstream_metric"] = "accuracy" if ds.target_kind == "classification" else "r2"
        row.update(scores)
        row.update(status="ok", fit_seconds=fit_s, transform_seconds=tr_s, peak_memory_mb=mem.mb,
                   device=_device_of(imputer))
    except MemoryError as exc:
        row.update(status="failed", error=f"MemoryError: memory limit of {job.memory_limit_mb} MB exceeded"
                   if job.memory_limit_mb else _one_line(exc))
    except Exception as exc:
        row.update(status="failed", error=_one_line(exc))
        if os.environ.get("IMPUTEBENCH_DEBUG"):
            traceback.print_exc(file=sys.stderr)
    return row


def _keep_samples(job: Job, X_true: pd.DataFrame, X_imputed: pd.DataFrame, mask: np.ndarray) -> None:
    """A bounded sample of true vs imputed cells, for the site's histograms (mode collapse)."""
    from .reports.samples import sample_cells, write_samples

    write_samples(job.results_dir, job.key, sample_cells(X_true, X_imputed, mask, max_cells=500,
                                                         rng=np.random.default_rng(0)))


@lru_cache(maxsize=64)
def _complete_score(dataset: str, max_rows: int | None, source: DataSource, seed: int) -> float:
    """PROTOCOL §3: the complete-data score of the same model on the same split, beside the imputed one."""
    ds = _dataset(dataset, max_rows, source)
    train, test = split_rows(len(ds.X), ds.y, ds.target_kind, seed)
    return downstream_score(ds.X.iloc[train], ds.y.iloc[train], ds.X.iloc[test], ds.y.iloc[test], ds.target_kind)


def failure_row(job: Job, status: str, error: str) -> dict[str, Any]:
    """The row of a job whose worker never returned (crash, timeout, killed for memory)."""
    row = job.base_row()
    row.update(status=status, error=error)
    return row

