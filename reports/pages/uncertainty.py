"""The uncertainty page (PROTOCOL §9): the calibration of the draws' intervals (nominal against
actual coverage per imputer, a plot and a table) and inference after imputation (bias, coverage and
width of the pooled coefficients per dataset and imputer), with what the distribution and
uncertainty metrics measure. Its numbers come from :mod:`imputebench.reports.uncertainty`."""

from __future__ import annotations

import pandas as pd

from ...protocol.draw_metrics import COVERAGE_LEVELS, coverage_name
from ...protocol.metrics import INFERENCE_METRICS
from .. import plots
from ..uncertainty import (calibration_frame, calibration_table, datasets_without_inference, inference_frame,
                           without_inference)
from . import Site
from .view import METRIC_HEADERS, leaderboard_view

PAGE = "uncertainty.html"


def add_uncertainty_page(site: Site, rows: pd.DataFrame) -> None:
    """Plan the uncertainty page from the main track's rows (an empty store gets the page's text)."""
    view = leaderboard_view(site, rows)
    calibration = calibration_frame(rows)
    inference = inference_frame(rows)
    colours = dict(view.colours) | plots.colour_of([i for i in calibration["imputer"].unique()
                                                    if i not in view.colours])
    figure = None
    if not calibration.empty:
        figure = site.figure("calibration", "Actual against nominal coverage of the draws' intervals per "
                             "imputer with sample (mean over its in-sample jobs); dashed: the diagonal a "
                             "calibrated imputer lies on", "other", "calibration_plot", (calibration, colours))
    downloads = [site.write_table("calibration", calibration, "interval calibration per imputer and level"),
                 site.write_table("inference", inference, "inference after imputation per dataset and imputer")]
    site.link("Uncertainty", PAGE)
    site.render("uncertainty.html.j2", PAGE, figure=figure, downloads=downloads,
                calibration=calibration_table(calibration).to_dict("records"),
                levels=[{"name": coverage_name(level), "label": f"{round(100 * level)} %"} for level in COVERAGE_LEVELS],
                inference=inference.to_dict("records"),
                inference_columns=[{"name": n, "label": METRIC_HEADERS[n]} for n in INFERENCE_METRICS],
                without_inference=without_inference(rows, inference),
                no_inference_datasets=datasets_without_inference(rows, inference))
