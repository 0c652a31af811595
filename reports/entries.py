"""One entry per imputer and hyper-parameters: jobs that ran with different hyper-parameters are never
pooled on a page, a ranking or a download (they become entries such as ``gain[iterations=200]``), and
each entry's hyper-parameters travel beside its numbers."""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

BASE_IMPUTER = "base_imputer"  # the registered name behind an entry such as ``gain[iterations=200]``
ABSENT = "default"  # how an entry's name shows a hyper-parameter its jobs left to the constructor


def param_text(value: Any) -> str:
    """A hyper-parameter's value as an entry's name and its page show it: strings bare, the rest JSON."""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def params_text(params: str | None) -> str:
    """Canonical params JSON as ``k=v, k=v`` (the leaderboard's hover text, a page's line); "" for none."""
    return ", ".join(f"{k}={param_text(v)}" for k, v in json.loads(params or "{}").items())


def differing_keys(configurations: Sequence[Mapping[str, Any]]) -> list[str]:
    """The hyper-parameters whose value is not the same in every configuration (a key some leave out
    counts as differing), sorted: what an entry's name shows."""
    keys = sorted({k for c in configurations for k in c})
    return [k for k in keys if len({json.dumps(c.get(k, ABSENT), default=str) for c in configurations}) > 1]


def entry_names(imputer: str, params: Sequence[str], overridden: Sequence[bool],
                declared: Mapping[str, Any]) -> dict[str, str]:
    """Canonical params JSON -> entry name, for one imputer's distinct configurations (``overridden``:
    whether every job of each departs from its profile; ``declared``: the profile's hyper-parameters).
    The only configuration the profile declared keeps the imputer's name; every other one is
    ``imputer[k=v,...]`` with only the keys whose value differs among them (and from ``declared`` where
    one was overridden, so that a lone override is named too), in canonical order."""
    parsed = [json.loads(p) for p in params]
    compared = [*parsed, declared] if any(overridden) else parsed
    keys = [k for k in differing_keys(compared) if any(k in c for c in parsed)]
    named = {p: f"{imputer}[{','.join(f'{k}={param_text(c.get(k, ABSENT))}' for k in keys)}]"
             for p, c in zip(params, parsed)}
    plain = [p for p, o in zip(params, overridden) if not o]
    if len(plain) == 1:
        named[plain[0]] = imputer
    return named


def parameter_entries(rows: pd.DataFrame,
                      declared: Callable[[str, str], Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """``rows`` with one entry per imputer and hyper-parameters, so that no page, ranking or download
    pools jobs that ran with different ones: ``imputer`` becomes the entry's name (:func:`entry_names`,
    per track), ``base_imputer`` keeps the registered name. Rows without params (a store older than
    the column) ran with ``declared(imputer, profile)`` (the imputer's declaration by default); rows
    without ``params_overridden`` are compared with it (:func:`imputebench.imputer_info.overridden_keys`).
    The work is per distinct configuration, not per row."""
    from ..imputer_info import canonical_params, overridden_keys
    from ..tracks.grid import declared_params

    declared = declared or declared_params
    keys = ["track", "imputer", "profile", "params", "flag"]
    found = {"track": "", "profile": "quick", "params": "", "flag": -1}  # what an older store lacks
    configs = pd.DataFrame({k: (rows[c].astype(object).where(rows[c].notna(), found.get(k)).to_numpy()
                                if c in rows else np.full(len(rows), found.get(k), dtype=object))
                            for k, c in zip(keys, ["track", "imputer", "profile", "params", "params_overridden"])})
    codes = configs.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()  # numbered as first seen
    distinct = configs.drop_duplicates(keys).reset_index(drop=True)
    distinct["params"] = [p or canonical_params(declared(i, f)) for i, f, p in
                          zip(distinct["imputer"], distinct["profile"], distinct["params"])]
    distinct["flag"] = [bool(overridden_keys(json.loads(p), declared(i, f))) if flag == -1 else bool(flag)
                        for i, f, p, flag in zip(distinct["imputer"], distinct["profile"], distinct["params"],
                                                 distinct["flag"])]
    names: dict[tuple[str, str, str], str] = {}
    for (track, imputer), group in distinct.groupby(["track", "imputer"], sort=False):
        per = group.groupby("params", sort=True)["flag"].all()
        entries = entry_names(imputer, list(per.index), list(per), declared(imputer, group["profile"].iloc[0]))
        names.update({(track, imputer, p): n for p, n in entries.items()})
    distinct["entry"] = [names.get(c, c[1])  # a row without an imputer keeps none
                         for c in zip(distinct["track"], distinct["imputer"], distinct["params"])]
    take = {c: distinct[c].to_numpy(dtype=object)[codes] for c in ("entry", "params", "imputer")}
    return rows.assign(params=take["params"], params_overridden=distinct["flag"].to_numpy(dtype=bool)[codes],
                       imputer=take["entry"], **{BASE_IMPUTER: take["imputer"]})


def entry_params(rows: pd.DataFrame) -> dict[str, str]:
    """Per entry (:func:`parameter_entries`): its hyper-parameters as ``k=v, ...``, the configurations
    joined by `` | `` where one entry holds several (rows of several tracks); {} without params."""
    if "params" not in rows:
        return {}
    return rows.groupby("imputer")["params"].agg(lambda v: " | ".join(params_text(p) for p in sorted(set(v)))).to_dict()


def with_params(frame: pd.DataFrame, params_of: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` (a download with an ``imputer`` column) with each entry's hyper-parameters beside it."""
    if "imputer" not in frame or "params" in frame:
        return frame
    out = frame.copy()
    out.insert(list(frame.columns).index("imputer") + 1, "params", frame["imputer"].map(params_of).fillna(""))
    return out
