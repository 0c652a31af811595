"""Facts about datasets, imputers and jobs for the site's pages, computed as frames and plain values from
the store's rows: no HTML, no files (the pages in :mod:`imputebench.reports.pages` format them).
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

import pandas as pd

from ..harness.store import STATUSES
from . import leaderboard as lb
from .entries import BASE_IMPUTER, param_text
from .frames import NOT_OK, PRIMARY_METRIC, python_strings

# The condition whose samples the histograms show, by preference: in-sample, MCAR, this rate.
REFERENCE_RATE = 0.3


def status_counts(rows: pd.DataFrame) -> dict[str, int]:
    """Jobs per status, every status named (0 when none)."""
    return rows["status"].value_counts().reindex(list(STATUSES), fill_value=0).to_dict()


def failure_summary(failures: pd.DataFrame, top: int = 50) -> pd.DataFrame:
    """The commonest (imputer, status, error) among the jobs that did not succeed, with their count."""
    return (failures.groupby(["imputer", "status", "error"], dropna=False).size()
            .rename("jobs").reset_index().sort_values("jobs", ascending=False).head(top))


def lost_classes(values: pd.Series) -> tuple[str, ...] | None:
    """The target classes lost with the dropped rows (PROTOCOL §1), from the rows' ``lost_classes``
    (JSON lists), in first-seen order; None when no row says (a store from before the column)."""
    known = values.dropna()
    if known.empty:
        return None
    return tuple(dict.fromkeys(str(c) for text in dict.fromkeys(known.astype(str)) for c in json.loads(text)))


def dataset_facts(rows: pd.DataFrame) -> pd.DataFrame:
    """Per dataset: rows, features, rows dropped from the source and the classes lost with them
    (PROTOCOL §1; ``lost`` None where the store does not say) and its checksums."""
    facts = rows.groupby("dataset").agg(
        rows=("n_rows", "max"), features=("n_features", "max"), dropped=("dropped_rows", "max"),
        checksums=("dataset_checksum", lambda c: ", ".join(sorted(set(c.dropna().astype(str))))))
    lost = ({} if "lost_classes" not in rows else
            {name: lost_classes(part) for name, part in rows.groupby("dataset")["lost_classes"]})
    return facts.assign(lost=pd.Series([lost.get(name) for name in facts.index], index=facts.index, dtype=object))


def uses_labels(rows: pd.DataFrame) -> dict[str, bool]:
    """Per imputer: whether any of its jobs saw the training labels (PROTOCOL §3)."""
    return rows.groupby("imputer")["uses_labels"].agg(lambda v: bool(v.fillna(False).astype(bool).any())).to_dict()


def profiles(rows: pd.DataFrame) -> dict[str, str]:
    """Per imputer: the profiles its jobs ran under, joined."""
    return rows.groupby("imputer")["profile"].agg(lambda v: ", ".join(sorted(set(v.dropna().astype(str))))).to_dict()


def from_reference(rows: pd.DataFrame) -> set[str]:
    """Imputers whose every row comes from a reference set (PROTOCOL §8)."""
    if "origin" not in rows:
        return set()
    return set(rows.loc[rows["origin"] == "reference", "imputer"]) - set(rows.loc[rows["origin"] != "reference",
                                                                                  "imputer"])


def imputer_catalogue(imputers: Sequence[str], base_of: Mapping[str, str] | None = None
                      ) -> tuple[dict[str, Any], dict[str, str]]:
    """What each imputer declares (None when that cannot be had here) and its family, in the one
    vocabulary every page, filter and command uses (``imputebench.registry.family_of``); an entry
    such as ``gain[iterations=200]`` is looked up by its registered name (``base_of``)."""
    from ..registry import family_of, info_of  # a built-in's declaration imports no implementation

    base_of = base_of or {}
    return ({name: info_of(base_of.get(name, name)) for name in imputers},
            {name: family_of(base_of.get(name, name)) for name in imputers})


def entry_bases(rows: pd.DataFrame) -> dict[str, str]:
    """Per entry (:func:`.entries.parameter_entries`): the registered imputer behind it."""
    if BASE_IMPUTER not in rows:
        return {}
    return rows.drop_duplicates("imputer").set_index("imputer")[BASE_IMPUTER].to_dict()


def overridden_entries(rows: pd.DataFrame) -> set[str]:
    """Entries whose every job ran with hyper-parameters a ``--param`` changed from its profile's."""
    if "params_overridden" not in rows:
        return set()
    flags = rows.groupby("imputer")["params_overridden"].agg(lambda v: bool(v.fillna(False).astype(bool).all()))
    return set(flags[flags].index)


def reference_jobs(rows: pd.DataFrame) -> pd.DataFrame:
    """The ok jobs of one condition per dataset whose samples the histograms show: in-sample, MCAR
    (else the first mechanism by name), the rate nearest :data:`REFERENCE_RATE`, the lowest seed; every
    imputer's job under it. Columns job_key, dataset, imputer, setting, mechanism, rate, seed."""
    ok = rows.loc[rows["status"] == "ok", ["job_key", "dataset", "imputer", "setting", "mechanism", "rate", "seed"]]
    if ok.empty:
        return ok
    preference = ok.assign(p_setting=ok["setting"] != "in-sample", p_mechanism=ok["mechanism"] != "mcar",
                           p_rate=(ok["rate"].astype(float) - REFERENCE_RATE).abs())
    preference = preference.sort_values(["dataset", "p_setting", "p_mechanism", "mechanism", "p_rate", "rate",
                                         "seed"], kind="stable")
    condition = ["dataset", "setting", "mechanism", "rate", "seed"]
    return ok.merge(preference.drop_duplicates("dataset")[condition], on=condition, how="inner")


