"""The regression gate's verdicts in words: failure lines, the markdown summary, JUnit XML and the
check's last line. Pure: a :class:`~imputebench.gates.regression.compare.CheckReport` in, text out."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from ..comparison import MetricChange
from .compare import (BROKEN, COMPARABLE_METRICS, FIXED, IMPROVED, INCOMPARABLE, MISSING, NEW, OUTCOMES, REGRESSED,
                      CheckReport, ImputerProblem, JobVerdict, Tolerance)

MAX_TABLE_ROWS = 200


def _fmt(x: float, digits: int = 6) -> str:
    return "NaN" if isinstance(x, float) and math.isnan(x) else f"{x:.{digits}g}"


def _fmt_pair(old: float, new: float) -> str:
    """``old -> new`` with enough digits that two different values never print alike."""
    digits = 6
    while digits < 17 and _fmt(old, digits) == _fmt(new, digits) and old != new:
        digits += 3
    return f"{_fmt(old, digits)} -> {_fmt(new, digits)}"


def _relative_worse(change: MetricChange) -> float:
    return change.worse_by / abs(change.old) if change.old else change.worse_by


def _worse(c: MetricChange) -> str:
    return f"worse by {_fmt(c.worse_by)}, allowed {_fmt(c.allowed)}"


def tolerance_text(tolerance: Tolerance) -> str:
    parts = [f"{tolerance.absolute:g}"]
    if tolerance.relative:
        parts.append(f"{tolerance.relative * 100:g}%")
    return " or ".join(parts)


# -- lines --------------------------------------------------------------------------------------
def cause(v: JobVerdict) -> str:
    return f" [params changed: {v.old_params} -> {v.new_params}]" if v.params_changed else ""


def job_messages(v: JobVerdict) -> list[str]:
    """One line per problem of a job, naming imputer, dataset, metric, old and new value."""
    j = v.job
    head = f"{j.imputer} on {j.dataset} ({j.where()})"
    if v.outcome == REGRESSED:
        return [f"REGRESSED {head}: {c.metric} {_fmt_pair(c.old, c.new)} ({_worse(c)}){cause(v)}"
                for c in v.changes if c.regressed]
    if v.outcome in (BROKEN, INCOMPARABLE):
        return [f"{v.outcome.upper()} {head}: {v.detail}{cause(v)}"]
    if v.outcome == MISSING:
        label = "MISSING (allowed)" if v.allowed_missing else "MISSING"
        return [f"{label} {head}: {v.detail}"]
    return []


def problem_message(p: ImputerProblem) -> str:
    return f"{p.outcome.upper()} {p.imputer}: {p.detail}"


def failure_messages(report: CheckReport) -> list[str]:
    """Every problem: one line per imputer-level problem, then per failed job and metric."""
    return [problem_message(p) for p in report.imputer_problems] + [m for v in report.failures for m in job_messages(v)]


def _imputer_summary(report: CheckReport, imputer: str, failures: list[JobVerdict]) -> list[str]:
    lines = []
    regressed: dict[str, list[tuple[JobVerdict, MetricChange]]] = {}
    for v in failures:
        for c in v.changes:
            if v.outcome == REGRESSED and c.regressed:
                regressed.setdefault(c.metric, []).append((v, c))
    for metric in sorted(regressed, key=COMPARABLE_METRICS.index):
        hits = regressed[metric]
        compared = sum(any(c.metric == metric for c in v.changes) for v in report.verdicts if v.job.imputer == imputer)
        v, c = max(hits, key=lambda hit: _relative_worse(hit[1]))
        lines.append(f"REGRESSED {imputer} {metric}: worse beyond tolerance in {len(hits)} of {compared} "
                     f"compared jobs; worst on {v.job.dataset} ({v.job.where()}): {_fmt_pair(c.old, c.new)} "
                     f"({_worse(c)}){cause(v)}")
    for outcome in (BROKEN, MISSING, INCOMPARABLE):
        hits = [v for v in failures if v.outcome == outcome]
        if hits:
            first = hits[0]
            lines.append(f"{outcome.upper()} {imputer}: {len(hits)} job{'s' * (len(hits) != 1)}; first on "
                         f"{first.job.dataset} ({first.job.where()}): {first.detail}{cause(first)}")
    return lines


def summary_messages(report: CheckReport) -> list[str]:
    """At most one line per imputer-level problem, per regressed (imputer, metric) and per
    (imputer, other failing outcome), each naming the worst or first job."""
    lines = [problem_message(p) for p in report.imputer_problems]
    by_imputer: dict[str, list[JobVerdict]] = {}
    for v in report.failures:
        by_imputer.setdefault(v.job.imputer, []).append(v)
    for imputer, failures in sorted(by_imputer.items()):
        lines += _imputer_summary(report, imputer, failures)
    return lines


def verdict_line(report: CheckReport) -> str:
    """The check's last line: the verdict and a count of everything that failed it."""
    jobs = len(report.verdicts)
    if not report.failed:
        return f"imputebench check passed: {jobs} jobs, none failing"
    parts = []
    failures = report.failures
    if failures:
        by_outcome = ", ".join(f"{n} {o}" for o in OUTCOMES if (n := sum(v.outcome == o for v in failures)))
        parts.append(f"{len(failures)} of {jobs} jobs failing ({by_outcome})")
    problems = report.imputer_problems
    if problems:
        named = ", ".join(f"{p.outcome} {p.imputer}" for p in problems)
        parts.append(f"{len(problems)} imputer-level problem{'s' * (len(problems) != 1)} ({named})")
    if not failures:
        parts.append(f"none of the {jobs} jobs failing on its own")
    return "imputebench check FAILED: " + "; ".join(parts)


