"""The site's colours, declared once: the heat scale of its matrices (and, for the figures, see
:mod:`.plots`). Pure functions of numbers; the pages only put the result in a ``style``."""

from __future__ import annotations

import numpy as np

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
