"""Which rows of two stores are the same job, whether they were scored alike, and how a metric moved.

The one comparison engine of the regression gate (:mod:`imputebench.gates.regression`: a results folder
against a baseline) and of reference sets (:mod:`imputebench.gates.reference`: a set's rows beside rows
computed here, and a set's rows re-run here). Pure: rows in, identities, pairs and differences out.

A job is *the same job* in two stores when its identity (:data:`IDENTITY_COLUMNS`: who imputed, and
what fixes its mask and setting, PROTOCOL §2-3) and its hyper-parameters agree, and the two rows are
*comparable* when they were scored on the same masks under the same protocol: dataset checksum,
masks (their checksum where known, else the realised missing rate) and protocol version
(:func:`differences`). A job key (:attr:`imputebench.harness.job.Job.key`) hashes exactly these: identity,
parameters, dataset checksum and profile. The gates pair rows on the identity rather than on the key
so that they can say *what* changed when a key changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

import pandas as pd

from ..errors import one_line
from ..protocol.metrics import METRIC_REGISTRY

HIGHER_IS_BETTER = {name: metric.higher_is_better for name, metric in METRIC_REGISTRY.items()}

# What fixes a job's mask and its evaluation (PROTOCOL §2: one mask per dataset, mechanism, rate and
# seed; max_rows subsamples the table first; §3: the setting): a *cell*. Plus who imputed: a *job*.
CELL_COLUMNS = ("dataset", "mechanism", "rate", "setting", "seed", "max_rows")
IDENTITY_COLUMNS = ("imputer",) + CELL_COLUMNS
# Must agree for two rows of one job to have been scored on the same masks.
COMPARABILITY_COLUMNS = ("dataset_checksum", "realised_rate", "protocol_version")


# -- values as stores hold them ---------------------------------------------------------------------
def is_missing(value: object) -> bool:
    """None, NA or NaN: a value a store did not record."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def as_float(value: object) -> float:
    return math.nan if is_missing(value) else float(value)


def params_of(row: Mapping[str, object]) -> str:
    """A row's hyper-parameters as its job key has them (canonical JSON; '' when not recorded)."""
    value = row.get("params")
    return "" if is_missing(value) else str(value)


def first_line(error: object, limit: int = 200) -> str | None:
    """An error's first line, cut to ``limit`` characters (None when there is no error)."""
    return None if is_missing(error) else one_line(str(error), limit, first_line=True)


# -- identity ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class JobId:
    """A job's identity (:data:`IDENTITY_COLUMNS`); ``seed`` None stands for the mean over seeds."""

    imputer: str
    dataset: str
    mechanism: str
    rate: float
    setting: str
    seed: int | None
    max_rows: int | None

    @classmethod
    def of(cls, row: Mapping[str, object]) -> "JobId":
        max_rows = row.get("max_rows")
        return cls(imputer=str(row["imputer"]), dataset=str(row["dataset"]), mechanism=str(row["mechanism"]),
                   rate=float(row["rate"]), setting=str(row["setting"]), seed=int(row["seed"]),
                   max_rows=None if is_missing(max_rows) else int(max_rows))

    def where(self) -> str:
        """The cell in words: mechanism, rate, setting, seed, rows."""
        rows = "all rows" if self.max_rows is None else f"max_rows {self.max_rows}"
        seed = "mean over seeds" if self.seed is None else f"seed {self.seed}"
        return f"{self.mechanism}, rate {self.rate:g}, {self.setting}, {seed}, {rows}"

    def sort_key(self) -> tuple:
        return (self.imputer, self.dataset, self.mechanism, self.rate, self.setting,
                -1 if self.seed is None else self.seed, -1 if self.max_rows is None else self.max_rows)


def identity_index(rows: pd.DataFrame, columns: Sequence[str] = IDENTITY_COLUMNS) -> pd.MultiIndex:
    """``rows``' identities (or any part of them, e.g. :data:`CELL_COLUMNS` plus ``profile``) as an
    index for membership tests, normalised as :class:`JobId` reads them (rate a float, seed and
    max_rows integers, -1 for "all rows"); a column the frame lacks counts as not recorded."""
    frame = pd.DataFrame(index=rows.index)
    for column in columns:
        values = rows[column] if column in rows.columns else pd.Series(None, index=rows.index, dtype=object)
        if column == "rate":
            values = values.astype(float)
        elif column in ("seed", "max_rows"):
            values = pd.to_numeric(values).astype("Int64").fillna(-1).astype(int)
        frame[column] = values
    return pd.MultiIndex.from_frame(frame)


