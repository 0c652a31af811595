"""The export's figures with matplotlib: critical-difference diagram, per-dataset rank heat map,
time-against-quality Pareto plot, metric against missing rate. Each function takes frames computed
elsewhere (``leaderboard.py``, ``tables.py``) and returns a matplotlib Figure; call them inside
``pyplot().rc_context(style.RC)`` and write them with :func:`.style.save`."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from .style import ONE_COLUMN, SEQUENTIAL, TWO_COLUMN, pyplot
from .tables import cd_cliques


def cd_diagram(mean_ranks: pd.Series, cd: float, title: str = "") -> Any:
    """Demšar's (2006) critical-difference diagram, one column wide: the rank axis on top (1 = best,
    left), each imputer joined to its mean rank (the better half on the left, the rest on the right),
    a thick bar under the axis for each group whose mean ranks differ by less than the Nemenyi CD."""
    plt = pyplot()
    ranks = mean_ranks.sort_values(kind="stable")
    names, values = [str(n) for n in ranks.index], ranks.to_numpy(dtype=float)
    k = len(values)
    cliques = cd_cliques(values, cd)
    half = (k + 1) // 2
    step = 0.16  # inches between label rows
    top = 0.42 + 0.07 * len(cliques)  # axis, CD bar and the clique bars
    height = top + step * half + 0.12 + (0.18 if title else 0)
    fig = plt.figure(figsize=(ONE_COLUMN, height))
    ax = fig.add_axes((0, 0, 1, 1 - (0.18 / height if title else 0)))
    ax.axis("off")
    margin = 0.32 * max(k - 1, 1) + 0.4
    lo, hi = 1 - margin, max(k, 2) + margin
    ax.set_xlim(lo, hi)
    ax.set_ylim(-(top + step * half + 0.08), 0.12)  # y in inches below the axis (negative is down)
    axis_y = -0.3
    ax.plot([1, max(k, 2)], [axis_y, axis_y], color="black", lw=0.7)
    every = 1 if k <= 10 else 2  # beyond 10 ranks, every other label (they would touch)
    for r in range(1, max(k, 2) + 1):
        labelled = (r - 1) % every == 0
        ax.plot([r, r], [axis_y, axis_y + (0.04 if labelled else 0.025)], color="black", lw=0.6)
        if labelled:
            ax.text(r, axis_y + 0.06, str(r), ha="center", va="bottom", fontsize=5.5)
    ax.plot([1, 1 + cd], [axis_y + 0.24, axis_y + 0.24], color="black", lw=1.2)
    ax.text(1 + cd / 2, axis_y + 0.26, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=5.5)
    for j, (start, end) in enumerate(cliques):
        y = axis_y - 0.07 - 0.07 * j
        ax.plot([values[start] - 0.05, values[end] + 0.05], [y, y], color="black", lw=2.2, solid_capstyle="round")
    first_row = -top - 0.04
    for i, (name, value) in enumerate(zip(names, values)):
        left = i < half
        row = i if left else k - 1 - i
        y = first_row - step * row
        end = lo + 0.02 * (hi - lo) if left else hi - 0.02 * (hi - lo)
        ax.plot([value, value, end], [axis_y, y, y], color="black", lw=0.6)
        label = f"{name} ({value:.2f})" if left else f"({value:.2f}) {name}"
        ax.text(end, y + 0.02, label, ha="left" if left else "right", va="bottom", fontsize=6)
    if title:
        fig.suptitle(title, fontsize=7, y=0.995, va="top")
    return fig


def rank_heatmap(ranks: pd.DataFrame, title: str = "") -> Any:
    """Datasets (rows) x imputers (columns, by mean rank) coloured by the imputer's rank on the
    dataset (1 = best), each cell labelled; two columns wide."""
    plt = pyplot()
    order = ranks.mean(axis=0).sort_values(kind="stable").index
    ranks = ranks[order]
    n_rows, n_cols = ranks.shape
    fig, ax = plt.subplots(figsize=(TWO_COLUMN, 0.75 + 0.16 * n_rows + (0.15 if title else 0)),
                           layout="constrained")
    image = ax.imshow(ranks.to_numpy(dtype=float), cmap=SEQUENTIAL + "_r", vmin=1, vmax=max(n_cols, 2),
                      aspect="auto", interpolation="nearest")
    ax.set_xticks(range(n_cols), [str(c) for c in ranks.columns], rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(n_rows), [str(r) for r in ranks.index])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if n_rows * n_cols <= 800:
        values = ranks.to_numpy(dtype=float)
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=4.5,
                        color="black" if v <= (1 + n_cols) / 2 else "white")  # dark text on the light (good) end
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    bar.set_label("rank on the dataset (1 = best)")
    if title:
        ax.set_title(title)
    return fig


def pareto_plot(points: pd.DataFrame, front: np.ndarray, quality_label: str, styles: Mapping[str, Mapping],
                title: str = "") -> Any:
    """Mean time per job (log axis when every time is positive) against quality (mean rank, lower is
    better), one marker per imputer, the Pareto front as a step line; one column wide.
    ``points``: imputer, seconds, quality."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(ONE_COLUMN, 2.4), layout="constrained")
    seconds = points["seconds"].to_numpy(dtype=float)
    quality = points["quality"].to_numpy(dtype=float)
    known = np.isfinite(seconds) & np.isfinite(quality)
    if known.any() and (seconds[known] > 0).all():
        ax.set_xscale("log")
    front = np.asarray(front, dtype=bool) & known
    if front.any():
        order = np.argsort(seconds[front])
        ax.step(seconds[front][order], quality[front][order], where="post", color="#888888", lw=0.8, zorder=1,
                label="Pareto front")
    for name, s, q, on in zip(points["imputer"], seconds, quality, front):
        if not (np.isfinite(s) and np.isfinite(q)):
            continue
        st = styles.get(name, {"color": "black", "marker": "o"})
        ax.scatter([s], [q], color=st["color"], marker=st["marker"], s=18 if on else 10, zorder=2,
                   edgecolors="black" if on else "none", linewidths=0.5)
        ax.annotate(str(name), (s, q), xytext=(3, 2), textcoords="offset points", fontsize=5)
    ax.invert_yaxis()  # better (a lower rank) up
    ax.set_xlabel("mean time per job (s, fit + transform)")
    ax.set_ylabel(quality_label)
    ax.grid(True, which="major")
    if title:
        ax.set_title(title)
    return fig


