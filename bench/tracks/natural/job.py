"""One natural-track job in a worker (PROTOCOL §10): impute a table that has its own holes through the
guarded call, score it by its setting, and return the row; nothing is written anywhere.

- ``downstream``: fit on the train split (its own holes), impute both splits, train the §3 model on
  the imputed train split and score it on the imputed test split; beside it, on the same split, the
  complete-case model and XGBoost on the raw table (both shared by every imputer of a split);
- ``masked``: §2's mask drawn on the observed cells (:mod:`.holes`), ``fit_transform`` on the table
  with its own and the extra holes, §5's metrics on the extra holes only;
- a truth-free score (:data:`.scores.TRUTH_FREE_SCORES`): ``fit_transform`` on the table as it is,
  then the score, which may re-impute tables of its own through the same guarded call.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np
import pandas as pd

from ... import PROTOCOL_VERSION
from ...harness.guard import ImputerGuard, device_of, failure_fields, one_line, uses_labels
from ..grid import job_table
from ...harness.job import (DataSource, JobResult, KeyedMemo, RunContext, core_row, counted_warnings, identity_key,
                            table_columns)
from ...protocol.masks import PackedMask, apply_mask, job_rng, job_seed, rate_text
from .holes import draw_observed_mask, hidden_share
from .scores import DOWNSTREAM, MASKED, truth_free_score

TRACK = "natural"
_masks = KeyedMemo(8)  # every imputer of an extra mask in this worker shares one draw
_baselines = KeyedMemo(32)  # per table and split: the complete-case and raw-table models


def table_key(table: str, checksum: str, max_rows: int | None) -> str:
    """The content key of a planned table with its holes (what the driver ships and workers look up)."""
    return identity_key([TRACK, table, checksum, max_rows])


@dataclass(frozen=True)
class NaturalJob:
    """A natural-track job's identity: everything that determines its numbers (and, beside it, the
    table's missingness, derived from the table and so not part of the key)."""

    dataset: str  # a table with its own holes (natural_names)
    dataset_checksum: str  # of the table with its holes kept
    max_rows: int | None
    setting: str  # downstream, masked, or a truth-free score's name
    mechanism: str | None  # masked only: §2's mechanism of the extra mask
    rate: float | None  # masked only: the share of the observed cells the extra mask hides
    seed: int
    imputer: str
    params: str  # canonical JSON of the imputer's hyper-parameters
    profile: str
    natural_missing: float | None = field(default=None, compare=False)  # share of the table's cells missing
    pattern: str | None = field(default=None, compare=False)  # JSON of the table's missingness pattern

    track: ClassVar[str] = TRACK

    @property
    def key(self) -> str:
        rate = None if self.rate is None else rate_text(self.rate)
        return identity_key([TRACK, self.dataset, self.dataset_checksum, self.max_rows, self.setting, self.mechanism,
                             rate, self.seed, self.imputer, self.params, PROTOCOL_VERSION])

    @property
    def mask_key(self) -> str:
        """One stored extra mask per (table, mechanism, rate, seed) on these exact rows; the jobs of the
        other settings draw none and name a key no mask is stored under."""
        if self.setting != MASKED:
            return identity_key([TRACK, self.dataset, self.dataset_checksum, self.max_rows, "no extra mask"])
        return identity_key([TRACK, self.dataset, self.dataset_checksum, self.max_rows, self.mechanism,
                             rate_text(self.rate), self.seed])

    @property
    def data_key(self) -> str:
        return table_key(self.dataset, self.dataset_checksum, self.max_rows)

    @property
    def random_state(self) -> int:
        """The imputer's (and a truth-free score's) seed: one per table, setting, mask and seed."""
        return job_seed(f"{TRACK}|{self.dataset}", self.mechanism or self.setting, self.rate or 0.0,
                        self.seed) % (2 ** 31)

    def mask_shape(self, data: Any) -> tuple[int, int]:
        return data.X.shape

    def load_data(self, source: DataSource) -> Any:
        return job_table(self.dataset, self.max_rows, source, keep_missing=True)

    def base_row(self, context: RunContext) -> dict[str, Any]:
        return {**core_row(self, context), "dataset": self.dataset, "dataset_checksum": self.dataset_checksum,
                "max_rows": self.max_rows, "mechanism": self.mechanism, "rate": self.rate, "seed": self.seed,
                "imputer": self.imputer, "params": self.params, "profile": self.profile, "setting": self.setting,
                "natural_missing": self.natural_missing, "missing_pattern": self.pattern}

    def run(self, context: RunContext, mask: PackedMask | None, data: Any) -> JobResult:
        """Score by the job's setting (module docstring); ``mask``: the stored extra mask, or None to draw
        it (and return it) when the setting is ``masked``."""
        row = self.base_row(context)
        row.update(table_columns(data))
        drawn = None
        if self.setting == MASKED:
            if mask is None:
                try:
                    mask = drawn = _masks.get(self.mask_key, lambda: draw_extra_mask(data.X, self))
                except Exception as exc:
                    row.update(status="failed", error="dataset: " + one_line(exc))
                    return JobResult(row)
            if mask.infeasible:
                row.update(status="infeasible", error=mask.infeasible)
                return JobResult(row, mask=drawn)
            if mask.shape != data.X.shape:
                row.update(status="failed", error=f"dataset: ValueError: the stored mask is {mask.shape}, "
                                                  f"the table {data.X.shape}")
                return JobResult(row, mask=drawn)
            row["realised_rate"] = mask.meta["realised_rate"]
        with counted_warnings(row):
            impute_and_score(self, context, data, mask.unpack() if self.setting == MASKED else None, row)
        return JobResult(row, None, drawn)


