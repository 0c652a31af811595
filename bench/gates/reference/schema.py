"""The reference manifest's schema (pure): each field a set's manifest holds, the type of its value
and the rules it follows. A manifest is checked against it before anything reads it, so a damaged
or hand-edited manifest (a ``rows_file`` that holds a path, a checksum that is not hex) is one line
naming the field and what it must hold, never a traceback from deep inside the reader."""

from __future__ import annotations

import string
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Callable, Mapping

Check = Callable[[Any], bool]
GRID_AXES = ("datasets", "imputers", "mechanisms", "rates", "seeds", "settings")


def text(value: Any) -> bool:
    return isinstance(value, str)


def whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def count(value: Any) -> bool:
    return whole(value) and value >= 0


def number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def hex_digest(length: int | None = None) -> Check:
    """Lower-case hex digits (``length`` of them, when given)."""
    def check(value: Any) -> bool:
        return (isinstance(value, str) and bool(value) and (length is None or len(value) == length)
                and set(value) <= set(string.hexdigits.lower()))
    return check


def file_name(value: Any) -> bool:
    """A bare file name: the rows file sits beside its manifest, so no folder part, on any platform."""
    return (isinstance(value, str) and value not in ("", ".", "..") and PurePosixPath(value).name == value
            and PureWindowsPath(value).name == value)


def mapping_of(key: Check, value: Check) -> Check:
    return lambda m: isinstance(m, dict) and all(key(k) and value(v) for k, v in m.items())


def list_of(item: Check) -> Check:
    return lambda values: isinstance(values, list) and all(item(v) for v in values)


def optional(check: Check) -> Check:
    return lambda value: value is None or check(value)


def grid(value: Any) -> bool:
    axes = {"datasets": text, "imputers": text, "mechanisms": text, "rates": number, "seeds": whole, "settings": text}
    return isinstance(value, dict) and all(list_of(axes[a])(value.get(a)) for a in GRID_AXES)


dataset_facts = mapping_of(text, lambda v: v is None or text(v) or whole(v))  # checksum, max_rows, n_rows, n_features

# field -> (check, what its value must be). Every field is required but those in OPTIONAL.
FIELDS: dict[str, tuple[Check, str]] = {
    "format": (whole, "a whole number"),
    "name": (text, "a string"),
    "description": (text, "a string"),
    "profile": (text, "a profile's name"),
    "protocol_version": (whole, "a whole number"),
    "grid": (grid, "an object with the lists " + ", ".join(GRID_AXES)),
    "rows_file": (file_name, "the name of a file beside the manifest, without a folder"),
    "rows_sha256": (hex_digest(64), "a SHA-256 in hex (64 characters 0-9, a-f)"),
    "rows_bytes": (count, "a whole number of bytes"),
    "n_rows": (count, "a whole number of rows"),
    "statuses": (mapping_of(text, count), "an object of status -> number of rows"),
    "rows_per_imputer": (mapping_of(text, count), "an object of imputer -> number of rows"),
    "datasets": (mapping_of(text, dataset_facts), "an object of dataset -> its checksum and sizes"),
    "params": (mapping_of(text, text), "an object of imputer -> its hyper-parameters as JSON text"),
    "masks": (mapping_of(hex_digest(), hex_digest()), "an object of mask key -> mask checksum, both hex"),
    "runs": (list_of(lambda r: isinstance(r, dict)), "a list of run records (objects)"),
    "cpu_seconds": (optional(number), "a number of CPU seconds, or null"),
    # The samples of imputed cells the histograms draw (files.py says which); a set written before has none.
    "samples_file": (file_name, "the name of a file beside the manifest, without a folder"),
    "samples_sha256": (hex_digest(64), "a SHA-256 in hex (64 characters 0-9, a-f)"),
    "samples_bytes": (count, "a whole number of bytes"),
    "n_samples": (count, "a whole number of sampled cells"),
}
OPTIONAL = frozenset({"description", "runs", "cpu_seconds", "samples_file", "samples_sha256", "samples_bytes",
                      "n_samples"})
SAMPLES_FIELDS = ("samples_file", "samples_sha256", "samples_bytes", "n_samples")  # all of them or none


def published_sha256(text: str) -> str:
    """A published set checksum as typed (a ``sha256:`` prefix and upper case allowed) -> 64 lower-case
    hex digits; ValueError when it is not one."""
    value = text.strip().lower().removeprefix("sha256:")
    if not hex_digest(64)(value):
        raise ValueError(f"a set's checksum is its SHA-256, 64 hex digits; got {text!r}")
    return value


def manifest_problem(manifest: Any) -> str | None:
    """What is wrong with a manifest, in words (the first problem found), or None when it follows the schema."""
    if not isinstance(manifest, Mapping):
        return f"it holds {type(manifest).__name__}, not an object"
    for field, (check, what) in FIELDS.items():
        if field not in manifest:
            if field not in OPTIONAL:
                return f"field {field!r} is missing"
        elif not check(manifest[field]):
            shown = repr(manifest[field])
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            return f"field {field!r} must be {what}; it holds {shown}"
    present = [f for f in SAMPLES_FIELDS if f in manifest]
    if present and len(present) < len(SAMPLES_FIELDS):
        return f"field {next(f for f in SAMPLES_FIELDS if f not in manifest)!r} is missing (the samples' fields go together)"
    return None
