"""One main-track job in a worker (PROTOCOL §2-§6): draw or take its mask, impute through the
guarded call, score, and return the row; nothing is written anywhere.

In-sample: ``fit_transform`` on the masked table, scored on its masked cells, then PROTOCOL §9's draws
and inference (:mod:`.draws`). Downstream: fit on the masked train rows only, impute the test rows,
score them and the downstream model trained on the imputed train rows (PROTOCOL §3).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ... import PROTOCOL_VERSION
from ...errors import InfeasibleMaskError
from ...errors import one_line
from ...harness.guard import ImputerGuard, device_of, failure_fields, uses_labels
from ..grid import job_table
from ...harness.job import (DataSource, JobResult, KeyedMemo, RunContext, core_row, counted_warnings, identity_key,
                    mask_key, table_columns)
from ...protocol.masks import PackedMask, apply_mask, draw_mask, job_rng, job_seed

SAMPLE_CELLS = 500  # per feature, per job: the site's histograms need no more
TRACK = "main"
_masks = KeyedMemo(8)  # every imputer of a mask in this worker shares one draw
_complete_scores = KeyedMemo(64)  # one per table and split, shared by every imputer


def table_key(dataset: str, checksum: str, max_rows: int | None) -> str:
    """The content key of a planned table (what the driver ships and workers look up)."""
    return identity_key([TRACK, dataset, checksum, max_rows])


@dataclass(frozen=True)
class MainJob:
    """A main-track job's identity: everything that determines its numbers, and nothing else."""

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

    track: ClassVar[str] = TRACK

    @property
    def key(self) -> str:
        """The job key (AMLB-style resume): everything that determines the row's numbers."""
        return identity_key([self.dataset, self.dataset_checksum, self.max_rows, self.mechanism, f"{self.rate:.6g}",
                             self.seed, self.imputer, self.params, self.setting, PROTOCOL_VERSION])

    @property
    def mask_key(self) -> str:
        return mask_key(self.dataset, self.dataset_checksum, self.mechanism, self.rate, self.seed)

    @property
    def data_key(self) -> str:
        return table_key(self.dataset, self.dataset_checksum, self.max_rows)

    def mask_shape(self, data: Any) -> tuple[int, int]:
        return data.X.shape

    def load_data(self, source: DataSource) -> Any:
        return job_table(self.dataset, self.max_rows, source)

    def base_row(self, context: RunContext) -> dict[str, Any]:
        return {**core_row(self, context), "dataset": self.dataset, "dataset_checksum": self.dataset_checksum,
                "max_rows": self.max_rows, "mechanism": self.mechanism, "rate": self.rate, "seed": self.seed,
                "imputer": self.imputer, "params": self.params, "profile": self.profile, "setting": self.setting}

    def run(self, context: RunContext, mask: PackedMask | None, data: Any) -> JobResult:
        """Run on the stored mask (drawn here when there is none) and the planned table ``data``."""
        row = self.base_row(context)
        drawn = None
        if mask is None:
            try:
                mask = drawn = _masks.get(self.mask_key, lambda: draw_table_mask(data.X, self))
            except Exception as exc:
                row.update(status="failed", error="dataset: " + one_line(exc))
                return JobResult(row)
        if mask.infeasible:
            row.update(status="infeasible", error=mask.infeasible)
            return JobResult(row, mask=drawn)
        row.update(table_columns(data))
        if mask.shape != data.X.shape:
            row.update(status="failed", error=f"dataset: ValueError: the stored mask is {mask.shape}, "
                                              f"the table {data.X.shape}")
            return JobResult(row, mask=drawn)
        row["realised_rate"] = mask.meta["realised_rate"]
        with counted_warnings(row):
            samples = _impute_and_score(self, context, data, mask.unpack(), row)
        return JobResult(row, samples, drawn)


