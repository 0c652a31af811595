"""Citations for an export: which BibTeX entries the imputers and datasets of the exported rows need.

The entries live in ``references.bib`` beside this module (package data); each built-in imputer's
declaration (``ImputerInfo.cites``) and each dataset's (``CatalogEntry.cites``, or the scikit-learn
datasets' ``BUILTIN_CITES``) names the keys it needs. A plugin declares its own citation in its
:class:`imputebench.imputer_info.ImputerInfo` (``citation``: one or more BibTeX entries), which the
export reads without running anything but the plugin's import. Every entry written is parsed by
:func:`parse_bibtex` first, so a malformed declaration is reported, never written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Iterable, Mapping

IMPUTEBENCH_KEY = "imputebench"

class BibError(ValueError):
    """A BibTeX text that does not parse."""


@dataclass(frozen=True)
class BibEntry:
    kind: str  # article, inproceedings, misc, ...
    key: str
    fields: Mapping[str, str]
    text: str  # the entry as written


_HEAD = re.compile(r"@([A-Za-z]+)\s*\{\s*([^,\s{}]+)\s*,")
_FIELD = re.compile(r"\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*")


def _braced(text: str, start: int) -> int:
    """Index just past the brace group opening at ``text[start]`` ('{'); BibError when unbalanced."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    raise BibError(f"unbalanced braces from character {start}")


def _value(text: str, at: int) -> tuple[str, int]:
    """One field value at ``at``: {braced}, "quoted" or a bare number/word; its text and the index after it."""
    if text[at] == "{":
        end = _braced(text, at)
        return text[at + 1:end - 1], end
    if text[at] == '"':
        end = text.find('"', at + 1)
        if end < 0:
            raise BibError(f"unterminated quoted value at character {at}")
        return text[at + 1:end], end + 1
    bare = re.match(r"[A-Za-z0-9_.:-]+", text[at:])
    if not bare:
        raise BibError(f"expected a field value at character {at}: {text[at:at + 20]!r}")
    return bare.group(0), at + bare.end()


def _fields(body: str, key: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    at = 0
    while at < len(body):
        if not body[at:].strip():
            break
        m = _FIELD.match(body, at)
        if not m:
            raise BibError(f"entry {key!r}: expected 'name = value' at {body[at:at + 30].strip()!r}")
        name = m.group(1).lower()
        if name in fields:
            raise BibError(f"entry {key!r}: field {name!r} given twice")
        fields[name], at = _value(body, m.end())
        rest = re.match(r"\s*(,|$)", body[at:])
        if not rest:
            raise BibError(f"entry {key!r}: expected ',' after field {name!r}")
        at += rest.end()
    return fields


def parse_bibtex(text: str) -> list[BibEntry]:
    """The entries of a BibTeX text, strictly: every ``@kind{key, name = value, ...}`` must parse,
    keys must be unique, and anything outside entries must be comments (``%`` lines) or blank."""
    entries: list[BibEntry] = []
    at = 0
    while True:
        start = text.find("@", at)
        between = text[at:] if start < 0 else text[at:start]
        stray = [line for line in between.splitlines() if line.strip() and not line.lstrip().startswith("%")]
        if stray:
            raise BibError(f"text outside an entry: {stray[0].strip()[:40]!r}")
        if start < 0:
            break
        head = _HEAD.match(text, start)
        if not head:
            raise BibError(f"malformed entry head at {text[start:start + 40]!r}")
        end = _braced(text, text.index("{", start))
        kind, key = head.group(1).lower(), head.group(2)
        fields = _fields(text[head.end():end - 1], key)
        if any(e.key == key for e in entries):
            raise BibError(f"duplicate key {key!r}")
        entries.append(BibEntry(kind, key, fields, text[start:end]))
        at = end
    return entries


def builtin_entries() -> dict[str, BibEntry]:
    """The package's references.bib, by key."""
    text = files("imputebench.reports.paper").joinpath("references.bib").read_text(encoding="utf-8")
    return {e.key: e for e in parse_bibtex(text)}


@dataclass(frozen=True)
class References:
    text: str  # the .bib file
    keys: dict[str, list[str]]  # imputer or dataset -> its keys (empty: nothing declared)
    missing: list[str]  # imputers and datasets with no citation
    problems: list[str]  # plugin declarations that did not parse


def collect_references(imputers: Iterable[str], datasets: Iterable[str],
                       plugin_citations: Mapping[str, str] | None = None) -> References:
    """The .bib of an export: imputebench itself, then each imputer's and each dataset's entries (a
    shared entry once). ``plugin_citations``: imputer -> BibTeX text a plugin declared; it wins over
    the built-in table for that name."""
    known = builtin_entries()
    chosen: dict[str, BibEntry] = {IMPUTEBENCH_KEY: known[IMPUTEBENCH_KEY]}
    keys: dict[str, list[str]] = {}
    missing: list[str] = []
    problems: list[str] = []
    plugin_citations = dict(plugin_citations or {})
    from ...datasets import dataset_cites
    from ...registry import info_of

    def declared(kind: str, name: str) -> tuple[str, ...]:  # what the imputer's or dataset's declaration cites
        if kind == "dataset":
            return dataset_cites(name)
        info = info_of(name)
        return tuple(getattr(info, "cites", ()) or ()) if info is not None else ()

    for kind, names in (("imputer", sorted(set(imputers))), ("dataset", sorted(set(datasets)))):
        for name in names:
            entries: list[BibEntry] = []
            if kind == "imputer" and plugin_citations.get(name):
                try:
                    entries = parse_bibtex(plugin_citations[name])
                except BibError as exc:
                    problems.append(f"{name}: its declared citation does not parse ({exc})")
            if not entries:
                entries = [known[k] for k in declared(kind, name)]
            for entry in entries:
                other = chosen.get(entry.key)
                if other is not None and other.text != entry.text:
                    problems.append(f"{name}: key {entry.key!r} is already used by another entry; kept the first")
                    continue
                chosen.setdefault(entry.key, entry)
            keys[name] = [e.key for e in entries]
            if not entries:
                missing.append(f"{kind} {name}")
    header = "% References of the imputers and datasets in this export (imputebench export paper).\n\n"
    return References(header + "\n\n".join(e.text for e in chosen.values()) + "\n", keys, missing, problems)


def plugin_citations(imputers: Iterable[str]) -> dict[str, str]:
    """Citations declared by the non-built-in imputers among ``imputers`` (``ImputerInfo.citation``);
    an imputer that is not installed here, or declares none, is simply absent."""
    from ...errors import UsageError
    from ...registry import resolve

    out = {}
    from ...registry.info import BUILTIN_INFO

    for name in imputers:
        if name in BUILTIN_INFO:
            continue
        try:
            entry = resolve(name)
        except UsageError:  # rows of a plugin that is not installed here: nothing to read
            continue
        info = entry.info if entry.available else None
        citation = getattr(info, "citation", "") if info is not None else ""
        if citation:
            out[name] = citation
    return out
