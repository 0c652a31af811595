"""``imputebench imputers list|info``."""

from __future__ import annotations

import argparse
import json

from ..registry import discover, resolve


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("imputers", help="list, inspect and check the registered imputers")
    isub = p.add_subparsers(dest="imputers_command", metavar="ACTION", required=True)
    ls = isub.add_parser("list", help="every imputer, available or not")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=_list)
    info = isub.add_parser("info", help="one imputer's metadata and parameters per profile")
    info.add_argument("name")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    info.set_defaults(func=_info)


def _list(args: argparse.Namespace) -> int:
    entries = list(discover().values())
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], indent=2, default=str))
        return 0
    width = max(len(e.name) for e in entries)
    for e in entries:
        if e.available:
            flags = ", ".join(f for f, on in (("categorical", e.info.native_categorical),
                                              ("labels", e.info.uses_labels), ("gpu", e.info.gpu)) if on)
            print(f"{e.name:<{width}}  {e.info.family:<10} {e.info.description}" + (f" [{flags}]" if flags else ""))
        else:
            print(f"{e.name:<{width}}  unavailable: {e.error}")
    return 0


def _info(args: argparse.Namespace) -> int:
    e = resolve(args.name)
    d = e.to_dict()
    if args.json:
        print(json.dumps(d, indent=2, default=str))
        return 0
    for k, v in d.items():
        print(f"{k}: {v}")
    return 0
