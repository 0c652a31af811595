"""One transfer-track job in a worker (PROTOCOL §7): fit by the job's strategy through the guarded
call, impute the target test part, score it; nothing is written anywhere.

Masks: one stored mask per (task, n_target, mechanism, rate, seed), shared by every imputer and
strategy. It stacks the three parts' masks (source, target train, target test rows, in that order), each
drawn from its own seed of (task, part, mechanism, rate, seed), so the source and test parts' masks are
the same for every ``n_target``. The driver ships the stored one; a job that finds none draws it and
returns it for the store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ... import PROTOCOL_VERSION
from ...errors import one_line
from ...harness.guard import ImputerGuard, device_of, failure_fields, uses_labels
from ...harness.job import DataSource, JobResult, KeyedMemo, RunContext, core_row, counted_warnings, identity_key
from ...protocol.masks import PackedMask, apply_mask
from .domains import TaskDomains, load_domains
from .parts import PARTS, Part, TaskParts, draw_part_masks, draw_parts, fit_strategy, mask_seed, split_part_masks

TRACK = "transfer"
SETTING = "transfer"  # the store's setting column: target test rows, scored out of sample (PROTOCOL §7)
_parts = KeyedMemo(8)  # (data key, n_target, seed, cap) -> TaskParts, shared by a worker's jobs
_masks = KeyedMemo(8)  # mask key -> the stacked parts' mask
_complete_scores = KeyedMemo(16)


def domains_key(task: str, checksum: str, rule: str) -> str:
    """The content key of a task's domains (what the driver ships and workers look up)."""
    return identity_key([TRACK, task, checksum, rule])


@dataclass(frozen=True)
class TransferJob:
    """A transfer job's identity: everything that determines its numbers (and the task's domain gap,
    shown beside the rows; derived from the task, so not part of the key)."""

    task: str
    dataset: str
    dataset_checksum: str
    rule: str
    max_rows: int | None  # the source cap (the profile's max_rows)
    n_target: int
    mechanism: str
    rate: float
    seed: int
    imputer: str
    params: str  # canonical JSON of the imputer's hyper-parameters, fine-tune budget (adapt_*) included
    strategy: str
    profile: str
    domain_gap: float | None = field(default=None, compare=False)

    track: ClassVar[str] = TRACK
    setting: ClassVar[str] = SETTING

    @property
    def key(self) -> str:
        """The job key, as the main track's: everything that determines the row's numbers."""
        return identity_key([TRACK, self.task, self.dataset, self.dataset_checksum, self.rule, self.max_rows,
                             self.n_target, self.mechanism, f"{self.rate:.6g}", self.seed, self.imputer, self.params,
                             self.strategy, PROTOCOL_VERSION])

    @property
    def mask_key(self) -> str:
        """One stored mask (the three parts stacked) per (task, n_target, mechanism, rate, seed) on
        these exact rows: no imputer, strategy or profile in it."""
        return identity_key([TRACK, self.task, self.dataset_checksum, self.rule, self.max_rows, self.n_target,
                             self.mechanism, f"{self.rate:.6g}", self.seed])

    @property
    def data_key(self) -> str:
        return domains_key(self.task, self.dataset_checksum, self.rule)

    def mask_shape(self, data: TaskDomains) -> tuple[int, int]:
        return data.mask_shape(self.n_target, self.max_rows)

    def load_data(self, source: DataSource) -> TaskDomains:
        return load_domains(self.task, source)

    def base_row(self, context: RunContext) -> dict[str, Any]:
        return {**core_row(self, context), "task": self.task, "strategy": self.strategy, "n_target": self.n_target,
                "domain_gap": self.domain_gap, "dataset": self.dataset, "dataset_checksum": self.dataset_checksum,
                "max_rows": self.max_rows, "mechanism": self.mechanism, "rate": self.rate, "seed": self.seed,
                "imputer": self.imputer, "params": self.params, "profile": self.profile, "setting": SETTING}

    def parts(self, data: TaskDomains) -> TaskParts:
        """PROTOCOL §7 scarcity: the task's parts for this job's n_target and seed."""
        dom = data.domains
        return _parts.get((self.data_key, self.n_target, self.seed, self.max_rows), lambda: draw_parts(
            dom.X_source, dom.y_source, dom.X_target, dom.y_target, task=self.task, n_target=self.n_target,
            seed=self.seed, max_source_rows=self.max_rows))

    def run(self, context: RunContext, mask: PackedMask | None, data: TaskDomains) -> JobResult:
        """Fit by the job's strategy, transform the target test part, score it (PROTOCOL §7, §5).
        ``mask``: the stored stacked mask, or None to draw it (and return it)."""
        row = self.base_row(context)
        drawn = None
        try:
            parts = self.parts(data)
            if mask is None:
                mask = drawn = _masks.get(self.mask_key, lambda: draw_part_masks(
                    parts, self.task, self.mechanism, self.rate, self.seed))
            if mask.infeasible:
                row.update(status="infeasible", error=mask.infeasible)
                return JobResult(row, mask=drawn)
            masks = split_part_masks(mask.unpack(), parts)
            row.update(n_rows=len(parts.target_test.X), n_features=parts.target_test.X.shape[1],
                       source_rows=len(parts.source.X), realised_rate=float(1.0 - masks["target-test"].mean()))
        except Exception as exc:
            row.update(status="failed", error="dataset: " + one_line(exc))
            return JobResult(row, mask=drawn)
        with counted_warnings(row):
            _impute_and_score(self, context, data, parts, masks, row)
        return JobResult(row, None, drawn)


