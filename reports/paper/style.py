"""One figure style for every exported figure: colour-blind-safe colours, a marker and a line style
per imputer (so 24 imputers stay distinct in print and in grey), sizes of a one-column (3.3 in) and
a two-column (7 in) paper, fonts embedded in the PDF (TrueType, ``pdf.fonttype`` 42).

matplotlib is imported here only inside functions: the export imports it, nothing else does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

ONE_COLUMN = 3.3  # inches
TWO_COLUMN = 7.0
# Okabe & Ito (2008), "Color Universal Design": distinct for the common colour-vision deficiencies.
# Black first and yellow last: yellow is faint as a line on white.
OKABE_ITO = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", ":")
# A sequential map that reads the same under colour-vision deficiencies (Nuñez et al. 2018).
SEQUENTIAL = "cividis"
RC: Mapping[str, Any] = {
    "pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none",  # fonts embedded, text stays text
    "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"], "font.size": 7,
    "axes.titlesize": 7, "axes.labelsize": 7, "xtick.labelsize": 6, "ytick.labelsize": 6, "legend.fontsize": 6,
    "axes.linewidth": 0.6, "lines.linewidth": 1.0, "lines.markersize": 3.5, "grid.linewidth": 0.4,
    "grid.color": "#dddddd", "axes.grid": False, "savefig.dpi": 300, "figure.dpi": 100,
    "pdf.compression": 6, "axes.spines.top": False, "axes.spines.right": False,
}


def imputer_styles(names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Per imputer (in sorted order, so an imputer keeps its style across every figure of an export):
    colour, marker and line style. The i-th imputer takes colour i mod 8 and marker and line style
    i div 8, so no two of the first 24 share all three."""
    out = {}
    for i, name in enumerate(sorted(set(names))):
        out[name] = {"color": OKABE_ITO[i % len(OKABE_ITO)],
                     "marker": MARKERS[(i // len(OKABE_ITO) + i) % len(MARKERS)],
                     "linestyle": LINESTYLES[(i // len(OKABE_ITO)) % len(LINESTYLES)]}
    return out


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display needed), imported on first use."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, stem: Path) -> list[Path]:
    """Write ``stem``.pdf (vector, fonts embedded) and ``stem``.png (300 dpi); close the figure."""
    plt = pyplot()
    paths = []
    try:
        for suffix in (".pdf", ".png"):
            path = stem.with_suffix(suffix)
            # No bbox_inches="tight": the figure keeps the width it was made for (one or two columns).
            fig.savefig(path, metadata={"Creator": "imputebench export paper"} if suffix == ".pdf" else None)
            paths.append(path)
    finally:
        plt.close(fig)
    return paths