# -- markdown -------------------------------------------------------------------------------------
def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _header(report: CheckReport) -> list[str]:
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
        by_tolerance.setdefault(tolerance_text(report.tolerances[metric]), []).append(metric)
    tol = "; ".join(f"{', '.join(metrics)}: {allowed}" for allowed, metrics in by_tolerance.items())
    lines.append(f"Tolerances (how much worse a metric may get): {tol}.")
    if report.seed_mean:
        lines.append("Compared as the mean over seeds (allowed: K baseline seed standard deviations): "
                     + ", ".join(f"{imputer} K={k:g}" for imputer, k in sorted(report.seed_mean.items())) + ".")
    return lines + [""]


def _imputer_table(report: CheckReport) -> list[str]:
    per_imputer: dict[str, dict[str, int]] = {}
    for v in report.verdicts:
        per_imputer.setdefault(v.job.imputer, {o: 0 for o in OUTCOMES})[v.outcome] += 1
    if not per_imputer:
        return []
    shown = [o for o in OUTCOMES if any(c[o] for c in per_imputer.values())]
    failing = {v.job.imputer for v in report.failures} | {p.imputer for p in report.imputer_problems}
    lines = ["| imputer | result | " + " | ".join(shown) + " |", "|---|---|" + "---|" * len(shown)]
    for imputer, c in sorted(per_imputer.items()):
        lines.append(f"| {_md_escape(imputer)} | {'FAIL' if imputer in failing else 'ok'} | "
                     + " | ".join(str(c[o]) for o in shown) + " |")
    return lines + [""]


def _failure_rows(report: CheckReport) -> list[list[str]]:
    rows = []
    for v in report.failures:
        j = v.job
        cells = [j.imputer, j.dataset, j.mechanism, f"{j.rate:g}", j.setting, str(j.seed)]
        if v.outcome != REGRESSED:
            rows.append(cells + [v.outcome, "", "", "", v.detail])
            continue
        for c in (c for c in v.changes if c.regressed):
            old, new = _fmt_pair(c.old, c.new).split(" -> ")
            rows.append(cells + [v.outcome, c.metric, old, new, f"{_fmt(c.worse_by)} (allowed {_fmt(c.allowed)})"])
    return rows


