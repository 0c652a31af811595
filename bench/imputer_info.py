"""What the harness and the leaderboard know about an imputer without importing it (no scikit-learn,
no torch): listing and planning read this, so a command pays only for what it runs.

An :class:`ImputerInfo` carries an imputer's family, reference, hyper-parameters per run profile and
its :class:`Deviation` s: where the implementation departs from the official code or the paper, where
the paper leaves a choice open, and which hyper-parameters a profile cuts from the paper setting.
``imputers info``, the site's imputer page and its paper view all read that one declaration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from .protocol.profiles import PROFILES  # the run profiles' names, declared once (profiles.py)

# What a deviation is measured against, and how a page names it.
DEVIATION_KINDS: dict[str, str] = {
    "code": "vs the official code",
    "paper": "vs the paper",
    "interpretation": "where the paper is not explicit",
    "profile-cut": "cut from the paper setting",
    "result": "vs the published numbers",
}


@dataclass(frozen=True)
class Deviation:
    """One departure, with what it departs from (``kind``, a key of :data:`DEVIATION_KINDS`), the
    profile it applies to (None: every profile), and the hyper-parameters it concerns.

    A ``profile-cut`` names every hyper-parameter whose value in ``profile`` differs from the
    ``paper`` profile's; a test holds each built-in to that, so a cut cannot go unlisted.
    """

    kind: str
    text: str
    profile: str | None = None
    params: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in DEVIATION_KINDS:
            raise ValueError(f"deviation kind {self.kind!r}; valid: {', '.join(DEVIATION_KINDS)}")
        if self.profile is not None and self.profile not in PROFILES:
            raise ValueError(f"deviation profile {self.profile!r}; valid: {', '.join(PROFILES)}")
        if self.kind == "profile-cut" and (self.profile is None or not self.params):
            raise ValueError("a profile-cut deviation names its profile and the hyper-parameters it cuts")

    def __str__(self) -> str:
        if self.kind == "profile-cut":
            return f"{self.profile} profile: {self.text}"
        scope = f", {self.profile} profile" if self.profile else ""
        return f"{DEVIATION_KINDS[self.kind]}{scope}: {self.text}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "profile": self.profile, "params": list(self.params), "text": self.text,
                "line": str(self)}


@dataclass(frozen=True)
class ImputerInfo:
    """What the harness and the leaderboard need to know about an imputer."""

    name: str
    family: str
    description: str
    reference: str = ""
    native_categorical: bool = False
    uses_labels: bool = False
    gpu: bool = False
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Where this implementation or a profile departs from the official code or the paper, and why.
    deviations: tuple[Deviation, ...] = ()
    citation: str = ""  # BibTeX entries to cite for this imputer (`imputebench export paper`'s references.bib)
    cites: tuple[str, ...] = ()  # keys of imputebench's own references.bib (the built-ins' citations)

    def __post_init__(self) -> None:
        unknown = [p for p in self.profiles if p not in PROFILES]
        if unknown:
            raise ValueError(f"imputer {self.name!r} declares hyper-parameters for unknown profile(s) "
                             f"{', '.join(map(repr, unknown))}; valid: {', '.join(PROFILES)}")
        loose = [d for d in self.deviations if not isinstance(d, Deviation)]
        if loose:
            raise TypeError(f"imputer {self.name!r}: deviations are Deviation(kind, text, profile, params) "
                            f"records, got {type(loose[0]).__name__}")

    def params_source(self, profile: str) -> str | None:
        """The profile whose hyper-parameters ``profile`` uses: its own, the one its run profile
        falls back to (``ci`` takes ``quick``'s), or None (the constructor's defaults)."""
        if profile in self.profiles:
            return profile
        fallback = PROFILES[profile].imputer_params_from if profile in PROFILES else None
        return fallback if fallback in self.profiles else None

    def params_for(self, profile: str) -> dict[str, Any]:
        """Hyper-parameters for ``profile`` (see :meth:`params_source`); {} for the defaults."""
        source = self.params_source(profile)
        return dict(self.profiles[source]) if source else {}

    def deviations_for(self, profile: str | None = None) -> tuple[Deviation, ...]:
        """The deviations that hold under ``profile`` (every profile's, and that profile's own)."""
        return tuple(d for d in self.deviations if d.profile is None or profile is None or d.profile == profile)

    def cut_params(self, profile: str) -> set[str]:
        """The hyper-parameters ``profile``'s listed cuts name."""
        return {p for d in self.deviations if d.kind == "profile-cut" and d.profile == profile for p in d.params}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "description": self.description,
            "reference": self.reference,
            "native_categorical": self.native_categorical,
            "uses_labels": self.uses_labels,
            "gpu": self.gpu,
            "profiles": {k: dict(v) for k, v in self.profiles.items()},
            "deviations": [d.to_dict() for d in self.deviations],
            "citation": self.citation,
            "cites": list(self.cites),
        }


