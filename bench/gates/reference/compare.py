"""Reference rows against rows computed here (pure), through the engine of
:mod:`imputebench.gates.comparison`: which reference rows may stand beside a run's own
(:func:`merge_reference`), which rows a verification re-runs (:func:`sample_for_verify`) and whether
they reproduce (:func:`compare_rows`, :func:`verify_verdicts`)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ... import PROTOCOL_VERSION
from ..comparison import (CELL_COLUMNS, MetricChange, differences, identity_index, mask_keys,
                          match_jobs, params_of, stale_params)

CELL = list(CELL_COLUMNS)  # one mask and one setting (PROTOCOL §2-3)
# A verification's tolerance: an imputer that draws no random numbers must give the same numbers to
# this relative precision (only floating-point summation order may differ between machines); any
# other imputer must land within this many seed standard deviations of the reference value.
EXACT_RTOL = 1e-7
NOISE_SDS = 3.0
# Imputers without a random draw (PROTOCOL §8): verified exactly. Every other one within seed noise.
DETERMINISTIC = frozenset({"mean", "median", "knn", "em", "pcai", "softimpute"})
# The spread of a metric over seeds is taken per job identity less its seed.
NOISE_GROUP = ["dataset", "mechanism", "rate", "setting", "imputer"]
# What the report keeps of a reference row it left out (beside the reason).
EXCLUDED_COLUMNS = ["imputer", "dataset", "mechanism", "rate", "seed", "setting"]


# -- merging reference rows with rows computed here ---------------------------------------------------
@dataclass
class Merge:
    """Rows computed here plus the reference rows that may stand beside them (column ``origin``:
    ``"here"`` or ``"reference"``), and the reference rows left out with the reason why."""

    rows: pd.DataFrame
    excluded: pd.DataFrame  # imputer, dataset, mechanism, rate, seed, setting, reason

    def reasons(self) -> pd.DataFrame:
        """Left-out rows counted per reason and imputer (what the report shows)."""
        if not len(self.excluded):
            return pd.DataFrame(columns=["reason", "imputer", "rows"])
        return (self.excluded.groupby(["reason", "imputer"]).size().rename("rows").reset_index()
                .sort_values(["rows", "reason", "imputer"], ascending=[False, True, True]).reset_index(drop=True))


def merge_reference(local: pd.DataFrame, reference: pd.DataFrame, *, expected_params: Mapping[str, str],
                    local_masks: Mapping[str, str], reference_masks: Mapping[str, str],
                    protocol_version: int = PROTOCOL_VERSION) -> Merge:
    """Which reference rows may be ranked beside ``local`` (PROTOCOL §8).

    A reference row is used only for a cell (:data:`imputebench.gates.comparison.CELL_COLUMNS` and the
    profile) that was run here, when its protocol version is this one, its dataset checksum is that
    of the table loaded here, its mask's checksum is that of the mask stored here, and its parameters
    are ``expected_params[imputer]`` (this version's profile for that imputer). A job run here (the
    same :data:`~imputebench.gates.comparison.IDENTITY_COLUMNS`) replaces the reference's row of it.
    ``local_masks``/``reference_masks``: mask key -> mask checksum. The first reason that applies is
    the one given.
    """
    local = local.assign(origin="here")
    ref = reference.reset_index(drop=True)
    reason = pd.Series("", index=ref.index, dtype=object)

    def flag(where: pd.Series | np.ndarray, why: str | pd.Series) -> None:
        where = pd.Series(np.asarray(where, dtype=bool), index=ref.index) & (reason == "")
        reason[where] = why[where] if isinstance(why, pd.Series) else why

    flag(ref["protocol_version"].astype("Int64") != protocol_version,
         "protocol version " + ref["protocol_version"].astype(str) + f"; this imputebench follows version {protocol_version}")
    local_sums = local.groupby("dataset")["dataset_checksum"].agg(lambda c: set(c.dropna()))
    flag(~ref["dataset"].isin(local_sums.index), "dataset " + ref["dataset"] + " was not run here")
    same_table = [s in local_sums.get(d, set()) for d, s in zip(ref["dataset"], ref["dataset_checksum"])]
    flag(~np.asarray(same_table, dtype=bool), "dataset checksum differs from the table loaded here")
    cell = [*CELL, "profile"]
    flag(~identity_index(ref, cell).isin(identity_index(local, cell)), "mask, setting or profile not run here")
    flag(~ref["imputer"].isin(list(expected_params)), "imputer unknown to this imputebench")
    flag(stale_params(ref, expected_params), "parameters differ from this imputebench's profile")
    keys = mask_keys(ref)
    here_mask = pd.Series([local_masks.get(k) for k in keys], index=ref.index)
    ref_mask = pd.Series([reference_masks.get(k) for k in keys], index=ref.index)
    flag(ref_mask.isna() | here_mask.isna() | (here_mask != ref_mask), "mask differs from the one drawn here")
    flag(identity_index(ref).isin(identity_index(local)), "computed here")
    keep = (reason == "").to_numpy()
    merged = pd.concat([local, ref[keep].assign(origin="reference")], ignore_index=True)
    excluded = ref.loc[~keep, EXCLUDED_COLUMNS].assign(reason=reason[~keep].to_numpy()).reset_index(drop=True)
    return Merge(merged, excluded)


# -- verification ------------------------------------------------------------------------------------
def sample_for_verify(rows: pd.DataFrame, n: int, seed: int = 0, datasets: Iterable[str] | None = None,
                      imputers: Iterable[str] | None = None) -> pd.DataFrame:
    """``n`` ok reference rows to re-run, spread over imputers (round robin over a seeded shuffle),
    from ``datasets`` and ``imputers`` (the ones that can be had here) when given."""
    ok = rows[rows["status"] == "ok"]
    if datasets is not None:
        ok = ok[ok["dataset"].isin(list(datasets))]
    if imputers is not None:
        ok = ok[ok["imputer"].isin(list(imputers))]
    if n <= 0 or not len(ok):
        return ok.iloc[:0]
    order = np.random.default_rng(seed).permutation(len(ok))
    shuffled = ok.iloc[order]
    turn = shuffled.groupby("imputer", sort=True).cumcount()  # i-th pick of each imputer
    picked = shuffled.assign(_turn=turn.to_numpy()).sort_values(["_turn", "imputer"], kind="stable").head(n)
    return picked.drop(columns="_turn").reset_index(drop=True)


def seed_noise(rows: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Standard deviation over seeds of each metric, per (dataset, mechanism, rate, setting, imputer)."""
    ok = rows[rows["status"] == "ok"]
    return ok.groupby(NOISE_GROUP)[list(metrics)].std(ddof=1)


