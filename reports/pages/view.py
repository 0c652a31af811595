"""What the main leaderboard's pages share: the main track's rows, their frames (computed once per site,
:func:`imputebench.reports.frames.leaderboard_frames`), the facts beside them and the samples the
histograms show."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ...protocol.metrics import METRIC_REGISTRY
from .. import facts, plots
from ..entries import entry_params
from ..frames import PRIMARY_METRIC, LeaderboardFrames, leaderboard_frames
from ..samples import read_samples
from . import Site
from .html import direction_arrow

METRIC_LABELS = {name: m.label for name, m in METRIC_REGISTRY.items()}
# A metric's column header: its label and its direction, both from its declaration.
METRIC_HEADERS = {name: f"{m.label} {direction_arrow(m.higher_is_better)}" for name, m in METRIC_REGISTRY.items()}


@dataclass
class LeaderboardView:
    """The frames and facts of the main leaderboard, and how its pages show imputers (colours, families)."""

    frames: LeaderboardFrames
    colours: dict[str, str]
    info: dict[str, Any]
    family: dict[str, str]
    uses_labels: dict[str, bool]
    profiles: dict[str, str]
    params: dict[str, str]  # per entry, its hyper-parameters as k=v (entries.entry_params)
    overridden: set[str]  # entries whose jobs a --param changed from the profile's (facts.overridden_entries)
    base_of: dict[str, str]  # entry -> the registered imputer behind it
    datasets: pd.DataFrame
    from_reference: set[str]
    samples: pd.DataFrame | None  # the reference condition's samples (facts.reference_jobs), if any


def leaderboard_view(site: Site, rows: pd.DataFrame) -> LeaderboardView:
    """The view of the main track's ``rows``, built by the first page that asks and shared by the others;
    sets the navigation's datasets and imputers for every page."""
    return site.shared("leaderboard frames", lambda: _build_view(site, rows))


def _build_view(site: Site, rows: pd.DataFrame) -> LeaderboardView:
    frames = leaderboard_frames(rows, site.n_boot)
    base_of = facts.entry_bases(frames.rows)
    info, family = facts.imputer_catalogue(frames.imputers, base_of)
    settings = frames.settings
    site.context(settings=settings, mechanisms=frames.mechanisms, datasets=frames.datasets, imputers=frames.imputers,
                 metric_labels=METRIC_HEADERS, primary=PRIMARY_METRIC,
                 default_setting="in-sample" if "in-sample" in settings else (settings or [""])[0])
    return LeaderboardView(
        frames=frames, colours=plots.colour_of(frames.imputers), info=info, family=family,
        uses_labels=facts.uses_labels(frames.rows), profiles=facts.profiles(frames.rows),
        params=entry_params(frames.rows) if "params" in frames.rows else {},
        overridden=facts.overridden_entries(frames.rows), base_of=base_of,
        datasets=facts.dataset_facts(frames.rows), from_reference=facts.from_reference(frames.rows),
        samples=reference_samples(site.samples, frames.rows))


def reference_samples(source: pd.DataFrame | Path | None, rows: pd.DataFrame) -> pd.DataFrame | None:
    """The samples of the reference condition's jobs (:func:`.facts.reference_jobs`), from a frame or
    read from the results folder (or its ``samples/`` folder); None when there are none."""
    if source is None:
        return None
    jobs = facts.reference_jobs(rows)
    if jobs.empty:
        return None
    if isinstance(source, pd.DataFrame):
        samples = source[source["job_key"].isin(set(jobs["job_key"]))]
    else:
        samples = read_samples(Path(source).parent if Path(source).name == "samples" else source, jobs["job_key"])
    return facts.with_jobs(samples, jobs)

