"""The main track: datasets x mechanisms x rates x seeds x settings x imputers (PROTOCOL §2-§6).

Its jobs are :class:`imputebench.tracks.main.job.MainJob`; its grid and plan are in
:mod:`imputebench.tracks.main.grid`. Its rows are the site's leaderboards.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Mapping

from ...harness.config import DEFAULT_DATASETS
from ...protocol.profiles import SETTINGS
from ..base import Plan, Track, TrackOption

if TYPE_CHECKING:
    from ...harness.config import RunConfig
    from .grid import Grid


class MainTrack(Track):
    name = "main"
    description = "the main grid: datasets x mechanisms x rates x seeds x settings x imputers (PROTOCOL §2-§6)"
    options = (
        TrackOption("--datasets", "datasets", "list", help=f"comma-separated (default: {','.join(DEFAULT_DATASETS)})"),
        TrackOption("--all", "all", "flag", help="every dataset of the catalog"),
        TrackOption("--setting", "setting", "list", help=f"comma-separated: {','.join(SETTINGS)}"),
    )
    reference_sets = True
    columns = (("draw_seconds", "float64"),)  # PROTOCOL §9's draws and inference, apart from fit_seconds
    # Its site: the store-wide downloads, the results and paper views, a page per dataset and per
    # imputer, the uncertainty page (PROTOCOL §9), and the overview (which lists every download, so
    # any order works: pages are written last).
    pages = (
        "imputebench.reports.pages.data:add_data_files",
        "imputebench.reports.pages.results:add_results_pages",
        "imputebench.reports.pages.paper:add_paper_page",
        "imputebench.reports.pages.dataset:add_dataset_pages",
        "imputebench.reports.pages.imputer:add_imputer_pages",
        "imputebench.reports.pages.uncertainty:add_uncertainty_page",
        "imputebench.reports.pages.index:add_index_page",
    )

    def configure(self, cfg: "RunConfig", options: Mapping[str, Any]) -> "RunConfig":
        datasets = cfg.datasets
        if options.get("all"):
            from ... import datasets as dsmod

            datasets = dsmod.dataset_names(data_home=cfg.source.data_home)
        elif options.get("datasets"):
            datasets = options["datasets"]
        return replace(cfg, datasets=datasets, settings=options.get("setting") or cfg.settings)

    def check_grid(self, cfg: "RunConfig") -> "Grid":
        from .grid import check_grid

        return check_grid(cfg)

    def plan(self, cfg: "RunConfig", grid: "Grid") -> Plan:
        from .grid import plan

        return plan(cfg, grid)


TRACK = MainTrack()
