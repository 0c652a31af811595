"""Regression gate: compare a results directory with a committed baseline, job by job.

A job is identified by what fixes its mask and its setting (PROTOCOL §2, §3): dataset, max_rows,
mechanism, rate, seed, setting, plus the imputer. Rows pair first on that identity *and* the
imputer's params; rows left over pair on the identity alone when that pairing is one-to-one, and
the verdict then says that the hyper-parameters changed (a likely cause of a regression, so it is
reported rather than turned into a "missing" plus a "new" job).

A pair is only comparable when the same masks were scored: the dataset checksum, the realised
missing rate and the protocol version must agree (PROTOCOL §1, §2); otherwise the verdict is
``incomparable`` and the gate fails with a request to re-create the baseline.

Everything above the "Baseline files" section is pure: DataFrames in, verdict objects and text out.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import PROTOCOL_VERSION, __version__
from .errors import ImputeBenchError, UsageError
from .metrics import METRIC_REGISTRY, QUALITY_METRICS
from .store import SCHEMA

METRICS = QUALITY_METRICS
HIGHER_IS_BETTER = {name: metric.higher_is_better for name, metric in METRIC_REGISTRY.items()}

# What fixes a job's masks and its evaluation (PROTOCOL §2: one mask per dataset, mechanism, rate,
# seed; max_rows subsamples the table first; §3: the setting), plus who imputed.
IDENTITY_COLUMNS = ("imputer", "dataset", "mechanism", "rate", "setting", "seed", "max_rows")
# Must agree for the two rows to have been scored on the same masks.
COMPARABILITY_COLUMNS = ("dataset_checksum", "realised_rate", "protocol_version")
TIMING_COLUMNS = ("fit_seconds", "transform_seconds")
# What a baseline file keeps: enough to match, to check comparability, and to compare.
BASELINE_COLUMNS = (
    IDENTITY_COLUMNS + COMPARABILITY_COLUMNS + ("params", "profile", "status", "error") + METRICS + TIMING_COLUMNS
)
# Metrics a tolerance may name. Time is not quality: fit_seconds is compared only when a
# tolerance names it.
COMPARABLE_METRICS = tuple(HIGHER_IS_BETTER)
DEFAULT_METRICS = METRICS
# Exact reproducibility, up to float noise of a re-run on the same platform.
DEFAULT_ABSOLUTE_TOLERANCE = 1e-9
ALL_METRICS_KEY = "all"

OK = "ok"
# Statuses that mean the imputer failed (PROTOCOL §6: diverged counts as a failure). "infeasible" is
# not a failure: the grid's (a rate a mechanism cannot reach, no target) or outside the imputer's
# scope by design (NotApplicableError, PROTOCOL §4).
FAILED_STATUSES = ("failed", "diverged", "timeout")


# -- tolerances ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tolerance:
    """How much worse a metric may get: ``max(absolute, relative * |baseline value|)``."""

    absolute: float = DEFAULT_ABSOLUTE_TOLERANCE
    relative: float = 0.0

    def allowed(self, old: float) -> float:
        return max(self.absolute, self.relative * abs(old))

    def describe(self) -> str:
        parts = [f"{self.absolute:g}"]
        if self.relative:
            parts.append(f"{self.relative * 100:g}%")
        return " or ".join(parts)


_TOLERANCE_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([0-9.eE+-]+)\s*(%?)\s*$")


def parse_tolerances(specs: Iterable[str]) -> dict[str, Tolerance]:
    """``["rmse=5%", "mae=0.01", "all=1e-6"]`` -> a tolerance per compared metric.

    A plain number is an absolute tolerance, ``N%`` a relative one; both may be given for one
    metric. ``all`` sets every default metric; a named metric overrides ``all``. Naming
    ``fit_seconds`` adds it to the compared metrics.
    """
    valid = ", ".join((ALL_METRICS_KEY,) + COMPARABLE_METRICS)
    settings: dict[str, dict[str, float]] = {}
    for spec in specs:
        m = _TOLERANCE_RE.match(spec)
        if not m:
            raise UsageError(
                f"bad --tolerance {spec!r}; expected METRIC=NUMBER or METRIC=NUMBER% with METRIC one of: {valid}"
            )
        metric, number, percent = m.group(1), m.group(2), m.group(3)
        if metric not in COMPARABLE_METRICS and metric != ALL_METRICS_KEY:
            raise UsageError(f"unknown metric {metric!r} in --tolerance {spec!r}; valid: {valid}")
        try:
            value = float(number)
        except ValueError:
            raise UsageError(f"bad number {number!r} in --tolerance {spec!r}; expected e.g. rmse=0.01 or rmse=5%") from None
        if not math.isfinite(value) or value < 0:
            raise UsageError(f"--tolerance {spec!r} must be a finite number >= 0")
        settings.setdefault(metric, {})["relative" if percent else "absolute"] = value / 100 if percent else value
    base = settings.pop(ALL_METRICS_KEY, {})
    tolerances = {metric: Tolerance(**base) for metric in DEFAULT_METRICS}
    for metric, values in settings.items():
        tolerances[metric] = Tolerance(**{**base, **values})
    return tolerances


# -- verdicts -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class JobId:
    imputer: str
    dataset: str
    mechanism: str
    rate: float
    setting: str
    seed: int | None  # None: the mean over seeds (--seed-mean)
    max_rows: int | None

    def where(self) -> str:
        rows = "all rows" if self.max_rows is None else f"max_rows {self.max_rows}"
        seed = "mean over seeds" if self.seed is None else f"seed {self.seed}"
        return f"{self.mechanism}, rate {self.rate:g}, {self.setting}, {seed}, {rows}"

    def sort_key(self) -> tuple:
        return (self.imputer, self.dataset, self.mechanism, self.rate, self.setting,
                -1 if self.seed is None else self.seed, -1 if self.max_rows is None else self.max_rows)


@dataclass(frozen=True)
class MetricChange:
    """One metric of one job, baseline against now. ``worse_by`` > 0 means worse."""

    metric: str
    old: float
    new: float
    allowed: float

    @property
    def worse_by(self) -> float:
        if not (math.isfinite(self.old) and math.isfinite(self.new)):
            return math.inf if math.isfinite(self.old) else -math.inf
        delta = self.new - self.old
        return -delta if HIGHER_IS_BETTER[self.metric] else delta

    @property
    def regressed(self) -> bool:
        # A metric the baseline measured that is no longer measured (NaN) is a regression too.
        return self.worse_by > self.allowed

    @property
    def improved(self) -> bool:
        return -self.worse_by > self.allowed


# Outcomes; the first group fails the gate.
REGRESSED = "regressed"          # a metric got worse beyond tolerance
BROKEN = "broken"                # ok in the baseline, failed / timeout / infeasible now
MISSING = "missing"              # in the baseline, not in the results
INCOMPARABLE = "incomparable"    # different masks or protocol: the baseline must be re-created
IMPROVED = "improved"
UNCHANGED = "unchanged"
FIXED = "fixed"                  # not ok in the baseline, ok now
STILL_NOT_OK = "still-not-ok"    # not ok in either
NEW = "new"                      # in the results, not in the baseline
FAILING_OUTCOMES = (REGRESSED, BROKEN, MISSING, INCOMPARABLE)
OUTCOMES = FAILING_OUTCOMES + (IMPROVED, UNCHANGED, FIXED, STILL_NOT_OK, NEW)


@dataclass(frozen=True)
class JobVerdict:
    job: JobId
    outcome: str
    changes: tuple[MetricChange, ...] = ()
    detail: str = ""
    old_params: str | None = None
    new_params: str | None = None
    allowed_missing: bool = False

    @property
    def failed(self) -> bool:
        if self.outcome == MISSING and self.allowed_missing:
            return False
        return self.outcome in FAILING_OUTCOMES

    @property
    def params_changed(self) -> bool:
        return self.old_params is not None and self.new_params is not None and self.old_params != self.new_params

    def cause(self) -> str:
        return f" [params changed: {self.old_params} -> {self.new_params}]" if self.params_changed else ""

    def messages(self) -> list[str]:
        """One line per problem, naming imputer, dataset, metric, old and new value."""
        j = self.job
        head = f"{j.imputer} on {j.dataset} ({j.where()})"
        cause = self.cause()
        if self.outcome == REGRESSED:
            return [
                f"REGRESSED {head}: {c.metric} {_fmt_pair(c.old, c.new)} "
                f"(worse by {_fmt(c.worse_by)}, allowed {_fmt(c.allowed)}){cause}"
                for c in self.changes if c.regressed
            ]
        if self.outcome in (BROKEN, INCOMPARABLE):
            return [f"{self.outcome.upper()} {head}: {self.detail}{cause}"]
        if self.outcome == MISSING:
            label = "MISSING (allowed)" if self.allowed_missing else "MISSING"
            return [f"{label} {head}: {self.detail}"]
        return []


# Imputer-level outcomes (PROTOCOL §6: a failed job is a failure, never dropped): each fails the gate.
FEWER_OK = "fewer-ok"            # fewer ok jobs than in the baseline
NO_OK = "no-ok"                  # not one ok job
BASELINE_FAILED = "baseline-failed"  # the baseline itself holds failed jobs of the imputer


@dataclass(frozen=True)
class ImputerProblem:
    imputer: str
    outcome: str
    detail: str

    def message(self) -> str:
        return f"{self.outcome.upper()} {self.imputer}: {self.detail}"


@dataclass(frozen=True)
class CheckReport:
    verdicts: tuple[JobVerdict, ...]
    tolerances: Mapping[str, Tolerance]
    baseline_meta: Mapping[str, object] = field(default_factory=dict)
    imputer_problems: tuple[ImputerProblem, ...] = ()
    seed_mean: Mapping[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.imputer_problems) or any(v.failed for v in self.verdicts)

    @property
    def failures(self) -> list[JobVerdict]:
        return [v for v in self.verdicts if v.failed]

    def count(self, outcome: str) -> int:
        return sum(v.outcome == outcome for v in self.verdicts)

    def failure_messages(self) -> list[str]:
        """Every problem: one line per imputer-level problem, then per failed job and metric."""
        return [p.message() for p in self.imputer_problems] + [m for v in self.failures for m in v.messages()]

    def summary_messages(self) -> list[str]:
        """At most one line per imputer-level problem, per regressed (imputer, metric) and per
        (imputer, other failing outcome), each naming the worst or first job."""
        lines = [p.message() for p in self.imputer_problems]
        by_imputer: dict[str, list[JobVerdict]] = {}
        for v in self.failures:
            by_imputer.setdefault(v.job.imputer, []).append(v)
        for imputer, failures in sorted(by_imputer.items()):
            regressed: dict[str, list[tuple[JobVerdict, MetricChange]]] = {}
            for v in failures:
                for c in v.changes:
                    if v.outcome == REGRESSED and c.regressed:
                        regressed.setdefault(c.metric, []).append((v, c))
            for metric in sorted(regressed, key=COMPARABLE_METRICS.index):
                hits = regressed[metric]
                compared = sum(any(c.metric == metric for c in v.changes) for v in self.verdicts
                               if v.job.imputer == imputer)
                v, c = max(hits, key=lambda hit: _relative_worse(hit[1]))
                lines.append(f"REGRESSED {imputer} {metric}: worse beyond tolerance in {len(hits)} of {compared} "
                             f"compared jobs; worst on {v.job.dataset} ({v.job.where()}): {_fmt_pair(c.old, c.new)} "
                             f"(worse by {_fmt(c.worse_by)}, allowed {_fmt(c.allowed)}){v.cause()}")
            for outcome in (BROKEN, MISSING, INCOMPARABLE):
                hits = [v for v in failures if v.outcome == outcome]
                if hits:
                    first = hits[0]
                    lines.append(f"{outcome.upper()} {imputer}: {len(hits)} job{'s' * (len(hits) != 1)}; first on "
                                 f"{first.job.dataset} ({first.job.where()}): {first.detail}{first.cause()}")
        return lines


def _relative_worse(change: MetricChange) -> float:
    return change.worse_by / abs(change.old) if change.old else change.worse_by


def _fmt(x: float, digits: int = 6) -> str:
    return "NaN" if isinstance(x, float) and math.isnan(x) else f"{x:.{digits}g}"


def _fmt_pair(old: float, new: float) -> str:
    """``old -> new`` with enough digits that two different values never print alike."""
    digits = 6
    while digits < 17 and _fmt(old, digits) == _fmt(new, digits) and old != new:
        digits += 3
    return f"{_fmt(old, digits)} -> {_fmt(new, digits)}"


# -- matching and comparing ----------------------------------------------------------------------
def job_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The main track's columns a comparison needs, one row per job (the latest when a store holds
    several), in a stable order. Columns absent from ``df`` (an older store) come back as missing
    values. Transfer-track rows (PROTOCOL §7) are left out: their identity is a task and a strategy,
    which these columns do not hold, so the gate covers the main track."""
    out = df.copy()
    if "track" in out.columns:
        out = out[out["track"].isna() | (out["track"] == "main")]
    for column in BASELINE_COLUMNS:
        if column not in out.columns:
            out[column] = None
    if "finished_at" in out.columns:
        out = out.sort_values("finished_at", kind="stable")
    out = out.drop_duplicates(list(IDENTITY_COLUMNS) + ["params"], keep="last")
    out = out[list(BASELINE_COLUMNS)].copy()
    out["error"] = out["error"].map(_first_line)
    return out.sort_values(list(IDENTITY_COLUMNS) + ["params"], kind="stable", na_position="first").reset_index(drop=True)


