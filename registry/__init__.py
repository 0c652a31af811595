"""The imputer registry (issue: built-ins, entry-point plugins, dotted paths).

Built-ins are named in :data:`BUILTINS` and imported lazily, so one that cannot be imported (say a
deep imputer without torch) is listed as unavailable with its error while the rest work.
Third-party imputers register under the entry-point group ``imputebench.imputers``; any importable
scikit-learn-style imputer can also be named by dotted path, ``module:Class``.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

from ..errors import UsageError
from ..imputer_info import ImputerInfo
from ..transfer import split_adapt_params
from .external import ExternalImputer

ENTRY_POINT_GROUP = "imputebench.imputers"

# name -> "module:Class"; one module per imputer.
BUILTINS: dict[str, str] = {
    "mean": "imputebench.registry.mean:MeanImputer",
    "median": "imputebench.registry.median:MedianImputer",
    "knn": "imputebench.registry.knn:KNNImputer",
    "mice": "imputebench.registry.mice:MICEImputer",
    "missforest": "imputebench.registry.missforest:MissForestImputer",
    "xgbi": "imputebench.registry.xgbi:XGBImputer",
    "pcai": "imputebench.registry.pcai:PCAImputer",
    "softimpute": "imputebench.registry.softimpute:SoftImputer",
    "em": "imputebench.registry.em:EMImputer",
    "gain": "imputebench.registry.gain:GAINImputer",
    "midae": "imputebench.registry.midae:MIDAEImputer",
    "vaei": "imputebench.registry.vaei:VAEImputer",
    "hivae": "imputebench.registry.hivae:HIVAEImputer",
    "miwae": "imputebench.registry.miwae:MIWAEImputer",
    "metagain": "imputebench.registry.metagain:MetaGAINImputer",
    "diffputer": "imputebench.registry.diffputer:DiffPuterImputer",
    "remasker": "imputebench.registry.remasker:ReMaskerImputer",
    "hyperimpute": "imputebench.registry.hyperimpute:HyperImputeImputer",
}

# The classical family: the default run's imputers.
CLASSICAL = ("mean", "median", "knn", "mice", "missforest", "xgbi", "pcai", "softimpute", "em")


@dataclass(frozen=True)
class ImputerEntry:
    """One imputer the registry knows, available or not."""

    name: str
    target: str
    source: str  # "builtin" | "entry-point" | "path"
    cls: type | None
    info: ImputerInfo | None
    error: str | None = None

    @property
    def available(self) -> bool:
        return self.cls is not None

    def to_dict(self) -> dict[str, Any]:
        d = {"name": self.name, "target": self.target, "source": self.source, "available": self.available,
             "error": self.error}
        if self.info is not None:
            d.update({k: v for k, v in self.info.to_dict().items() if k != "name"})
        return d


def _import_target(target: str) -> type:
    module, _, attr = target.partition(":")
    if not attr:
        raise ImportError(f"{target!r} is not of the form 'module:Class'")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not inspect.isclass(obj):
        raise ImportError(f"{target!r} is not a class")
    return obj


def _entry(name: str, target: str, source: str) -> ImputerEntry:
    try:
        cls = _import_target(target)
    except Exception as exc:  # a broken plugin must not break the registry
        return ImputerEntry(name, target, source, None, None, f"{type(exc).__name__}: {exc}")
    info = getattr(cls, "info", None)
    if not isinstance(info, ImputerInfo):
        info = ExternalImputer.info_for(name, cls)
    return ImputerEntry(name, target, source, cls, info)


@lru_cache(maxsize=1)
def discover() -> dict[str, ImputerEntry]:
    """Every registered imputer: built-ins first, then entry-point plugins (built-ins win a clash)."""
    found = {name: _entry(name, target, "builtin") for name, target in BUILTINS.items()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in found:
            found[ep.name] = _entry(ep.name, ep.value, "entry-point")
    return found


def resolve(name: str) -> ImputerEntry:
    """The entry for ``name``: a registered name or a dotted ``module:Class`` path."""
    known = discover()
    if name in known:
        return known[name]
    if ":" in name:
        return _entry(name, name, "path")
    raise UsageError(
        f"unknown imputer {name!r}; valid: {', '.join(sorted(known))} (or a dotted path 'module:Class')"
    )


def make_imputer(name: str, params: dict[str, Any] | None = None, random_state: int | None = None):
    """An unfitted imputer with ``params``; ``random_state`` is passed when the class takes it."""
    entry = resolve(name)
    if not entry.available:
        raise UsageError(f"imputer {name!r} is unavailable: {entry.error}")
    # A profile's adapt_* keys are the fine-tune budget (PROTOCOL §7), passed to adapt(), not __init__.
    params = split_adapt_params(params or {})[0]
    cls = entry.cls
    if getattr(cls, "info", None) is None or not isinstance(getattr(cls, "info"), ImputerInfo):
        return ExternalImputer(estimator=cls(**params), name=name, random_state=random_state)
    accepted = inspect.signature(cls.__init__).parameters
    if "random_state" in accepted and random_state is not None:
        params["random_state"] = random_state
    return cls(**params)
