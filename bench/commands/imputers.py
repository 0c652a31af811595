"""``imputebench imputers list|info|check``."""

from __future__ import annotations

import argparse
import json

from ..registry import discover, resolve
from .options import add_json_argument, csv_list, param


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("imputers", help="list, inspect and check the registered imputers")
    isub = p.add_subparsers(dest="imputers_command", metavar="ACTION", required=True)
    ls = isub.add_parser("list", help="every imputer, available or not")
    add_json_argument(ls)
    ls.set_defaults(func=_list)
    info = isub.add_parser("info", help="one imputer's metadata and parameters per profile")
    info.add_argument("name")
    add_json_argument(info)
    info.set_defaults(func=_info)
    check = isub.add_parser("check", help="run the imputer contract checks (imputebench.testing) on one imputer",
                            description="Run the contract checks of imputebench.testing on small generated tables "
                                        "and print a verdict per check. Exit status 1 when any check fails.")
    check.add_argument("name", help="a registered name, module:Class, or numeric:module:Class")
    check.add_argument("--profile", default="ci", help="whose hyper-parameters to use (default: ci)")
    check.add_argument("--param", type=param, action="append", default=[], metavar="PARAM=VALUE",
                       help="override a hyper-parameter, e.g. epochs=2 (repeatable; VALUE parsed as JSON when it can be)")
    check.add_argument("--checks", type=csv_list, help="comma-separated subset of the checks (default: all)")
    add_json_argument(check)
    check.set_defaults(func=_check)


def _list(args: argparse.Namespace) -> int:
    entries = list(discover().values())
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], indent=2, default=str))
        return 0
    width = max(len(e.name) for e in entries)
    for e in entries:
        note = f" ({e.note})" if e.note else ""
        if not e.available:
            print(f"{e.name:<{width}}  unavailable: {e.error}{note}")
            continue
        flags = ", ".join(f for f, on in (("categorical", e.info.native_categorical),
                                          ("labels", e.info.uses_labels), ("gpu", e.info.gpu)) if on)
        print(f"{e.name:<{width}}  {e.info.family:<10} {e.info.description}" + (f" [{flags}]" if flags else "") + note)
    return 0


def _info(args: argparse.Namespace) -> int:
    d = resolve(args.name).to_dict()
    if args.json:
        print(json.dumps(d, indent=2, default=str))
        return 0
    for k, v in d.items():
        if k == "deviations":  # one line each: what it departs from, for which profile, and how
            print("deviations:" + "".join(f"\n  - {item['line']}" for item in v) if v else "deviations: none")
        else:
            print(f"{k}: {v}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from ..testing import check_registered

    report = check_registered(args.name, args.profile, dict(args.param), args.checks)
    print(json.dumps(report.to_dict(), indent=2) if args.json else "\n".join(report.lines()))
    return 0 if report.passed else 1
