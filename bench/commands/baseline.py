"""``imputebench baseline save|show``: freeze the current results as a regression baseline, or show one."""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from ..gates.regression import baseline_summary, failed_jobs_per_imputer, load_baseline, run_arguments, save_baseline, store_rows
from .options import DEFAULT_RESULTS, add_json_argument, existing_file, folder, output_file


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("baseline", help="save or show a regression baseline (see `imputebench check`)")
    bsub = p.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    save = bsub.add_parser("save", help="write a baseline from a results directory")
    save.add_argument("file", type=output_file, help="the baseline file to write (parquet, small enough to commit)")
    save.add_argument("--results", type=folder, default=DEFAULT_RESULTS, metavar="DIR",
                      help=f"results directory to read (default: {DEFAULT_RESULTS})")
    save.set_defaults(func=_save)
    show = bsub.add_parser("show", help="print a baseline's header and jobs per imputer")
    show.add_argument("file", type=existing_file)
    show.add_argument("--run-args", action="store_true",
                      help="print only the `imputebench run` arguments that replay the baseline's grid")
    add_json_argument(show, "the header and jobs per imputer and status as JSON")
    show.set_defaults(func=_show)


def _save(args: argparse.Namespace) -> int:
    rows = store_rows(args.results)
    command = shlex.join(["imputebench", "baseline", "save", str(args.file), "--results", str(args.results)])
    meta = save_baseline(rows, args.file, command=command)
    print(f"wrote {args.file}: {meta['jobs']} jobs (imputebench {meta['package_version']}, "
          f"protocol {meta['protocol_version']})")
    for imputer, n in failed_jobs_per_imputer(rows).items():
        print(f"imputebench: warning: the baseline holds {n} failed jobs of {imputer}; `imputebench check` fails "
              f"against it until they are fixed and the baseline is re-created", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    if args.run_args:
        print(shlex.join(run_arguments(load_baseline(args.file)[0])))
        return 0
    summary = baseline_summary(args.file)
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    jobs = summary.pop("jobs_per_imputer")
    for key, value in summary.items():
        print(f"{key}: {value}")
    statuses = sorted({s for counts in jobs.values() for s in counts})
    width = max((len(i) for i in jobs), default=len("imputer"))
    print(f"{'imputer':<{width}}  " + "  ".join(statuses))
    for imputer, counts in jobs.items():
        print(f"{imputer:<{width}}  " + "  ".join(f"{counts.get(s, 0):>{len(s)}}" for s in statuses))
    return 0
