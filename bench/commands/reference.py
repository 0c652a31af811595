"""``imputebench reference``: the reference sets (PROTOCOL §8) — list, inspect, verify, publish, and
(for maintainers) compute them resumably with the project's own runner."""

from __future__ import annotations

import argparse
import json

from . import command_line
from .options import (add_json_argument, add_source_arguments, count, csv_list, existing_file, folder, positive_int,
                      rates, seeds, sha256, source_from)


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
    add_json_argument(info, "the manifest as JSON, with the set's checksum (set_sha256) and signature added")
    info.set_defaults(func=_info)

    verify = rsub.add_parser("verify", help="check the set against its publisher's key or checksum, and re-run a "
                                            "random sample of its jobs here to check they reproduce",
                             description="Exit status 1 when the set is not the published one or a job does not "
                                         "reproduce. Without --public-key or --checksum, only the set's own "
                                         "checksum is checked: that catches damage, not a forged set.")
    verify.add_argument("name")
    verify.add_argument("--public-key", metavar="KEY",
                        help="the publisher's Ed25519 public key ('ssh-ed25519 AAAA...' or its .pub file): the set's "
                             "signature (NAME.sig beside it) must be that key's (needs imputebench[trust])")
    verify.add_argument("--checksum", type=sha256, metavar="SHA256",
                        help="the set's published checksum (README, release notes): the set must have it")
    verify.add_argument("--sample", type=count("--sample", "jobs"), default=20, metavar="N",
                        help="jobs to re-run (default: 20; 0 checks the origin only)")
    verify.add_argument("--seed", type=int, default=0, help="which sample (default: 0)")
    verify.add_argument("--results", type=folder, default=None, metavar="DIR",
                        help="where the re-run jobs go (default: a temporary folder)")
    verify.add_argument("--jobs", type=positive_int, default=None, help="worker processes (default: one per core)")
    add_json_argument(verify, "one JSON object per check: the origin first ({\"authenticity\": ...}), then each "
                              "re-run job")
    add_source_arguments(verify)
    verify.set_defaults(func=_verify)

    sign = rsub.add_parser("sign", help="publishers: sign a set with your Ed25519 key (writes NAME.sig beside it)",
                           description="Sign the set's manifest (which holds its rows' checksum) with an Ed25519 "
                                       "private key (`ssh-keygen -t ed25519 -f KEY`; a passphrase comes from "
                                       "$IMPUTEBENCH_KEY_PASSPHRASE). Publish the public key apart from the set; "
                                       "users check with `reference verify NAME --public-key KEY`.")
    sign.add_argument("name", help="a set's name, or the path of its .json manifest")
    sign.add_argument("--key", type=existing_file, required=True, metavar="PRIVATE", help="your private key file")
    sign.set_defaults(func=_sign)

    site = rsub.add_parser("site", help="render the set alone as a static leaderboard site (what CI publishes)")
    site.add_argument("name")
    site.add_argument("--out", type=folder, required=True, metavar="DIR", help="site directory")
    site.set_defaults(func=_site)

    compute = rsub.add_parser("compute", help="maintainers: compute or extend a set with the runner, resumably")
    compute.add_argument("name", help="the set to create or extend")
    compute.add_argument("--results", type=folder, required=True, metavar="DIR",
                         help="the working results folder (kept between sessions; the set's rows are imported into it)")
    compute.add_argument("--out", type=folder, default=None, metavar="DIR",
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
    from ..gates.reference import reference_summaries
    from ..gates.reference.render import list_lines

    summaries = reference_summaries()
    print(json.dumps(summaries, indent=1) if args.json else "\n".join(list_lines(summaries)))
    return 0


def _info(args: argparse.Namespace) -> int:
    from ..gates.reference import find_reference
    from ..gates.reference.render import info_lines
    from ..registry import BUILTINS

    from ..gates.reference.trust import read_signature

    ref = find_reference(args.name)
    signature = read_signature(ref)
    if args.json:
        print(json.dumps({**ref.manifest, "set_sha256": ref.set_sha256, "signature": signature}, indent=1, default=str))
        return 0
    ref.check()
    print("\n".join(info_lines(ref, list(BUILTINS), signature, ref.sampled_imputers())))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from ..gates.reference import find_reference
    from ..gates.reference.compute import verify_reference
    from ..gates.reference.render import verdict_line, verify_summary
    from ..gates.reference.trust import authenticity

    ref = find_reference(args.name)
    origin = authenticity(ref, public_key=args.public_key, checksum=args.checksum)
    for check in origin:
        print(json.dumps({"authenticity": check.to_dict()}) if args.json else check.line())
    if not all(check.passed for check in origin):
        return 1  # not the published set: re-running its jobs would prove nothing
    if args.sample == 0:
        return 0
    result = verify_reference(ref, sample=args.sample, seed=args.seed, source=source_from(args),
                              command=command_line(args), results=args.results, jobs=args.jobs,
                              progress=not args.json)
    for v in result.verdicts:
        print(json.dumps(v.to_dict(), default=str) if args.json else verdict_line(v))
    print(verify_summary(result.verdicts, result.skipped_datasets, result.unavailable_imputers,
                         result.unchecked_metrics))
    return 0 if result.passed else 1


def _sign(args: argparse.Namespace) -> int:
    from ..gates.reference import find_reference
    from ..gates.reference.trust import sign_reference

    ref = find_reference(args.name)
    record = sign_reference(ref, args.key)
    print(f"signed {ref.name} (set sha256 {record['set_sha256']}) with key ID {record['key_id']}: "
          f"wrote {ref.signature_path}")
    return 0


def _site(args: argparse.Namespace) -> int:
    from ..gates.reference import describe, find_reference
    from ..reports.site import build_site, provenance_from_rows

    ref = find_reference(args.name)
    rows = ref.rows()
    provenance = provenance_from_rows(rows, command_line(args), list(ref.manifest.get("runs", [])))
    index = build_site(rows, args.out, provenance, samples=ref.samples(), inputs_hash=ref.set_sha256,
                       reference=describe(ref) | {"standalone": True})
    print(f"site written: {index}")
    return 0


def _compute(args: argparse.Namespace) -> int:
    from ..gates.reference.compute import compute_reference

    axes = {"datasets": args.datasets, "imputers": args.imputers, "mechanisms": args.mechanisms,
            "rates": args.rates, "seeds": args.seeds, "settings": args.setting}
    compute_reference(args.name, results=args.results, source=source_from(args), command=command_line(args),
                      out=args.out, profile=args.profile, axes=axes, jobs=args.jobs, description=args.description,
                      export_only=args.export_only, retry_failed=args.retry_failed)
    return 0
