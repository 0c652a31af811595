"""``imputebench datasets list|info|fetch|add`` (PROTOCOL §1)."""

from __future__ import annotations

import argparse
import json

from .. import datasets as ds_api
from ..datasets.facts import added_lines, dataset_facts, dropped_note, facts_lines, listing, listing_lines, names_to_fetch
from ..tracks.transfer.tasks import tasks_on
from ..errors import DatasetError
from .options import add_json_argument, add_source_arguments, existing_file


_HOME_HELP = "where tables are kept (default: $IMPUTEBENCH_DATA_HOME or the user cache)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("datasets", help="the dataset catalog: list, inspect, fetch, add your own")
    dsub = p.add_subparsers(dest="datasets_command", metavar="ACTION", required=True)

    ls = dsub.add_parser("list", help="every dataset: catalog, built-in, user and natural-missingness")
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

    add = dsub.add_parser(
        "add", help="add your own table: a CSV/TSV/parquet file, or openml:ID / uci:ID",
        description="Copy a table into the data home (content-addressed: moving or editing the file later "
                    "changes nothing) and register it under NAME, with where it came from.")
    add.add_argument("name", metavar="NAME", help="the name runs use (--datasets NAME)")
    add.add_argument("table", metavar="TABLE", type=_table, help="a CSV, TSV or parquet file, or openml:ID / uci:ID (fetched "
                                                    "through the network once, then kept)")
    add.add_argument("--target", required=True, help="the target column")
    add.add_argument("--categorical", type=_columns, default=(), metavar="COL,...", help="categorical feature columns")
    add.add_argument("--drop", type=_columns, default=(), metavar="COL,...", help="columns to leave out")
    add.add_argument("--id", type=_columns, default=(), metavar="COL,...", dest="ids",
                     help="identifier columns (removed, PROTOCOL §1)")
    add.add_argument("--keep-missing", action="store_true",
                     help="also keep the table's own missing values, for the natural-missingness track "
                          "(other tracks still use its complete rows)")
    add.add_argument("--task", choices=("classification", "regression"), default=None,
                     help="the target's kind (default: inferred)")
    add.add_argument("--replace", action="store_true", help="replace a user dataset of the same name")
    add.add_argument("--data-home", metavar="DIR", default=None, help=_HOME_HELP)
    add.add_argument("--offline", action="store_true", help="never use the network (openml:ID / uci:ID then fail)")
    add.set_defaults(func=_add)

    rm = dsub.add_parser("remove", help="unregister a dataset you added and delete its copy")
    rm.add_argument("name", metavar="NAME", help="a dataset you added")
    rm.add_argument("--data-home", metavar="DIR", default=None, help=_HOME_HELP)
    rm.set_defaults(func=_remove)


def _table(text: str) -> str:
    """An existing file, else ``openml:ID`` / ``uci:ID``: checked at parse time, in one line."""
    from ..datasets.online import parse_service_id
    from ..errors import UsageError

    try:
        return str(existing_file(text))
    except argparse.ArgumentTypeError as not_a_file:
        try:
            if parse_service_id(text) is not None:
                return text
        except UsageError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        raise not_a_file from None


def _columns(text: str) -> tuple[str, ...]:
    """``a,b`` -> ("a", "b"): column names (blanks dropped; a column name may hold spaces)."""
    return tuple(c.strip() for c in text.split(",") if c.strip())


def _list(args: argparse.Namespace) -> int:
    rows = listing(mirror=args.mirror, data_home_dir=args.data_home, allow_network=not args.offline,
                   natural=args.natural)
    print(json.dumps(rows, indent=2) if args.json else "\n".join(listing_lines(rows)))
    return 0


def _info(args: argparse.Namespace) -> int:
    info = dataset_facts(args.name, mirror=args.mirror, data_home_dir=args.data_home, natural=args.natural)
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
    entry = ds_api.add_user_dataset(home, args.name, args.table, target=args.target, categorical=args.categorical,
                                    drop=args.drop, ids=args.ids, keep_missing=args.keep_missing,
                                    target_kind=args.task, replace=args.replace, reserved=ds_api.reserved_names(),
                                    allow_network=not args.offline, note=lambda text: print(f"note: {text}"))
    ds_api.clear_memo()
    print("\n".join(added_lines(entry, home)))
    return 0


def _remove(args: argparse.Namespace) -> int:
    home = ds_api.data_home(args.data_home)
    entry = ds_api.remove_user_dataset(home, args.name, reserved=ds_api.reserved_names())
    ds_api.clear_memo()
    from ..datasets.user import table_file

    copy = table_file(entry, home) if entry.copy else None
    kept = " (its copy is kept: another dataset uses the same table)" if copy and copy.is_file() else " and its copy"
    print(f"removed {entry.name} (from {entry.origin or entry.path}){kept} from {home}")
    for task in tasks_on(home, entry.name):
        print(f"note: transfer task {task} uses {entry.name}; it cannot run until {entry.name} is added again")
    return 0