def _first_line(error: object, limit: int = 200) -> str | None:
    if error is None or (isinstance(error, float) and math.isnan(error)) or error is pd.NA:
        return None
    line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return line[:limit]


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _job_id(row: Mapping[str, object]) -> JobId:
    max_rows = row["max_rows"]
    return JobId(
        imputer=str(row["imputer"]), dataset=str(row["dataset"]), mechanism=str(row["mechanism"]),
        rate=float(row["rate"]), setting=str(row["setting"]), seed=int(row["seed"]),
        max_rows=None if _missing(max_rows) else int(max_rows),
    )


def _params(row: Mapping[str, object]) -> str:
    return "" if _missing(row["params"]) else str(row["params"])


def _float(value: object) -> float:
    return math.nan if _missing(value) else float(value)


def _incomparability(old: Mapping[str, object], new: Mapping[str, object]) -> str:
    """Why two rows were not scored on the same masks, or '' when they were."""
    reasons = []
    if not _missing(old["dataset_checksum"]) and not _missing(new["dataset_checksum"]) \
            and old["dataset_checksum"] != new["dataset_checksum"]:
        reasons.append(f"dataset checksum {old['dataset_checksum']} -> {new['dataset_checksum']}")
    old_rate, new_rate = _float(old["realised_rate"]), _float(new["realised_rate"])
    if math.isfinite(old_rate) and math.isfinite(new_rate) and old_rate != new_rate:
        reasons.append(f"realised missing rate {old_rate:.6g} -> {new_rate:.6g} (the masks changed)")
    if not _missing(old["protocol_version"]) and not _missing(new["protocol_version"]) \
            and int(old["protocol_version"]) != int(new["protocol_version"]):
        reasons.append(f"protocol version {int(old['protocol_version'])} -> {int(new['protocol_version'])}")
    return "; ".join(reasons)


