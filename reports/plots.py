"""The site's figures as SVG text, written directly (numpy and string formatting, no plotting library).

matplotlib cost 0.1-0.25 s of CPU per figure, so a default run's 140 figures took longer than the
rest of the site and a large store's 600 could not all be drawn. These charts are simple (lines,
bands, points, bars, labels on linear or log axes), so each is written as SVG in about a
millisecond, the same data gives the same bytes, and every figure is drawn. Each figure has a
``viewBox`` and no fixed width: it scales down to a phone screen with the page.

Every function takes plain data and returns SVG markup; none reads the store. Text is escaped.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .colours import IMPUTED_COLOUR, PALETTE, TRUE_COLOUR, colour_of  # noqa: F401 (pages take them here)
from .labels import place_labels
from .svg import AXIS, GRID, INK, MUTED, Scale, Svg

TRANSFER_PANELS = 3  # tasks a row on the transfer curves: wider would shrink each panel on a phone


def finite_runs(x: np.ndarray, y: np.ndarray) -> list[slice]:
    """The maximal runs of finite ``y``: a line (or band) is broken at a missing value rather than
    joined across it."""
    finite = np.isfinite(y)
    edges = np.flatnonzero(np.diff(np.r_[0, finite.astype(np.int8), 0]))
    return [slice(a, b) for a, b in zip(edges[::2], edges[1::2])]


def nice_ticks(low: float, high: float, count: int = 5) -> np.ndarray:
    """About ``count`` round tick values (1, 2, 2.5 or 5 times a power of ten) covering [low, high]."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return np.array([0.0, 1.0])
    if high <= low:
        low, high = low - 0.5 * (abs(low) or 1.0), high + 0.5 * (abs(high) or 1.0)
    raw = (high - low) / max(1, count)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step + 1e-9) * step
    stop = math.ceil(high / step - 1e-9) * step
    return np.round(np.arange(start, stop + step / 2, step), 12)


def log_ticks(low: float, high: float) -> np.ndarray:
    """Powers of ten covering [low, high] (both > 0)."""
    return 10.0 ** np.arange(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)


def tick_label(value: float) -> str:
    return f"{value:g}"


def _value_range(values: np.ndarray, pad: float = 0.05) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    span = high - low or (abs(high) or 1.0) * 0.1
    return low - pad * span, high + pad * span


def _y_axis(svg: Svg, scale: Scale, ticks: np.ndarray, left: float, right: float, label: str,
            label_x: float = 12, numbers: bool = True) -> None:
    for t in ticks:
        y = float(scale(t))
        svg.line(left, y, right, y, GRID, 0.8)
        if numbers:
            svg.text(left - 5, y, tick_label(t), 10, "end", MUTED)
    middle = (scale.start + scale.end) / 2
    if label:
        svg.text(label_x, middle, label, 11, "middle", INK, rotate=True)


def _legend(svg: Svg, x: float, y: float, names: Sequence[str], colours: Mapping[str, str],
            marker: str = "line") -> None:
    for i, name in enumerate(names):
        cy = y + 16 * i
        if marker == "line":
            svg.line(x, cy, x + 16, cy, colours[name], 2)
        else:
            svg.rect(x + 2, cy - 5, 12, 10, colours[name], 0.8)
        svg.text(x + 22, cy, name, 10.5)


