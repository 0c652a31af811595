"""``imputebench check --baseline FILE``: fail when an imputer got worse than its baseline.

Exit status: 0 when every job is as good as its baseline within tolerance, 1 when an imputer got
worse, a job that was ok failed, a job is missing (unless ``--allow-missing``), the masks differ,
an imputer has fewer ok jobs than in the baseline or none at all, or the baseline itself holds
failed jobs of an imputer; 2 on a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import ImputeBenchError
from ..regression import (COMPARABLE_METRICS, DEFAULT_ABSOLUTE_TOLERANCE, CheckReport, compare, load_baseline,
                          parse_seed_mean, parse_tolerances, to_junit, to_markdown)
from ..store import ResultStore
from .baseline import DEFAULT_RESULTS

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="compare results with a baseline; non-zero exit when an imputer got worse",
                       description="Compare a results directory with a baseline, job by job on the same masks.",
                       epilog="Exit status: 0 passed; 1 an imputer got worse, an ok job failed, a job is missing, "
                              "the masks differ, an imputer has fewer ok jobs than in the baseline or none, or the "
                              "baseline holds failed jobs; 2 usage error. See docs/ci-regression.md.")
    p.add_argument("--baseline", required=True, metavar="FILE", help="a file from `imputebench baseline save`")
    p.add_argument("--results", default=DEFAULT_RESULTS, metavar="DIR",
                   help=f"results directory to check (default: {DEFAULT_RESULTS})")
    p.add_argument("--tolerance", action="extend", nargs="+", default=[], metavar="METRIC=VALUE",
                   help="how much worse METRIC may get: absolute (rmse=0.01) or relative (rmse=5%%); "
                        f"METRIC 'all' sets every quality metric. Default {DEFAULT_ABSOLUTE_TOLERANCE:g} absolute. "
                        f"Valid: all, {', '.join(COMPARABLE_METRICS)} (fit_seconds only when named)")
    p.add_argument("--seed-mean", action="extend", nargs="+", default=[], metavar="IMPUTER=K",
                   help="for a noisy imputer (or 'all'): compare each metric's mean over seeds, allowing K baseline "
                        "seed standard deviations (or the tolerance, whichever is larger) instead of job by job")
    p.add_argument("--details", action="store_true",
                   help="one line per failing job and metric (default: one line per regressed imputer and metric)")
    p.add_argument("--allow-missing", action="store_true",
                   help="a baseline job absent from the results is a warning, not a failure")
    p.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report (one test case per job)")
    p.add_argument("--summary", metavar="FILE", help="also write the markdown summary to FILE")
    p.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    tolerances = parse_tolerances(args.tolerance)
    seed_mean = parse_seed_mean(args.seed_mean)
    baseline, meta = load_baseline(args.baseline)
    current = ResultStore(args.results).load()
    if current.empty:
        raise ImputeBenchError(f"no job rows under {args.results}/jobs; run `imputebench run --results {args.results}` first")
    report = compare(baseline, current, tolerances, allow_missing=args.allow_missing, baseline_meta=meta,
                     seed_mean=seed_mean)
    publish(report, junit=args.junit, summary=args.summary, details=args.details)
    return 1 if report.failed else 0


def publish(report: CheckReport, *, junit: str | None = None, summary: str | None = None,
            details: bool = False) -> None:
    """Print the markdown summary and a line per problem (per failing job with ``details``); write the
    JUnit and summary files; append the summary to ``$GITHUB_STEP_SUMMARY`` when that is set."""
    markdown = to_markdown(report, details=details)
    print(markdown)
    in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
    for message in report.failure_messages() if details else report.summary_messages():
        # GitHub Actions turns '::error::' lines into annotations on the run.
        print(f"::error title=imputebench regression::{message}" if in_actions else message, file=sys.stderr)
    if junit:
        Path(junit).parent.mkdir(parents=True, exist_ok=True)
        Path(junit).write_bytes(to_junit(report))
    if summary:
        Path(summary).parent.mkdir(parents=True, exist_ok=True)
        Path(summary).write_text(markdown + "\n", encoding="utf-8")
    step_summary = os.environ.get(STEP_SUMMARY_ENV)
    if step_summary:
        try:
            with open(step_summary, "a", encoding="utf-8") as fh:
                fh.write(markdown + "\n")
        except OSError as exc:  # the verdict must not depend on the summary file
            print(f"imputebench: warning: cannot append to ${STEP_SUMMARY_ENV} ({exc})", file=sys.stderr)
    verdict = "FAILED" if report.failed else "passed"
    problems = f", {len(report.imputer_problems)} imputer-level problems" if report.imputer_problems else ""
    print(f"imputebench check {verdict}: {len(report.failures)} failing of {len(report.verdicts)} jobs{problems}",
          file=sys.stderr)
