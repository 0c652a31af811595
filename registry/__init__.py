"""The imputer registry: built-ins, entry-point plugins and dotted paths, resolved lazily.

Built-ins are declared once, one row each, in :mod:`imputebench.registry.info` (class path, metadata,
optional requirements, default run), so listing, ``imputers info`` and planning import no
implementation (no torch, xgboost or scikit-learn); an implementation is imported when its class is
first needed, and resolving ``mean`` imports nothing of another imputer. Third-party imputers register
under the entry-point group ``imputebench.imputers`` and are imported only when a command needs them;
one that raises anything at import (``SystemExit`` included) is listed as unavailable with its error
while the rest work. A plugin whose name is a built-in's or another plugin's is listed under its
dotted path with a note naming both; the clashing name means the built-in, and two plugins' shared
name is an error naming both. Any importable imputer can also be named by dotted path,
``module:Class``, or ``numeric:module:Class`` for a numeric-array imputer (the two contracts:
:mod:`imputebench.imputer`); scikit-learn's experimental imputers are enabled first, so
``sklearn.impute:IterativeImputer`` works.

An imputer's family is the one it declares (``ImputerInfo.family``); one that declares none is
:data:`EXTERNAL_FAMILY`. :func:`family_of` is the one answer every page and filter uses.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
from functools import lru_cache
from typing import Any, Callable, Mapping

from ..errors import UsageError, one_line
from ..imputer_info import ImputerInfo, split_adapt_params
from .info import BUILTIN_IMPUTERS, BUILTIN_INFO, DEFAULT_RUN

ENTRY_POINT_GROUP = "imputebench.imputers"
NUMERIC_PREFIX = "numeric:"  # a dotted path that opts into the numeric contract
EXTERNAL_FAMILY = "external"  # the family of an imputer that declares none (a dotted path, a bare plugin)

# Views of the built-in rows (registry/info): name -> "module:Class", and the default run's imputers.
BUILTINS: dict[str, str] = {name: row.target for name, row in BUILTIN_IMPUTERS.items()}
CLASSICAL = DEFAULT_RUN

# Modules whose classes need an opt-in import first: scikit-learn's experimental estimators.
ENABLE_FIRST: dict[str, tuple[str, ...]] = {"sklearn.impute": ("sklearn.experimental.enable_iterative_imputer",)}


class ImputerEntry:
    """One imputer the registry knows, available or not; its class is imported on first use.

    ``info`` of a built-in comes from its declaration without importing it; a plugin's ``info``,
    ``cls``, ``available`` and ``error`` import the plugin (once). ``note`` says why a plugin is
    listed under its dotted path (its entry-point name clashes).
    """

    def __init__(self, name: str, target: str, source: str, info: ImputerInfo | None = None,
                 loader: Callable[[], Any] | None = None, requires: tuple[str, ...] = (),
                 extra: str | None = None, note: str | None = None) -> None:
        self.name, self.target, self.source = name, target, source  # source: builtin | entry-point | path
        self.note = note
        self._info = info
        self._loader = loader or (lambda: _import_target(target))
        self._requires, self._extra = requires, extra
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
            self._error = one_line(exc, None)
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
        missing = [m for m in self._requires if importlib.util.find_spec(m) is None]
        if missing:
            install = f" (pip install 'imputebench[{self._extra}]')" if self._extra else ""
            return f"needs {', '.join(missing)}{install}"
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

    def to_dict(self) -> dict[str, Any]:
        d = {"name": self.name, "target": self.target, "source": self.source, "available": self.available,
             "error": self.error, "note": self.note}
        if self.info is not None:
            d.update({k: v for k, v in self.info.to_dict().items() if k != "name"})
        return d


def _import_target(target: str) -> type:
    module, _, attr = target.removeprefix(NUMERIC_PREFIX).partition(":")
    if not attr:
        raise ImportError(f"{target!r} is not of the form 'module:Class'")
    for enabling in ENABLE_FIRST.get(module, ()):
        importlib.import_module(enabling)
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
    return ImputerInfo(name=name, family=EXTERNAL_FAMILY,
                       description=doc[0] if doc else f"{cls.__module__}.{cls.__name__}",
                       reference=f"{cls.__module__}:{cls.__name__}")


@lru_cache(maxsize=1)
def _builtin_entries() -> dict[str, ImputerEntry]:
    return {name: ImputerEntry(name, row.target, "builtin", row.info, requires=row.requires, extra=row.extra)
            for name, row in BUILTIN_IMPUTERS.items()}


def _plugin_label(ep: Any) -> str:
    dist = getattr(getattr(ep, "dist", None), "name", None)
    return f"{ep.module}:{ep.attr}" + (f" (from {dist})" if dist else "")


@lru_cache(maxsize=1)
def _plugins() -> tuple[dict[str, ImputerEntry], dict[str, str]]:
    """(entries by name, the error of each name two plugins share). A plugin whose name is taken (by a
    built-in or another plugin) is listed under its dotted path, with a note naming both."""
    from importlib.metadata import entry_points

    by_name: dict[str, list[Any]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        same = by_name.setdefault(ep.name, [])
        if all((o.module, o.attr) != (ep.module, ep.attr) for o in same):  # one class declared twice is one plugin
            same.append(ep)
    found: dict[str, ImputerEntry] = {}
    shared: dict[str, str] = {}
    for name, eps in by_name.items():
        eps.sort(key=_plugin_label)  # messages that do not depend on the order distributions are found in
        taken = [f"the built-in {name!r}"] if name in BUILTINS else []
        if not taken and len(eps) == 1:
            found[name] = ImputerEntry(name, eps[0].value, "entry-point", loader=eps[0].load)
            continue
        for ep in eps:
            qualified = f"{ep.module}:{ep.attr}"
            rivals = taken + [f"plugin {_plugin_label(o)}" for o in eps if o is not ep]
            found[qualified] = ImputerEntry(qualified, qualified, "entry-point", loader=ep.load, note=(
                f"entry point {name!r} of plugin {_plugin_label(ep)} clashes with {' and '.join(rivals)}; "
                f"run it as {qualified!r}"))
        if not taken:
            shared[name] = (f"imputer name {name!r} is declared by several plugins: "
                            f"{' and '.join(_plugin_label(ep) for ep in eps)}; name one by its dotted path "
                            f"({' or '.join(repr(f'{ep.module}:{ep.attr}') for ep in eps)})")
    return found, shared


def discover() -> dict[str, ImputerEntry]:
    """Every registered imputer: built-ins first, then entry-point plugins (not imported yet)."""
    return {**_builtin_entries(), **_plugins()[0]}


def clear_cache() -> None:
    """Forget discovered entries (tests that install a plugin while running)."""
    _builtin_entries.cache_clear()
    _plugins.cache_clear()


def resolve(name: str) -> ImputerEntry:
    """The entry for ``name``: a built-in, an entry-point plugin or a dotted ``module:Class`` path.

    A built-in name reads no plugin metadata and imports nothing.
    """
    builtins = _builtin_entries()
    if name in builtins:
        return builtins[name]
    plugins, shared = _plugins()
    if name in plugins:
        return plugins[name]
    if name in shared:
        raise UsageError(shared[name])
    if ":" in name:
        return ImputerEntry(name, name, "path")
    known = sorted([*builtins, *plugins])
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UsageError(f"unknown imputer {name!r}; {hint}valid: {', '.join(known)} (or a dotted path 'module:Class')")


def info_of(name: str) -> ImputerInfo | None:
    """What ``name`` declares about itself, or None when that cannot be had here (an unknown name, a
    plugin that is not installed or fails to import). A built-in's imports nothing."""
    if name in BUILTIN_INFO:
        return BUILTIN_INFO[name]
    try:
        return resolve(name).info
    except UsageError:
        return None


def family_of(name: str) -> str:
    """``name``'s family as every page and filter shows it: the one it declares (``ImputerInfo.family``),
    else :data:`EXTERNAL_FAMILY`."""
    info = info_of(name)
    return info.family if info is not None else EXTERNAL_FAMILY


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
        raise UsageError(one_line(exc, None, typed=False)) from None


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