def latest_jobs(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per job (identity and parameters): the latest when a store holds several."""
    if "finished_at" in rows.columns:
        rows = rows.sort_values("finished_at", kind="stable")
    return rows.drop_duplicates(list(IDENTITY_COLUMNS) + ["params"], keep="last")


@dataclass(frozen=True)
class Matching:
    """Rows of two stores paired job by job, and the rows of each left without a partner."""

    pairs: list[tuple[dict, dict]]
    only_old: list[dict]
    only_new: list[dict]


def match_jobs(old_rows: Iterable[Mapping], new_rows: Iterable[Mapping]) -> Matching:
    """Pair rows of two stores (each one row per job, :func:`latest_jobs`) as the same job.

    First pass: identity and parameters equal. Second pass: identity alone, when exactly one row on
    each side is left for it: a changed hyper-parameter, which the caller reports (a likely cause of
    a difference) rather than turning it into a missing and a new job.
    """
    new_by_key = {(JobId.of(r), params_of(r)): dict(r) for r in new_rows}
    pairs, old_left = [], []
    for r in old_rows:
        partner = new_by_key.pop((JobId.of(r), params_of(r)), None)
        if partner is None:
            old_left.append(dict(r))
        else:
            pairs.append((dict(r), partner))
    old_by_id: dict[JobId, list[dict]] = {}
    for r in old_left:
        old_by_id.setdefault(JobId.of(r), []).append(r)
    new_by_id: dict[JobId, list[dict]] = {}
    for r in new_by_key.values():
        new_by_id.setdefault(JobId.of(r), []).append(r)
    only_old, only_new = [], []
    for job, olds in old_by_id.items():
        news = new_by_id.pop(job, [])
        if len(olds) == 1 and len(news) == 1:
            pairs.append((olds[0], news[0]))
        else:
            only_old.extend(olds)
            only_new.extend(news)
    for news in new_by_id.values():
        only_new.extend(news)
    return Matching(pairs, only_old, only_new)


# -- comparability ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Difference:
    """One reason two rows of a job were not scored alike."""

    what: str  # "dataset checksum", "mask checksum", "realised missing rate" or "protocol version"
    old: object
    new: object

    def text(self) -> str:
        if self.what == "realised missing rate":
            return f"{self.what} {self.old:.6g} -> {self.new:.6g} (the masks changed)"
        return f"{self.what} {self.old} -> {self.new}"


def differences(old: Mapping[str, object], new: Mapping[str, object]) -> tuple[Difference, ...]:
    """Why two rows of one job were not scored on the same masks under the same protocol (empty when
    they were). A value either row did not record is not held against it (an older store). Masks
    compare by ``mask_checksum`` when both rows carry one, else by the realised missing rate."""
    out = []
    a, b = old.get("dataset_checksum"), new.get("dataset_checksum")
    if not is_missing(a) and not is_missing(b) and a != b:
        out.append(Difference("dataset checksum", a, b))
    a, b = old.get("mask_checksum"), new.get("mask_checksum")
    if not is_missing(a) and not is_missing(b):
        if a != b:
            out.append(Difference("mask checksum", a, b))
    else:
        a, b = as_float(old.get("realised_rate")), as_float(new.get("realised_rate"))
        if math.isfinite(a) and math.isfinite(b) and a != b:
            out.append(Difference("realised missing rate", a, b))
    a, b = old.get("protocol_version"), new.get("protocol_version")
    if not is_missing(a) and not is_missing(b) and int(a) != int(b):
        out.append(Difference("protocol version", int(a), int(b)))
    return tuple(out)


def stale_params(rows: pd.DataFrame, params: Mapping[str, str]) -> pd.Series:
    """True for rows of an imputer in ``params`` whose parameters are not the ones it has now."""
    now = rows["imputer"].map(dict(params))
    return now.notna() & (rows["params"] != now)


def mask_keys(rows: pd.DataFrame) -> list[str]:
    """Each row's mask key (:func:`imputebench.harness.job.mask_key`: dataset, its checksum, mechanism, rate, seed)."""
    from ..harness.job import mask_key

    return [mask_key(d, c, m, r, s) for d, c, m, r, s in
            zip(rows["dataset"], rows["dataset_checksum"], rows["mechanism"], rows["rate"], rows["seed"])]


# -- metrics ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MetricChange:
    """One metric of one job, before (``old``) and after (``new``); ``allowed`` is the tolerance."""

    metric: str
    old: float
    new: float
    allowed: float

    @property
    def gap(self) -> float:
        """How far apart, in either direction (inf when only one side was measured)."""
        both = not (math.isnan(self.old) or math.isnan(self.new))
        return abs(self.new - self.old) if both else math.inf

    @property
    def worse_by(self) -> float:
        """How much worse ``new`` is, in the metric's direction (> 0: worse)."""
        if not (math.isfinite(self.old) and math.isfinite(self.new)):
            return math.inf if math.isfinite(self.old) else -math.inf
        delta = self.new - self.old
        return -delta if HIGHER_IS_BETTER[self.metric] else delta

    @property
    def regressed(self) -> bool:
        # A metric measured before that is no longer measured (NaN) is a regression too.
        return self.worse_by > self.allowed

    @property
    def improved(self) -> bool:
        return -self.worse_by > self.allowed

    @property
    def within(self) -> bool:
        """The same up to the tolerance, in either direction."""
        return self.gap <= self.allowed


def metric_changes(old: Mapping[str, object], new: Mapping[str, object], metrics: Iterable[str],
                   allowed: Callable[[str, float], float]) -> list[MetricChange]:
    """Each metric measured in ``old`` (PROTOCOL §5: NaN means nothing was measured, never 0), with
    its tolerance ``allowed(metric, old value)``."""
    out = []
    for metric in metrics:
        before, after = as_float(old.get(metric)), as_float(new.get(metric))
        if not math.isnan(before):
            out.append(MetricChange(metric, before, after, allowed(metric, before)))
    return out
