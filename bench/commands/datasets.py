"""``imputebench datasets list|info|fetch|add`` (PROTOCOL §1)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .. import datasets as ds_api
from ..datasets.builtin import BUILTIN_LOADERS
from ..datasets.facts import dataset_facts, dropped_note, facts_lines, listing, listing_lines, names_to_fetch
from ..errors import DatasetError
from .options import add_json_argument, add_source_arguments


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("datasets", help="the dataset catalog: list, inspect, fetch, add your own")
    dsub = p.add_subparsers(dest="datasets_command", metavar="ACTION", required=True)

    ls = dsub.add_parser("list", help="every dataset: catalog, built-in and user")
    add_json_argument(ls)
    add_source_arguments(ls)
    ls.set_defaults(func=_list)

    info = dsub.add_parser("info", help="one dataset: rows, features, types, target, source, checksum")
    info.add_argument("name")
    add_json_argument(info)
    add_source_arguments(info)
    info.set_defaults(func=_info)

    fetch = dsub.add_parser("fetch", help="load datasets into the cache (cache, mirror, then network)")
    fetch.add_argument("names", nargs="*", metavar="NAME")
    fetch.add_argument("--all", action="store_true", help="every catalog dataset")
    fetch.add_argument("--refresh", action="store_true", help="replace existing cache entries")
    add_source_arguments(fetch)
    fetch.set_defaults(func=_fetch)

    add = dsub.add_parser("add", help="register a local CSV or parquet table as a dataset")
    add.add_argument("name")
    add.add_argument("file", type=Path)
    add.add_argument("--target", required=True, help="the target column")
    add.add_argument("--categorical", default="", metavar="COL,...", help="categorical feature columns")
    add.add_argument("--task", choices=("classification", "regression"), default=None,
                     help="the target's kind (default: inferred)")
    add.add_argument("--replace", action="store_true", help="replace a user dataset of the same name")
    add.add_argument("--data-home", metavar="DIR", default=None)
    add.set_defaults(func=_add)


def _list(args: argparse.Namespace) -> int:
    rows = listing(mirror=args.mirror, data_home_dir=args.data_home, allow_network=not args.offline)
    print(json.dumps(rows, indent=2) if args.json else "\n".join(listing_lines(rows)))
    return 0


def _info(args: argparse.Namespace) -> int:
    info = dataset_facts(args.name, mirror=args.mirror, data_home_dir=args.data_home)
    print(json.dumps(info, indent=2, default=str) if args.json else "\n".join(facts_lines(info)))
    return 0


def _fetch(args: argparse.Namespace) -> int:
    home = ds_api.data_home(args.data_home)
    names = names_to_fetch(args.names, args.all, data_home_dir=home)
    failed = []
    for name in names:
        try:
            ds = ds_api.load_dataset(name, mirror=args.mirror, data_home=home,
                                     allow_network=not args.offline, refresh=args.refresh)
        except DatasetError as exc:
            failed.append(name)
            message = str(exc)
            print(message if message.startswith(f"{name}: ") else f"{name}: {message}")
            continue
        print(f"{name}: {ds.X.shape[0]} x {ds.X.shape[1]} from {ds.source} (checksum {ds.checksum}, "
              f"{dropped_note(ds.dropped_rows, ds.lost_classes)})")
    if failed:
        print(f"{len(names) - len(failed)} of {len(names)} fetched; not fetched: {', '.join(failed)}")
        return 1
    return 0


def _add(args: argparse.Namespace) -> int:
    home = ds_api.data_home(args.data_home)
    categorical = tuple(c.strip() for c in args.categorical.split(",") if c.strip())
    entry = ds_api.add_user_dataset(home, args.name, args.file, target=args.target, categorical=categorical,
                                    target_kind=args.task, replace=args.replace,
                                    reserved=set(ds_api.CATALOG) | set(BUILTIN_LOADERS))
    ds_api.clear_memo()
    print(f"{entry.name}: {entry.shape[0]} x {entry.shape[1]} ({entry.target_kind} of {entry.target!r}), "
          f"{dropped_note(entry.dropped_rows, entry.lost_classes)}, checksum {entry.checksum}; registered in {home}")
    return 0
