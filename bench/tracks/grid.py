"""The grid axes every track shares (imputers and their hyper-parameters, mechanisms, rates, seeds),
validated once here: one line for bad input, nothing loaded or written."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from ..errors import UsageError

if TYPE_CHECKING:
    from ..harness.config import RunConfig
    from ..harness.job import DataSource


def unique(values: Iterable) -> list:
    """The grid's values once each, in the order given (``--rates 0.2,0.2`` runs one rate)."""
    return list(dict.fromkeys(values))


def check_choices(values: Sequence, valid: Sequence, what: str) -> list:
    """``values`` once each; one not in ``valid`` is a one-line UsageError naming the valid ones."""
    for v in values:
        if v not in valid:
            close = difflib.get_close_matches(str(v), [str(x) for x in valid], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"unknown {what} {v!r}{hint}; valid: {', '.join(map(str, valid))}")
    return unique(values)


def resolve_imputers(names: Sequence[str] | None) -> list[str]:
    from ..registry import CLASSICAL, resolve

    names = list(CLASSICAL) if not names else unique(names)
    for n in names:
        entry = resolve(n)  # raises a UsageError for an unknown name
        if not entry.available:
            raise UsageError(f"imputer {n!r} is unavailable: {entry.error}")
    return names


def check_dataset_names(names: Sequence[str], data_home: str | None = None) -> None:
    from .. import datasets as dsmod

    valid = set(dsmod.dataset_names(data_home=data_home))
    for n in names:
        if n not in valid:
            close = difflib.get_close_matches(n, sorted(valid), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"unknown dataset {n!r}{hint}; valid: {', '.join(sorted(valid))}")


def job_params(params: Mapping[str, Any], fine_tune_budget: bool = False) -> str:
    """The canonical JSON of a job's hyper-parameters, as its key has it (``adapt_*`` left out unless
    ``fine_tune_budget``: the transfer track's fine-tune budget does not change other jobs' numbers)."""
    from ..imputer_info import canonical_params, split_adapt_params

    return canonical_params(params if fine_tune_budget else split_adapt_params(params)[0])


def declared_params(imputer: str, profile: str) -> dict[str, Any]:
    """The hyper-parameters ``imputer`` declares for ``profile`` ({} when it declares none, or its
    declaration cannot be had here)."""
    from ..registry import info_of

    info = info_of(imputer) if isinstance(imputer, str) and imputer else None
    return info.params_for(profile) if info is not None else {}


def params_overridden(imputer: str, params: str | None, profile: str | None) -> bool:
    """Whether a job's hyper-parameters (canonical JSON) depart from what ``imputer`` declares for
    ``profile``: a ``--param`` override that changed a value. No params (a store older than the
    column) means the profile's own."""
    from ..imputer_info import overridden_keys

    if not params or not imputer:
        return False
    return bool(overridden_keys(json.loads(params), declared_params(imputer, profile or "quick")))


def imputer_params(cfg: "RunConfig", imputers: Sequence[str], fine_tune_budget: bool = False) -> dict[str, str]:
    """Each imputer's hyper-parameters (its profile's, then --param overrides), checked against its
    declared constraints: a bad --param fails before any dataset is loaded or anything written.

    The ``adapt_*`` keys (the transfer track's fine-tune budget, PROTOCOL §7) are checked too but kept
    only with ``fine_tune_budget``: they do not change a main-track job's numbers, so not its key."""
    from ..registry import check_params, resolve

    params = {}
    for name in imputers:
        info = resolve(name).info
        p = info.params_for(cfg.profile) if info else {}
        p.update(cfg.params.get(name, {}))
        check_params(name, p)
        params[name] = job_params(p, fine_tune_budget)
    return params


@dataclass
class SharedAxes:
    """The validated, de-duplicated axes every track has."""

    imputers: list[str]
    mechanisms: list[str]
    rates: list[float]
    seeds: list[int]
    params: dict[str, str]  # imputer -> canonical JSON of its hyper-parameters


def check_shared_axes(cfg: "RunConfig", fine_tune_budget: bool = False) -> SharedAxes:
    """Mechanisms, rates and seeds (the profile's unless given), imputers and their parameters."""
    from ..protocol.masks import check_mechanism, check_rate
    from ..protocol.profiles import get_profile

    profile = get_profile(cfg.profile)
    mechanisms = unique(check_mechanism(m) for m in (cfg.mechanisms or profile.mechanisms))
    rates = unique(check_rate(r) for r in (cfg.rates or profile.rates))
    seeds = unique(int(s) for s in (cfg.seeds if cfg.seeds is not None else profile.seeds))
    if not seeds:
        raise UsageError("no seeds to run; give e.g. --seeds 0,1 or 0-4")
    imputers = resolve_imputers(cfg.imputers)
    stray = sorted(set(cfg.params) - set(imputers))
    if stray:
        raise UsageError(f"--param names imputer {stray[0]!r}, which is not in this run's imputers: {', '.join(imputers)}")
    return SharedAxes(imputers, mechanisms, rates, seeds, imputer_params(cfg, imputers, fine_tune_budget))


def max_rows_of(cfg: "RunConfig") -> int | None:
    """The run's row cap: the profile's unless the config sets one (None: no cap)."""
    from ..protocol.profiles import get_profile

    return get_profile(cfg.profile).max_rows if cfg.max_rows == "profile" else cfg.max_rows  # type: ignore[return-value]


def load_tables(cfg: "RunConfig", names: Sequence[str], **options: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Each named table loaded once, in the driver, with the run's row cap; those that cannot be had
    are returned apart with why, so the rest runs. ``options`` go to the data layer as they are (the
    natural track's ``keep_missing=True, natural=DIR``)."""
    from .. import datasets as dsmod
    from ..errors import DatasetError

    src, max_rows = cfg.source, max_rows_of(cfg)
    where = dict(mirror=src.mirror, data_home=src.data_home, allow_network=src.allow_network, **options)
    unavailable = {n: why for n, why in dsmod.availability(list(names), **where).items() if why is not None}
    loaded = {}
    for n in names:
        if n in unavailable:
            continue
        try:
            loaded[n] = dsmod.load_dataset(n, max_rows=max_rows, **where)
        except DatasetError as exc:
            unavailable[n] = str(exc)
    return loaded, unavailable


@lru_cache(maxsize=4)
def job_table(name: str, max_rows: int | None, source: "DataSource", keep_missing: bool = False) -> Any:
    """A job's table when the driver shipped none (a job run on its own); ``keep_missing``: with the
    table's own holes, from the natural tables folder too."""
    from ..datasets import load_dataset

    extra = dict(keep_missing=True, natural=source.natural) if keep_missing else {}
    return load_dataset(name, max_rows=max_rows, mirror=source.mirror, data_home=source.data_home,
                        allow_network=source.allow_network, **extra)
