"""Regression gate: compare a results directory with a committed baseline, job by job.

- :mod:`.compare` (pure): tolerances, the verdict of each job and of each imputer as a whole. Rows
  are paired as the same job, and judged comparable, by :mod:`imputebench.gates.comparison`, the engine
  that reference sets use too.
- :mod:`.render` (pure): failure lines, the markdown summary, JUnit XML, the check's last line.
- :mod:`.files`: baseline files, checking a results folder, writing the reports.
"""

from __future__ import annotations

from ..comparison import HIGHER_IS_BETTER, IDENTITY_COLUMNS, JobId, MetricChange
from .compare import (ALL_METRICS_KEY, BASELINE_COLUMNS, BASELINE_FAILED, BROKEN, COMPARABLE_METRICS,
                      DEFAULT_ABSOLUTE_TOLERANCE, DEFAULT_METRICS, FAILED_STATUSES, FAILING_OUTCOMES, FEWER_OK, FIXED,
                      IMPROVED, INCOMPARABLE, METRICS, MISSING, NEW, NO_OK, OK, OUTCOMES, REGRESSED, STILL_NOT_OK,
                      UNCHANGED, CheckReport, ImputerProblem, JobVerdict, Tolerance, compare, compare_job,
                      failed_jobs_per_imputer, imputer_problems, job_rows, parse_seed_mean, parse_tolerances,
                      run_arguments)
from .files import (BASELINE_FORMAT, METADATA_KEY, append_step_summary, baseline_summary, check_results,
                    load_baseline, save_baseline, store_rows, write_text)
from .render import (failure_messages, job_messages, problem_message, summary_messages, to_junit, to_markdown,
                     verdict_line)

__all__ = [
    "ALL_METRICS_KEY", "BASELINE_COLUMNS", "BASELINE_FAILED", "BASELINE_FORMAT", "BROKEN", "COMPARABLE_METRICS",
    "DEFAULT_ABSOLUTE_TOLERANCE", "DEFAULT_METRICS", "FAILED_STATUSES", "FAILING_OUTCOMES", "FEWER_OK", "FIXED",
    "HIGHER_IS_BETTER", "IDENTITY_COLUMNS", "IMPROVED", "INCOMPARABLE", "METADATA_KEY", "METRICS", "MISSING", "NEW",
    "NO_OK", "OK", "OUTCOMES", "REGRESSED", "STILL_NOT_OK", "UNCHANGED", "CheckReport", "ImputerProblem", "JobId",
    "JobVerdict", "MetricChange", "Tolerance", "append_step_summary", "baseline_summary", "check_results", "compare",
    "compare_job", "failed_jobs_per_imputer", "failure_messages", "imputer_problems", "job_messages", "job_rows",
    "load_baseline", "parse_seed_mean", "parse_tolerances", "problem_message", "run_arguments", "save_baseline",
    "store_rows", "summary_messages", "to_junit", "to_markdown", "verdict_line", "write_text",
]
