"""Matplotlib figures of the site, rendered headless (Agg) to SVG text.

Text stays text in the SVG (``svg.fonttype = none``): files are small, fast to write and crisp.
Every function takes plain data and returns SVG markup; none reads the store.
"""

from __future__ import annotations

import io
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.colors  # noqa: E402
import matplotlib.ticker  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "imputebench",  # stable ids: the same data gives the same file
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e7eb",
    "grid.linewidth": 0.6,
    "axes.edgecolor": "#9ca3af",
    "axes.titlesize": 10,
    "legend.frameon": False,
    "legend.fontsize": 8,
    # Grid lines instead of tick marks: each tick mark is an SVG element and matplotlib time.
    "xtick.bottom": False,
    "ytick.left": False,
}
PALETTE = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
           "#4b5563", "#ea580c", "#0d9488", "#9333ea"]
TRUE_COLOUR = "#6b7280"


def colour_of(names: Sequence[str]) -> dict[str, str]:
    """A stable colour per name (sorted order), reused across every figure of the site."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(names))}


def _svg(fig: plt.Figure) -> str:
    buffer = io.StringIO()
    # Fixed margins (no "tight" pass: one draw per figure) and no date: same data, same bytes.
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE


def finite_runs(x: np.ndarray, y: np.ndarray) -> list[slice]:
    """The maximal runs of finite ``y``: a line (or band) is broken at a missing value, as ``plot``
    does, rather than joined across it."""
    finite = np.isfinite(y)
    edges = np.flatnonzero(np.diff(np.r_[0, finite.astype(np.int8), 0]))
    return [slice(a, b) for a, b in zip(edges[::2], edges[1::2])]


def metric_vs_rate(agg: pd.DataFrame, metric: str, label: str, colours: Mapping[str, str]) -> str:
    """One panel per mechanism: ``metric`` mean (band: ± std over seeds) against the missing rate,
    one line per imputer (as Meta-GAIN's Figure 2). ``agg`` holds one dataset and setting.

    The site draws dozens of these and matplotlib's cost is mostly per axes and per artist, so the
    panels are side by side on one shared axes (each mechanism's rates shifted right, a rule between
    panels) and hold three collections (bands, lines, markers): about 0.14 s a figure, not 0.3 s."""
    mechanisms = sorted(agg["mechanism"].unique())
    names = sorted(agg["imputer"].unique())
    rates = np.sort(agg["rate"].astype(float).unique())
    low, span = float(rates[0]), float(rates[-1] - rates[0])
    if span == 0:  # one rate: centre it in its panel
        low, span = low - 0.05, 0.1
    step = 1.3 * span  # panel pitch on the shared x axis: the panel's rates plus a gap
    bands, bands_colour, lines, lines_colour, points_colour = [], [], [], [], []
    ticks, tick_labels = [], []
    with plt.rc_context(STYLE):
        width = 2.6 * len(mechanisms) + 2.0
        fig, ax = plt.subplots(figsize=(width, 2.7))
        fig.subplots_adjust(left=0.75 / width, right=1 - 1.55 / width, bottom=0.17, top=0.88)
        for k, mechanism in enumerate(mechanisms):
            shift = k * step - low
            part = agg[agg["mechanism"] == mechanism].sort_values(["imputer", "rate"], kind="stable")
            for imputer, line in part.groupby("imputer", sort=True):
                x = line["rate"].to_numpy(dtype=float) + shift
                mean = line[f"{metric}_mean"].to_numpy(dtype=float)
                std = np.nan_to_num(line[f"{metric}_std"].to_numpy(dtype=float))
                for run in finite_runs(x, mean):
                    xs, lo, hi = x[run], (mean - std)[run], (mean + std)[run]
                    bands.append(np.column_stack([np.r_[xs, xs[::-1]], np.r_[lo, hi[::-1]]]))
                    lines.append(np.column_stack([xs, mean[run]]))
                    bands_colour.append(colours[imputer])
                    lines_colour.append(colours[imputer])
                    points_colour += [colours[imputer]] * len(xs)
            ticks += list(rates + shift)
            tick_labels += [f"{r:g}" for r in rates]
            ax.text(k * step + span / 2, 1.02, mechanism.upper(), transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=STYLE["axes.titlesize"])
            if k:
                ax.axvline(k * step - (step - span) / 2, color=STYLE["axes.edgecolor"], linewidth=0.8)
        if lines:
            ax.add_collection(PolyCollection(bands, facecolors=bands_colour, alpha=0.12, linewidths=0))
            ax.add_collection(LineCollection(lines, colors=lines_colour, linewidths=1.3))
            xy = np.concatenate(lines)
            ax.scatter(xy[:, 0], xy[:, 1], s=9, c=points_colour, linewidths=0, zorder=3)
            ax.autoscale_view()
        ax.set_xlim(-0.08 * span, (len(mechanisms) - 1) * step + 1.08 * span)
        ax.set_xticks(ticks, tick_labels)
        ax.set_xlabel("missing rate")
        ax.set_ylabel(label)
        handles = [Line2D([], [], color=colours[n], marker="o", markersize=3, linewidth=1.3) for n in names]
        fig.legend(handles, names, loc="center left", bbox_to_anchor=(1 - 1.5 / width, 0.5))
        return _svg(fig)


def cd_diagram(mean_ranks: pd.Series, cd: float, title: str) -> str:
    """Critical-difference diagram (Demšar 2006): imputers on a mean-rank axis (1 = best, left),
    a bar of length CD, and thick lines joining groups whose ranks differ by less than CD."""
    ranks = mean_ranks.sort_values(kind="stable")
    k = len(ranks)
    names, values = list(ranks.index), ranks.to_numpy(dtype=float)
    half = (k + 1) // 2
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, ax = plt.subplots(figsize=(6.4, 1.2 + 0.22 * half))
        fig.subplots_adjust(left=0.17, right=0.83, bottom=0.02, top=0.95)
        ax.set_xlim(0.8, k + 0.2)  # best rank on the left
        ax.set_ylim(-(half + 1.2), 1.6)
        ax.axis("off")
        ax.hlines(0, 1, k, color="#111827", linewidth=1)
        for r in range(1, k + 1):
            ax.vlines(r, 0, 0.18, color="#111827", linewidth=0.8)
            ax.text(r, 0.3, str(r), ha="center", va="bottom", fontsize=8)
        ax.hlines(1.2, 1, 1 + cd, color="#dc2626", linewidth=1.6)
        ax.text(1 + cd / 2, 1.3, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=8, color="#dc2626")
        for i, (name, value) in enumerate(zip(names, values)):
            left = i < half
            depth = -(i + 1) if left else -(k - i)
            x_text = 0.7 if left else k + 0.3
            ax.plot([value, value, x_text], [0, depth, depth], color="#374151", linewidth=0.8)
            ax.text(x_text, depth, f" {name} ({value:.2f}) " if left else f" ({value:.2f}) {name} ",
                    ha="right" if left else "left", va="center", fontsize=8)
        # Cliques: maximal runs of consecutive imputers whose rank span is below CD.
        level, last_end = -0.25, -1
        for start in range(k):
            end = start
            while end + 1 < k and values[end + 1] - values[start] < cd:
                end += 1
            if end > start and end > last_end:
                ax.hlines(level, values[start] - 0.03, values[end] + 0.03, color="#111827", linewidth=3)
                level -= 0.22
                last_end = end
        if title:
            ax.set_title(title, fontsize=9, y=1.0)
        return _svg(fig)


def pareto_plot(points: pd.DataFrame, quality_label: str, front: np.ndarray, colours: Mapping[str, str],
                highlight: str | None = None) -> str:
    """Run time (log axis) against quality, one point per imputer, the Pareto front as a step line.
    ``points``: columns imputer, seconds, quality."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(4.8, 3.2))
        fig.subplots_adjust(left=0.14, right=0.96, bottom=0.15, top=0.96)
        emphasis = np.ones(len(points), dtype=bool) if highlight is None else (points["imputer"] == highlight).to_numpy()
        front = np.asarray(front, dtype=bool)
        fill = matplotlib.colors.to_rgba_array([colours[i] for i in points["imputer"]])
        fill[:, 3] = np.where(emphasis, 1.0, 0.35)
        edge = np.where(front[:, None], matplotlib.colors.to_rgba_array(["#111827"] * len(points)), 0.0)
        ax.scatter(points["seconds"], points["quality"], s=np.where(front, 40, 22), c=fill, edgecolors=edge,
                   zorder=3)  # one collection for every point: far cheaper than a scatter each
        for name, x, y, strong in zip(points["imputer"], points["seconds"], points["quality"], emphasis):
            ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=7,
                        alpha=1.0 if strong else 0.5)
        fr = points[front].sort_values("seconds")
        if len(fr) > 1:
            ax.step(fr["seconds"], fr["quality"], where="post", color="#111827", linewidth=1, alpha=0.6,
                    label="Pareto front")
            ax.legend(loc="best")
        if (points["seconds"] > 0).all():
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.margins(x=0.18, y=0.08)  # room for the labels of the extreme points
        ax.set_xlabel("mean time per job, fit + transform (s)")
        ax.set_ylabel(quality_label)
        return _svg(fig)


