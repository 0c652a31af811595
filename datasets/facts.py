"""What the ``imputebench datasets`` commands report about datasets (PROTOCOL §1): one row per
dataset for a listing, the facts of one dataset (of the loaded table when it can be had without the
network, else what the catalog promises), and those facts in words."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import UsageError
from . import CATALOG, NATURAL_TABLES, availability, data_home, dataset_names, load_dataset
from .builtin import BUILTIN_LOADERS
from .sources import Cache
from .user import UserDataset, user_datasets

PathLike = str | Path | None


def dropped_note(dropped_rows: int, lost_classes: Sequence[str]) -> str:
    """PROTOCOL §1 in words: how many rows were dropped for missing values, and which target
    classes disappeared with them."""
    note = f"{dropped_rows} row{'s' if dropped_rows != 1 else ''} with missing values dropped"
    return f"{note} ({lost_note(lost_classes)})" if lost_classes else note


def lost_note(lost_classes: Sequence[str]) -> str:
    """The target classes that disappeared with the dropped rows, in words ("" when none)."""
    if not lost_classes:
        return ""
    return f"class{'es' if len(lost_classes) > 1 else ''} {', '.join(map(repr, lost_classes))} no longer present"


def dataset_kind(name: str) -> str:
    """``catalog``, ``builtin``, ``natural`` or ``user``."""
    if name in CATALOG:
        return "catalog"
    if name in NATURAL_TABLES:
        return "natural"
    return "builtin" if name in BUILTIN_LOADERS else "user"


def _natural_rows(natural: PathLike, home: Path) -> list[dict]:
    """The natural-missingness tables (PROTOCOL §10), holes kept: loaded only with ``keep_missing``."""
    avail = availability(sorted(NATURAL_TABLES), data_home=home, keep_missing=True, natural=natural)
    return [{"name": t.name, "kind": "natural", "shape": list(t.shape) if t.shape else None,
             "dropped_rows": t.raw_shape[0] - t.shape[0] if t.raw_shape and t.shape else 0,
             "target_kind": t.target_kind, "cached": False, "keep_missing": True,
             "available": avail[t.name] is None, "reason": avail[t.name]} for t in NATURAL_TABLES.values()]


def listing(*, mirror: PathLike = None, data_home_dir: PathLike = None, allow_network: bool = True,
            natural: PathLike = None) -> list[dict]:
    """Every dataset: kind, shape, dropped rows, target kind, whether cached, whether it can be had,
    whether its own missing values were kept (PROTOCOL §10); the natural tables last."""
    home = data_home(data_home_dir)
    names = dataset_names(data_home=home)
    avail = availability(names, mirror=mirror, data_home=home, allow_network=allow_network)
    cache = Cache(home)
    users = user_datasets(home)
    rows = []
    for name in names:
        entry = CATALOG.get(name) or users.get(name)  # both know their shape and dropped rows
        rows.append({"name": name, "kind": dataset_kind(name),
                     "shape": list(entry.shape) if entry and entry.shape else None,
                     "dropped_rows": entry.dropped_rows if entry else 0,
                     "target_kind": entry.target_kind if entry else None,
                     "cached": cache.has(name), "keep_missing": bool(getattr(entry, "keep_missing", False)),
                     "available": avail[name] is None, "reason": avail[name]})
    return rows + _natural_rows(natural, home)


def _state(row: dict) -> str:
    """Where a listed dataset stands: cached, stored (a user table's copy), available, or why not."""
    if row["cached"]:
        return "cached"
    if row["available"]:
        state = "stored" if row["kind"] == "user" else "available"
        return state + (", holes kept" if row.get("keep_missing") else "")
    if row["kind"] == "catalog":
        return "needs the network"
    return "unavailable: " + (row["reason"] or "").removeprefix(f"{row['name']}: ")


def listing_lines(rows: Sequence[dict]) -> list[str]:
    width = max((len(r["name"]) for r in rows), default=0)
    lines = []
    for r in rows:
        shape = f"{r['shape'][0]} x {r['shape'][1]}" if r["shape"] else ""
        shape += f" ({r['dropped_rows']} dropped)" if r["dropped_rows"] else ""  # PROTOCOL §1, beside the size
        state = _state(r)
        lines.append(f"{r['name']:<{width}}  {r['kind']:<8} {shape:<24} {r['target_kind'] or '':<15} {state}")
    return lines


def _catalog_facts(entry: Any) -> dict:
    return {"uci_id": entry.uci_id, "openml_id": entry.openml_id, "papers": list(entry.papers),
            "dropped_columns": list(entry.drop), "note": entry.note,
            "expected_shape": list(entry.shape) if entry.shape else None, "catalog_checksum": entry.checksum}


def _table_facts(ds: Any) -> dict:
    return {"rows": ds.X.shape[0], "features": ds.X.shape[1],
            "types": {c: ("categorical" if cat else "numeric") for c, cat in zip(ds.X.columns, ds.categorical)},
            "target": None if ds.y is None else ds.y.name, "target_kind": ds.target_kind,
            "dropped_rows": ds.dropped_rows, "lost_classes": list(ds.lost_classes),
            "source": ds.source, "checksum": ds.checksum, "cache_path": ds.meta.get("cache_path")}


def _promised_facts(entry: Any, reason: str | None) -> dict:
    return {"rows": entry.shape[0] if entry.shape else None, "features": len(entry.features),
            "types": {c: ("categorical" if c in entry.categorical else "numeric") for c in entry.features},
            "target": entry.target, "target_kind": entry.target_kind, "dropped_rows": entry.dropped_rows,
            "source": None, "checksum": entry.checksum, "cache_path": None, "unavailable_offline": reason}


def _user_facts(entry: UserDataset, home: Path) -> dict:
    """Where a user table came from and how it was added (its copy, roles, kept missing values)."""
    from .user import table_file

    facts = {"origin": entry.origin or entry.path, "origin_sha256": entry.sha256 or None, "added": entry.added or None,
             "copy": str(table_file(entry, home)) if entry.copy else None,
             "dropped_columns": list(entry.drop), "id_columns": list(entry.ids), "keep_missing": entry.keep_missing}
    if entry.keep_missing:
        facts["missing_cells_kept"] = entry.missing_cells
        facts["shape_kept"] = list(entry.shape_kept) if entry.shape_kept else None
    return facts


def added_lines(entry: UserDataset, home: Path) -> list[str]:
    """What ``datasets add`` says: the table, what was dropped, the kept holes, where the copy is."""
    lines = [f"{entry.name}: {entry.shape[0]} x {entry.shape[1]} ({entry.target_kind} of {entry.target!r}), "
             f"{dropped_note(entry.dropped_rows, entry.lost_classes)}, checksum {entry.checksum}"]
    removed = [*entry.ids, *entry.drop]
    if removed:
        lines.append(f"removed columns: {', '.join(removed)}")
    if entry.keep_missing and entry.shape_kept:
        lines.append(f"kept for the natural-missingness track: {entry.shape_kept[0]} x {entry.shape_kept[1]} with "
                     f"{entry.missing_cells} missing cells (checksum {entry.checksum_kept})")
    lines.append(f"copied from {entry.origin} (sha256 {entry.sha256[:16]}...) into {home}")
    return lines


def _natural_facts(name: str, home: Path, natural: PathLike) -> dict:
    """A natural table's declaration, and its table with the holes kept when its file is here."""
    t = NATURAL_TABLES[name]
    info = {"name": name, "kind": "natural", "file": t.file, "id_columns": list(t.ids), "note": t.note,
            "expected_shape": list(t.shape) if t.shape else None, "declared_checksum": t.checksum}
    reason = availability([name], data_home=home, keep_missing=True, natural=natural)[name]
    if reason is not None:
        return info | {"target": t.target, "target_kind": t.target_kind, "unavailable": reason}
    ds = load_dataset(name, data_home=home, keep_missing=True, natural=natural)
    return info | _table_facts(ds) | {"missing_cells_kept": ds.meta["missing_cells"], "holes_kept": True}


def dataset_facts(name: str, *, mirror: PathLike = None, data_home_dir: PathLike = None,
                  natural: PathLike = None) -> dict:
    """One dataset's facts, without the network: the loaded table's when it can be had here, else
    what the catalog promises; an unknown name is a usage error."""
    home = data_home(data_home_dir)
    if name in NATURAL_TABLES:
        return _natural_facts(name, home, natural)
    if name not in dataset_names(data_home=home):
        raise UsageError(f"unknown dataset {name!r}; see `imputebench datasets list`")
    entry = CATALOG.get(name)
    info: dict = {"name": name, "kind": dataset_kind(name)} | (_catalog_facts(entry) if entry is not None else {})
    users = user_datasets(home)
    if name in users:
        info.update(_user_facts(users[name], home))
    reason = availability([name], mirror=mirror, data_home=home, allow_network=False)[name]
    if reason is None:  # loadable without the network: describe the real table
        info.update(_table_facts(load_dataset(name, mirror=mirror, data_home=home, allow_network=False)))
    elif entry is not None:  # not fetched: what the catalog promises
        info.update(_promised_facts(entry, reason))
    return info


def _types_text(types: dict[str, str]) -> str:
    n_cat = sum(v == "categorical" for v in types.values())
    named = f" ({', '.join(c for c, v in types.items() if v == 'categorical')})" if 0 < n_cat < 15 else ""
    return f"{len(types) - n_cat} numeric, {n_cat} categorical{named}"


def facts_lines(info: dict) -> list[str]:
    """``key: value`` lines; dropped rows said with the classes lost, types counted."""
    lines = []
    for key, value in info.items():
        if key in ("lost_classes", "holes_kept"):
            continue  # said with dropped_rows
        if key == "dropped_rows" and info.get("holes_kept"):
            value = f"{value} row{'s' if value != 1 else ''} without a target dropped (missing features kept)"
        elif key == "dropped_rows":
            value = dropped_note(value, info.get("lost_classes", ()))
        elif key == "types":
            value = _types_text(value)
        lines.append(f"{key}: {value}")
    return lines


def names_to_fetch(names: Iterable[str], every: bool, *, data_home_dir: PathLike = None) -> list[str]:
    """The datasets ``datasets fetch`` was asked for (``every``: the whole catalog), all known."""
    names = list(names)
    if every and names:
        raise UsageError("give dataset names or --all, not both")
    names = sorted(CATALOG) if every else names
    if not names:
        raise UsageError("name the datasets to fetch, or use --all")
    unknown = [n for n in names if n not in dataset_names(data_home=data_home(data_home_dir))]
    if unknown:
        raise UsageError(f"unknown dataset(s) {', '.join(unknown)}; see `imputebench datasets list`")
    return names
