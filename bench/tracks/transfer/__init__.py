"""The transfer track (PROTOCOL §7): a task splits a dataset into a source and a target domain; an
imputer is fitted by a strategy (target-only, source-only, pooled, fine-tune) on ``n_target`` target
rows and scored on the target test rows.

- :mod:`.parts`: the parts of a task, their masks, the strategies (pure);
- :mod:`.gain`: the transfer gain per mask (pure; its summary per cell is the reports');
- :mod:`.domains`: the data edge (domains, domain gap, task listing);
- :mod:`.job`: one job in a worker; :mod:`.grid`: the grid and its plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..base import Plan, Track, TrackOption

if TYPE_CHECKING:
    from ...harness.config import RunConfig
    from .grid import TransferGrid


class TransferTrack(Track):
    name = "transfer"
    description = "the transfer track: source and target domains, fit strategies, transfer gain (PROTOCOL §7)"
    options = (
        TrackOption("--tasks", "tasks", "list", help="transfer tasks, comma-separated (default: every built-in task)"),
        TrackOption("--n-target", "n_target", "ints", help="target train sizes (default: 50,200,1000)"),
        TrackOption("--strategies", "strategies", "list",
                    help="target-only,source-only,pooled,fine-tune (default: all)"),
    )
    columns = (("task", "string"), ("strategy", "string"), ("n_target", "int64"), ("source_rows", "int64"),
               ("domain_gap", "float64"))
    # fine-tune only for imputers that adapt: imputers and strategies are one axis, their pairs
    axes = (("tasks", ("task",)), ("n_target", ("n_target",)), ("mechanisms", ("mechanism",)), ("rates", ("rate",)),
            ("seeds", ("seed",)), ("imputer-strategy pairs", ("imputer", "strategy")))
    pages = ("imputebench.reports.transfer_page:add_transfer_page",)
    paper_exports = ("imputebench.reports.paper.transfer:export_track",)

    def check_grid(self, cfg: "RunConfig") -> "TransferGrid":
        from .grid import check_grid

        return check_grid(cfg)

    def plan(self, cfg: "RunConfig", grid: "TransferGrid") -> Plan:
        from .grid import plan

        return plan(cfg, grid)


TRACK = TransferTrack()