def histograms(samples: pd.DataFrame, feature: str, imputers: Sequence[str], colours: Mapping[str, str],
               max_panels: int = 12) -> str:
    """True (grey) against imputed values at the masked cells of one feature, a panel per imputer:
    an imputer that collapses onto one value shows one tall bar. Categorical features: bar counts."""
    imputers = list(imputers)[:max_panels]
    cols = min(4, len(imputers))
    nrows = int(np.ceil(len(imputers) / cols))
    data = samples[samples["feature"] == feature]
    categorical = bool(data["categorical"].any())
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, cols, figsize=(2.3 * cols, 1.8 * nrows + 0.3), squeeze=False, sharex=True)
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.22 if categorical else 0.12, top=0.9, hspace=0.6,
                            wspace=0.3)
        if not categorical:
            both = np.concatenate([data["true_value"].to_numpy(float), data["imputed_value"].to_numpy(float)])
            both = both[~np.isnan(both)]
            lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
            bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 21)
        else:
            labels = sorted(set(data["true_label"].dropna()) | set(data["imputed_label"].dropna()))
        for ax, imputer in zip(axes.ravel(), imputers):
            part = data[data["imputer"] == imputer]
            if categorical:
                x = np.arange(len(labels))
                true_counts = part["true_label"].value_counts().reindex(labels, fill_value=0).to_numpy()
                imp_counts = part["imputed_label"].value_counts().reindex(labels, fill_value=0).to_numpy()
                ax.bar(x - 0.2, true_counts, width=0.4, color=TRUE_COLOUR, label="true")
                ax.bar(x + 0.2, imp_counts, width=0.4, color=colours[imputer], label="imputed")
                ax.set_xticks(x, [str(v)[:8] for v in labels], rotation=60, fontsize=6)
            else:
                ax.hist(part["true_value"].dropna(), bins=bins, color=TRUE_COLOUR, alpha=0.55, label="true")
                ax.hist(part["imputed_value"].dropna(), bins=bins, color=colours[imputer], alpha=0.6,
                        label="imputed", histtype="stepfilled")
            ax.set_title(imputer, fontsize=8, y=1.0)
            ax.tick_params(labelsize=7)
        for ax in axes.ravel()[len(imputers):]:
            ax.axis("off")
        axes[0][0].legend(fontsize=7)
        return _svg(fig)


def rank_vs_rate(ranks: pd.DataFrame, title: str) -> str:
    """An imputer's mean rank against the missing rate, one line per mechanism (lower is better).
    ``ranks``: columns mechanism, rate (float), mean_rank."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.2, 2.8))
        fig.subplots_adjust(left=0.13, right=0.8, bottom=0.17, top=0.9)
        for i, (mechanism, line) in enumerate(ranks.groupby("mechanism", sort=True)):
            line = line.sort_values("rate")
            ax.plot(line["rate"], line["mean_rank"], marker="o", markersize=3, color=PALETTE[i % len(PALETTE)],
                    label=mechanism.upper())
        ax.invert_yaxis()
        ax.set_xlabel("missing rate")
        ax.set_ylabel("mean rank (1 = best)")
        ax.set_title(title, y=1.0)
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
        return _svg(fig)
