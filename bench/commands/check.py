"""``imputebench check --baseline FILE``: fail when an imputer got worse than its baseline.

Exit status: 0 when every job is as good as its baseline within tolerance, 1 when an imputer got
worse, a job that was ok failed, a job is missing (unless ``--allow-missing``), the masks differ,
an imputer has fewer ok jobs than in the baseline or none at all, or the baseline itself holds
failed jobs of an imputer; 2 on a usage error; 3 on an internal error (README's exit status table).
"""

from __future__ import annotations

import argparse
import os
import sys

from ..gates.regression import (COMPARABLE_METRICS, DEFAULT_ABSOLUTE_TOLERANCE, CheckReport, append_step_summary,
                          check_results, failure_messages, parse_seed_mean, parse_tolerances, summary_messages,
                          to_junit, to_markdown, verdict_line, write_text)
from .options import DEFAULT_RESULTS, folder, output_file


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="compare results with a baseline; non-zero exit when an imputer got worse",
                       description="Compare a results directory with a baseline, job by job on the same masks.",
                       epilog="Exit status: 0 passed; 1 an imputer got worse, an ok job failed, a job is missing, "
                              "the masks differ, an imputer has fewer ok jobs than in the baseline or none, or the "
                              "baseline holds failed jobs; 2 usage error; 3 internal error. See docs/ci-regression.md.")
    p.add_argument("--baseline", required=True, metavar="FILE", help="a file from `imputebench baseline save`")
    p.add_argument("--results", type=folder, default=DEFAULT_RESULTS, metavar="DIR",
                   help=f"results directory to check (default: {DEFAULT_RESULTS})")
    p.add_argument("--tolerance", action="extend", nargs="+", default=[], metavar="METRIC=VALUE",
                   help="how much worse METRIC may get: absolute (rmse=0.01) or relative (rmse=5%%); a named metric "
                        "changes only itself, the others keep the default. METRIC 'all' sets every quality metric. "
                        f"Default {DEFAULT_ABSOLUTE_TOLERANCE:g} absolute. "
                        f"Valid: all, {', '.join(COMPARABLE_METRICS)} (fit_seconds only when named)")
    p.add_argument("--seed-mean", action="extend", nargs="+", default=[], metavar="IMPUTER=K",
                   help="for a noisy imputer (or 'all'): compare each metric's mean over seeds, allowing K baseline "
                        "seed standard deviations (or the tolerance, whichever is larger) instead of job by job")
    p.add_argument("--details", action="store_true",
                   help="one line per failing job and metric (default: one line per regressed imputer and metric)")
    p.add_argument("--allow-missing", action="store_true",
                   help="a baseline job absent from the results is a warning, not a failure")
    p.add_argument("--junit", type=output_file, metavar="FILE", help="also write a JUnit XML report (one test case per job)")
    p.add_argument("--summary", type=output_file, metavar="FILE", help="also write the markdown summary to FILE")
    p.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    report = check_results(args.baseline, args.results, parse_tolerances(args.tolerance),
                           allow_missing=args.allow_missing, seed_mean=parse_seed_mean(args.seed_mean))
    publish(report, junit=args.junit, summary=args.summary, details=args.details)
    return 1 if report.failed else 0


def publish(report: CheckReport, *, junit: str | None = None, summary: str | None = None,
            details: bool = False) -> None:
    """Print the markdown summary (stdout), each failure once (stderr: one line per problem, per failing
    job with ``details``; GitHub annotations in Actions) and the verdict line last; write the JUnit and
    summary files; append the summary to ``$GITHUB_STEP_SUMMARY`` when that is set."""
    markdown = to_markdown(report, details=details)
    print(to_markdown(report, details=details, failures=False))
    in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
    for message in failure_messages(report) if details else summary_messages(report):
        # GitHub Actions turns '::error' lines into annotations on the run.
        print(f"::error title=imputebench regression::{message}" if in_actions else message, file=sys.stderr)
    if junit:
        write_text(junit, to_junit(report))
    if summary:
        write_text(summary, markdown + "\n")
    warning = append_step_summary(markdown)
    if warning:
        print(f"imputebench: warning: {warning}", file=sys.stderr)
    print(verdict_line(report), file=sys.stderr)