def metric_vs_rate(frame: pd.DataFrame, metric_label: str, styles: Mapping[str, Mapping], title: str = "") -> Any:
    """One panel per mechanism: each imputer's mean metric against the missing rate, bars ± sd over
    seeds; two columns wide, a shared legend below. ``frame``: mechanism, imputer, rate, mean, sd."""
    plt = pyplot()
    mechanisms = sorted(frame["mechanism"].unique())
    imputers = sorted(frame["imputer"].unique())
    legend_rows = -(-len(imputers) // 7)
    fig, axes = plt.subplots(1, len(mechanisms), figsize=(TWO_COLUMN, 1.9 + 0.14 * legend_rows), sharey=True,
                             squeeze=False, layout="constrained")
    handles = {}
    for ax, mechanism in zip(axes[0], mechanisms):
        part = frame[frame["mechanism"] == mechanism]
        for imputer in imputers:
            line = part[part["imputer"] == imputer].sort_values("rate")
            if line.empty or line["mean"].isna().all():
                continue
            st = styles[imputer]
            handles[imputer] = ax.errorbar(100 * line["rate"].to_numpy(dtype=float), line["mean"].to_numpy(dtype=float),
                                           yerr=line["sd"].fillna(0).to_numpy(dtype=float), color=st["color"],
                                           marker=st["marker"], linestyle=st["linestyle"], capsize=1.5,
                                           elinewidth=0.5, label=imputer)
        ax.set_title(str(mechanism).upper())
        ax.set_xticks(sorted({100 * float(r) for r in frame["rate"]}))
        ax.set_xlabel("missing rate (%)")
        ax.grid(True, axis="y")
    axes[0][0].set_ylabel(metric_label)
    if handles:
        fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=min(7, len(handles)),
                   frameon=False)
    if title:
        fig.suptitle(title)
    return fig
