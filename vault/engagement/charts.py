"""Chart geometry for server-rendered SVG: plain numbers in, coordinates out (the templates draw them).

No JavaScript and no chart library: the CSP allows neither inline scripts nor other origins, and an SVG
with a viewBox scales to a phone's width by itself. Labels come in already translated.
"""
from __future__ import annotations

from dataclasses import dataclass

FUNNEL_WIDTH = 400
FUNNEL_ROW = 46
TREND_WIDTH = 400
TREND_HEIGHT = 220
COLOURS = ("#1f5fbf", "#a86400", "#1b7f3b")  # visits, requests, downloads (the app's accent, warn, ok)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float  # top of the label line
    width: float  # bar length
    share: str  # of the first stage, e.g. "42%"


@dataclass(frozen=True)
class FunnelChart:
    width: int
    height: int
    bars: list[Bar]
    bar_height: int = 16


def funnel_chart(stages: list[tuple[str, int]]) -> FunnelChart:
    """One bar per stage, full width = the largest stage; each bar says its share of the first stage."""
    top = max((v for _, v in stages), default=0) or 1
    first = stages[0][1] if stages else 0
    bars = []
    for i, (label, value) in enumerate(stages):
        share = f"{round(100 * value / first)}%" if first else ""
        bars.append(Bar(label=label, value=value, y=i * FUNNEL_ROW, width=max(2.0, FUNNEL_WIDTH * value / top)
                        if value else 0.0, share=share))
    return FunnelChart(width=FUNNEL_WIDTH, height=len(stages) * FUNNEL_ROW, bars=bars)


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    points: str  # "x,y x,y ..." for <polyline>
    dots: list[tuple[float, float, int]]


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    left: int
    bottom: float
    series: list[Series]
    ticks: list[tuple[float, str, str]]  # x, week label, text-anchor (the end ones stay inside)
    gridlines: list[tuple[float, int]]  # y, value


def _nice_max(value: int) -> int:
    """A round top for the axis: 1, 2, 5 x 10^n at or above `value`."""
    if value <= 4:
        return 4
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def trend_chart(labels: list[str], series: list[tuple[str, list[int]]], colours=COLOURS) -> TrendChart:
    """Lines over weeks on one scale from zero; at most six week labels (phones)."""
    left, right, top, bottom = 34, 8, 10, TREND_HEIGHT - 26
    n = len(labels)
    peak = _nice_max(max((v for _, values in series for v in values), default=0))
    span = TREND_WIDTH - left - right

    def x(i: int) -> float:
        return round(left + (span * i / (n - 1) if n > 1 else span / 2), 1)

    def y(v: int) -> float:
        return round(bottom - (bottom - top) * v / peak, 1)

    out = []
    for (label, values), colour in zip(series, colours):
        dots = [(x(i), y(v), v) for i, v in enumerate(values)]
        out.append(Series(label, colour, " ".join(f"{a},{b}" for a, b, _ in dots), dots))
    every = max(1, -(-n // 6))
    ticks = [(x(i), labels[i], "start" if i == 0 else "end" if i == n - 1 else "middle") for i in range(0, n, every)]
    grid = [(y(v), v) for v in (0, peak // 2, peak)]
    return TrendChart(width=TREND_WIDTH, height=TREND_HEIGHT, left=left, bottom=bottom, series=out, ticks=ticks,
                      gridlines=grid)