@dataclass(frozen=True)
class Verdict:
    job_key: str
    imputer: str
    dataset: str
    cell: str
    metric: str
    reference: float
    here: float
    tolerance: float
    verdict: str  # "exact", "within seed noise", "differs", "failed here", "not the same job here"
    detail: str = ""  # for "not the same job here": what differs

    @property
    def passed(self) -> bool:
        return self.verdict in ("exact", "within seed noise")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_RANK = {"exact": 0, "within seed noise": 1, "differs": 2}


def _metric_verdict(change: MetricChange, exact_only: bool, noise_tol: float) -> tuple[str, float]:
    """One metric's verdict and the tolerance it was judged by (``change.allowed``: the exact one)."""
    if change.gap <= change.allowed:
        return "exact", change.allowed
    if not exact_only and change.gap <= noise_tol:
        return "within seed noise", noise_tol
    return "differs", change.allowed if exact_only or math.isnan(noise_tol) else noise_tol


def compare_rows(ref: Mapping[str, Any], here: Mapping[str, Any] | None, metrics: Sequence[str],
                 noise: Mapping[str, float]) -> Verdict:
    """Does a re-run row reproduce a reference row? It must be the same job (identity and parameters,
    scored on the same masks: :func:`imputebench.gates.comparison.differences`). Imputers in
    :data:`DETERMINISTIC` must match to :data:`EXACT_RTOL`; the others within :data:`NOISE_SDS` seed
    standard deviations (``noise``: per metric, from the reference set's own seeds). The verdict is
    that of the worst metric."""
    cell = f"{ref['mechanism']} {ref['rate']:g} seed {ref['seed']} {ref['setting']}"
    base = dict(job_key=ref["job_key"], imputer=ref["imputer"], dataset=ref["dataset"], cell=cell)
    empty = dict(reference=math.nan, here=math.nan, tolerance=math.nan)
    if here is None:
        return Verdict(**base, metric="", **empty, verdict="not the same job here")
    why = [d.text() for d in differences(ref, here)]
    if params_of(ref) != params_of(here):
        why.append(f"params {params_of(ref)} -> {params_of(here)}")
    if why:
        return Verdict(**base, metric="", **empty, verdict="not the same job here", detail="; ".join(why))
    if here.get("status") != "ok":
        return Verdict(**base, metric="status", **empty, verdict="failed here")
    worst: Verdict | None = None
    exact_only = ref["imputer"] in DETERMINISTIC
    for metric in metrics:
        a, b = ref.get(metric), here.get(metric)
        if a is None or b is None or (pd.isna(a) and pd.isna(b)):
            continue
        change = MetricChange(metric, float(a), float(b), EXACT_RTOL * max(1.0, abs(float(a))))
        verdict, tol = _metric_verdict(change, exact_only, NOISE_SDS * float(noise.get(metric, math.nan)))
        if worst is None or _RANK[verdict] > _RANK[worst.verdict]:
            worst = Verdict(**base, metric=metric, reference=change.old, here=change.new, tolerance=tol, verdict=verdict)
    return worst or Verdict(**base, metric="", **empty, verdict="exact")


