"""The imputer registry: built-ins, entry-point plugins and dotted paths, resolved lazily.

Built-ins are named in :data:`BUILTINS` with their metadata in :mod:`imputebench.registry.info`, so
listing, ``imputers info`` and planning import no implementation (no torch, xgboost or
scikit-learn); an implementation is imported when its class is first needed, and resolving ``mean``
imports nothing of another imputer. Third-party imputers register under the entry-point group
``imputebench.imputers`` and are imported only when a command needs them; one that raises anything
at import (``SystemExit`` included) is listed as unavailable with its error while the rest work.
Any importable imputer can also be named by dotted path, ``module:Class``, or
``numeric:module:Class`` for a numeric-array imputer (the two contracts: :mod:`imputebench.imputer`).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
from functools import lru_cache
from typing import Any, Callable, Mapping

from ..errors import UsageError
from ..imputer_info import ImputerInfo, split_adapt_params
from .info import BUILTIN_INFO

ENTRY_POINT_GROUP = "imputebench.imputers"
NUMERIC_PREFIX = "numeric:"  # a dotted path that opts into the numeric contract

# name -> "module:Class"; one module per imputer.
BUILTINS: dict[str, str] = {
    "mean": "imputebench.registry.mean:MeanImputer",
    "median": "imputebench.registry.median:MedianImputer",
    "knn": "imputebench.registry.knn:KNNImputer",
    "mice": "imputebench.registry.mice:MICEImputer",
    "mice_linear": "imputebench.registry.mice:MICELinearImputer",
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

# Optional packages a built-in needs beyond the core dependencies (an extra): its availability is
# whether they are installed, known without importing them.
OPTIONAL_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    name: ("torch",) for name in ("gain", "midae", "vaei", "hivae", "miwae", "metagain", "diffputer", "remasker")
}

# The classical family: the default run's imputers.
CLASSICAL = ("mean", "median", "knn", "mice", "missforest", "xgbi", "pcai", "softimpute", "em")


class ImputerEntry:
    """One imputer the registry knows, available or not; its class is imported on first use.

    ``info`` of a built-in comes from its metadata table without importing it; a plugin's ``info``,
    ``cls``, ``available`` and ``error`` import the plugin (once).
    """

    def __init__(self, name: str, target: str, source: str, info: ImputerInfo | None = None,
                 loader: Callable[[], Any] | None = None, requires: tuple[str, ...] = ()) -> None:
        self.name, self.target, self.source = name, target, source  # source: builtin | entry-point | path
        self._info = info
        self._loader = loader or (lambda: _import_target(target))
        self._requires = requires
        self._loaded = False
        self._cls: type | None = None
        self._error: str | None = None
        self.contract: str | None = "dataframe" if source == "builtin" else None

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            cls = self._loader()
            if not inspect.isclass(cls):
                raise ImportError(f"{self.target!r} is not a class")
            self.contract = _contract(cls, self.target)
        except BaseException as exc:  # noqa: BLE001  a plugin that raises anything, SystemExit too, must not break the registry
            self._error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            return
        self._cls = cls
        if self._info is None:
            declared = getattr(cls, "info", None)
            self._info = declared if isinstance(declared, ImputerInfo) else _external_info(self.name, cls)

    @property
    def cls(self) -> type | None:
        self._load()
        return self._cls

    @property
    def error(self) -> str | None:
        missing = self._missing_requirements()
        if missing:
            return f"needs {', '.join(missing)} (pip install 'imputebench[deep]')"
        if self.source != "builtin":  # a built-in's availability is its requirements: no import to list it
            self._load()
        return self._error

    @property
    def available(self) -> bool:
        return self.error is None

    @property
    def info(self) -> ImputerInfo | None:
        if self._info is None:
            self._load()
        return self._info

    def _missing_requirements(self) -> list[str]:
        return [m for m in self._requires if importlib.util.find_spec(m) is None]

    def to_dict(self) -> dict[str, Any]:
        d = {"name": self.name, "target": self.target, "source": self.source, "available": self.available,
             "error": self.error}
        if self.info is not None:
            d.update({k: v for k, v in self.info.to_dict().items() if k != "name"})
        return d


def _import_target(target: str) -> type:
    module, _, attr = target.removeprefix(NUMERIC_PREFIX).partition(":")
    if not attr:
        raise ImportError(f"{target!r} is not of the form 'module:Class'")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _contract(cls: type, target: str) -> str:
    """The contract ``cls`` declares; ``numeric:`` in front of a dotted path declares the numeric one."""
    if target.startswith(NUMERIC_PREFIX):
        return "numeric"
    from ..imputer import contract_of

    return contract_of(cls)


def _external_info(name: str, cls: type) -> ImputerInfo:
    doc = (inspect.getdoc(cls) or "").splitlines()
    return ImputerInfo(name=name, family="external", description=doc[0] if doc else f"{cls.__module__}.{cls.__name__}",
                       reference=f"{cls.__module__}:{cls.__name__}")


def _builtin(name: str) -> ImputerEntry:
    return ImputerEntry(name, BUILTINS[name], "builtin", BUILTIN_INFO[name],
                        requires=OPTIONAL_REQUIREMENTS.get(name, ()))


@lru_cache(maxsize=1)
def _builtin_entries() -> dict[str, ImputerEntry]:
    return {name: _builtin(name) for name in BUILTINS}


@lru_cache(maxsize=1)
def _plugin_entries() -> dict[str, ImputerEntry]:
    from importlib.metadata import entry_points

    found: dict[str, ImputerEntry] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in BUILTINS and ep.name not in found:  # built-ins win a clash
            found[ep.name] = ImputerEntry(ep.name, ep.value, "entry-point", loader=ep.load)
    return found


def discover() -> dict[str, ImputerEntry]:
    """Every registered imputer: built-ins first, then entry-point plugins (not imported yet)."""
    return {**_builtin_entries(), **_plugin_entries()}


def clear_cache() -> None:
    """Forget discovered entries (tests that install a plugin while running)."""
    _builtin_entries.cache_clear()
    _plugin_entries.cache_clear()


def resolve(name: str) -> ImputerEntry:
    """The entry for ``name``: a built-in, an entry-point plugin or a dotted ``module:Class`` path.

    A built-in name reads no plugin metadata and imports nothing.
    """
    builtins = _builtin_entries()
    if name in builtins:
        return builtins[name]
    if ":" in name:
        return ImputerEntry(name, name, "path")
    plugins = _plugin_entries()
    if name in plugins:
        return plugins[name]
    known = sorted([*builtins, *plugins])
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UsageError(f"unknown imputer {name!r}; {hint}valid: {', '.join(known)} (or a dotted path 'module:Class')")


def _available_class(name: str) -> tuple[ImputerEntry, type]:
    entry = resolve(name)
    cls = entry.cls if entry.available else None
    if cls is None:
        raise UsageError(f"imputer {name!r} is unavailable: {entry.error}")
    return entry, cls


def check_params(name: str, params: Mapping[str, Any]) -> None:
    """Raise a one-line :class:`UsageError` when ``params`` do not fit ``name``'s constructor or its
    declared ``_parameter_constraints`` (an unknown name, a wrong type, a value out of range).

    Called when a job plan is built, so a bad ``--param`` fails before any job runs.
    """
    entry, cls = _available_class(name)
    accepted = _constructor_params(cls)
    # adapt_* keys are the fine-tune budget (PROTOCOL §7): constructor parameters renamed for adapt().
    init, budget = split_adapt_params(params)
    if budget and not callable(getattr(cls, "adapt", None)):
        raise UsageError(f"imputer {name!r} has no adapt method, so no fine-tune budget "
                         f"({', '.join('adapt_' + k for k in budget)})")
    for key, given in [*((k, k) for k in init), *((k, f"adapt_{k}") for k in budget)]:
        if key not in accepted:
            close = difflib.get_close_matches(key, accepted, n=1)
            hint = f"did you mean {given.replace(key, close[0])!r}? " if close else ""
            raise UsageError(f"imputer {name!r} has no parameter {given!r}; {hint}valid: {', '.join(accepted) or 'none'}")
    constraints = getattr(cls, "_parameter_constraints", None)
    if not constraints:
        return
    from sklearn.utils._param_validation import InvalidParameterError, validate_parameter_constraints

    try:
        validate_parameter_constraints(constraints, init, caller_name=f"imputer {name!r}")
        validate_parameter_constraints(constraints, budget, caller_name=f"imputer {name!r} adapt")
    except InvalidParameterError as exc:
        raise UsageError(" ".join(str(exc).split())) from None


def _constructor_params(cls: type) -> list[str]:
    sig = inspect.signature(cls.__init__)
    return [p.name for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def make_imputer(name: str, params: dict[str, Any] | None = None, random_state: int | None = None):
    """An unfitted imputer with ``params``; ``random_state`` is passed when the class takes it.

    A numeric-contract class comes wrapped in :class:`~imputebench.registry.external.ExternalImputer`.
    """
    entry, cls = _available_class(name)
    # A profile's adapt_* keys are the fine-tune budget (PROTOCOL §7), passed to adapt(), not __init__.
    params = split_adapt_params(params or {})[0]
    if entry.contract == "numeric":
        from .external import ExternalImputer

        return ExternalImputer(estimator=cls(**params), name=name, random_state=random_state)
    if random_state is not None and "random_state" in _constructor_params(cls):
        params["random_state"] = random_state
    return cls(**params)
