"""``imputebench datasets list|info|fetch|add`` (PROTOCOL §1)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .. import datasets as ds_api
from ..datasets.builtin import BUILTIN_LOADERS
from ..datasets.sources import Cache
from ..datasets.user import user_datasets
from ..errors import DatasetError, UsageError


def _source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mirror", metavar="DIR", default=None,
                   help="directory of raw CSVs in the mirror layout: <name>.csv, UCI values (default: $IMPUTEBENCH_MIRROR)")
    p.add_argument("--data-home", metavar="DIR", default=None,
                   help="cache and user-dataset registry (default: $IMPUTEBENCH_DATA_HOME or the user cache dir)")
    p.add_argument("--offline", action="store_true", help="never use the network")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("datasets", help="the dataset catalog: list, inspect, fetch, add your own")
    dsub = p.add_subparsers(dest="datasets_command", metavar="ACTION", required=True)

    ls = dsub.add_parser("list", help="every dataset: catalog, built-in and user")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    _source_options(ls)
    ls.set_defaults(func=_list)

    info = dsub.add_parser("info", help="one dataset: rows, features, types, target, source, checksum")
    info.add_argument("name")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    _source_options(info)
    info.set_defaults(func=_info)

    fetch = dsub.add_parser("fetch", help="load datasets into the cache (cache, mirror, then network)")
    fetch.add_argument("names", nargs="*", metavar="NAME")
    fetch.add_argument("--all", action="store_true", help="every catalog dataset")
    fetch.add_argument("--refresh", action="store_true", help="replace existing cache entries")
    _source_options(fetch)
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


def dropped_note(dropped_rows: int, lost_classes: tuple[str, ...] | list[str]) -> str:
    """PROTOCOL §1 in words: how many rows were dropped for missing values, and which target
    classes disappeared with them."""
    note = f"{dropped_rows} row{'s' if dropped_rows != 1 else ''} with missing values dropped"
    if lost_classes:
        note += (f" (class{'es' if len(lost_classes) > 1 else ''} {', '.join(map(repr, lost_classes))} "
                 "no longer present)")
    return note


def _kind_of(name: str) -> str:
    if name in ds_api.CATALOG:
        return "catalog"
    return "builtin" if name in BUILTIN_LOADERS else "user"


def _list(args: argparse.Namespace) -> int:
    home = ds_api.data_home(args.data_home)
    names = ds_api.dataset_names(data_home=home)
    avail = ds_api.availability(names, mirror=args.mirror, data_home=home, allow_network=not args.offline)
    cache = Cache(home)
    users = user_datasets(home)
    rows = []
    for name in names:
        entry = ds_api.CATALOG.get(name) or users.get(name)  # both know their shape and dropped rows
        rows.append({"name": name, "kind": _kind_of(name),
                     "shape": list(entry.shape) if entry and entry.shape else None,
                     "dropped_rows": entry.dropped_rows if entry else 0,
                     "target_kind": entry.target_kind if entry else None,
                     "cached": cache.has(name), "available": avail[name] is None, "reason": avail[name]})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        shape = f"{r['shape'][0]} x {r['shape'][1]}" if r["shape"] else ""
        shape += f" ({r['dropped_rows']} dropped)" if r["dropped_rows"] else ""  # PROTOCOL §1, beside the size
        state = "cached" if r["cached"] else ("available" if r["available"] else "needs the network")
        print(f"{r['name']:<{width}}  {r['kind']:<8} {shape:<24} {r['target_kind'] or '':<15} {state}")
    return 0


def _info(args: argparse.Namespace) -> int:
    home = ds_api.data_home(args.data_home)
    name = args.name
    if name not in ds_api.dataset_names(data_home=home):
        raise UsageError(f"unknown dataset {name!r}; see `imputebench datasets list`")
    info: dict = {"name": name, "kind": _kind_of(name), **_catalog_facts(name)}
    users = user_datasets(home)
    if name in users:
        info["file"] = users[name].path
    reason = ds_api.availability([name], mirror=args.mirror, data_home=home, allow_network=False)[name]
    if reason is None:  # loadable without the network: describe the real table
        info.update(_table_facts(ds_api.load_dataset(name, mirror=args.mirror, data_home=home, allow_network=False)))
    elif name in ds_api.CATALOG:  # not fetched: what the catalog promises
        info.update(_promised_facts(ds_api.CATALOG[name]), unavailable_offline=reason)
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    for key, value in info.items():
        if key != "lost_classes":  # said with dropped_rows
            print(f"{key}: {_in_words(key, value, info)}")
    return 0


def _catalog_facts(name: str) -> dict:
    entry = ds_api.CATALOG.get(name)
    if entry is None:
        return {}
    return {"uci_id": entry.uci_id, "openml_id": entry.openml_id, "papers": list(entry.papers),
            "dropped_columns": list(entry.drop), "note": entry.note,
            "expected_shape": list(entry.shape) if entry.shape else None, "catalog_checksum": entry.checksum}


def _table_facts(ds) -> dict:
    return {"rows": ds.X.shape[0], "features": ds.X.shape[1],
            "types": {c: ("categorical" if cat else "numeric") for c, cat in zip(ds.X.columns, ds.categorical)},
            "target": None if ds.y is None else ds.y.name, "target_kind": ds.target_kind,
            "dropped_rows": ds.dropped_rows, "lost_classes": list(ds.lost_classes),
            "source": ds.source, "checksum": ds.checksum, "cache_path": ds.meta.get("cache_path")}


def _promised_facts(entry) -> dict:
    return {"rows": entry.shape[0] if entry.shape else None, "features": len(entry.features),
            "types": {c: ("categorical" if c in entry.categorical else "numeric") for c in entry.features},
            "target": entry.target, "target_kind": entry.target_kind, "dropped_rows": entry.dropped_rows,
            "source": None, "checksum": entry.checksum, "cache_path": None}


def _in_words(key: str, value, info: dict):
    if key == "dropped_rows":
        return dropped_note(value, info.get("lost_classes", ()))
    if key == "types":
        categorical = [c for c, v in value.items() if v == "categorical"]
        listed = f" ({', '.join(categorical)})" if 0 < len(categorical) < 15 else ""
        return f"{len(value) - len(categorical)} numeric, {len(categorical)} categorical{listed}"
    return value


def _fetch(args: argparse.Namespace) -> int:
    home = ds_api.data_home(args.data_home)
    if args.all and args.names:
        raise UsageError("give dataset names or --all, not both")
    names = sorted(ds_api.CATALOG) if args.all else args.names
    if not names:
        raise UsageError("name the datasets to fetch, or use --all")
    unknown = [n for n in names if n not in ds_api.dataset_names(data_home=home)]
    if unknown:
        raise UsageError(f"unknown dataset(s) {', '.join(unknown)}; see `imputebench datasets list`")
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