def draw_table_mask(X, job: MainJob) -> PackedMask:
    """PROTOCOL §2: the mask of (dataset, mechanism, rate, seed), from a seed derived from those four
    values, so every worker draws the same one."""
    try:
        mask = draw_mask(X, job.mechanism, job.rate, job_rng(job.dataset, job.mechanism, job.rate, job.seed))
    except InfeasibleMaskError as exc:
        return PackedMask.of_infeasible(str(exc))
    meta = {"dataset": job.dataset, "mechanism": job.mechanism, "rate": job.rate, "seed": job.seed,
            "realised_rate": float(1.0 - mask.mean())}
    return PackedMask.pack(mask, meta)


def _impute_and_score(job: MainJob, context: RunContext, ds, mask: np.ndarray, row: dict[str, Any]) -> bytes | None:
    """Fit, transform and score into ``row``; the in-sample sample of cells, if any."""
    from ...protocol.downstream import downstream_score, split_rows
    from ...protocol.metrics import diverged_reason, imputation_metrics
    from ...protocol.profiles import get_profile
    from ...protocol.samples import encode_samples, sample_cells
    from .draws import draw_and_infer

    samples = None
    try:
        guard = ImputerGuard(context.memory_limit_mb)
        seed = job_seed(job.dataset, job.mechanism, job.rate, job.seed) % (2 ** 31)
        imputer = guard.make(job.imputer, json.loads(job.params), random_state=seed)
        row["uses_labels"] = uses_labels(imputer)
        X_masked = apply_mask(ds.X, mask)  # a new frame: the pristine masked input of this job
        with guard:
            if job.setting == "in-sample":  # PROTOCOL §3 in-sample: fit_transform, masked cells
                out = guard.call(imputer, "fit_transform", X_masked, ds.y)
                scores = imputation_metrics(ds.X, out, mask, seed=seed)
                samples = encode_samples(job.key, sample_cells(ds.X, out, mask, max_cells=SAMPLE_CELLS,
                                                               rng=np.random.default_rng(0)))
                # PROTOCOL §9: the imputer's m draws and inference after imputation, beside the point scores
                row.update(draw_and_infer(job, imputer, ds, X_masked, mask, seed, get_profile(job.profile).draws,
                                          context.memory_limit_mb))
            else:  # PROTOCOL §3 downstream: fit on masked train only, transform both parts
                if ds.y is None or ds.target_kind is None:
                    row.update(status="infeasible", error="downstream needs a target; this dataset has none")
                    return None
                train, test = split_rows(len(ds.X), ds.y, ds.target_kind, job.seed)
                Xtr, Xte = X_masked.iloc[train], X_masked.iloc[test]
                ytr, yte = ds.y.iloc[train], ds.y.iloc[test]
                out_tr = guard.call(imputer, "fit_transform", Xtr, ytr)
                out_te = guard.call(imputer, "transform", Xte)
                scores = imputation_metrics(ds.X.iloc[test], out_te, mask[test], reference=ds.X,
                                            seed=seed)  # out-of-sample
                scores["downstream"] = downstream_score(out_tr, ytr, out_te, yte, ds.target_kind)
                scores["complete_downstream"] = _complete_scores.get(
                    (job.data_key, job.seed), lambda: complete_score(ds, job.seed))
                row["downstream_metric"] = "accuracy" if ds.target_kind == "classification" else "r2"
        row.update(scores)
        diverged = diverged_reason(scores)  # PROTOCOL §6: numbers kept, status marks them
        row.update(status="diverged" if diverged else "ok", error=diverged, device=device_of(imputer),
                   **guard.measurements())
    except Exception as exc:
        row.update(failure_fields(exc, context.memory_limit_mb))
        samples = None
        if os.environ.get("IMPUTEBENCH_DEBUG"):
            traceback.print_exc(file=sys.stderr)
    return samples


def complete_score(ds, seed: int) -> float:
    """PROTOCOL §3: the complete-data score of the same model on the same split, beside the imputed one."""
    from ...protocol.downstream import downstream_score, split_rows

    train, test = split_rows(len(ds.X), ds.y, ds.target_kind, seed)
    return downstream_score(ds.X.iloc[train], ds.y.iloc[train], ds.X.iloc[test], ds.y.iloc[test], ds.target_kind)