def compare_job(old: Mapping[str, object], new: Mapping[str, object],
                tolerances: Mapping[str, Tolerance]) -> JobVerdict:
    """The verdict for one matched pair of rows."""
    job = _job_id(new)
    params = {"old_params": _params(old), "new_params": _params(new)}
    why = _incomparability(old, new)
    if why:
        return JobVerdict(job, INCOMPARABLE, detail=f"not the same masks ({why}); re-create the baseline", **params)
    old_ok, new_ok = old["status"] == OK, new["status"] == OK
    if old_ok and not new_ok:  # PROTOCOL §6: a failed job is shown as failed, never dropped silently
        error = _first_line(new["error"]) or "no error message"
        return JobVerdict(job, BROKEN, detail=f"was ok, now {new['status']}: {error}", **params)
    if not old_ok:
        outcome = FIXED if new_ok else STILL_NOT_OK
        return JobVerdict(job, outcome, detail=f"was {old['status']}, now {new['status']}", **params)
    changes = []
    for metric in sorted(tolerances, key=COMPARABLE_METRICS.index):
        before, after = _float(old[metric]), _float(new[metric])
        if math.isnan(before):
            continue  # nothing measured in the baseline (PROTOCOL §5: NaN, never 0): nothing to compare
        changes.append(MetricChange(metric, before, after, tolerances[metric].allowed(before)))
    if any(c.regressed for c in changes):
        outcome = REGRESSED
    elif any(c.improved for c in changes):
        outcome = IMPROVED
    else:
        outcome = UNCHANGED
    return JobVerdict(job, outcome, tuple(changes), **params)


