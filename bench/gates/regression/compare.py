"""The regression gate's verdicts: a results store against a baseline, job by job (pure).

Rows pair as the same job through :mod:`imputebench.gates.comparison` (identity and parameters, then
identity alone when that is one-to-one, the verdict then naming the changed hyper-parameters). A
pair is only comparable when the same masks were scored under the same protocol; otherwise its
verdict is ``incomparable`` and the gate fails with a request to re-create the baseline.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ..comparison import (COMPARABILITY_COLUMNS, HIGHER_IS_BETTER, IDENTITY_COLUMNS, JobId, MetricChange, as_float,
                          differences, first_line, latest_jobs, match_jobs, metric_changes, params_of)
from ...errors import ImputeBenchError, UsageError
from ...protocol.metrics import QUALITY_METRICS

METRICS = QUALITY_METRICS
TIMING_COLUMNS = ("fit_seconds", "transform_seconds")
# What a baseline keeps of a job: enough to match, to check comparability, and to compare.
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


_TOLERANCE_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([0-9.eE+-]+)\s*(%?)\s*$")


def _tolerance_setting(spec: str, valid: str) -> tuple[str, str, float]:
    """``"rmse=5%"`` -> ("rmse", "relative", 0.05); a bad spec is one usage line."""
    m = _TOLERANCE_RE.match(spec)
    if not m:
        raise UsageError(f"bad --tolerance {spec!r}; expected METRIC=NUMBER or METRIC=NUMBER% with METRIC one of: {valid}")
    metric, number, percent = m.group(1), m.group(2), m.group(3)
    if metric not in COMPARABLE_METRICS and metric != ALL_METRICS_KEY:
        raise UsageError(f"unknown metric {metric!r} in --tolerance {spec!r}; valid: {valid}")
    try:
        value = float(number)
    except ValueError:
        raise UsageError(f"bad number {number!r} in --tolerance {spec!r}; expected e.g. rmse=0.01 or rmse=5%") from None
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"--tolerance {spec!r} must be a finite number >= 0")
    return (metric, "relative", value / 100) if percent else (metric, "absolute", value)


def parse_tolerances(specs: Iterable[str]) -> dict[str, Tolerance]:
    """``["rmse=5%", "mae=0.01", "all=1e-6"]`` -> a tolerance per compared metric.

    A plain number is an absolute tolerance, ``N%`` a relative one; both may be given for one
    metric. ``all`` sets every default metric; a named metric overrides ``all`` and changes only
    itself (``rmse=5%`` leaves every other metric at the default). Naming ``fit_seconds`` adds it to
    the compared metrics.
    """
    valid = ", ".join((ALL_METRICS_KEY,) + COMPARABLE_METRICS)
    settings: dict[str, dict[str, float]] = {}
    for spec in specs:
        metric, kind, value = _tolerance_setting(spec, valid)
        settings.setdefault(metric, {})[kind] = value
    base = settings.pop(ALL_METRICS_KEY, {})
    tolerances = {metric: Tolerance(**base) for metric in DEFAULT_METRICS}
    for metric, values in settings.items():
        tolerances[metric] = Tolerance(**{**base, **values})
    return tolerances


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


# -- verdicts -----------------------------------------------------------------------------------
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


# Imputer-level outcomes (PROTOCOL §6: a failed job is a failure, never dropped): each fails the gate.
FEWER_OK = "fewer-ok"            # fewer ok jobs than in the baseline
NO_OK = "no-ok"                  # not one ok job
BASELINE_FAILED = "baseline-failed"  # the baseline itself holds failed jobs of the imputer


@dataclass(frozen=True)
class ImputerProblem:
    imputer: str
    outcome: str
    detail: str


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


# -- matching and comparing ----------------------------------------------------------------------
def job_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The main track's columns a comparison needs, one row per job (the latest when a store holds
    several), in a stable order. Columns absent from ``df`` (an older store) come back as missing
    values. Transfer-track rows (PROTOCOL §7) are left out: their identity is a task and a strategy,
    which these columns do not hold, so the gate covers the main track."""
    from ...tracks import rows_of

    out = rows_of(df).copy()
    for column in BASELINE_COLUMNS:
        if column not in out.columns:
            out[column] = None
    out = latest_jobs(out)[list(BASELINE_COLUMNS)].copy()
    out["error"] = out["error"].map(first_line)
    return out.sort_values(list(IDENTITY_COLUMNS) + ["params"], kind="stable", na_position="first").reset_index(drop=True)


def _ordered(tolerances: Mapping[str, Tolerance]) -> list[str]:
    return sorted(tolerances, key=COMPARABLE_METRICS.index)


