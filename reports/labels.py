"""Placing point labels so that they do not overlap (pure): a simple, deterministic repel.

A label's box is estimated from its text (:data:`CHAR_WIDTH` of the font size per character, a
little wider than a sans-serif font's widest lower-case average, and :data:`LINE_HEIGHT` of it
tall). Labels are placed top to bottom (by their point's y); each takes the first free slot among
its preferred place and places nudged up or down by one label height at a time, inside the plot
first and beyond it only when the plot has no free slot. A moved label gets a leader line to its point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

CHAR_WIDTH = 0.62  # of the font size, per character
LINE_HEIGHT = 1.25  # of the font size
MAX_STEPS = 60  # nudges tried each way before a label is left at its preferred place


@dataclass(frozen=True)
class Label:
    """A placed label: its text's left end and vertical middle, and whether it left its preferred place."""

    x: float
    y: float
    moved: bool


def text_box(x: float, y: float, text: str, size: float) -> tuple[float, float, float, float]:
    """A label's box (x0, y0, x1, y1) from its left end and vertical middle (SVG: y grows downwards)."""
    half = LINE_HEIGHT * size / 2
    return x, y - half, x + CHAR_WIDTH * size * len(text), y + half


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _offsets() -> list[int]:
    """0, then 1, -1, 2, -2, ... label heights (down first: labels are placed top to bottom)."""
    return [0] + [k * sign for k in range(1, MAX_STEPS + 1) for sign in (1, -1)]


def place_labels(xs: Sequence[float], ys: Sequence[float], texts: Sequence[str], size: float,
                 top: float, bottom: float, dx: float = 6.0, dy: float = -6.0) -> list[Label]:
    """Where each label goes (in input order): at (x + dx, y + dy) when that is free, else nudged
    vertically by label heights into the nearest free slot, preferring slots inside [top, bottom]."""
    step = LINE_HEIGHT * size
    placed: list[tuple[float, float, float, float]] = []
    out: dict[int, Label] = {}
    for i in sorted(range(len(texts)), key=lambda i: (ys[i], xs[i], texts[i])):
        x0, y0 = xs[i] + dx, ys[i] + dy
        candidates = [y0 + k * step for k in _offsets()]
        inside = [y for y in candidates if top <= y - step / 2 and y + step / 2 <= bottom]
        free = [y for y in inside + candidates if not any(_overlaps(text_box(x0, y, texts[i], size), b)
                                                          for b in placed)]
        y = free[0] if free else y0
        placed.append(text_box(x0, y, texts[i], size))
        out[i] = Label(x0, y, y != y0)
    return [out[i] for i in range(len(texts))]