def draw_extra_mask(X: pd.DataFrame, job: NaturalJob) -> PackedMask:
    """The extra mask of (table, mechanism, rate, seed) on the observed cells, from a seed derived from
    those values, so every worker draws the same one."""
    from ...errors import InfeasibleMaskError

    rng = job_rng(f"{TRACK}|{job.dataset}", job.mechanism, job.rate, job.seed)
    try:
        kept = draw_observed_mask(X, job.mechanism, job.rate, rng)
    except InfeasibleMaskError as exc:
        return PackedMask.of_infeasible(str(exc))
    meta = {"dataset": job.dataset, "mechanism": job.mechanism, "rate": job.rate, "seed": job.seed,
            "realised_rate": hidden_share(kept, X)}
    return PackedMask.pack(kept, meta)


Scorer = Callable[[NaturalJob, ImputerGuard, Any, Any, "np.ndarray | None", dict], dict]


def impute_and_score(job: NaturalJob, context: RunContext, ds, mask: np.ndarray | None, row: dict[str, Any]) -> None:
    """Build the imputer, run the job's setting through the guarded call, and put its scores, status
    and measurements into ``row`` (a failure becomes the row's status and error)."""
    from ...protocol.metrics import diverged_reason

    try:
        guard = ImputerGuard(context.memory_limit_mb)
        imputer = guard.make(job.imputer, json.loads(job.params), random_state=job.random_state)
        row["uses_labels"] = uses_labels(imputer)
        scorer = SCORERS.get(job.setting, score_truth_free)
        with guard:
            scores = scorer(job, guard, imputer, ds, mask, row)
        row.update(scores)
        diverged = diverged_reason(scores)  # PROTOCOL §6: numbers kept, status marks them
        row.update(status="diverged" if diverged else "ok", error=diverged, device=device_of(imputer),
                   **guard.measurements())
    except Exception as exc:
        row.update(failure_fields(exc, context.memory_limit_mb))
        if os.environ.get("IMPUTEBENCH_DEBUG"):
            traceback.print_exc(file=sys.stderr)