def match_jobs(baseline: pd.DataFrame, current: pd.DataFrame) -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
    """Pairs of (baseline row, current row), then unmatched baseline rows, then new current rows.

    First pass: identity and params equal. Second pass: identity alone, when exactly one row on
    each side is left for it (a changed hyper-parameter; reported by the verdict).
    """
    old_rows, new_rows = job_rows(baseline).to_dict("records"), job_rows(current).to_dict("records")
    new_by_key = {(_job_id(r), _params(r)): r for r in new_rows}
    pairs, old_left = [], []
    for r in old_rows:
        partner = new_by_key.pop((_job_id(r), _params(r)), None)
        if partner is None:
            old_left.append(r)
        else:
            pairs.append((r, partner))
    old_by_id: dict[JobId, list[dict]] = {}
    for r in old_left:
        old_by_id.setdefault(_job_id(r), []).append(r)
    new_by_id: dict[JobId, list[dict]] = {}
    for r in new_by_key.values():
        new_by_id.setdefault(_job_id(r), []).append(r)
    missing, new = [], []
    for job, olds in old_by_id.items():
        news = new_by_id.pop(job, [])
        if len(olds) == 1 and len(news) == 1:
            pairs.append((olds[0], news[0]))
        else:
            missing.extend(olds)
            new.extend(news)
    for news in new_by_id.values():
        new.extend(news)
    return pairs, missing, new


