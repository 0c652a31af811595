"""The store-wide downloads: every job row, the aggregate per cell, every ranking and the failures."""

from __future__ import annotations

import pandas as pd

from ..entries import with_params
from . import Site
from .view import leaderboard_view


def add_data_files(site: Site, rows: pd.DataFrame) -> None:
    """Write the main leaderboard's store-wide tables under data/ (the overview lists them first)."""
    view = leaderboard_view(site, rows)
    frames = view.frames
    # The raw store as parquet only: as CSV it is ~50 MB per 100,000 jobs (the site's tables have both).
    site.write_table("jobs", frames.rows, "every job row (the store)", csv=False)
    # Each imputer entry's hyper-parameters beside its numbers (the jobs table has them per row).
    site.write_table("aggregate", with_params(frames.agg, view.params), "mean and std over seeds per cell")
    site.write_table("leaderboard", with_params(frames.boards, view.params),
                     "rankings: every setting, metric, mechanism and rate")
    site.write_table("failures", with_params(frames.failures, view.params),
                     "jobs that failed, timed out or were infeasible")
