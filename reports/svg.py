"""SVG primitives of the site's figures (:mod:`imputebench.reports.plots`): a document of elements
and a linear or log scale. Coordinates are rounded to 0.1 px; text is escaped."""

from __future__ import annotations

import html
import math
from typing import Iterable

import numpy as np

INK, MUTED, GRID, AXIS = "#111827", "#6b7280", "#e5e7eb", "#9ca3af"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


class Svg:
    """An SVG document built as a list of elements; coordinates are rounded to 0.1 px."""

    def __init__(self, width: float, height: float, title: str = "") -> None:
        self.width, self.height = width, height
        self.parts: list[str] = []
        if title:
            self.parts.append(f"<title>{_e(title)}</title>")

    def line(self, x1: float, y1: float, x2: float, y2: float, colour: str = AXIS, width: float = 1.0,
             extra: str = "") -> None:
        self.parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
                          f'stroke-width="{width:g}"{extra}/>')

    def polyline(self, xs: Iterable[float], ys: Iterable[float], colour: str, width: float = 1.4) -> None:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
        self.parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="{width:g}" '
                          'stroke-linejoin="round"/>')

    def polygon(self, xs: Iterable[float], ys: Iterable[float], colour: str, opacity: float) -> None:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
        self.parts.append(f'<polygon points="{points}" fill="{colour}" fill-opacity="{opacity:g}" stroke="none"/>')

    def circle(self, x: float, y: float, r: float, colour: str, opacity: float = 1.0, stroke: str = "") -> None:
        edge = f' stroke="{stroke}" stroke-width="1.2"' if stroke else ""
        alpha = f' fill-opacity="{opacity:g}"' if opacity < 1 else ""
        self.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:g}" fill="{colour}"{alpha}{edge}/>')

    def rect(self, x: float, y: float, w: float, h: float, colour: str, opacity: float = 1.0) -> None:
        alpha = f' fill-opacity="{opacity:g}"' if opacity < 1 else ""
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
                          f'fill="{colour}"{alpha}/>')

    def text(self, x: float, y: float, text: object, size: float = 11, anchor: str = "start", colour: str = INK,
             weight: str = "", rotate: bool = False, baseline: str = "middle") -> None:
        bold = f' font-weight="{weight}"' if weight else ""
        turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}" '
                          f'dominant-baseline="{baseline}" fill="{colour}"{bold}{turn}>{_e(text)}</text>')

    def render(self) -> str:
        # Shown at 1.25x the drawing's units on a wide screen (text at about 13 px); the page scales it down.
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width:g} {self.height:g}" '
                f'width="{1.25 * self.width:g}" height="{1.25 * self.height:g}" font-family="{FONT}">'
                f'<rect width="100%" height="100%" fill="#fff"/>' + "".join(self.parts) + "</svg>\n")


class Scale:
    """A linear or log map from data values to pixels."""

    def __init__(self, low: float, high: float, start: float, end: float, log: bool = False) -> None:
        self.log = log
        if log:
            low, high = math.log10(low), math.log10(high)
        if high <= low:
            low, high = low - 0.5, high + 0.5
        self.low, self.high, self.start, self.end = low, high, start, end

    def __call__(self, value: float | np.ndarray) -> np.ndarray:
        v = np.log10(value) if self.log else np.asarray(value, dtype=float)
        return self.start + (v - self.low) / (self.high - self.low) * (self.end - self.start)
