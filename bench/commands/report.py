"""``imputebench report``: render the static leaderboard site from a results store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..store import ResultStore


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="render the static leaderboard site from the result store")
    p.add_argument("--results", type=Path, default=Path("results"), metavar="DIR",
                   help="results directory (default: results)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="site directory (default: RESULTS/site)")
    p.add_argument("--max-plots", type=int, default=None, metavar="N",
                   help="cap on figures drawn; the rest keep a note (default: the site's budget)")
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from ..reports.site import DEFAULT_MAX_PLOTS, build_site, provenance_from_rows

    store = ResultStore(args.results)
    rows = store.load()
    if rows.empty:
        print(f"imputebench: no job rows in {store.jobs_dir}; the site shows an empty leaderboard", file=sys.stderr)
    out = args.out if args.out is not None else store.site_dir
    provenance = provenance_from_rows(rows, "imputebench " + " ".join(sys.argv[1:]))
    index = build_site(rows, out, provenance, samples=store.root,
                       max_plots=args.max_plots if args.max_plots is not None else DEFAULT_MAX_PLOTS)
    print(f"site written: {index}")
    return 0
