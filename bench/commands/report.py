"""``imputebench report``: render the static leaderboard site from a results store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"--max-plots takes a whole number of figures, 0 or more; got {text!r}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="render the static leaderboard site from the result store")
    p.add_argument("--results", type=Path, default=Path("results"), metavar="DIR",
                   help="results directory (default: results)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="site directory (default: RESULTS/site)")
    p.add_argument("--max-plots", type=_count, default=None, metavar="N",
                   help="cap on figures drawn, by priority; the rest keep a note (default: the site's budget)")
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from ..reports.render import render_report
    from ..reports.site import DEFAULT_MAX_PLOTS
    from ..store import ResultStore

    if ResultStore(args.results).load().empty:
        print(f"imputebench: no job rows under {args.results}; the site shows an empty leaderboard", file=sys.stderr)
    index = render_report(args.results, args.out, command="imputebench " + " ".join(sys.argv[1:]),
                          max_plots=args.max_plots if args.max_plots is not None else DEFAULT_MAX_PLOTS)
    print(f"site written: {index}")
    return 0