def metric_vs_rate(agg: pd.DataFrame, metric: str, label: str, colours: Mapping[str, str],
                   narrow: bool = False) -> str:
    """One panel per mechanism: ``metric`` mean (band: ± std over seeds) against the missing rate,
    one line per imputer (as Meta-GAIN's Figure 2). ``agg`` holds one dataset and setting, columns
    mechanism, imputer, rate, ``<metric>_mean``, ``<metric>_std``. ``narrow``: the panels stacked
    and the legend below, for a phone screen (the site offers both, the browser picks)."""
    # Plain arrays, grouped once by sorting: per-group pandas filters cost more than the drawing.
    mechanism_of = agg["mechanism"].to_numpy(dtype=object).astype(str)
    imputer_of = agg["imputer"].to_numpy(dtype=object).astype(str)
    rate_of = agg["rate"].to_numpy(dtype=float)
    mean = agg[f"{metric}_mean"].to_numpy(dtype=float)
    std = np.nan_to_num(agg[f"{metric}_std"].to_numpy(dtype=float))
    mechanisms, names, rates = sorted(set(mechanism_of)), sorted(set(imputer_of)), np.unique(rate_of)
    ticks = nice_ticks(*_value_range(np.r_[mean - std, mean + std]), 4)
    left, top, bottom, gap = 58.0, 26.0, 36.0, 18.0
    legend_w = 24 + 6.5 * max((len(n) for n in names), default=4)
    if narrow:  # one column of panels, legend in columns underneath
        panel_w, panel_h, columns = 250.0, 130.0, 1
        width = left + panel_w + 14
        per_row = max(1, int((width - 10) // legend_w))
        legend_h = 16 * math.ceil(len(names) / per_row) + 8
        height = len(mechanisms) * (top + panel_h + bottom + 8) + legend_h
    else:
        panel_w, panel_h, columns = 170.0, max(230.0, top + bottom + 16 * len(names)) - top - bottom, len(mechanisms)
        width = left + len(mechanisms) * panel_w + (len(mechanisms) - 1) * gap + 12 + legend_w
        height = top + panel_h + bottom
    svg = Svg(width, height, f"{label} against the missing rate")
    x_low, x_high = float(rates[0]), float(rates[-1])
    if x_high == x_low:
        x_low, x_high = x_low - 0.05, x_high + 0.05
    pad = 0.08 * (x_high - x_low)
    order = np.lexsort((rate_of, imputer_of, mechanism_of))
    keys = np.char.add(np.char.add(mechanism_of[order], "\0"), imputer_of[order])
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    curves: dict[str, list[np.ndarray]] = {}
    for a, b in zip(starts, np.r_[starts[1:], len(order)]):
        curves.setdefault(mechanism_of[order[a]], []).append(order[a:b])
    for k, mechanism in enumerate(mechanisms):
        col, row = k % columns, k // columns
        x0 = left + col * (panel_w + gap)
        y0 = row * (top + panel_h + bottom + 8)
        axis_y = y0 + top + panel_h
        x = Scale(x_low - pad, x_high + pad, x0, x0 + panel_w)
        y = Scale(float(ticks[0]), float(ticks[-1]), axis_y, y0 + top)
        # A shared y axis across a row: numbers and label on its first panel only.
        _y_axis(svg, y, ticks, x0, x0 + panel_w, label if col == 0 else "", numbers=col == 0)
        for r in rates:
            svg.text(float(x(r)), axis_y + 12, tick_label(r), 10, "middle", MUTED)
        svg.line(x0, axis_y, x0 + panel_w, axis_y, AXIS)
        svg.text(x0 + panel_w / 2, y0 + top - 12, mechanism.upper(), 11, "middle", weight="600")
        for at in curves.get(mechanism, []):
            xs, m, s = x(rate_of[at]), mean[at], std[at]
            colour = colours[imputer_of[at[0]]]
            for run in finite_runs(xs, m):
                px, lo, hi = xs[run], y(m[run] - s[run]), y(m[run] + s[run])
                svg.polygon(np.r_[px, px[::-1]], np.r_[lo, hi[::-1]], colour, 0.1)
                svg.polyline(px, y(m[run]), colour)
                for cx, cy in zip(px, y(m[run])):
                    svg.circle(float(cx), float(cy), 2.2, colour)
        if narrow or k == 0:
            svg.text(x0 + panel_w / 2 if narrow else left + (width - left - legend_w) / 2, axis_y + 28,
                     "missing rate", 11, "middle")
    if narrow:
        legend_top = height - legend_h
        for i, name in enumerate(names):
            _legend(svg, 10 + (i % per_row) * legend_w, legend_top + 16 * (i // per_row), [name], colours)
    else:
        _legend(svg, width - legend_w + 4, top + 8, names, colours)
    return svg.render()


def calibration_plot(calibration: pd.DataFrame, colours: Mapping[str, str]) -> str:
    """Actual against nominal interval coverage, one line per imputer, with the diagonal a calibrated
    imputer lies on (below it: intervals too narrow). ``calibration``: columns imputer, nominal, actual
    (:func:`imputebench.reports.uncertainty.calibration_frame`). The legend sits below the square panel,
    so the figure keeps its width on a phone."""
    names = sorted(calibration["imputer"].unique())
    side, left, top, bottom = 240.0, 50.0, 12.0, 40.0
    width, height = left + side + 16, top + side + bottom + 16 * len(names) + 6
    svg = Svg(width, height, "interval coverage: actual against nominal")
    # One range on both axes (the diagonal stays the diagonal), from a tenth below the lowest value.
    values = np.r_[calibration["nominal"].to_numpy(dtype=float), calibration["actual"].to_numpy(dtype=float)]
    low = max(0.0, math.floor(10 * float(np.nanmin(values, initial=0.5))) / 10 - 0.1)
    ticks = nice_ticks(low, 1.0, 5)
    ticks = ticks[(ticks >= low - 1e-9) & (ticks <= 1.0 + 1e-9)]
    x = Scale(low, 1.0, left, left + side)
    y = Scale(low, 1.0, top + side, top)
    _y_axis(svg, y, ticks, left, left + side, "actual coverage")
    for t in ticks:
        svg.line(float(x(t)), top, float(x(t)), top + side, GRID, 0.8)
        svg.text(float(x(t)), top + side + 12, tick_label(t), 10, "middle", MUTED)
    svg.line(left, top + side, left + side, top + side, AXIS)
    svg.line(float(x(low)), float(y(low)), float(x(1)), float(y(1)), MUTED, 1, ' stroke-dasharray="4 3"')
    svg.text(left + side / 2, top + side + 28, "nominal coverage", 11, "middle")
    for name, part in calibration.sort_values("nominal").groupby("imputer", sort=True):
        xs, ys = x(part["nominal"].to_numpy(dtype=float)), y(part["actual"].to_numpy(dtype=float))
        svg.polyline(xs, ys, colours[name], 1.8)
        for cx, cy in zip(xs, ys):
            svg.circle(float(cx), float(cy), 2.6, colours[name])
    _legend(svg, left, top + side + bottom + 6, names, colours)
    return svg.render()


def cd_diagram(mean_ranks: pd.Series, cd: float, title: str, n_compared: int | None = None) -> str:
    """Critical-difference diagram (Demšar 2006), one row per imputer so that it reads on a phone:
    the imputer's mean rank on a shared axis (1 = best, left), a bar of length CD on top, and on the
    right a line per group of imputers whose mean ranks differ by less than CD (not significantly
    different). ``n_compared``: the imputers ranked, when only some of them are shown (a family): the
    axis still runs from 1 to that number."""
    ranks = mean_ranks.sort_values(kind="stable")
    names, values = [str(n) for n in ranks.index], ranks.to_numpy(dtype=float)
    k = len(values)
    axis_k = max(k, n_compared or 0)
    cliques = []
    last_end = -1
    for start in range(k):  # maximal runs of consecutive imputers whose rank span is below CD
        end = start
        while end + 1 < k and values[end + 1] - values[start] < cd:
            end += 1
        if end > start and end > last_end:
            cliques.append((start, end))
            last_end = end
    name_w = 16 + 6.3 * max((len(n) for n in names), default=4)
    left, right_w, top, row = name_w + 40, 14 + 9 * len(cliques), 76.0 if title else 58.0, 20.0
    width = max(360.0, left + 240 + right_w)
    height = top + row * k + 10
    svg = Svg(width, height, title or "critical difference diagram")
    axis_end = width - right_w - 10
    x = Scale(1, max(axis_k, 2), left, axis_end)
    if title:
        svg.text(8, 12, title, 11, weight="600")
    axis_y = top - 12
    svg.line(left, axis_y, axis_end, axis_y, INK)
    for r in range(1, max(axis_k, 2) + 1):
        svg.line(float(x(r)), axis_y - 4, float(x(r)), axis_y, INK)
        svg.text(float(x(r)), axis_y - 10, r, 10, "middle", MUTED)
    cd_y = axis_y - 24
    svg.line(left, cd_y, float(x(min(1 + cd, axis_k + 0.5))), cd_y, "#dc2626", 2)
    svg.text(float(x(min(1 + cd, axis_k + 0.5))) + 6, cd_y, f"CD = {cd:.2f}", 10, "start", "#dc2626")
    for i, (name, value) in enumerate(zip(names, values)):
        cy = top + row * i + row / 2
        svg.line(left, cy, axis_end, cy, GRID, 0.8)
        svg.text(8, cy, name, 11)
        svg.text(left - 6, cy, f"{value:.2f}", 10, "end", MUTED)
        svg.circle(float(x(value)), cy, 4, INK)
    for j, (start, end) in enumerate(cliques):
        cx = axis_end + 10 + 9 * j
        svg.line(cx, top + row * start + 5, cx, top + row * end + row - 5, INK, 3.5)
    return svg.render()


def pareto_plot(points: pd.DataFrame, quality_label: str, front: np.ndarray, colours: Mapping[str, str],
                highlight: str | None = None) -> str:
    """Run time (log axis when every time is positive) against quality (mean rank, lower is better),
    one point per imputer, the Pareto front as a step line. ``points``: columns imputer, seconds, quality."""
    seconds = points["seconds"].to_numpy(dtype=float)
    quality = points["quality"].to_numpy(dtype=float)
    front = np.asarray(front, dtype=bool)
    known = np.isfinite(seconds) & np.isfinite(quality)
    log = bool(known.any() and (seconds[known] > 0).all())
    width, height, left, right, top, bottom = 440.0, 300.0, 54.0, 70.0, 14.0, 40.0
    svg = Svg(width, height, f"time against {quality_label}")
    y_ticks = nice_ticks(*_value_range(quality), 4)
    y = Scale(float(y_ticks[0]), float(y_ticks[-1]), height - bottom, top)
    if log:
        low, high = float(seconds[known].min()), float(seconds[known].max())
        x_ticks = log_ticks(low / 1.5, high * 1.5)
        x = Scale(float(x_ticks[0]), float(x_ticks[-1]), left, width - right, log=True)
    else:
        x_ticks = nice_ticks(*_value_range(seconds), 4)
        x = Scale(float(x_ticks[0]), float(x_ticks[-1]), left, width - right)
    _y_axis(svg, y, y_ticks, left, width - right, quality_label)
    for t in x_ticks:
        svg.line(float(x(t)), top, float(x(t)), height - bottom, GRID, 0.8)
        svg.text(float(x(t)), height - bottom + 12, tick_label(t), 10, "middle", MUTED)
    svg.line(left, height - bottom, width - right, height - bottom, AXIS)
    svg.text((left + width - right) / 2, height - 8, "mean time per job, fit + transform (s)", 11, "middle")
    on_front = np.flatnonzero(front & known)
    if len(on_front) > 1:
        order = on_front[np.argsort(seconds[on_front], kind="stable")]
        xs, ys = x(seconds[order]), y(quality[order])
        step_x = np.repeat(xs, 2)[1:]
        step_y = np.repeat(ys, 2)[:-1]
        svg.polyline(step_x, step_y, INK, 1)
    shown = np.flatnonzero(known)
    names = [str(points["imputer"].iloc[i]) for i in shown]
    cxs, cys = [float(x(seconds[i])) for i in shown], [float(y(quality[i])) for i in shown]
    labels = place_labels(cxs, cys, names, 10, top, height - bottom)  # no two labels overlap
    for i, name, cx, cy, label in zip(shown, names, cxs, cys, labels):
        strong = highlight is None or name == highlight
        svg.circle(cx, cy, 5 if front[i] else 3.5, colours.get(name, MUTED), 1.0 if strong else 0.35,
                   INK if front[i] else "")
        if label.moved:  # a leader line from the point to its nudged label
            svg.line(cx, cy, label.x - 1, label.y, MUTED, 0.6)
        svg.text(label.x, label.y, name, 10, colour=INK if strong else MUTED, weight="600" if highlight == name else "")
    return svg.render()


def histograms(samples: pd.DataFrame, feature: str, panels: Sequence[str], shared_x: bool = True,
               max_panels: int = 12) -> str:
    """True (grey) against imputed (black) values at the masked cells of one feature, a panel per
    value of the ``panel`` column: a collapsed imputer shows one tall bar. ``shared_x``: one x range
    for every panel (panels are imputers on one dataset); else each panel its own (panels are
    datasets, whose scales differ). Categorical panels show bar counts per label."""
    present = set(samples["panel"])
    panels = [p for p in panels if p in present][:max_panels] or list(panels)[:1]
    cols = min(4, max(1, len(panels)))
    nrows = math.ceil(len(panels) / cols)
    panel_w, panel_h, gap_x, gap_y, top = 150.0, 90.0, 22.0, 44.0, 34.0
    width = 14 + cols * panel_w + (cols - 1) * gap_x
    height = top + nrows * (panel_h + gap_y)
    svg = Svg(width, height, f"{feature}: true vs imputed")
    svg.rect(14, 8, 12, 10, TRUE_COLOUR, 0.8)
    svg.text(30, 13, "true", 10.5)
    svg.rect(70, 8, 12, 10, IMPUTED_COLOUR, 0.55)
    svg.text(86, 13, "imputed", 10.5)
    categorical = samples["categorical"].to_numpy(dtype=bool)
    true_values, imputed_values = samples["true_value"].to_numpy(float), samples["imputed_value"].to_numpy(float)
    shared_bins = _bins(true_values[~categorical], imputed_values[~categorical]) if shared_x else None
    rows_of = samples.groupby("panel", sort=False).indices  # one grouping, not a filter per panel
    for i, panel in enumerate(panels):
        x0 = 14 + (i % cols) * (panel_w + gap_x)
        y0 = top + (i // cols) * (panel_h + gap_y) + 14
        at = rows_of.get(panel, np.array([], dtype=int))
        svg.text(x0 + panel_w / 2, y0 - 8, panel, 10.5, "middle", weight="600")
        svg.line(x0, y0 + panel_h, x0 + panel_w, y0 + panel_h, AXIS)
        if len(at) == 0:
            continue
        if categorical[at].any():
            part = samples.iloc[at]
            labels = sorted(set(part["true_label"].dropna()) | set(part["imputed_label"].dropna()), key=str)
            true = part["true_label"].value_counts().reindex(labels, fill_value=0).to_numpy(dtype=float)
            imputed = part["imputed_label"].value_counts().reindex(labels, fill_value=0).to_numpy(dtype=float)
            top_count = max(true.max(initial=0), imputed.max(initial=0), 1.0)
            slot = panel_w / max(1, len(labels))
            for j, label in enumerate(labels):
                for offset, count, colour, alpha in ((0.1, true[j], TRUE_COLOUR, 0.8),
                                                     (0.5, imputed[j], IMPUTED_COLOUR, 0.7)):
                    h = panel_h * count / top_count
                    svg.rect(x0 + slot * (j + offset), y0 + panel_h - h, slot * 0.4, h, colour, alpha)
                if len(labels) <= 8:
                    svg.text(x0 + slot * (j + 0.5), y0 + panel_h + 10, str(label)[:8], 9, "middle", MUTED)
            continue
        t, v = true_values[at], imputed_values[at]
        bins = shared_bins if shared_bins is not None else _bins(t, v)
        true = np.histogram(t[np.isfinite(t)], bins=bins)[0]
        imputed = np.histogram(v[np.isfinite(v)], bins=bins)[0]
        top_count = max(int(true.max(initial=0)), int(imputed.max(initial=0)), 1)
        bar_w = panel_w / (len(bins) - 1)
        for j in range(len(bins) - 1):
            h_true, h_imp = panel_h * true[j] / top_count, panel_h * imputed[j] / top_count
            svg.rect(x0 + j * bar_w, y0 + panel_h - h_true, bar_w, h_true, TRUE_COLOUR, 0.8)
            svg.rect(x0 + j * bar_w + bar_w * 0.15, y0 + panel_h - h_imp, bar_w * 0.7, h_imp, IMPUTED_COLOUR, 0.55)
        svg.text(x0, y0 + panel_h + 10, f"{bins[0]:.3g}", 9, "start", MUTED)
        svg.text(x0 + panel_w, y0 + panel_h + 10, f"{bins[-1]:.3g}", 9, "end", MUTED)
    return svg.render()


def _bins(true: np.ndarray, imputed: np.ndarray, count: int = 20) -> np.ndarray:
    values = np.concatenate([true, imputed])
    values = values[np.isfinite(values)]
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    return np.linspace(low, high if high > low else low + 1.0, count + 1)


def rank_vs_rate(ranks: pd.DataFrame, title: str) -> str:
    """An imputer's mean rank against the missing rate, one line per mechanism (1 = best, on top).
    ``ranks``: columns mechanism, rate (float), mean_rank."""
    mechanisms = sorted(ranks["mechanism"].unique())
    colours = {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(mechanisms)}
    width, height, left, right, top, bottom = 440.0, 240.0, 54.0, 110.0, 28.0 if title else 14.0, 40.0
    svg = Svg(width, height, title or "mean rank against the missing rate")
    if title:
        svg.text(left, 12, title, 11, weight="600")
    values = ranks["mean_rank"].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    ticks = nice_ticks(1.0, max(2.0, float(finite.max()) if finite.size else 2.0), 4)  # ranks start at 1
    y = Scale(float(ticks[0]), float(ticks[-1]), top, height - bottom)  # rank 1 at the top
    rates = np.sort(ranks["rate"].astype(float).unique())
    x_low, x_high = float(rates[0]), float(rates[-1])
    if x_high == x_low:
        x_low, x_high = x_low - 0.05, x_high + 0.05
    pad = 0.08 * (x_high - x_low)
    x = Scale(x_low - pad, x_high + pad, left, width - right)
    _y_axis(svg, y, ticks, left, width - right, "mean rank (1 = best)")
    for r in rates:
        svg.text(float(x(r)), height - bottom + 12, tick_label(r), 10, "middle", MUTED)
    svg.line(left, height - bottom, width - right, height - bottom, AXIS)
    svg.text((left + width - right) / 2, height - 8, "missing rate", 11, "middle")
    for mechanism, line in ranks.groupby("mechanism", sort=True):
        line = line.sort_values("rate")
        xs, ys = x(line["rate"].to_numpy(dtype=float)), line["mean_rank"].to_numpy(dtype=float)
        for run in finite_runs(xs, ys):
            svg.polyline(xs[run], y(ys[run]), colours[mechanism], 1.6)
            for cx, cy in zip(xs[run], y(ys[run])):
                svg.circle(float(cx), float(cy), 2.6, colours[mechanism])
    _legend(svg, width - right + 12, top + 8, [m.upper() for m in mechanisms],
            {m.upper(): c for m, c in colours.items()})
    return svg.render()


def transfer_gain_curves(summary: pd.DataFrame, imputer: str, colours: Mapping[str, str]) -> str:
    """The transfer track (PROTOCOL §7) for one imputer: one panel per task, the cell's mean transfer
    gain against ``n_target``, one line per strategy, its 95 % bootstrap interval as a band where the
    cell has one. ``summary``: rows of :func:`imputebench.reports.transfer_tables.summarise_gain`, one
    per (task, imputer, strategy, n_target), so a task that gains and one that loses stay apart."""
    mine = summary[summary["imputer"] == imputer]
    return gain_panels(mine, "task", "strategy", colours, f"{imputer}: transfer gain against n_target per task")


def transfer_task_curves(by_task: pd.DataFrame, colours: Mapping[str, str]) -> str:
    """Every imputer together (PROTOCOL §7): one panel per strategy, one line per task, the mean over
    imputers of their cells' gains against ``n_target``. ``by_task``:
    :func:`imputebench.reports.transfer_tables.gain_by_task`."""
    return gain_panels(by_task, "strategy", "task", colours, "transfer gain against n_target per task")


def gain_panels(frame: pd.DataFrame, panel: str, line: str, colours: Mapping[str, str], title: str) -> str:
    """Panels of ``frame[panel]`` (wrapped, :data:`TRANSFER_PANELS` a row), mean transfer gain against
    ``n_target`` on a log axis, one line per ``frame[line]`` in ``colours`` order, a band between
    ``gain_low`` and ``gain_high`` where the frame has them; 0 drawn darker (below: negative transfer)."""
    mine = frame.assign(**{c: frame.get(c, np.nan) for c in ("gain_low", "gain_high")})
    panels = sorted(mine[panel].unique())
    lines = [s for s in colours if s in set(mine[line])]
    n_targets = np.unique(mine["n_target"].to_numpy(dtype=float))
    values = mine[["gain_mean", "gain_low", "gain_high"]].to_numpy(dtype=float).ravel()
    ticks = nice_ticks(*_value_range(np.r_[values, 0.0]), 4) + 0.0  # + 0.0: no '-0' label
    left, top, bottom, gap, panel_w, panel_h = 58.0, 26.0, 36.0, 18.0, 190.0, 150.0
    n_cols = min(TRANSFER_PANELS, len(panels))
    n_rows = -(-len(panels) // n_cols)
    row_h = top + panel_h + bottom
    legend_w = 24 + 6.5 * max((len(str(s)) for s in lines), default=4)
    width = left + n_cols * panel_w + (n_cols - 1) * gap + 12 + legend_w
    svg = Svg(width, n_rows * row_h + 14, title)
    low, high = float(n_targets[0]), float(n_targets[-1])
    pad = 0.08 * (math.log10(high) - math.log10(low) or 1.0)
    for k, name in enumerate(panels):
        col, row = k % n_cols, k // n_cols
        x0, y0 = left + col * (panel_w + gap), row * row_h + top
        axis_y = y0 + panel_h
        x = Scale(low / 10 ** pad, high * 10 ** pad, x0, x0 + panel_w, log=True)
        y = Scale(float(ticks[0]), float(ticks[-1]), axis_y, y0)
        _y_axis(svg, y, ticks, x0, x0 + panel_w, "transfer gain (ARMSE)" if col == 0 else "", numbers=col == 0)
        svg.line(x0, float(y(0.0)), x0 + panel_w, float(y(0.0)), INK, 0.9)
        for n in n_targets:
            svg.text(float(x(n)), axis_y + 12, tick_label(n), 10, "middle", MUTED)
        svg.line(x0, axis_y, x0 + panel_w, axis_y, AXIS)
        svg.text(x0 + panel_w / 2, y0 - 12, str(name), 11, "middle", weight="600")
        for key in lines:
            c = mine[(mine[panel] == name) & (mine[line] == key)].sort_values("n_target")
            xs = x(c["n_target"].to_numpy(dtype=float))
            m, lo, hi = (c[col_].to_numpy(dtype=float) for col_ in ("gain_mean", "gain_low", "gain_high"))
            for run in finite_runs(xs, lo + hi):
                px = xs[run]
                svg.polygon(np.r_[px, px[::-1]], np.r_[y(lo[run]), y(hi[run])[::-1]], colours[key], 0.12)
            for run in finite_runs(xs, m):
                svg.polyline(xs[run], y(m[run]), colours[key])
                for cx, cy in zip(xs[run], y(m[run])):
                    svg.circle(float(cx), float(cy), 2.2, colours[key])
        if col == 0:
            svg.text(left + (width - left - legend_w) / 2, axis_y + 28, "n_target (target train rows)", 11, "middle")
    _legend(svg, width - legend_w + 4, top + 8, lines, colours)
    return svg.render()
