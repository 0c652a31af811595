"""The transfer gain per mask (PROTOCOL §7), a pure function of the track's rows. Its summary per cell,
with the bootstrap interval over masks, is the page's (:mod:`imputebench.reports.transfer_tables`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

MASK_KEYS = ["task", "n_target", "mechanism", "rate", "seed", "imputer"]
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
