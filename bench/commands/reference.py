"""``imputebench reference``: the reference sets (PROTOCOL §8) — list, inspect, verify, publish, and
(for maintainers) compute them resumably with the project's own runner."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import command_line
from .options import add_json_argument, add_source_arguments, csv_list, positive_int, rates, seeds, source_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reference", help="reference sets: rank your imputer without re-running the baselines",
                       description="Precomputed rows of every built-in imputer on a fixed grid (PROTOCOL §8). "
                                   "Rank your imputer against one with `imputebench run --imputers X --reference NAME`.")
    rsub = p.add_subparsers(dest="reference_command", metavar="ACTION", required=True)
    ls = rsub.add_parser("list", help="the reference sets this imputebench carries")
    add_json_argument(ls, "one JSON object per set: name, profile, protocol, rows, size, cost, checksum, path")
    ls.set_defaults(func=_list)

    info = rsub.add_parser("info", help="a set's grid, rows per imputer, checksums and provenance")
    info.add_argument("name", help="a set's name, or the path of its .json manifest")
    add_json_argument(info, "the whole manifest as JSON")
    info.set_defaults(func=_info)

    verify = rsub.add_parser("verify", help="re-run a random sample of the set's jobs here and check they reproduce")
    verify.add_argument("name")
    verify.add_argument("--sample", type=positive_int, default=20, metavar="N", help="jobs to re-run (default: 20)")
    verify.add_argument("--seed", type=int, default=0, help="which sample (default: 0)")
    verify.add_argument("--results", type=Path, default=None, metavar="DIR",
                        help="where the re-run jobs go (default: a temporary folder)")
    verify.add_argument("--jobs", type=positive_int, default=None, help="worker processes (default: one per core)")
    add_json_argument(verify, "one JSON object per re-run job")
    add_source_arguments(verify)
    verify.set_defaults(func=_verify)

    site = rsub.add_parser("site", help="render the set alone as a static leaderboard site (what CI publishes)")
    site.add_argument("name")
    site.add_argument("--out", type=Path, required=True, metavar="DIR", help="site directory")
    site.set_defaults(func=_site)

    compute = rsub.add_parser("compute", help="maintainers: compute or extend a set with the runner, resumably")
    compute.add_argument("name", help="the set to create or extend")
    compute.add_argument("--results", type=Path, required=True, metavar="DIR",
                         help="the working results folder (kept between sessions; the set's rows are imported into it)")
    compute.add_argument("--out", type=Path, default=None, metavar="DIR",
                         help="where the set's files go (default: the package's reference folder)")
    compute.add_argument("--profile", default=None, help="a new set's profile (default: quick)")
    compute.add_argument("--datasets", type=csv_list, help="datasets to add (default: the set's, or every one loadable here)")
    compute.add_argument("--imputers", type=csv_list, help="imputers to add (default: the set's, or every built-in)")
    compute.add_argument("--mechanisms", type=csv_list)
    compute.add_argument("--rates", type=rates)
    compute.add_argument("--seeds", type=seeds)
    compute.add_argument("--setting", type=csv_list)
    compute.add_argument("--jobs", type=positive_int, default=None)
    compute.add_argument("--description", default=None, help="one line saying what the set is for")
    compute.add_argument("--export-only", action="store_true", help="write the set from the results folder, run nothing")
    compute.add_argument("--retry-failed", action="store_true",
                         help="re-run the jobs held as failed or timeout (the set's imported rows included)")
    add_source_arguments(compute)
    compute.set_defaults(func=_compute)


def _list(args: argparse.Namespace) -> int:
    from ..reference import reference_summaries
    from ..reference.render import list_lines

    summaries = reference_summaries()
    print(json.dumps(summaries, indent=1) if args.json else "\n".join(list_lines(summaries)))
    return 0


def _info(args: argparse.Namespace) -> int:
    from ..reference import find_reference
    from ..reference.render import info_lines
    from ..registry import BUILTINS

    ref = find_reference(args.name)
    if args.json:
        print(json.dumps(ref.manifest, indent=1, default=str))
        return 0
    ref.check()
    print("\n".join(info_lines(ref, list(BUILTINS))))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from ..reference import find_reference
    from ..reference.compute import verify_reference
    from ..reference.render import verdict_line, verify_summary

    result = verify_reference(find_reference(args.name), sample=args.sample, seed=args.seed, source=source_from(args),
                              command=command_line(args), results=args.results, jobs=args.jobs,
                              progress=not args.json)
    for v in result.verdicts:
        print(json.dumps(v.to_dict(), default=str) if args.json else verdict_line(v))
    print(verify_summary(result.verdicts, result.skipped_datasets, result.unavailable_imputers))
    return 0 if result.passed else 1


def _site(args: argparse.Namespace) -> int:
    from ..reference import describe, find_reference
    from ..reports.site import build_site, provenance_from_rows

    ref = find_reference(args.name)
    rows = ref.rows()
    provenance = provenance_from_rows(rows, command_line(args), list(ref.manifest.get("runs", [])))
    index = build_site(rows, args.out, provenance, samples=None, inputs_hash=ref.sha256,
                       reference=describe(ref) | {"standalone": True})
    print(f"site written: {index}")
    return 0


def _compute(args: argparse.Namespace) -> int:
    from ..reference.compute import compute_reference

    axes = {"datasets": args.datasets, "imputers": args.imputers, "mechanisms": args.mechanisms,
            "rates": args.rates, "seeds": args.seeds, "settings": args.setting}
    compute_reference(args.name, results=args.results, source=source_from(args), command=command_line(args),
                      out=args.out, profile=args.profile, axes=axes, jobs=args.jobs, description=args.description,
                      export_only=args.export_only, retry_failed=args.retry_failed)
    return 0
