"""status.uptime is pure: table-driven tests, no app."""
from datetime import date, datetime, timedelta, timezone

import pytest

from status.uptime import Change, format_percent, history, runs, segments

UTC = timezone.utc
NOW = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)  # noon: today is half observed
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    """March 2025."""
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


# (case, changes, created_at, expected uptime of the window, {date: (worst, day uptime)})
CASES = [
    ("always up", [], LONG_AGO, 100.0, {date(2025, 3, 10): ("operational", 100.0)}),
    ("one hour major outage", [Change(at(10, 6), "major_outage"), Change(at(10, 7), "operational")], LONG_AGO,
     100 * (1 - 3600 / (89 * 86400 + 43200)), {date(2025, 3, 10): ("major_outage", 100 * (1 - 1 / 24))}),
    ("partial outage weighs 30%", [Change(at(10, 0), "partial_outage"), Change(at(11, 0), "operational")],
     LONG_AGO, 100 * (1 - 0.3 * 86400 / (89 * 86400 + 43200)), {date(2025, 3, 10): ("partial_outage", 70.0)}),
    ("degraded is not downtime", [Change(at(10, 0), "degraded_performance"), Change(at(10, 12), "operational")],
     LONG_AGO, 100.0, {date(2025, 3, 10): ("degraded_performance", 100.0)}),
    ("maintenance is not downtime", [Change(at(10, 1), "under_maintenance"), Change(at(10, 3), "operational")],
     LONG_AGO, 100.0, {date(2025, 3, 10): ("under_maintenance", 100.0)}),
    ("outage across midnight splits", [Change(at(10, 23), "major_outage"), Change(at(11, 1), "operational")],
     LONG_AGO, None, {date(2025, 3, 10): ("major_outage", 100 * 23 / 24),
                      date(2025, 3, 11): ("major_outage", 100 * 23 / 24)}),
    ("worst state of the day wins", [Change(at(12, 1), "degraded_performance"), Change(at(12, 2), "major_outage"),
                                     Change(at(12, 3), "operational")], LONG_AGO, None,
     {date(2025, 3, 12): ("major_outage", 100 * 23 / 24)}),
    ("ongoing outage counts up to now", [Change(at(31, 6), "major_outage")], LONG_AGO, None,
     {date(2025, 3, 31): ("major_outage", 50.0)}),
    ("created 2 days ago: earlier days have no data", [], at(30, 0), 100.0,
     {date(2025, 3, 29): (None, None), date(2025, 3, 30): ("operational", 100.0)}),
    ("created mid-day: only observed time counts", [Change(at(30, 18), "major_outage"),
                                                   Change(at(30, 21), "operational")], at(30, 12), None,
     {date(2025, 3, 30): ("major_outage", 75.0)}),
    ("state set before the window still applies", [Change(datetime(2024, 12, 1, tzinfo=UTC), "major_outage")],
     LONG_AGO, 0.0, {date(2025, 1, 1): ("major_outage", 0.0), date(2025, 3, 31): ("major_outage", 0.0)}),
]


@pytest.mark.parametrize("case,changes,created,total,days", CASES, ids=[c[0] for c in CASES])
def test_history(case, changes, created, total, days):
    h = history(changes, created_at=created, now=NOW, days=90)
    assert len(h.days) == 90
    assert h.days[0].day == date(2025, 1, 1) and h.days[-1].day == date(2025, 3, 31)
    if total is not None:
        assert h.uptime == pytest.approx(total)
    by_day = {d.day: d for d in h.days}
    for day, (worst, pct) in days.items():
        assert by_day[day].worst == worst, day
        if pct is None:
            assert by_day[day].uptime is None
        else:
            assert by_day[day].uptime == pytest.approx(pct), day


def test_no_data_at_all():
    h = history([], created_at=NOW + timedelta(hours=1), now=NOW)
    assert h.uptime is None and all(d.worst is None for d in h.days)


@pytest.mark.parametrize("changes,expected", [
    ([], [(LONG_AGO, NOW, "operational")]),
    ([Change(at(1), "major_outage")], [(LONG_AGO, at(1), "operational"), (at(1), NOW, "major_outage")]),
    # unsorted input and a change after "now" (a clock moved backwards) are handled
    ([Change(at(2), "operational"), Change(at(1), "major_outage"), Change(NOW + timedelta(days=1), "partial_outage")],
     [(LONG_AGO, at(1), "operational"), (at(1), at(2), "major_outage"), (at(2), NOW, "operational")]),
])
def test_segments(changes, expected):
    assert segments(changes, created_at=LONG_AGO, now=NOW) == expected


def test_runs_merge_plain_days_but_keep_trouble_days_single():
    h = history([Change(at(10, 6), "major_outage"), Change(at(10, 7), "operational")], created_at=at(5), now=NOW)
    r = runs(h.days)
    # no-data days (Jan 1 .. Mar 4), then Mar 5..9 up, Mar 10 outage, Mar 11..31 up
    assert [(length, day.worst) for _, length, day in r] == [(63, None), (5, "operational"), (1, "major_outage"),
                                                             (21, "operational")]
    assert sum(length for _, length, _ in r) == 90


@pytest.mark.parametrize("value,text", [(None, "–"), (100.0, "100"), (99.999, "99.99"), (99.95, "99.95"),
                                        (0.0, "0.00"), (12.345, "12.35")])
def test_format_percent_never_rounds_up_to_100(value, text):
    assert format_percent(value) == text
