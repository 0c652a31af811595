"""The transfer gain (PROTOCOL §7) with its interval over seeds: the track's summary frames, pure
functions of its rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

MASK_KEYS = ["task", "n_target", "mechanism", "rate", "seed", "imputer"]
CELL_KEYS = ["task", "n_target", "mechanism", "rate", "imputer", "strategy"]
TRACK = "transfer"


def transfer_gain(rows: pd.DataFrame, metric: str = "armse") -> pd.DataFrame:
    """PROTOCOL §7: ``TG = 1 - e(strategy) / e(target-only)`` per mask (task, n_target, mechanism,
    rate, seed) and imputer. Only ``ok`` jobs count (a diverged or failed one on either side makes
    that mask's gain missing, PROTOCOL §6). Returns MASK_KEYS + strategy, metric, ``gain``."""
    cols = MASK_KEYS + ["strategy", metric]
    ours = rows["track"] == TRACK
    ok = rows.loc[ours & (rows["status"] == "ok"), cols]
    base = ok[ok["strategy"] == "target-only"].drop(columns="strategy").rename(columns={metric: "baseline"})
    out = rows.loc[ours, MASK_KEYS + ["strategy"]].merge(
        ok, on=MASK_KEYS + ["strategy"], how="left").merge(base, on=MASK_KEYS, how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["gain"] = 1.0 - out[metric] / out["baseline"]
    # e / e is 1 also when both are 0 (a perfect target-only fit): the gain of the baseline is exactly 0.
    out.loc[(out["strategy"] == "target-only") & out["baseline"].notna(), "gain"] = 0.0
    return out.drop(columns="baseline").reset_index(drop=True)


def summarise_gain(gains: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean transfer gain over seeds with a t-interval (scipy), per CELL_KEYS. ``negative``: the
    interval lies entirely below 0 (PROTOCOL §7 negative transfer). An interval from one seed is NaN."""
    from scipy import stats

    def one(g: pd.Series) -> pd.Series:
        v = g.dropna().to_numpy(dtype=float)
        n = v.size
        mean = float(v.mean()) if n else np.nan
        lo = hi = np.nan
        if n >= 2:
            sem = float(v.std(ddof=1)) / np.sqrt(n)
            half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sem
            lo, hi = mean - half, mean + half
        return pd.Series({"gain_mean": mean, "gain_low": lo, "gain_high": hi, "n_seeds": n})

    if gains.empty:
        return pd.DataFrame(columns=CELL_KEYS + ["gain_mean", "gain_low", "gain_high", "n_seeds", "negative"])
    out = gains.groupby(CELL_KEYS, sort=True)["gain"].apply(one).unstack().reset_index()
    out["n_seeds"] = out["n_seeds"].astype(int)
    out["negative"] = out["gain_high"] < 0
    return out


def gain_summary(rows: pd.DataFrame, metric: str = "armse") -> pd.DataFrame:
    """The track's summary: :func:`summarise_gain` of :func:`transfer_gain` of its rows."""
    return summarise_gain(transfer_gain(rows, metric))