def compare(baseline: pd.DataFrame, current: pd.DataFrame, tolerances: Mapping[str, Tolerance] | None = None,
            *, allow_missing: bool = False, baseline_meta: Mapping[str, object] | None = None,
            seed_mean: Mapping[str, float] | None = None) -> CheckReport:
    """Every job's verdict, in a stable order (imputer, dataset, mechanism, rate, setting, seed), and
    the imputer-level problems.

    ``seed_mean`` (imputer or ``all`` -> K) compares a noisy imputer's metrics as the mean over seeds:
    worse by more than K baseline seed standard deviations (or the metric's tolerance, whichever is
    larger) is a regression; its jobs are still judged one by one for status and comparability.
    """
    tolerances = parse_tolerances([]) if tolerances is None else dict(tolerances)
    seed_mean = dict(seed_mean or {})
    pairs, missing, new = match_jobs(baseline, current)
    verdicts, by_group = [], {}
    for old, now in pairs:
        k = seed_mean.get(str(now["imputer"]), seed_mean.get(ALL_METRICS_KEY))
        if k is None:
            verdicts.append(compare_job(old, now, tolerances))
            continue
        status_only = compare_job(old, now, {})
        if status_only.outcome == UNCHANGED:  # both ok and comparable: judged with its seeds
            by_group.setdefault(replace(status_only.job, seed=None), []).append((old, now, k))
        else:
            verdicts.append(status_only)
    verdicts += [_compare_seed_mean(group, members, tolerances) for group, members in by_group.items()]
    verdicts += [
        JobVerdict(_job_id(r), MISSING, detail=f"in the baseline (status {r['status']}), not in the results",
                   old_params=_params(r), allowed_missing=allow_missing)
        for r in missing
    ]
    verdicts += [JobVerdict(_job_id(r), NEW, detail=f"status {r['status']}", new_params=_params(r)) for r in new]
    verdicts.sort(key=lambda v: (v.job.sort_key(), v.outcome, v.old_params or "", v.new_params or ""))
    problems = imputer_problems(baseline, current, allow_missing=allow_missing)
    return CheckReport(tuple(verdicts), tolerances, dict(baseline_meta or {}), problems, seed_mean)


