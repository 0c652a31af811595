"""Command-line options that more than one command takes, declared once: list, number and path
parsers for argparse ``type=``, ``--param``, the dataset source options (PROTOCOL §1), ``--json``.

Light on purpose (argparse, json, os): every command imports it, and a command pays only for what
it uses (heavier modules are imported inside the functions that need them).
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:
    from ..harness.job import DataSource

DEFAULT_RESULTS = "results"


# -- lists ------------------------------------------------------------------------------------------
def csv_list(text: str) -> list[str]:
    """``a,b,c`` -> ``["a", "b", "c"]`` (blanks dropped; an empty list is an error)."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def number_list(convert: Callable[[str], Any], expected: str) -> Callable[[str], list]:
    """A parser of a comma-separated list of numbers; a bad item gets one line saying what was expected."""

    def parse(text: str) -> list:
        try:
            return [convert(t) for t in csv_list(text)]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{expected}; got {text!r}") from None

    return parse


ints = number_list(int, "expected integers, e.g. 50,200,1000")


def rates(text: str) -> list[float]:
    """Missing rates in (0, 1), each at its job key's precision and once (``0.2,0.2000001`` is one rate:
    both write the key ``0.2``, and running both would leave two rows under one key)."""
    from ..errors import UsageError
    from ..protocol.masks import check_rate

    numbers = number_list(float, "rates must be numbers in (0, 1), e.g. 0.2,0.5")(text)
    try:
        return list(dict.fromkeys(check_rate(r) for r in numbers))
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def seeds(text: str) -> list[int]:
    """``0,1,2`` or a range ``0-4``."""
    try:
        out: list[int] = []
        for part in csv_list(text):
            lo, sep, hi = part.partition("-")
            if sep and int(hi) < int(lo):
                raise argparse.ArgumentTypeError(f"seed range {part!r} is empty (reversed); write it low-high, e.g. 2-5")
            out += list(range(int(lo), int(hi) + 1)) if sep else [int(lo)]
        return out
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be integers, e.g. 0,1 or 0-4; got {text!r}") from None


# -- numbers ----------------------------------------------------------------------------------------
def positive_int(text: str) -> int:
    """A whole number of at least 1 (workers, sample sizes)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1; got {text!r}")
    return value


def limit(unit: str) -> Callable[[str], float]:
    """A positive number of ``unit``, or ``none`` for no limit (0 is an error, not "none")."""

    def parse(text: str) -> float:
        from ..harness.config import NO_LIMIT

        if text.strip().lower() == "none":
            return NO_LIMIT
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not value > 0 or value == NO_LIMIT:
            raise argparse.ArgumentTypeError(f"must be a positive number of {unit}, or 'none' for no limit; got {text!r}")
        return value

    return parse


def count(flag: str, unit: str) -> Callable[[str], int]:
    """A whole number of ``unit``, 0 or more (a cap; a sample size where 0 means none)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = -1
        if value < 0:
            raise argparse.ArgumentTypeError(f"{flag} takes a whole number of {unit}, 0 or more; got {text!r}")
        return value

    return parse


# -- paths: checked at parse time, so a path that cannot work is one line, not a traceback ---------
def _blocking_file(path: Path) -> Path | None:
    """The first part of ``path`` (itself included) that exists and is not a folder, if any."""
    for part in [*reversed(path.parents), path]:
        if part.exists() and not part.is_dir():
            return part
    return None


def folder(text: str) -> Path:
    """A folder that exists or can be created: no part of the path is a regular file."""
    path = Path(text).expanduser()
    blocking = _blocking_file(path)
    if blocking == path:
        raise argparse.ArgumentTypeError(f"{text!r} is a file, not a folder; give a folder's path")
    if blocking is not None:
        raise argparse.ArgumentTypeError(f"{text!r} cannot be a folder: {str(blocking)!r} is a file")
    return path