def verify_verdicts(sample: pd.DataFrame, here: pd.DataFrame, reference_rows: pd.DataFrame,
                    metrics: Mapping[str, Sequence[str]]) -> list[Verdict]:
    """A verdict per sampled reference row: paired with the row re-run here as the same job
    (:func:`imputebench.gates.comparison.match_jobs`) and judged by :func:`compare_rows` on its
    imputer's ``metrics`` (:func:`held_metrics`) against the seed noise of ``reference_rows``."""
    matching = match_jobs(sample.to_dict("records"), here.to_dict("records"))
    partner = {old["job_key"]: new for old, new in matching.pairs}
    noise = seed_noise(reference_rows, sorted({m for ms in metrics.values() for m in ms}))
    verdicts = []
    for row in sample.to_dict("records"):
        key = tuple(row[c] for c in NOISE_GROUP)
        sd = noise.loc[key].to_dict() if key in noise.index else {}
        verdicts.append(compare_rows(row, partner.get(row["job_key"]), metrics.get(row["imputer"], []), sd))
    return verdicts


def held_metrics(rows: pd.DataFrame, metrics: Sequence[str]) -> dict[str, list[str]]:
    """Per imputer, the ``metrics`` its rows in a set have a value of (RMSE first, shown when all
    agree). A metric an imputer's rows have no value of was computed before the metric existed
    (a set extended imputer by imputer, such as quick-v1 after PROTOCOL §9): it cannot be verified."""
    return {str(imputer): sorted((m for m in metrics if m in g and g[m].notna().any()), key=lambda m: m != "rmse")
            for imputer, g in rows.groupby("imputer", sort=True)}


def unverified_metrics(held: Mapping[str, Sequence[str]], metrics: Sequence[str]) -> list[str]:
    """The metrics some imputer's rows have no value of, grouped by whose rows do have one."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for m in metrics:
        having = tuple(i for i, ms in held.items() if m in ms)
        if len(having) < len(held):
            groups.setdefault(having, []).append(m)
    return [", ".join(ms) + (f" (held by {', '.join(having)} only)" if having else "")
            for having, ms in groups.items()]