def _compare_seed_mean(group: JobId, members: list[tuple[dict, dict, float]],
                       tolerances: Mapping[str, Tolerance]) -> JobVerdict:
    k = members[0][2]
    changes = []
    for metric in sorted(tolerances, key=COMPARABLE_METRICS.index):
        old = [_float(o[metric]) for o, _, _ in members]
        new = [_float(n[metric]) for _, n, _ in members]
        kept = [(a, b) for a, b in zip(old, new) if not math.isnan(a)]
        if not kept:
            continue  # nothing measured in the baseline
        old_values = [a for a, _ in kept]
        old_mean, new_mean = sum(old_values) / len(old_values), sum(b for _, b in kept) / len(kept)
        spread = statistics.stdev(old_values) if len(old_values) > 1 else 0.0
        changes.append(MetricChange(metric, old_mean, new_mean, max(tolerances[metric].allowed(old_mean), k * spread)))
    outcome = REGRESSED if any(c.regressed for c in changes) else IMPROVED if any(c.improved for c in changes) \
        else UNCHANGED
    return JobVerdict(group, outcome, tuple(changes), detail=f"mean over {len(members)} seeds, allowed {k:g} seed sd",
                      old_params=_params(members[0][0]), new_params=_params(members[0][1]))


def imputer_problems(baseline: pd.DataFrame, current: pd.DataFrame, *,
                     allow_missing: bool = False) -> tuple[ImputerProblem, ...]:
    """What fails an imputer as a whole: fewer ok jobs than in the baseline (over the baseline's jobs
    that were run, with ``allow_missing``), not one ok job, or failed jobs in the baseline itself
    (a baseline that accepts failures would let them pass for ever)."""
    old, now = job_rows(baseline), job_rows(current)
    ran = {_job_id(r) for r in now.to_dict("records")}
    problems = []
    for imputer in sorted(set(old["imputer"]) | set(now["imputer"])):
        o, n = old[old["imputer"] == imputer], now[now["imputer"] == imputer]
        if allow_missing:
            o = o[np.array([_job_id(r) in ran for r in o.to_dict("records")], dtype=bool)]
        ok_before, ok_now = int((o["status"] == OK).sum()), int((n["status"] == OK).sum())
        failed_before = o[o["status"].isin(FAILED_STATUSES)]
        if len(n) and ok_now == 0:
            problems.append(ImputerProblem(imputer, NO_OK, f"none of its {len(n)} jobs is ok (first error: "
                                           f"{_first_line(n['error'].dropna().iloc[0]) if n['error'].notna().any() else 'none'})"))
        elif ok_now < ok_before:
            problems.append(ImputerProblem(imputer, FEWER_OK, f"{ok_now} ok jobs, {ok_before} in the baseline"))
        if len(failed_before):
            problems.append(ImputerProblem(imputer, BASELINE_FAILED, f"the baseline holds {len(failed_before)} "
                                           f"failed jobs of it; fix them and re-create the baseline"))
    return tuple(problems)


def parse_seed_mean(specs: Iterable[str]) -> dict[str, float]:
    """``["gain=2", "all=3"]`` -> imputer (or ``all``) -> tolerance in baseline seed standard deviations."""
    out = {}
    for spec in specs:
        imputer, sep, number = spec.rpartition("=")
        try:
            k = float(number)
        except ValueError:
            k = math.nan
        if not sep or not imputer or not math.isfinite(k) or k < 0:
            raise UsageError(f"bad --seed-mean {spec!r}; expected IMPUTER=K or all=K with K >= 0 standard deviations")
        out[imputer] = k
    return out


def run_arguments(rows: pd.DataFrame) -> list[str]:
    """``imputebench run`` arguments that replay the grid of ``rows`` (a baseline), so a check runs
    exactly the baseline's jobs. Hyper-parameters are left to the profile on purpose: a changed
    default is a regression cause the check must see, not something to pin away."""
    if rows.empty:
        raise ImputeBenchError("the baseline has no rows")
    profiles = sorted(set(rows["profile"].dropna()))
    if len(profiles) != 1:
        raise ImputeBenchError(f"the baseline mixes profiles {profiles}; its grid cannot be replayed by one run")

    def joined(column: str, fmt=str) -> str:
        return ",".join(fmt(v) for v in sorted(set(rows[column].dropna())))

    return ["--profile", profiles[0], "--imputers", joined("imputer"), "--datasets", joined("dataset"),
            "--mechanisms", joined("mechanism"), "--rates", joined("rate", lambda r: f"{r:g}"),
            "--seeds", joined("seed", lambda s: str(int(s))), "--setting", joined("setting")]