def _impute_and_score(job: TransferJob, context: RunContext, data: TaskDomains, parts: TaskParts,
                      masks: dict[str, np.ndarray], row: dict[str, Any]) -> None:
    from ...protocol.downstream import downstream_score
    from ...imputer_info import split_adapt_params
    from ...protocol.metrics import diverged_reason, imputation_metrics

    try:
        init, budget = split_adapt_params(json.loads(job.params))
        # One random_state per mask: every strategy of an imputer starts from the same seed.
        state = mask_seed(job.task, "imputer", job.mechanism, job.rate, job.seed) % (2 ** 31)
        guard = ImputerGuard(context.memory_limit_mb)
        imputer = guard.make(job.imputer, init, state)
        row["uses_labels"] = uses_labels(imputer)
        masked = {p: Part(apply_mask(parts.part(p).X, masks[p]), parts.part(p).y) for p in PARTS}
        test, train = masked["target-test"], masked["target-train"]
        with guard:
            fit_strategy(lambda: imputer, job.strategy, masked["source"], train, budget, call=guard.call)
            out_test = guard.call(imputer, "transform", test.X)
            out_train = guard.call(imputer, "transform", train.X)
            # PROTOCOL §7: scored on the target test part, scaled by the complete target domain.
            scores = imputation_metrics(parts.target_test.X, out_test, masks["target-test"],
                                        reference=data.domains.X_target)
            if parts.target_test.y is not None and data.target_kind is not None:
                scores["downstream"] = downstream_score(out_train, parts.target_train.y, out_test,
                                                        parts.target_test.y, data.target_kind)
                scores["complete_downstream"] = _complete_scores.get(
                    (job.data_key, job.n_target, job.seed, job.max_rows), lambda: complete_score(parts, data))
                row["downstream_metric"] = "accuracy" if data.target_kind == "classification" else "r2"
        row.update(scores)
        diverged = diverged_reason(scores)  # PROTOCOL §6: numbers kept, status marks them
        row.update(status="diverged" if diverged else "ok", error=diverged, device=device_of(imputer),
                   **guard.measurements())
    except Exception as exc:
        row.update(failure_fields(exc, context.memory_limit_mb))


def complete_score(parts: TaskParts, data: TaskDomains) -> float:
    """PROTOCOL §3 beside §7: the downstream model on the complete target train and test rows (one per
    task, n_target and seed, shared by every imputer and strategy)."""
    from ...protocol.downstream import downstream_score

    return downstream_score(parts.target_train.X, parts.target_train.y, parts.target_test.X, parts.target_test.y,
                            data.target_kind)


def clear_memos() -> None:
    """Forget this process's domains, parts, masks and complete-data scores (tests, after ``datasets add``)."""
    load_domains.cache_clear()
    for memo in (_parts, _masks, _complete_scores):
        memo.clear()
