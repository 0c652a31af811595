"""Citations for an export: which BibTeX entries the imputers and datasets of the exported rows need.

The entries live in ``references.bib`` beside this module (package data); this module says which of
them each built-in imputer and each catalog dataset needs. A plugin declares its own citation in its
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

# Built-in imputer -> keys of references.bib (its method, and the software it follows where it is a
# package's default). Until the imputer declarations carry citations (registry/info.py), here.
IMPUTER_KEYS: dict[str, tuple[str, ...]] = {
    "mean": ("pedregosa2011sklearn",),
    "median": ("pedregosa2011sklearn",),
    "knn": ("troyanskaya2001knn",),
    "mice": ("vanbuuren2011mice",),
    "mice_linear": ("vanbuuren2011mice", "pedregosa2011sklearn"),
    "missforest": ("stekhoven2012missforest",),
    "xgbi": ("chen2016xgboost", "stekhoven2012missforest"),
    "pcai": ("josse2012pca", "josse2016missmda"),
    "softimpute": ("mazumder2010softimpute",),
    "em": ("dempster1977em",),
    "gain": ("yoon2018gain",),
    "midae": ("gondara2018mida",),
    "vaei": ("mccoy2018vaei",),
    "hivae": ("nazabal2020hivae",),
    "miwae": ("mattei2019miwae",),
    "metagain": ("tong2026metagain",),
    "diffputer": ("zhang2025diffputer",),
    "remasker": ("du2024remasker",),
    "hyperimpute": ("jarrett2022hyperimpute",),
}

# Catalog and scikit-learn datasets -> keys: the UCI record (its DOI) and, where the data come from a
# paper, that paper.
DATASET_KEYS: dict[str, tuple[str, ...]] = {
    "wireless": ("uci_wireless",),
    "yeast": ("uci_yeast",),
    "balance": ("uci_balance",),
    "hill_valley": ("uci_hill_valley",),
    "wine": ("uci_wine",),
    "connect4": ("uci_connect4",),
    "letter": ("uci_letter",),
    "turkiye": ("gunduz2015turkiye",),
    "chess_krkp": ("uci_chess_krkp",),
    "anuran": ("uci_anuran",),
    "heart_cleveland": ("uci_heart",),
    "adult": ("uci_adult",),
    "beijing": ("uci_beijing",),
    "default_credit": ("uci_default_credit",),
    "gesture": ("uci_gesture",),
    "magic": ("uci_magic",),
    "news": ("uci_news",),
    "shoppers": ("uci_shoppers",),
    "dry_bean": ("uci_dry_bean", "koklu2020drybean"),
    "california": ("pace1997california",),
    "spambase": ("uci_spambase",),
    "iris": ("uci_iris", "fisher1936iris"),
    "breast_cancer": ("uci_breast_cancer",),
    "diabetes": ("efron2004diabetes",),
    "digits": ("uci_digits",),
}


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
    for kind, names, table in (("imputer", sorted(set(imputers)), IMPUTER_KEYS),
                               ("dataset", sorted(set(datasets)), DATASET_KEYS)):
        for name in names:
            entries: list[BibEntry] = []
            if kind == "imputer" and plugin_citations.get(name):
                try:
                    entries = parse_bibtex(plugin_citations[name])
                except BibError as exc:
                    problems.append(f"{name}: its declared citation does not parse ({exc})")
            if not entries:
                entries = [known[k] for k in table.get(name, ())]
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
    for name in imputers:
        if name in IMPUTER_KEYS:
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
