"""``imputebench baseline save FILE``: freeze the current results as a regression baseline."""

from __future__ import annotations

import argparse
import shlex
import sys

from ..errors import ImputeBenchError
from ..regression import FAILED_STATUSES, job_rows, load_baseline, run_arguments, save_baseline
from ..store import ResultStore

DEFAULT_RESULTS = "results"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("baseline", help="save or show a regression baseline (see `imputebench check`)")
    bsub = p.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    save = bsub.add_parser("save", help="write a baseline from a results directory")
    save.add_argument("file", help="the baseline file to write (parquet, small enough to commit)")
    save.add_argument("--results", default=DEFAULT_RESULTS, metavar="DIR",
                      help=f"results directory to read (default: {DEFAULT_RESULTS})")
    save.set_defaults(func=_save)
    show = bsub.add_parser("show", help="print a baseline's header and jobs per imputer")
    show.add_argument("file")
    show.add_argument("--run-args", action="store_true",
                      help="print only the `imputebench run` arguments that replay the baseline's grid")
    show.set_defaults(func=_show)


def _save(args: argparse.Namespace) -> int:
    rows = ResultStore(args.results).load()
    if rows.empty:
        raise ImputeBenchError(f"no job rows under {args.results}/jobs; run `imputebench run --results {args.results}` first")
    command = shlex.join(["imputebench", "baseline", "save", str(args.file), "--results", str(args.results)])
    meta = save_baseline(rows, args.file, command=command)
    print(f"wrote {args.file}: {meta['jobs']} jobs (imputebench {meta['package_version']}, "
          f"protocol {meta['protocol_version']})")
    kept = job_rows(rows)
    failed = kept[kept["status"].isin(FAILED_STATUSES)].groupby("imputer").size()
    for imputer, n in failed.items():
        print(f"imputebench: warning: the baseline holds {n} failed jobs of {imputer}; `imputebench check` fails "
              f"against it until they are fixed and the baseline is re-created", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    rows, meta = load_baseline(args.file)
    if args.run_args:
        print(shlex.join(run_arguments(rows)))
        return 0
    for key in ("path", "command", "created_at", "package_version", "protocol_version", "jobs"):
        print(f"{key}: {meta.get(key)}")
    counts = rows.groupby(["imputer", "status"]).size().unstack(fill_value=0)
    print(counts.to_string())
    return 0
