"""The observation chart's geometry, pure: NEWS2 totals over time in, SVG coordinates out.

Kept out of the template so the plot is tested without a browser. The risk bands follow the
RCP NEWS2 thresholds (Chart 3: 0-4 low, 5-6 medium, 7 or more high); a partial set is drawn
hollow because its total is only a floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

WIDTH = 720
HEIGHT = 300
# Room for the score labels on the left, half a date label on the right, and two lines of
# date and time below (the template puts them 22 and 48 below the axis).
LEFT, RIGHT, TOP, BOTTOM = 44, 36, 12, 60
NEWS2_MAX = 20
MIN_SCALE = 9  # the bands stay readable when every score is low
MAX_X_TICKS = 6


@dataclass(frozen=True)
class ChartPoint:
    """One set of observations as the chart needs it."""

    at: datetime
    total: int | None  # None: nothing was scored; left off the plot, never drawn as 0
    complete: bool


@dataclass(frozen=True)
class PlotPoint:
    x: float
    y: float
    total: int
    hollow: bool  # a partial set
    at: datetime


@dataclass(frozen=True)
class Band:
    y: float
    height: float
    risk: str  # "low" | "medium" | "high", for the CSS class
    label: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str
    sublabel: str = ""
    minor: bool = False  # left off on a phone, where the labels would touch


@dataclass(frozen=True)
class Plot:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    points: tuple[PlotPoint, ...]
    path: str  # the line joining the scored points, oldest first ("" for fewer than two)
    bands: tuple[Band, ...]
    baseline_y: float | None
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def plot(
    points: Sequence[ChartPoint], baseline: int | None, *, tz: str,
    width: int = WIDTH, height: int = HEIGHT,
) -> Plot:
    """Coordinates for NEWS2 over time (points oldest first), the bands and the baseline."""
    left, right, top, bottom = LEFT, width - RIGHT, TOP, height - BOTTOM
    scored = [p for p in points if p.total is not None]
    highest = max([*(p.total or 0 for p in scored), baseline or 0, MIN_SCALE - 1]) + 1
    y_max = min(NEWS2_MAX, highest)
    # Half a point of room above and below, so a 0 does not sit on the axis.
    low_value, high_value = -0.5, y_max + 0.5

    def y_of(value: float) -> float:
        return bottom - (value - low_value) / (high_value - low_value) * (bottom - top)

    times = [p.at for p in points]
    first, last = (min(times), max(times)) if times else (None, None)

    def x_of(at: datetime) -> float:
        if first is None or last is None or last == first:
            return (left + right) / 2
        return left + (at - first) / (last - first) * (right - left)

    drawn = tuple(PlotPoint(x_of(p.at), y_of(p.total), p.total, not p.complete, p.at)
                  for p in scored if p.total is not None)
    path = ("M " + " L ".join(f"{_fmt(p.x)},{_fmt(p.y)}" for p in drawn)
            if len(drawn) > 1 else "")

    bands = tuple(
        Band(y_of(upper), y_of(lower) - y_of(upper), risk, label)
        for lower, upper, risk, label in (
            (low_value, 4.5, "low", "0-4 low"),
            (4.5, 6.5, "medium", "5-6 medium"),
            (6.5, high_value, "high", "7+ high"),
        )
    )
    step = 1 if y_max <= 10 else 2
    y_ticks = tuple(Tick(y_of(v), str(v), minor=v % (2 * step) != 0)
                    for v in range(0, y_max + 1, step))

    zone = ZoneInfo(tz)
    if first is None or last is None:
        x_ticks: tuple[Tick, ...] = ()
    elif last == first or len(points) <= MAX_X_TICKS:
        x_ticks = tuple(_time_tick(x_of(at), at, zone) for at in sorted(set(times)))
    else:
        span = last - first
        x_ticks = tuple(_time_tick(x_of(first + span * i / (MAX_X_TICKS - 1)),
                                   first + span * i / (MAX_X_TICKS - 1), zone)
                        for i in range(MAX_X_TICKS))
    return Plot(width, height, left, right, top, bottom, drawn, path, bands,
                y_of(baseline) if baseline is not None else None, y_ticks, x_ticks)


def _time_tick(x: float, at: datetime, zone: ZoneInfo) -> Tick:
    local = at.astimezone(zone)
    return Tick(x, f"{local.day} {local:%b}", f"{local:%H:%M}")