def compare_job(old: Mapping[str, object], new: Mapping[str, object],
                tolerances: Mapping[str, Tolerance]) -> JobVerdict:
    """The verdict for one matched pair of rows."""
    job = JobId.of(new)
    params = {"old_params": params_of(old), "new_params": params_of(new)}
    why = "; ".join(d.text() for d in differences(old, new))
    if why:
        return JobVerdict(job, INCOMPARABLE, detail=f"not the same masks ({why}); re-create the baseline", **params)
    old_ok, new_ok = old["status"] == OK, new["status"] == OK
    if old_ok and not new_ok:  # PROTOCOL §6: a failed job is shown as failed, never dropped silently
        error = first_line(new["error"]) or "no error message"
        return JobVerdict(job, BROKEN, detail=f"was ok, now {new['status']}: {error}", **params)
    if not old_ok:
        outcome = FIXED if new_ok else STILL_NOT_OK
        return JobVerdict(job, outcome, detail=f"was {old['status']}, now {new['status']}", **params)
    changes = metric_changes(old, new, _ordered(tolerances), lambda m, before: tolerances[m].allowed(before))
    return JobVerdict(job, _outcome_of(changes), tuple(changes), **params)


def _outcome_of(changes: Iterable[MetricChange]) -> str:
    changes = list(changes)
    if any(c.regressed for c in changes):
        return REGRESSED
    return IMPROVED if any(c.improved for c in changes) else UNCHANGED


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
    matching = match_jobs(job_rows(baseline).to_dict("records"), job_rows(current).to_dict("records"))
    verdicts, by_group = [], {}
    for old, now in matching.pairs:
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
        JobVerdict(JobId.of(r), MISSING, detail=f"in the baseline (status {r['status']}), not in the results",
                   old_params=params_of(r), allowed_missing=allow_missing)
        for r in matching.only_old
    ]
    verdicts += [JobVerdict(JobId.of(r), NEW, detail=f"status {r['status']}", new_params=params_of(r))
                 for r in matching.only_new]
    verdicts.sort(key=lambda v: (v.job.sort_key(), v.outcome, v.old_params or "", v.new_params or ""))
    problems = imputer_problems(baseline, current, allow_missing=allow_missing)
    return CheckReport(tuple(verdicts), tolerances, dict(baseline_meta or {}), problems, seed_mean)


def _compare_seed_mean(group: JobId, members: list[tuple[dict, dict, float]],
                       tolerances: Mapping[str, Tolerance]) -> JobVerdict:
    k = members[0][2]
    changes = []
    for metric in _ordered(tolerances):
        kept = [(as_float(o[metric]), as_float(n[metric])) for o, n, _ in members]
        kept = [(a, b) for a, b in kept if not math.isnan(a)]
        if not kept:
            continue  # nothing measured in the baseline
        old_values = [a for a, _ in kept]
        old_mean, new_mean = sum(old_values) / len(old_values), sum(b for _, b in kept) / len(kept)
        spread = statistics.stdev(old_values) if len(old_values) > 1 else 0.0
        changes.append(MetricChange(metric, old_mean, new_mean, max(tolerances[metric].allowed(old_mean), k * spread)))
    return JobVerdict(group, _outcome_of(changes), tuple(changes),
                      detail=f"mean over {len(members)} seeds, allowed {k:g} seed sd",
                      old_params=params_of(members[0][0]), new_params=params_of(members[0][1]))


def imputer_problems(baseline: pd.DataFrame, current: pd.DataFrame, *,
                     allow_missing: bool = False) -> tuple[ImputerProblem, ...]:
    """What fails an imputer as a whole: fewer ok jobs than in the baseline (over the baseline's jobs
    that were run, with ``allow_missing``), not one ok job, or failed jobs in the baseline itself
    (a baseline that accepts failures would let them pass for ever)."""
    old, now = job_rows(baseline), job_rows(current)
    ran = {JobId.of(r) for r in now.to_dict("records")}
    problems = []
    for imputer in sorted(set(old["imputer"]) | set(now["imputer"])):
        o, n = old[old["imputer"] == imputer], now[now["imputer"] == imputer]
        if allow_missing:
            o = o[np.array([JobId.of(r) in ran for r in o.to_dict("records")], dtype=bool)]
        ok_before, ok_now = int((o["status"] == OK).sum()), int((n["status"] == OK).sum())
        failed_before = o[o["status"].isin(FAILED_STATUSES)]
        if len(n) and ok_now == 0:
            error = first_line(n["error"].dropna().iloc[0]) if n["error"].notna().any() else "none"
            problems.append(ImputerProblem(imputer, NO_OK, f"none of its {len(n)} jobs is ok (first error: {error})"))
        elif ok_now < ok_before:
            problems.append(ImputerProblem(imputer, FEWER_OK, f"{ok_now} ok jobs, {ok_before} in the baseline"))
        if len(failed_before):
            problems.append(ImputerProblem(imputer, BASELINE_FAILED, f"the baseline holds {len(failed_before)} "
                                           f"failed jobs of it; fix them and re-create the baseline"))
    return tuple(problems)


def failed_jobs_per_imputer(rows: pd.DataFrame) -> dict[str, int]:
    """Failed jobs per imputer among a store's jobs (what makes a baseline fail every later check)."""
    kept = job_rows(rows)
    return {str(k): int(v) for k, v in kept[kept["status"].isin(FAILED_STATUSES)].groupby("imputer").size().items()}


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
