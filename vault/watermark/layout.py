"""Where the three diagonal lines of the PDF mark go: centred, along the page's diagonal, and small
enough that every line's rotated box lies inside the page (the third line, "date · id", used to run
off the top-right corner: the lines were sized to the diagonal's length only, not to the corners).

Coordinates are fpdf2's: origin top-left, y down, in points, on the page as the reader sees it (the
mark is drawn per display size, so a /Rotate 90 page is laid out as the landscape page it shows).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

LEAD = 1.3  # baseline to baseline, in font sizes
ASCENT, DESCENT = 0.95, 0.25  # generous glyph box (CJK ideographs reach ~0.88 above the baseline)
MARGIN = 0.03  # kept clear along each edge, as a share of the shorter side
MAX_SIZE = 0.04  # of the diagonal: the size the lines had when they fitted
MAX_LENGTH = 0.6  # the longest line spans at most this share of the diagonal


@dataclass(frozen=True)
class DiagonalLayout:
    size: float  # font size, points
    angle: float  # degrees, counter-clockwise as seen
    starts: list[tuple[float, float]]  # per line: x of its left end and its baseline y, before rotation
    boxes: list[list[tuple[float, float]]]  # per line: the 4 corners of its glyph box after rotation


def _rotate(cx: float, cy: float, angle: float, dx: float, dy: float) -> tuple[float, float]:
    """(cx + dx, cy + dy) turned counter-clockwise (as seen, y down) by `angle` degrees about (cx, cy)."""
    a = math.radians(angle)
    return cx + dx * math.cos(a) + dy * math.sin(a), cy - dx * math.sin(a) + dy * math.cos(a)


def _corners(widths: list[float], size: float) -> list[list[tuple[float, float]]]:
    """Unrotated glyph boxes, relative to the centre, for lines of these widths at 1 pt."""
    n = len(widths)
    boxes = []
    for j, width in enumerate(widths):
        baseline = ((j - (n - 1) / 2) * LEAD + 0.35) * size
        x0, x1 = -width * size / 2, width * size / 2
        y0, y1 = baseline - ASCENT * size, baseline + DESCENT * size
        boxes.append([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    return boxes


def diagonal_layout(w: float, h: float, widths: list[float]) -> DiagonalLayout:
    """The largest size (capped as before) at which every line's rotated box fits inside w × h less
    the margin. `widths` are the lines' widths at a font size of 1 pt. Linear in the size, so the
    limit comes out of each corner directly."""
    diag = math.hypot(w, h)
    angle = math.degrees(math.atan2(h, w))
    widest = max(widths) or 1.0
    margin = MARGIN * min(w, h)
    size = min(MAX_LENGTH * diag / widest, MAX_SIZE * diag)
    for box in _corners(widths, 1.0):
        for dx, dy in box:
            rx, ry = _rotate(0, 0, angle, dx, dy)
            if abs(rx) > 1e-9:
                size = min(size, (w / 2 - margin) / abs(rx))
            if abs(ry) > 1e-9:
                size = min(size, (h / 2 - margin) / abs(ry))
    size = max(size, 0.5)
    cx, cy = w / 2, h / 2
    boxes = [[_rotate(cx, cy, angle, dx, dy) for dx, dy in box] for box in _corners(widths, size)]
    n = len(widths)
    starts = [(cx - widths[j] * size / 2, cy + ((j - (n - 1) / 2) * LEAD + 0.35) * size) for j in range(n)]
    return DiagonalLayout(size, angle, starts, boxes)
