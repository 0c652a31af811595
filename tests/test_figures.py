"""The site's figure drawer: the plot budget by priority, settled in stages, drawn in worker
processes or in process with the same bytes, and a figure that fails never stops the site."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imputebench.reports import plots
from imputebench.reports.figures import BUDGET_NOTE, PRIORITY, FigureDrawer
from imputebench.reports.site import build_site
from imputebench.reports.synthetic import synthetic_rows


def curve(shift: float) -> tuple:
    ranks = pd.DataFrame({"mechanism": ["mcar", "mcar", "mar", "mar"], "rate": [0.1, 0.3, 0.1, 0.3],
                          "mean_rank": [1.0 + shift, 2.0, 1.5, 2.5 - shift]})
    return (ranks, f"curve {shift}")


# (priority, name) in request order: the budget must keep the first three by (priority, order).
REQUESTS = [("imputer", "a"), ("primary", "b"), ("other", "c"), ("overview", "d"), ("primary", "e"),
            ("histogram", "f")]


def request_all(drawer: FigureDrawer) -> dict[str, object]:
    return {name: drawer.request(priority, f"{name}.svg", name, "rank_vs_rate", curve(i / 10))
            for i, (priority, name) in enumerate(REQUESTS)}


@pytest.mark.parametrize("workers", [1, 2])
def test_settling_in_stages_keeps_the_first_figures_by_priority_then_order(tmp_path: Path, workers: int) -> None:
    drawer = FigureDrawer(tmp_path, max_plots=3, workers=workers)
    try:
        # Only the most important priorities are requested before the first settle, as the site does.
        early = {name: drawer.request(priority, f"{name}.svg", name, "rank_vs_rate", curve(0.1))
                 for priority, name in REQUESTS if PRIORITY[priority] <= PRIORITY["pareto"]}
        drawer.settle("pareto")
        with pytest.raises(RuntimeError, match="settled"):
            drawer.request("primary", "late.svg", "late", "rank_vs_rate", curve(0.0))
        late = {name: drawer.request(priority, f"{name}.svg", name, "rank_vs_rate", curve(0.2))
                for priority, name in REQUESTS if PRIORITY[priority] > PRIORITY["pareto"]}
        drawer.settle()
        assert drawer.wait() == []
    finally:
        drawer.close()
    figures = {**early, **late}
    drawn = sorted(name for name, f in figures.items() if f.path)
    assert drawn == ["b", "d", "e"]  # overview d, then the primaries b and e in request order
    assert sorted(p.stem for p in tmp_path.glob("*.svg")) == drawn
    assert all(figures[n].note == BUDGET_NOTE for n in "acf")
    assert (drawer.selected, drawer.skipped) == (3, 3)


def test_workers_draw_the_same_bytes_as_the_builder(tmp_path: Path) -> None:
    files = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        out.mkdir()
        drawer = FigureDrawer(out, max_plots=10, workers=workers)
        request_all(drawer)
        drawer.settle()
        assert drawer.wait() == []
        drawer.close()
        assert drawer.cpu_seconds > 0
        files[workers] = {p.name: p.read_bytes() for p in out.glob("*.svg")}
    assert len(files[1]) == len(REQUESTS)
    assert files[1] == files[2]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_figure_that_fails_gets_its_reason_and_the_others_are_drawn(tmp_path: Path, workers: int) -> None:
    drawer = FigureDrawer(tmp_path, max_plots=10, workers=workers)
    good = drawer.request("overview", "good.svg", "good", "rank_vs_rate", curve(0.0))
    bad = drawer.request("overview", "bad.svg", "bad", "rank_vs_rate", (pd.DataFrame({"x": [1]}), "no columns"))
    drawer.settle()
    failed = drawer.wait()
    drawer.close()
    assert failed == [bad]
    assert bad.path is None and bad.note.startswith("Could not be drawn: KeyError")
    assert good.path == "good.svg" and (tmp_path / "good.svg").read_text().startswith("<svg")


def test_the_site_shows_why_a_figure_could_not_be_drawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> str:
        raise ValueError("no room for the labels")

    monkeypatch.setattr(plots, "cd_diagram", broken)  # in-process drawing (workers=1) sees the patch
    rows = synthetic_rows(datasets=("a", "b", "c"), imputers=("mean", "knn", "mice"), mechanisms=("mcar",),
                          rates=(0.2,), seeds=(0, 1), seed=0)
    build_site(rows, tmp_path / "site", max_plots=50, workers=1, n_boot=20)
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "Could not be drawn: ValueError: no room for the labels" in index
    assert not list((tmp_path / "site" / "plots").glob("cd-*.svg"))
    assert list((tmp_path / "site" / "plots").glob("pareto-*.svg"))  # the other figures are there


def test_finite_runs_break_a_line_at_missing_values() -> None:
    y = np.array([np.nan, 1.0, 2.0, np.nan, 3.0, 4.0, 5.0])
    assert plots.finite_runs(np.arange(7.0), y) == [slice(1, 3), slice(4, 7)]
    assert plots.finite_runs(np.arange(2.0), np.array([np.nan, np.nan])) == []


class ExitsWhenUnpickled(pd.DataFrame):
    """A frame that kills the process that unpickles it: a figure worker dies receiving it."""

    def __reduce__(self):  # type: ignore[override]
        return (os._exit, (3,))


def test_a_worker_that_dies_loses_no_figure(tmp_path: Path) -> None:
    drawer = FigureDrawer(tmp_path, max_plots=10, workers=2)
    ranks, title = curve(0.0)
    deadly = drawer.request("overview", "deadly.svg", "deadly", "rank_vs_rate", (ExitsWhenUnpickled(ranks), title))
    others = [drawer.request("primary", f"other{i}.svg", "other", "rank_vs_rate", curve(i / 10)) for i in range(3)]
    drawer.settle()
    assert drawer.wait() == []
    drawer.close()
    assert all(f.path and (tmp_path / f.path).exists() for f in [deadly, *others])