# -- markdown -------------------------------------------------------------------------------------
MAX_TABLE_ROWS = 200


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _failure_rows(report: CheckReport) -> list[list[str]]:
    rows = []
    for v in report.failures:
        j = v.job
        cells = [j.imputer, j.dataset, j.mechanism, f"{j.rate:g}", j.setting, str(j.seed)]
        if v.outcome == REGRESSED:
            for c in v.changes:
                if c.regressed:
                    old, new = _fmt_pair(c.old, c.new).split(" -> ")
                    rows.append(cells + [v.outcome, c.metric, old, new, f"{_fmt(c.worse_by)} (allowed {_fmt(c.allowed)})"])
        else:
            rows.append(cells + [v.outcome, "", "", "", v.detail])
    return rows


def to_markdown(report: CheckReport, details: bool = False) -> str:
    """A summary for a terminal, a pull request or ``$GITHUB_STEP_SUMMARY``: at most one line per
    regressed (imputer, metric) and per other problem; ``details`` adds a row per failing job."""
    verdict = "FAILED" if report.failed else "passed"
    lines = [f"## imputebench regression check: {verdict}", ""]
    meta = report.baseline_meta
    if meta:
        lines.append(
            f"Baseline: `{meta.get('path', '?')}` ({meta.get('jobs', '?')} jobs; imputebench "
            f"{meta.get('package_version', '?')}, protocol {meta.get('protocol_version', '?')}, "
            f"created {meta.get('created_at', '?')})."
        )
    counts = ", ".join(f"{report.count(o)} {o}" for o in OUTCOMES if report.count(o))
    lines.append(f"Jobs: {len(report.verdicts)} ({counts or 'none'}).")
    by_tolerance: dict[str, list[str]] = {}
    for metric in sorted(report.tolerances, key=COMPARABLE_METRICS.index):
        by_tolerance.setdefault(report.tolerances[metric].describe(), []).append(metric)
    tol = "; ".join(f"{', '.join(metrics)}: {allowed}" for allowed, metrics in by_tolerance.items())
    lines.append(f"Tolerances (how much worse a metric may get): {tol}.")
    if report.seed_mean:
        lines.append("Compared as the mean over seeds (allowed: K baseline seed standard deviations): "
                     + ", ".join(f"{imputer} K={k:g}" for imputer, k in sorted(report.seed_mean.items())) + ".")
    lines.append("")

    per_imputer: dict[str, dict[str, int]] = {}
    for v in report.verdicts:
        counts_of = per_imputer.setdefault(v.job.imputer, {o: 0 for o in OUTCOMES})
        counts_of[v.outcome] += 1
    shown = [o for o in OUTCOMES if any(c[o] for c in per_imputer.values())]
    if per_imputer:
        lines += ["| imputer | result | " + " | ".join(shown) + " |", "|---|---|" + "---|" * len(shown)]
        for imputer, c in sorted(per_imputer.items()):
            bad = any(v.failed for v in report.verdicts if v.job.imputer == imputer) or any(
                p.imputer == imputer for p in report.imputer_problems)
            lines.append(f"| {_md_escape(imputer)} | {'FAIL' if bad else 'ok'} | "
                         + " | ".join(str(c[o]) for o in shown) + " |")
        lines.append("")

    summary = report.summary_messages()
    if summary:
        lines += ["### Failures", ""] + [f"- {_md_escape(m)}" for m in summary] + [""]
    failures = _failure_rows(report) if details else []
    if failures:
        lines += ["### Failing jobs", "",
                  "| imputer | dataset | mechanism | rate | setting | seed | outcome | metric | old | new | detail |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in failures[:MAX_TABLE_ROWS]]
        if len(failures) > MAX_TABLE_ROWS:
            lines.append(f"\n... and {len(failures) - MAX_TABLE_ROWS} more (see the JUnit report).")
        lines.append("")

    notes = [v for v in report.verdicts if not v.failed and (v.outcome in (IMPROVED, FIXED, NEW, MISSING) or v.params_changed)]
    if notes:
        lines += ["<details><summary>Other changes (not failures)</summary>", ""]
        for v in notes[:MAX_TABLE_ROWS]:
            parts = [f"{c.metric} {_fmt_pair(c.old, c.new)}" for c in v.changes if c.improved] or [v.detail]
            if v.params_changed:
                parts.append(f"params changed: {v.old_params} -> {v.new_params}")
            text = "; ".join(p for p in parts if p)
            lines.append(f"- {v.outcome}: {_md_escape(v.job.imputer)} on {v.job.dataset} ({v.job.where()}): {_md_escape(text)}")
        lines += ["", "</details>", ""]
    return "\n".join(lines)


# -- JUnit XML ------------------------------------------------------------------------------------
def to_junit(report: CheckReport) -> bytes:
    """JUnit XML: one test suite per imputer, one test case per job (dataset, mechanism, rate,
    setting, seed); a regression is a ``failure`` naming metric, old and new value; an allowed
    missing job is ``skipped``."""
    suites = ET.Element("testsuites", name="imputebench regression check")
    by_imputer: dict[str, list[JobVerdict]] = {}
    for v in report.verdicts:
        by_imputer.setdefault(v.job.imputer, []).append(v)
    total_failures = total_skipped = 0
    for imputer, verdicts in sorted(by_imputer.items()):
        suite = ET.SubElement(suites, "testsuite", name=f"imputebench.{imputer}")
        failures = skipped = 0
        problems = [p for p in report.imputer_problems if p.imputer == imputer]
        if problems:  # the imputer as a whole (ok-job counts), only when something is wrong with it
            failures += 1
            case = ET.SubElement(suite, "testcase", classname=f"imputebench.{imputer}", name="ok jobs", time="0")
            failure = ET.SubElement(case, "failure", message="; ".join(p.message() for p in problems),
                                    type=problems[0].outcome)
            failure.text = "\n".join(p.message() for p in problems)
        for v in verdicts:
            j = v.job
            case = ET.SubElement(suite, "testcase", classname=f"imputebench.{imputer}",
                                 name=f"{j.dataset} {j.where()}", time="0")
            if v.failed:
                failures += 1
                failure = ET.SubElement(case, "failure", message="; ".join(v.messages()), type=v.outcome)
                failure.text = "\n".join(v.messages())
            elif v.outcome == MISSING:
                skipped += 1
                ET.SubElement(case, "skipped", message=v.messages()[0])
            else:
                out = ET.SubElement(case, "system-out")
                out.text = v.outcome + (f": {v.detail}" if v.detail else "") + "".join(
                    f"\n{c.metric}: {_fmt_pair(c.old, c.new)}" for c in v.changes)
        suite.set("tests", str(len(verdicts) + bool(problems)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
        total_failures += failures
        total_skipped += skipped
    suites.set("tests", str(len(report.verdicts) + len({p.imputer for p in report.imputer_problems})))
    suites.set("failures", str(total_failures))
    suites.set("errors", "0")
    suites.set("skipped", str(total_skipped))
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


# -- baseline files -------------------------------------------------------------------------------
BASELINE_FORMAT = 1
METADATA_KEY = b"imputebench.baseline"


def save_baseline(rows: pd.DataFrame, path: str | Path, *, command: str,
                  created_at: datetime | None = None) -> dict:
    """Write the job rows needed for a later check as a small parquet file with a metadata header.

    Returns the header. Rows are sorted so the same results always give the same table.
    """
    table_rows = job_rows(rows)
    if table_rows.empty:
        raise ImputeBenchError("no job rows to save; run `imputebench run` first")
    meta = {
        "format": BASELINE_FORMAT,
        "protocol_version": PROTOCOL_VERSION,
        "package_version": __version__,
        "created_at": (created_at or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "command": command,
        "jobs": int(len(table_rows)),
    }
    # The results schema's column types, so a baseline reads back like a store.
    schema = pa.schema([SCHEMA.field(column) for column in BASELINE_COLUMNS], metadata={METADATA_KEY: json.dumps(meta, sort_keys=True).encode()})
    table = pa.Table.from_pandas(table_rows, schema=schema, preserve_index=False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")
    return meta


def load_baseline(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """The baseline's rows and its metadata header (with ``path`` added)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"baseline file {str(path)!r} not found; create one with `imputebench baseline save {path}`")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UsageError(f"{str(path)!r} is not a readable parquet baseline: {exc}") from exc
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise UsageError(f"{str(path)!r} has no imputebench baseline header; create one with `imputebench baseline save`")
    meta = json.loads(raw)
    if int(meta.get("format", 0)) > BASELINE_FORMAT:
        raise UsageError(f"baseline {str(path)!r} has format {meta['format']}; this imputebench reads up to "
                         f"{BASELINE_FORMAT} (upgrade imputebench)")
    meta["path"] = str(path)
    return table.to_pandas(), meta
