"""Tables with real missing values, for the natural-missingness track (PROTOCOL §10).

Five tables exported from the R packages ``mice`` and ``mlbench`` (see their MANIFEST.tsv), read from a
directory given by an option (``natural=DIR`` of :func:`imputebench.datasets.load_dataset`, or
``$IMPUTEBENCH_NATURAL``), never shipped with imputebench. Each is declared here like a catalog entry:
its file, target, categorical and identifier columns, and the shape and checksum of its canonical
table *with its holes kept*, checked on every load. They load only with ``keep_missing=True``: they
exist for the track whose holes are the point, beside any user table added with
``imputebench datasets add --keep-missing``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import DatasetError
from .canonical import Dataset, TargetKind, canonicalize, holes_kept
from .table_store import read_table

NATURAL_ENV = "IMPUTEBENCH_NATURAL"


@dataclass(frozen=True)
class NaturalTable:
    """A naturally incomplete table: where it is, its column roles and what it must look like."""

    name: str
    target: str
    target_kind: TargetKind
    categorical: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()  # identifier columns, removed (PROTOCOL §1)
    raw_shape: tuple[int, int] | None = None  # rows x columns of the file
    shape: tuple[int, int] | None = None  # rows x features with the holes kept (rows lacking the target dropped)
    checksum: str | None = None  # canonical content checksum with the holes kept
    note: str = ""

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


_VOTES = tuple(f"V{i}" for i in range(1, 17))

NATURAL_TABLES: dict[str, NaturalTable] = {t.name: t for t in (
    NaturalTable("boys", "reg", "classification", categorical=("gen", "phb"), raw_shape=(748, 9),
                 shape=(745, 8), checksum="282b924e286a0be9",
                 note="mice: Dutch growth data; gen and phb are pubertal stages (ordered categories), "
                      "mostly missing for young boys; target: region, 3 rows lack it"),
    NaturalTable("brandsma", "lpo", "regression", categorical=("sex", "min", "den"), ids=("sch", "pup"),
                 raw_shape=(4106, 14), shape=(3902, 11), checksum="2bb6c0e5ab1c80c8",
                 note="mice: pupils in Dutch schools; sch and pup identify school and pupil (removed); "
                      "target: post-test language score, 204 rows lack it"),
    NaturalTable("pima_diabetes2", "diabetes", "classification", raw_shape=(768, 9), shape=(768, 8),
                 checksum="1c8140c8d4f7a2a3",
                 note="mlbench PimaIndiansDiabetes2: impossible zeros recoded as missing (insulin 48.7 %)"),
    NaturalTable("ozone", "V4", "regression", categorical=("V1", "V2", "V3"), raw_shape=(366, 13),
                 shape=(361, 12), checksum="26c3ee9eb888ab68",
                 note="mlbench Ozone: LA ozone 1976; V1 month, V2 day, V3 weekday are categories; "
                      "target: daily maximum ozone, 5 rows lack it"),
    NaturalTable("house_votes84", "Class", "classification", categorical=_VOTES, raw_shape=(435, 17),
                 shape=(435, 16), checksum="872720f9d3b58f51",
                 note="mlbench HouseVotes84: 16 y/n votes; a missing vote is an abstention (MNAR-like)"),
)}


def natural_dir(path: str | os.PathLike | None = None) -> Path | None:
    """The directory of natural tables: ``path``, else ``$IMPUTEBENCH_NATURAL``, else none."""
    chosen = path or os.environ.get(NATURAL_ENV)
    return Path(chosen).expanduser() if chosen else None


def read_natural(table: NaturalTable, directory: Path) -> Dataset:
    """``table``'s canonical table with its holes kept, checked against its declared shape and checksum."""
    path = directory / table.file
    raw = read_table(path)
    if table.raw_shape is not None and raw.shape != table.raw_shape:
        raise DatasetError(f"{table.name}: {path} has {raw.shape[0]} x {raw.shape[1]} cells, expected "
                           f"{table.raw_shape[0]} x {table.raw_shape[1]}; it is not the exported table")
    ds = canonicalize(table.name, raw, target=table.target, target_kind=table.target_kind,
                      categorical=list(table.categorical), drop=list(table.ids), source=f"natural:{path.resolve()}",
                      keep_missing=True)
    if table.checksum is not None and ds.checksum != table.checksum:
        raise DatasetError(f"{table.name}: checksum mismatch for {path} (got {ds.checksum}, declared "
                           f"{table.checksum}); it is not the exported table")
    return holes_kept(ds)