def canonical_params(params: Mapping[str, Any]) -> str:
    """Hyper-parameters as the one JSON string a job's key, its row and every page carry (sorted keys)."""
    return json.dumps(dict(params), sort_keys=True, default=str)


def overridden_keys(params: Mapping[str, Any], declared: Mapping[str, Any]) -> list[str]:
    """The keys of ``params`` whose value departs from ``declared`` (a profile's hyper-parameters), sorted;
    values compared as their canonical JSON has them. A declared key that ``params`` leaves out is no
    departure: a main-track job keeps no ``adapt_*`` key, and ``--param`` adds or changes, never removes."""
    ran, decl = json.loads(canonical_params(params)), json.loads(canonical_params(declared))
    return sorted(k for k, v in ran.items() if k not in decl or decl[k] != v)


# The optional transfer contract (PROTOCOL §7): a profile's ``adapt_*`` keys are the fine-tune budget,
# passed to ``adapt(X, y, **budget)``, not to the constructor. Here, in a light module, because the
# registry splits them when it builds an imputer and checks them when a plan is built.
ADAPT_PREFIX = "adapt_"


def split_adapt_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(constructor params, fine-tune budget): ``adapt_epochs=20`` becomes ``adapt(..., epochs=20)``."""
    init = {k: v for k, v in params.items() if not k.startswith(ADAPT_PREFIX)}
    budget = {k[len(ADAPT_PREFIX):]: v for k, v in params.items() if k.startswith(ADAPT_PREFIX)}
    return init, budget


_UNSET = object()


def _effective(params: Mapping[str, Any], key: str, defaults: Mapping[str, Any]) -> Any:
    """The value ``key`` takes under ``params``: given, else (a fine-tune budget) the constructor value
    adapt() keeps, else the constructor's default."""
    if key in params:
        return params[key]
    if key.startswith(ADAPT_PREFIX):
        return _effective(params, key[len(ADAPT_PREFIX):], defaults)
    return defaults.get(key, _UNSET)


def profile_cut_problems(info: ImputerInfo, defaults: Mapping[str, Any]) -> list[str]:
    """Where ``info``'s profile cuts disagree with its profiles: a hyper-parameter whose value in a
    profile differs from the ``paper`` profile's but that no ``profile-cut`` of that profile names,
    or one a cut names that does not differ. ``defaults`` are the constructor's defaults (the value of
    a hyper-parameter a profile does not set). Empty when every cut is listed, and only those."""
    if "paper" not in info.profiles:
        return []
    paper = info.profiles["paper"]
    problems = []
    for profile, params in info.profiles.items():
        if profile == "paper":
            continue
        differ = {k for k in {*params, *paper} if _effective(params, k, defaults) != _effective(paper, k, defaults)}
        listed = info.cut_params(profile)
        problems += [f"{info.name}: {k!r} is {_effective(params, k, defaults)!r} in {profile} and "
                     f"{_effective(paper, k, defaults)!r} in paper, and no {profile} profile-cut names it"
                     for k in sorted(differ - listed)]
        problems += [f"{info.name}: a {profile} profile-cut names {k!r}, which is the same as in paper"
                     for k in sorted(listed - differ)]
    return problems