def source_folder(text: str) -> str:
    """A dataset folder (``--mirror``, ``--data-home``), checked as :func:`folder` is, kept as the text a
    :class:`imputebench.harness.job.DataSource` holds."""
    return str(folder(text))


def existing_file(text: str) -> Path:
    """A regular file that exists."""
    path = Path(text).expanduser()
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise argparse.ArgumentTypeError(f"{text!r} {what}; give an existing file's path")
    return path


def output_file(text: str) -> Path:
    """A file to write: not a folder, and no part of its folder is a regular file."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give a file's path")
    blocking = _blocking_file(path.parent)
    if blocking is not None:
        raise argparse.ArgumentTypeError(f"{text!r} cannot be written: {str(blocking)!r} is a file, not a folder")
    return path


def sha256(text: str) -> str:
    """A published SHA-256 (64 hex digits; a ``sha256:`` prefix and upper case allowed)."""
    from ..gates.reference.schema import published_sha256

    try:
        return published_sha256(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# -- hyper-parameters -------------------------------------------------------------------------------
def param_value(text: str) -> object:
    """A hyper-parameter's value: JSON when it parses (numbers, true, null, lists), else the text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def imputer_param(text: str) -> tuple[str, str, object]:
    """``IMPUTER.PARAM=VALUE`` (``run --param``); the imputer may be a dotted path, a parameter has no dot."""
    key, sep, value = text.partition("=")
    imputer, dot, param = key.rpartition(".")
    if not sep or not dot or not imputer or not param:
        raise argparse.ArgumentTypeError(f"--param takes IMPUTER.PARAM=VALUE, e.g. knn.n_neighbors=10; got {text!r}")
    return imputer, param, param_value(value)


def param(text: str) -> tuple[str, object]:
    """``PARAM=VALUE`` (one imputer's parameter, ``imputers check --param``)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--param takes PARAM=VALUE, e.g. n_neighbors=3; got {text!r}")
    return key, param_value(value)


def params_by_imputer(overrides: Iterable[tuple[str, str, object]]) -> dict[str, dict[str, object]]:
    """``[(imputer, param, value), ...]`` (repeated ``--param``) -> imputer -> its overrides."""
    out: dict[str, dict[str, object]] = {}
    for imputer, name, value in overrides:
        out.setdefault(imputer, {})[name] = value
    return out


# -- datasets (PROTOCOL §1) -------------------------------------------------------------------------
def add_source_arguments(p: argparse.ArgumentParser) -> None:
    """Where datasets come from, for every command that loads them: --mirror, --data-home, --natural,
    --offline."""
    p.add_argument("--mirror", metavar="DIR", type=source_folder, default=os.environ.get("IMPUTEBENCH_MIRROR"),
                   help="directory of raw dataset CSVs (default: $IMPUTEBENCH_MIRROR)")
    p.add_argument("--data-home", metavar="DIR", type=source_folder, default=os.environ.get("IMPUTEBENCH_DATA_HOME"),
                   help="dataset cache directory (default: $IMPUTEBENCH_DATA_HOME or the user cache)")
    p.add_argument("--natural", metavar="DIR", type=source_folder, default=os.environ.get("IMPUTEBENCH_NATURAL"),
                   help="directory of the natural-missingness tables, PROTOCOL §10 (default: $IMPUTEBENCH_NATURAL)")
    p.add_argument("--offline", action="store_true", help="never use the network")


def source_from(args: argparse.Namespace) -> "DataSource":
    """The :class:`imputebench.harness.job.DataSource` the source options name."""
    from ..harness.job import DataSource

    return DataSource(mirror=args.mirror, data_home=args.data_home, allow_network=not args.offline,
                      natural=args.natural)


# -- output -----------------------------------------------------------------------------------------
def add_json_argument(p: argparse.ArgumentParser, help: str = "machine-readable output") -> None:
    p.add_argument("--json", action="store_true", help=help)