def with_jobs(samples: pd.DataFrame, jobs: pd.DataFrame) -> pd.DataFrame | None:
    """Samples joined to the jobs they belong to (dataset, imputer and condition from the jobs); None
    when there are none."""
    if samples.empty:
        return None
    samples = samples.drop(columns=[c for c in ("dataset", "imputer") if c in samples.columns])
    return python_strings(samples.merge(jobs, on="job_key", how="inner"))


def first_feature(samples: pd.DataFrame) -> pd.DataFrame:
    """Each dataset's first sampled feature only (an imputer's page: one histogram across datasets)."""
    first = samples.groupby("dataset")["feature"].first()
    return samples[samples["feature"] == samples["dataset"].map(first)]


def sample_statistics(part: pd.DataFrame) -> list[dict[str, Any]]:
    """Descriptive statistics of the true and the imputed values of one numeric feature, per panel."""
    out = []
    for panel, values in part.groupby("panel", sort=True):
        t = lb.describe_values(values["true_value"].to_numpy())
        i = lb.describe_values(values["imputed_value"].to_numpy())
        out.append({"panel": panel, **{f"true_{k}": v for k, v in t.items()},
                    **{f"imputed_{k}": v for k, v in i.items()}})
    return out


def standing(boards: pd.DataFrame) -> dict[str, float] | None:
    """An imputer's pooled standing (every mechanism and rate) from its leaderboard rows of one setting
    and metric: mean rank, its interval, win rate, ok jobs and jobs not ok; None when it has none."""
    pooled = boards[(boards["mechanism"] == lb.ALL) & (boards["rate"] == lb.ALL)]
    if pooled.empty:
        return None
    row = pooled.iloc[0]
    return {**{k: row[k] for k in ("mean_rank", "ci_low", "ci_high", "win_rate")}, "n_ok": int(row["n_ok"]),
            "n_bad": int(sum(row[f"n_{s}"] for s in NOT_OK))}


def rank_curve(boards: pd.DataFrame) -> pd.DataFrame:
    """An imputer's mean rank per mechanism against the missing rate (numeric), where it was ranked."""
    curve = boards[(boards["mechanism"] != lb.ALL) & (boards["rate"] != lb.ALL) & boards["mean_rank"].notna()]
    return curve.assign(rate=curve["rate"].astype(float))[["mechanism", "rate", "mean_rank"]]


def per_dataset_summary(cells: pd.DataFrame) -> pd.DataFrame:
    """An imputer's cells reduced per (setting, dataset) on the setting's primary metric: the mean over
    mechanisms and rates, the cells where it is best of how many, ok and all jobs."""
    primary = cells[cells["metric"] == cells["setting"].map(PRIMARY_METRIC)]
    return (primary.groupby(["setting", "dataset", "metric"], sort=True)
            .agg(mean=("mean", "mean"), best=("best", "sum"), cells=("best", "size"),
                 n_ok=("n_ok", "sum"), n_jobs=("n_jobs", "sum")).reset_index())


def complete_downstream(agg: pd.DataFrame) -> pd.Series:
    """Per dataset: the downstream score on the complete data (no missing value), mean over cells."""
    return agg[(agg["setting"] == "downstream")].groupby("dataset")["complete_downstream_mean"].mean()



def entry_configurations(rows: pd.DataFrame) -> dict[str, tuple[list[str], list[str]]]:
    """Per entry: the distinct params JSON of its jobs and the profiles they ran under."""
    if rows.empty or "params" not in rows:
        return {}
    seen = rows[["imputer", "params", "profile"]].drop_duplicates()
    return {name: (sorted(set(part["params"].dropna())), sorted(set(part["profile"].dropna())))
            for name, part in seen.groupby("imputer")}


def imputer_configuration(info: Any, params: Sequence[str], profiles: Sequence[str]) -> dict[str, Any]:
    """What an imputer entry's page says of its configuration, from its rows and its one declaration
    (``info``, an :class:`imputebench.imputer_info.ImputerInfo` or None; the same data ``imputebench
    imputers info`` prints): ``ran`` the exact hyper-parameters of its jobs (canonical params JSON
    ``params``) as key/value pairs, ``overridden`` the keys a ``--param`` changed from the run
    profiles' declared values, ``declared`` per run profile its hyper-parameters (and the profile they
    are taken from) and that profile's own departures from the paper, ``common`` the departures that
    hold under every profile."""
    import json

    from ..imputer_info import overridden_keys
    from ..protocol.profiles import PROFILES

    ran = [[(k, param_text(v)) for k, v in json.loads(p or "{}").items()] for p in sorted(set(params))]
    declared, common, overridden = [], [], set()
    if info is not None:
        for p in params:
            for profile in profiles:
                overridden.update(overridden_keys(json.loads(p or "{}"), info.params_for(profile)))
        common = [str(d) for d in info.deviations if d.profile is None]
        # A profile that takes another's hyper-parameters (ci takes quick's) takes its cuts with them.
        declared = [{"profile": profile, "source": info.params_source(profile),
                     "params": [(k, param_text(v)) for k, v in sorted(info.params_for(profile).items())],
                     "deviations": [str(d) for d in info.deviations
                                    if d.profile is not None and d.profile in (profile, info.params_source(profile))],
                     "ran": profile in profiles} for profile in PROFILES]
    return {"ran": ran, "overridden": sorted(overridden), "declared": declared, "common": common}
