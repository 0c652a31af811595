"""The natural-missingness track (PROTOCOL §10): imputers on tables that arrive with their own holes,
scored without their missing values: downstream, extra masks on the observed cells, and truth-free
scores.

- :mod:`.scores`: what is scored and ranked, and the truth-free scores (the seam a new one plugs in at);
- :mod:`.holes`: a table's missingness pattern and the extra masks on its observed cells (pure);
- :mod:`.job`: one job in a worker; :mod:`.grid`: the grid and its plan.

Its tables: the five shared natural tables (``--natural DIR`` or ``$IMPUTEBENCH_NATURAL``) and any
table added with ``imputebench datasets add --keep-missing``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..base import Plan, Track, TrackOption
from .scores import TRUTH_FREE_SCORES, settings

if TYPE_CHECKING:
    from ...harness.config import RunConfig
    from .grid import NaturalGrid


class NaturalTrack(Track):
    name = "natural"
    description = ("tables with their own missing values, scored without ground truth: downstream, extra masks "
                   "on observed cells, truth-free scores (PROTOCOL §10)")
    options = (
        TrackOption("--tables", "tables", "list",
                    help="tables with their own holes, comma-separated (default: every one available: the shared "
                         "tables with --natural DIR, and tables added with `datasets add --keep-missing`)"),
        TrackOption("--scores", "scores", "list", help=f"comma-separated: {','.join(settings())} (default: all)"),
    )
    columns = (("natural_missing", "float64"), ("missing_pattern", "string"),
               ("complete_case_downstream", "float64"), ("complete_case_rows", "int64"),
               ("native_downstream", "float64"), *((s.name, "float64") for s in TRUTH_FREE_SCORES))
    # extra masks (mechanism x rate) only under the masked score: scores and masks are one axis
    axes = (("tables", ("dataset",)), ("scores and masks", ("setting", "mechanism", "rate")), ("seeds", ("seed",)),
            ("imputers", ("imputer",)))
    pages = ("imputebench.reports.natural_page:add_natural_page",)

    def check_grid(self, cfg: "RunConfig") -> "NaturalGrid":
        from .grid import check_grid

        return check_grid(cfg)

    def plan(self, cfg: "RunConfig", grid: "NaturalGrid") -> Plan:
        from .grid import plan

        return plan(cfg, grid)


TRACK = NaturalTrack()