def _failing_jobs_table(report: CheckReport) -> list[str]:
    failures = _failure_rows(report)
    if not failures:
        return []
    lines = ["### Failing jobs", "",
             "| imputer | dataset | mechanism | rate | setting | seed | outcome | metric | old | new | detail |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in failures[:MAX_TABLE_ROWS]]
    if len(failures) > MAX_TABLE_ROWS:
        lines.append(f"\n... and {len(failures) - MAX_TABLE_ROWS} more (see the JUnit report).")
    return lines + [""]


def _other_changes(report: CheckReport) -> list[str]:
    notes = [v for v in report.verdicts
             if not v.failed and (v.outcome in (IMPROVED, FIXED, NEW, MISSING) or v.params_changed)]
    if not notes:
        return []
    lines = ["<details><summary>Other changes (not failures)</summary>", ""]
    for v in notes[:MAX_TABLE_ROWS]:
        parts = [f"{c.metric} {_fmt_pair(c.old, c.new)}" for c in v.changes if c.improved] or [v.detail]
        if v.params_changed:
            parts.append(f"params changed: {v.old_params} -> {v.new_params}")
        text = "; ".join(p for p in parts if p)
        lines.append(f"- {v.outcome}: {_md_escape(v.job.imputer)} on {v.job.dataset} ({v.job.where()}): {_md_escape(text)}")
    return lines + ["", "</details>", ""]


def to_markdown(report: CheckReport, details: bool = False, failures: bool = True) -> str:
    """A summary for a terminal, a pull request or ``$GITHUB_STEP_SUMMARY``: at most one line per
    regressed (imputer, metric) and per other problem; ``details`` adds a row per failing job.
    ``failures=False`` leaves the failure lines out (a terminal prints them once, on stderr)."""
    lines = _header(report) + _imputer_table(report)
    summary = summary_messages(report) if failures else []
    if summary:
        lines += ["### Failures", ""] + [f"- {_md_escape(m)}" for m in summary] + [""]
    if details and failures:
        lines += _failing_jobs_table(report)
    lines += _other_changes(report)
    return "\n".join(lines)


# -- JUnit XML ------------------------------------------------------------------------------------
def _job_case(suite: ET.Element, imputer: str, v: JobVerdict) -> str:
    """A test case for one job; returns "failure", "skipped" or "" for what it counts as."""
    case = ET.SubElement(suite, "testcase", classname=f"imputebench.{imputer}",
                         name=f"{v.job.dataset} {v.job.where()}", time="0")
    messages = job_messages(v)
    if v.failed:
        failure = ET.SubElement(case, "failure", message="; ".join(messages), type=v.outcome)
        failure.text = "\n".join(messages)
        return "failure"
    if v.outcome == MISSING:
        ET.SubElement(case, "skipped", message=messages[0])
        return "skipped"
    out = ET.SubElement(case, "system-out")
    out.text = v.outcome + (f": {v.detail}" if v.detail else "") + "".join(
        f"\n{c.metric}: {_fmt_pair(c.old, c.new)}" for c in v.changes)
    return ""


def _suite(suites: ET.Element, imputer: str, verdicts: list[JobVerdict],
           problems: list[ImputerProblem]) -> tuple[int, int]:
    suite = ET.SubElement(suites, "testsuite", name=f"imputebench.{imputer}")
    failures = skipped = 0
    if problems:  # the imputer as a whole (ok-job counts), only when something is wrong with it
        failures += 1
        case = ET.SubElement(suite, "testcase", classname=f"imputebench.{imputer}", name="ok jobs", time="0")
        text = [problem_message(p) for p in problems]
        failure = ET.SubElement(case, "failure", message="; ".join(text), type=problems[0].outcome)
        failure.text = "\n".join(text)
    for v in verdicts:
        counted = _job_case(suite, imputer, v)
        failures += counted == "failure"
        skipped += counted == "skipped"
    for key, value in (("tests", len(verdicts) + bool(problems)), ("failures", failures), ("errors", 0),
                       ("skipped", skipped)):
        suite.set(key, str(value))
    return failures, skipped


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
        problems = [p for p in report.imputer_problems if p.imputer == imputer]
        failures, skipped = _suite(suites, imputer, verdicts, problems)
        total_failures += failures
        total_skipped += skipped
    suites.set("tests", str(len(report.verdicts) + len({p.imputer for p in report.imputer_problems})))
    suites.set("failures", str(total_failures))
    suites.set("errors", "0")
    suites.set("skipped", str(total_skipped))
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)
