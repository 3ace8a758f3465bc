"""90-day history and uptime percentages from recorded state changes. Pure: no Flask, no database.

Days are UTC calendar days. Like Statuspage, a major outage counts fully as downtime, a partial outage
at 30%; degraded performance and maintenance are not downtime (they still colour the day's bar).
Time before the component existed is "no data" and counts for nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable

OPERATIONAL = "operational"
SEVERITY = {"operational": 0, "under_maintenance": 1, "degraded_performance": 2, "partial_outage": 3,
            "major_outage": 4}
DOWNTIME_WEIGHT = {"major_outage": 1.0, "partial_outage": 0.3}


@dataclass(frozen=True)
class Change:
    at: datetime
    state: str


@dataclass(frozen=True)
class Day:
    day: date
    worst: str | None  # None: no data that day
    seconds: dict[str, float] = field(default_factory=dict)  # time spent in each non-operational state
    uptime: float | None = None  # percent, None without data


@dataclass(frozen=True)
class History:
    days: list[Day]
    uptime: float | None  # over the whole window


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=timezone.utc)


def segments(changes: Iterable[Change], *, created_at: datetime, now: datetime,
             initial: str = OPERATIONAL) -> list[tuple[datetime, datetime, str]]:
    """[(start, end, state)] covering created_at..now; a change before creation sets the initial state."""
    out: list[tuple[datetime, datetime, str]] = []
    state, since = initial, created_at
    for ch in sorted(changes, key=lambda c: c.at):
        at = min(max(ch.at, created_at), now)
        if at > since:
            out.append((since, at, state))
            since = at
        state = ch.state
    if now > since:
        out.append((since, now, state))
    return out


def _uptime(seconds: dict[str, float], observed: float) -> float:
    down = sum(secs * DOWNTIME_WEIGHT.get(state, 0.0) for state, secs in seconds.items())
    return max(0.0, 100.0 * (1.0 - down / observed))


def history(changes: Iterable[Change], *, created_at: datetime, now: datetime, days: int = 90,
            initial: str = OPERATIONAL) -> History:
    """One `Day` per calendar day, oldest first, ending with today (partial, up to `now`)."""
    first_day = now.date() - timedelta(days=days - 1)
    window_start = _midnight(first_day)
    segs = segments(changes, created_at=created_at, now=now, initial=initial)
    per_day: list[dict[str, float]] = [dict() for _ in range(days)]
    observed = [0.0] * days
    for start, end, state in segs:
        start = max(start, window_start)
        while start < end:
            idx = (start.date() - first_day).days
            day_end = min(end, _midnight(start.date() + timedelta(days=1)))
            secs = (day_end - start).total_seconds()
            observed[idx] += secs
            if state != OPERATIONAL:
                per_day[idx][state] = per_day[idx].get(state, 0.0) + secs
            start = day_end
    out: list[Day] = []
    total_seconds: dict[str, float] = {}
    for i in range(days):
        d = first_day + timedelta(days=i)
        if observed[i] <= 0:
            out.append(Day(d, None))
            continue
        worst = max(per_day[i], key=lambda s: SEVERITY.get(s, 0), default=OPERATIONAL)
        out.append(Day(d, worst, per_day[i], _uptime(per_day[i], observed[i])))
        for state, secs in per_day[i].items():
            total_seconds[state] = total_seconds.get(state, 0.0) + secs
    total_observed = sum(observed)
    return History(out, _uptime(total_seconds, total_observed) if total_observed > 0 else None)


def runs(days: list[Day]) -> list[tuple[int, int, Day]]:
    """Consecutive days that look the same on a bar (fully up, or no data) merged: [(index, length, day)].

    Days with any trouble stay single so each keeps its own tooltip.
    """
    out: list[tuple[int, int, Day]] = []
    for i, d in enumerate(days):
        plain = d.worst in (None, OPERATIONAL)
        if out and plain:
            start, length, prev = out[-1]
            if prev.worst == d.worst and start + length == i:
                out[-1] = (start, length + 1, prev)
                continue
        out.append((i, 1, d))
    return out


def format_percent(value: float | None) -> str:
    """99.95 → "99.95"; never rounds a non-perfect figure up to 100."""
    if value is None:
        return "–"
    if value >= 100.0:
        return "100"
    text = f"{value:.2f}"
    return "99.99" if text == "100.00" else text
