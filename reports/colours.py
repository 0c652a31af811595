"""The site's colours, declared once: one colour per imputer, the two reserved for histograms, the
heat scale of the matrices. Pure values and functions; figures and pages only use them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# One colour per imputer (and per mechanism or strategy on a figure), 24 of them, taken from palettes
# designed for colour-vision deficiencies (Okabe & Ito; Paul Tol's bright, muted, vibrant, light and
# dark schemes) and ordered greedily: each next colour is the one farthest (CIE76 Delta E, the
# smallest over normal, protan and deutan vision, Machado et al. 2009) from those before it and from
# the two reserved colours. The first 8 stay >= 18 apart under protan and deutan vision, all 24 >= 7
# (>= 9.5 for normal vision); none is grey or near black, which the histograms reserve.
PALETTE = ["#0072B2", "#E69F00", "#666633", "#225555", "#DDCC77", "#33BBEE", "#009E73", "#D55E00",
           "#99DDFF", "#CC79A7", "#EE6677", "#999933", "#AA3377", "#EE8866", "#44BB99", "#BBCC33",
           "#CC3311", "#225522", "#4477AA", "#AA4499", "#228833", "#EE7733", "#CCBB44", "#EE3377"]
# Histograms: "imputed" and "true" on every page, told apart by lightness (which every form of colour
# blindness keeps), in colours no imputer has.
IMPUTED_COLOUR = "#000000"
TRUE_COLOUR = "#BBBBBB"


def colour_of(names: Sequence[str]) -> dict[str, str]:
    """A stable colour per name (sorted order), reused across every figure of the site; past 24 names
    the colours repeat."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(names))}

# Best to worst: blue, near-white, orange (the light ends of ColorBrewer's RdBu, safe for the common
# colour-vision deficiencies), light enough that dark text stays readable on every cell.
HEAT_STOPS = ((0.0, (0x67, 0xA9, 0xCF)), (0.5, (0xF7, 0xF7, 0xF7)), (1.0, (0xEF, 0x8A, 0x62)))


def heat_colours(values: np.ndarray, best: float, worst: float) -> np.ndarray:
    """``#rrggbb`` per value on the heat scale from ``best`` (blue) to ``worst`` (orange), clipped to
    that range; ``""`` for NaN. ``best`` may be above ``worst`` (a score where higher is better)."""
    v = np.asarray(values, dtype=float)
    t = np.clip((v - best) / (worst - best), 0.0, 1.0) if worst != best else np.zeros_like(v)
    t = np.nan_to_num(t)  # a NaN's colour is replaced by "" below
    at = [s for s, _ in HEAT_STOPS]
    channels = [np.interp(t, at, [c[i] for _, c in HEAT_STOPS]) for i in range(3)]
    rgb = np.rint(np.stack(channels, axis=-1)).astype(int)
    out = np.array([f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb.reshape(-1, 3)], dtype=object).reshape(v.shape)
    return np.where(np.isnan(v), "", out)
