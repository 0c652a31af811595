"""``imputebench report``: render the static leaderboard site from a results store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import command_line
from .options import DEFAULT_RESULTS, count, folder


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="render the static leaderboard site from the result store")
    p.add_argument("--results", type=folder, default=Path(DEFAULT_RESULTS), metavar="DIR",
                   help=f"results directory (default: {DEFAULT_RESULTS})")
    p.add_argument("--out", type=folder, default=None, metavar="DIR",
                   help="site directory (default: RESULTS/site)")
    p.add_argument("--max-plots", type=count("--max-plots", "figures"), default=None, metavar="N",
                   help="cap on figures drawn, by priority; the rest keep a note (default: every figure)")
    p.add_argument("--force", action="store_true",
                   help="re-render even when the site was built from exactly these inputs")
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from ..reports.render import default_site_dir, site_is_current  # light: an unchanged site costs a hash

    out = args.out if args.out is not None else default_site_dir(args.results)
    if not args.force and site_is_current(args.results, out, args.max_plots):
        print(f"site unchanged: {out / 'index.html'} (built from the same store; --force re-renders)")
        return 0
    from ..gates.reference import render_with_reference
    from ..harness.store import ResultStore

    if ResultStore(args.results).load().empty:
        print(f"imputebench: no job rows under {args.results}; the site shows an empty leaderboard", file=sys.stderr)
    index = render_with_reference(args.results, out, command=command_line(args),
                          max_plots=args.max_plots, force=True)
    print(f"site written: {index}")
    return 0
