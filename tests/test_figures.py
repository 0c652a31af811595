"""The site's figures: every one drawn by default, an opt-in cap by priority then request order, the
same bytes for the same data, and a figure that fails never stops the site."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imputebench.reports import plots
from imputebench.reports.figures import BUDGET_NOTE, FigureDrawer
from imputebench.reports.site import build_site
from synthetic import synthetic_rows


def curve(shift: float) -> tuple:
    ranks = pd.DataFrame({"mechanism": ["mcar", "mcar", "mar", "mar"], "rate": [0.1, 0.3, 0.1, 0.3],
                          "mean_rank": [1.0 + shift, 2.0, 1.5, 2.5 - shift]})
    return (ranks, f"curve {shift}")


# (priority, name) in request order: a cap of three must keep the first three by (priority, order).
REQUESTS = [("imputer", "a"), ("primary", "b"), ("other", "c"), ("overview", "d"), ("primary", "e"),
            ("histogram", "f")]


def request_all(drawer: FigureDrawer) -> dict[str, object]:
    return {name: drawer.request(priority, f"{name}.svg", name, "rank_vs_rate", curve(i / 10))
            for i, (priority, name) in enumerate(REQUESTS)}


def test_a_cap_keeps_the_first_figures_by_priority_then_order(tmp_path: Path) -> None:
    drawer = FigureDrawer(tmp_path, max_plots=3)
    figures = request_all(drawer)
    assert drawer.draw() == []
    drawn = sorted(name for name, f in figures.items() if f.path)
    assert drawn == ["b", "d", "e"]  # overview d, then the primaries b and e in request order
    assert sorted(p.stem for p in tmp_path.glob("*.svg")) == drawn
    assert all(figures[n].note == BUDGET_NOTE for n in "acf")
    assert (drawer.selected, drawer.skipped) == (3, 3)


def test_every_figure_is_drawn_without_a_cap_and_the_same_data_gives_the_same_bytes(tmp_path: Path) -> None:
    files = []
    for run in ("one", "two"):
        out = tmp_path / run
        out.mkdir()
        drawer = FigureDrawer(out, max_plots=1_000_000)
        figures = request_all(drawer)
        assert drawer.draw() == [] and all(f.path for f in figures.values())
        assert drawer.cpu_seconds > 0
        files.append({p.name: p.read_bytes() for p in out.glob("*.svg")})
    assert len(files[0]) == len(REQUESTS) and files[0] == files[1]
    assert all(svg.startswith(b"<svg") and b"viewBox" in svg for svg in files[0].values())


def test_lazy_arguments_of_a_figure_left_out_are_never_built(tmp_path: Path) -> None:
    drawer = FigureDrawer(tmp_path, max_plots=1)
    built = []
    kept = drawer.request("overview", "kept.svg", "kept", "rank_vs_rate", lambda: built.append("kept") or curve(0))
    left = drawer.request("other", "left.svg", "left", "rank_vs_rate", lambda: built.append("left") or curve(0))
    drawer.draw()
    assert built == ["kept"] and kept.path == "kept.svg" and left.path is None


def test_a_figure_that_fails_gets_its_reason_and_the_others_are_drawn(tmp_path: Path) -> None:
    drawer = FigureDrawer(tmp_path, max_plots=10)
    good = drawer.request("overview", "good.svg", "good", "rank_vs_rate", curve(0.0))
    bad = drawer.request("overview", "bad.svg", "bad", "rank_vs_rate", (pd.DataFrame({"x": [1]}), "no columns"))
    failed = drawer.draw()
    assert failed == [bad]
    assert bad.path is None and bad.note.startswith("Could not be drawn: KeyError")
    assert good.path == "good.svg" and (tmp_path / "good.svg").read_text().startswith("<svg")


def test_the_site_shows_why_a_figure_could_not_be_drawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> str:
        raise ValueError("no room for the labels")

    monkeypatch.setattr(plots, "cd_diagram", broken)
    rows = synthetic_rows(datasets=("a", "b", "c"), imputers=("mean", "knn", "mice"), mechanisms=("mcar",),
                          rates=(0.2,), seeds=(0, 1), seed=0)
    build_site(rows, tmp_path / "site", n_boot=20)
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "Could not be drawn: ValueError: no room for the labels" in index
    assert not list((tmp_path / "site" / "plots").glob("cd-*.svg"))
    assert list((tmp_path / "site" / "plots").glob("pareto-*.svg"))  # the other figures are there


def test_finite_runs_break_a_line_at_missing_values() -> None:
    y = np.array([np.nan, 1.0, 2.0, np.nan, 3.0, 4.0, 5.0])
    assert plots.finite_runs(np.arange(7.0), y) == [slice(1, 3), slice(4, 7)]
    assert plots.finite_runs(np.arange(2.0), np.array([np.nan, np.nan])) == []


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    ticks = plots.nice_ticks(0.143, 0.871, 4)
    assert ticks[0] <= 0.143 and ticks[-1] >= 0.871
    assert np.allclose(np.diff(ticks), 0.2) and list(np.round(ticks, 6)) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert list(plots.log_ticks(0.003, 12)) == [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]


def test_cd_diagram_joins_imputers_closer_than_cd() -> None:
    ranks = pd.Series({"a": 1.0, "b": 1.5, "c": 3.5, "d": 4.0})
    svg = plots.cd_diagram(ranks, 1.0, "")
    # two groups (a, b) and (c, d): one thick clique line each
    assert svg.count('stroke-width="3.5"') == 2
    assert svg.index(">a</text>") < svg.index(">b</text>") < svg.index(">c</text>") < svg.index(">d</text>")
    assert "CD = 1.00" in svg


def test_a_cd_diagram_of_some_imputers_keeps_the_axis_of_all_compared() -> None:
    """A family's CD diagram shows its imputers at their ranks among every compared imputer: rank 4 of 5
    sits on an axis 1..5, not past the end of an axis 1..2."""
    shown = pd.Series({"a": 2.0, "b": 4.0})
    alone, among = plots.cd_diagram(shown, 1.0, ""), plots.cd_diagram(shown, 1.0, "", 5)
    ticks = lambda svg: re.findall(r'fill="#6b7280">(\d+)</text>', svg)  # noqa: E731  the axis' rank labels
    assert ticks(alone) == ["1", "2"] and ticks(among) == ["1", "2", "3", "4", "5"]
    assert among.count('stroke-width="3.5"') == 0  # 2.0 and 4.0 differ by more than CD = 1


def test_text_in_figures_is_escaped() -> None:
    ranks = pd.Series({"<script>x</script>": 1.0, "b": 2.0, "c": 3.0})
    svg = plots.cd_diagram(ranks, 0.5, "")
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt;" in svg


# -- the palette: enough distinct colours for 20 imputers, readable with a colour-vision deficiency ----------
# Machado et al. (2009), severity 1: linear-RGB matrices simulating protan and deutan vision.
VISION = {"normal": np.eye(3),
          "protan": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                              [-0.003882, -0.048116, 1.051998]]),
          "deutan": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]])}


def lab(colour: str, vision: str) -> np.ndarray:
    """CIELAB (D65) of a ``#rrggbb`` colour as seen with ``vision``."""
    c = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.clip(VISION[vision] @ np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4), 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    f = np.where((xyz := xyz / [0.95047, 1.0, 1.08883]) > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest(colours: list[str], others: list[str] | None = None) -> float:
    """The smallest CIE76 Delta E between two of ``colours`` (or one of them and one of ``others``),
    over normal, protan and deutan vision."""
    pairs = [(a, b) for i, a in enumerate(colours) for b in (others if others is not None else colours[i + 1:])]
    return min(float(np.linalg.norm(lab(a, v) - lab(b, v))) for a, b in pairs for v in VISION)


def test_the_palette_has_24_distinct_colours_safe_for_colour_blind_readers() -> None:
    palette = plots.PALETTE
    assert len({c.lower() for c in palette}) == len(palette) >= 20
    assert closest(palette[:8]) >= 18  # the first imputers: far apart for every reader
    assert closest(palette) >= 7
    # "imputed" and "true" are no imputer's colours and stand apart from all of them
    assert closest([plots.IMPUTED_COLOUR, plots.TRUE_COLOUR], palette) >= 9
    names = [f"imputer{i:02d}" for i in range(20)]
    assert len(set(plots.colour_of(names).values())) == 20


def _label_extents(svg: str, names: set[str]) -> list:
    """The drawn labels' bounding boxes as matplotlib's renderer measures the same text (10 px, a
    sans-serif font, vertically centred as the SVG's dominant-baseline middle places it)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width, height = (float(v) for v in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups())
    fig = plt.figure(figsize=(width / 72, height / 72), dpi=72)  # one px per SVG unit
    renderer = fig.canvas.get_renderer()
    boxes = []
    for x, y, text in re.findall(r'<text x="([\d.-]+)" y="([\d.-]+)" font-size="10"[^>]*>([^<]+)</text>', svg):
        if text in names:
            t = fig.text(float(x) / width, 1 - float(y) / height, text, fontsize=10, ha="left", va="center",
                         family="sans-serif")
            boxes.append((text, t.get_window_extent(renderer)))
    plt.close(fig)
    return boxes


def _overlapping(boxes: list) -> list[tuple[str, str]]:
    return [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:]
            if min(box_a.x1, box_b.x1) > max(box_a.x0, box_b.x0) and min(box_a.y1, box_b.y1) > max(box_a.y0, box_b.y0)]


def test_pareto_labels_of_colliding_points_do_not_overlap() -> None:
    names = ["mean", "median", "missforest", "softimpute", "knn", "mice", "gain", "em"]
    # Seven imputers with nearly the same time and rank (an eighth far off stretches the axes): their
    # labels would sit on one another.
    points = pd.DataFrame({"imputer": names, "seconds": [1.0, 1.02, 1.05, 0.98, 1.01, 1.03, 0.99, 100.0],
                           "quality": [3.0, 3.05, 3.1, 2.95, 3.02, 3.08, 2.98, 8.0]})
    svg = plots.pareto_plot(points, "mean rank, RMSE", np.zeros(len(names), dtype=bool), {})
    boxes = _label_extents(svg, set(names))
    assert sorted(t for t, _ in boxes) == sorted(names)  # every label drawn once
    assert _overlapping(boxes) == []
    # Not vacuous: at their unmoved places (6 px right of and above each point) the same labels overlap.
    circles = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg)
    unmoved = "".join(f'<text x="{float(cx) + 6:.1f}" y="{float(cy) - 6:.1f}" font-size="10">{n}</text>'
                      for (cx, cy), n in zip(circles, names))
    width = re.search(r'viewBox="[^"]*"', svg).group(0)
    assert len(_overlapping(_label_extents(f"<svg {width}>{unmoved}</svg>", set(names)))) >= 5
    moved = sum(f'x="{float(cx) + 6:.1f}" y="{float(cy) - 6:.1f}" font-size="10"' not in svg for cx, cy in circles)
    assert moved >= 3 and svg.count('stroke="#6b7280" stroke-width="0.6"') == moved  # a leader line per moved label
    # Points far apart keep their labels beside them, without leader lines, and the same data gives the same bytes.
    apart = points.assign(seconds=[0.01, 0.1, 1, 10, 100, 1000, 5000, 20000], quality=np.arange(1.0, 9.0))
    again = plots.pareto_plot(apart, "mean rank", np.zeros(len(names), dtype=bool), {})
    assert 'stroke-width="0.6"' not in again and again == plots.pareto_plot(apart, "mean rank",
                                                                             np.zeros(len(names), dtype=bool), {})