def score_masked(job: NaturalJob, guard: ImputerGuard, imputer: Any, ds, mask: np.ndarray, row: dict) -> dict:
    """PROTOCOL §10 b: in-sample on the table with its own and the extra holes, §5 on the extra holes."""
    from ...protocol.metrics import imputation_metrics

    out = guard.call(imputer, "fit_transform", apply_mask(ds.X, mask), ds.y)
    # The observed cells set each column's scale (there is no complete column: §5's reference)
    return imputation_metrics(ds.X, out, mask, reference=ds.X)


def score_downstream(job: NaturalJob, guard: ImputerGuard, imputer: Any, ds, mask: None, row: dict) -> dict:
    """PROTOCOL §10 a: the imputer fitted on the train split only; the §3 model on the imputed splits."""
    from ...protocol.downstream import downstream_score, split_rows
    from ...errors import NotApplicableError

    if ds.y is None or ds.target_kind is None:
        raise NotApplicableError("downstream needs a target; this table has none")
    train, test = split_rows(len(ds.X), ds.y, ds.target_kind, job.seed)
    ytr, yte = ds.y.iloc[train], ds.y.iloc[test]
    out_tr = guard.call(imputer, "fit_transform", ds.X.iloc[train], ytr)
    out_te = guard.call(imputer, "transform", ds.X.iloc[test])
    row["downstream_metric"] = "accuracy" if ds.target_kind == "classification" else "r2"
    return {"downstream": downstream_score(out_tr, ytr, out_te, yte, ds.target_kind),
            **_baselines.get((job.data_key, job.seed), lambda: baseline_scores(ds, job.seed))}


def baseline_scores(ds, seed: int) -> dict[str, Any]:
    """PROTOCOL §10 a, beside every imputer, on the same split: the complete-case model (trained on the
    train rows without a hole) and XGBoost on the raw table (its holes handled natively). Both are
    scored on the whole test split, whose holes XGBoost routes by its default directions."""
    from ...protocol.downstream import downstream_score, split_rows

    train, test = split_rows(len(ds.X), ds.y, ds.target_kind, seed)
    Xtr, Xte, ytr, yte = ds.X.iloc[train], ds.X.iloc[test], ds.y.iloc[train], ds.y.iloc[test]
    complete = Xtr.notna().all(axis=1).to_numpy()
    cc = (downstream_score(Xtr[complete], ytr[complete], Xte, yte, ds.target_kind) if complete.sum() >= 2
          else float("nan"))
    return {"complete_case_downstream": cc, "complete_case_rows": int(complete.sum()),
            "native_downstream": downstream_score(Xtr, ytr, Xte, yte, ds.target_kind)}


def score_truth_free(job: NaturalJob, guard: ImputerGuard, imputer: Any, ds, mask: None, row: dict) -> dict:
    """PROTOCOL §10 c: the job's truth-free score of the imputer on the table as it is. Its re-imputations
    are fresh imputers of the job, each through the guarded call (labels only to imputers that use them)."""
    score = truth_free_score(job.setting)
    if score is None:
        raise ValueError(f"unknown natural-track setting {job.setting!r}")
    params = json.loads(job.params)

    def impute(X: pd.DataFrame, seed: int) -> pd.DataFrame:
        fresh = guard.make(job.imputer, params, random_state=int(seed) % (2 ** 31))
        return guard.call(fresh, "fit_transform", X, None if ds.y is None else ds.y.loc[X.index])

    X_imputed = guard.call(imputer, "fit_transform", ds.X, ds.y)
    return {score.name: float(score.compute()(ds.X, impute, X_imputed=X_imputed, random_state=job.random_state))}


SCORERS: dict[str, Scorer] = {MASKED: score_masked, DOWNSTREAM: score_downstream}  # else: a truth-free score


def clear_memos() -> None:
    """Forget this process's tables, extra masks and baselines (tests, after ``datasets add``)."""
    job_table.cache_clear()
    for memo in (_masks, _baselines):
        memo.clear()
