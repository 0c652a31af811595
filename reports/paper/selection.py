"""Which rows an export covers: the site's filters (setting, metric, mechanism, rate, imputers,
datasets) and the tracks. Pure: a selection is checked against the rows it filters, and bad input
gets one line naming what is valid."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ...errors import UsageError
from ...protocol.metrics import METRIC_REGISTRY, QUALITY_METRICS



@dataclass(frozen=True)
class Selection:
    """Empty tuples mean "all"."""

    settings: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    mechanisms: tuple[str, ...] = ()
    rates: tuple[float, ...] = ()
    imputers: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    tracks: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False)  # room for a track's own options


def track_of(rows: pd.DataFrame) -> np.ndarray:
    """Each row's track (rows written before the track column existed are the default track's)."""
    from ...harness.config import DEFAULT_TRACK

    if "track" not in rows:
        return np.full(len(rows), DEFAULT_TRACK, dtype=object)
    return rows["track"].fillna(DEFAULT_TRACK).astype(str).to_numpy(dtype=object)


def _check(asked: Sequence, present: Sequence, what: str) -> None:
    unknown = [a for a in asked if a not in set(present)]
    if unknown:
        valid = ", ".join(str(p) for p in sorted(set(present), key=str)) or "none"
        raise UsageError(f"no {what} {', '.join(map(str, unknown))} in these rows; valid: {valid}")


def check_metrics(metrics: Sequence[str]) -> None:
    bad = [m for m in metrics if m not in QUALITY_METRICS]
    if bad:
        raise UsageError(f"unknown metric(s) {', '.join(bad)}; valid: {', '.join(QUALITY_METRICS)}")


def select_rows(rows: pd.DataFrame, selection: Selection) -> pd.DataFrame:
    """The rows a selection keeps; every value asked for must exist in ``rows`` (a typo is an error,
    not an empty table). Rates match to 1e-9."""
    check_metrics(selection.metrics)
    tracks = track_of(rows)
    _check(selection.tracks, set(tracks), "track")
    keep = np.ones(len(rows), dtype=bool)
    if selection.tracks:
        keep &= np.isin(tracks, list(selection.tracks))
    for column, asked, what in (("setting", selection.settings, "setting"),
                                ("mechanism", selection.mechanisms, "mechanism"),
                                ("imputer", selection.imputers, "imputer"),
                                ("dataset", selection.datasets, "dataset")):
        if asked:
            present = rows.loc[keep, column].dropna().astype(str)
            _check(asked, present.unique(), what)
            keep &= rows[column].astype(str).isin(asked).to_numpy()
    if selection.rates:
        rates = rows["rate"].to_numpy(dtype=float)
        hits = [np.isclose(rates, r, rtol=0, atol=1e-9) for r in selection.rates]
        missing = [r for r, hit in zip(selection.rates, hits) if not (hit & keep).any()]
        if missing:
            valid = ", ".join(f"{r:g}" for r in sorted(set(rates[keep]))) or "none"
            raise UsageError(f"no rate {', '.join(f'{r:g}' for r in missing)} in these rows; valid: {valid}")
        keep &= np.logical_or.reduce(hits)
    out = rows[keep].reset_index(drop=True)
    if out.empty:
        raise UsageError("the selection keeps no row; widen the filters (every filter must hold at once)")
    return out


def metrics_of(rows: pd.DataFrame, selection: Selection) -> list[str]:
    """The quality metrics to tabulate: the asked ones, else every one with a value in ``rows``."""
    if selection.metrics:
        return list(selection.metrics)
    return [m for m in QUALITY_METRICS if m in rows and rows[m].notna().any()] or ["armse"]


def metric_label(metric: str) -> str:
    m = METRIC_REGISTRY[metric]
    return f"{m.label} ({'higher' if m.higher_is_better else 'lower'} is better)"
