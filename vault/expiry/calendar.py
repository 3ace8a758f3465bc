"""The iCalendar feed (RFC 5545, written with the `icalendar` package): one all-day event per obligation.

Event UIDs are derived from the obligation's key, so a calendar that polls the feed updates events in
place instead of duplicating them; a renewed document is a new key, so a new event.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from flask_babel import force_locale
from icalendar import Alarm, Calendar, Event

from vault.expiry.labels import kind_label
from vault.expiry.obligations import Obligation

PRODID = "-//trustvault//expiry feed//EN"


def _uid(o: Obligation, domain: str) -> str:
    return hashlib.sha256(o.key.encode("utf-8")).hexdigest()[:32] + "@" + domain


def build_calendar(obligations: list[Obligation], *, now: datetime, name: str, language: str,
                   url_for_obligation, domain: str = "trustvault") -> bytes:
    """`url_for_obligation(o) -> str | None`; returns the .ics bytes (UTF-8, CRLF)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT6H")
    with force_locale(language):
        for o in obligations:
            cal.add_component(_event(o, now=now, url=url_for_obligation(o), domain=domain))
    return cal.to_ical()


def _event(o: Obligation, *, now: datetime, url: str | None, domain: str) -> Event:
    day: date = o.due_on
    ev = Event()
    ev.add("uid", _uid(o, domain))
    ev.add("dtstamp", now)
    ev.add("dtstart", day)
    ev.add("dtend", day + timedelta(days=1))
    ev.add("summary", f"{kind_label(o.kind)}: {o.title}")
    lines = [str(o.detail)] if o.detail else []
    if o.owner_name:
        lines.append(o.owner_name)
    if url:
        lines.append(url)
        ev.add("url", url)
    if lines:
        ev.add("description", "\n".join(lines))
    ev.add("categories", [kind_label(o.kind)])
    ev.add("transp", "TRANSPARENT")  # a deadline, not a meeting: never blocks anyone's time
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"{kind_label(o.kind)}: {o.title}")
    alarm.add("trigger", timedelta(days=-7))
    ev.add_component(alarm)
    return ev
