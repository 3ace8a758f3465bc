"""Dated obligations: the one shape every feature's dates take, the providers registry, and filters.

Pure: no Flask, no database import. A provider is `fn(session, today) -> Iterable[Obligation]`; each
feature registers its own (`@register("documents")`), so the timeline, the reminders and the calendar
feed see every date without knowing where it came from. Providers live with the feature that owns the dates (`vault/documents/obligations.py`, `vault/access/obligations.py`, `answers/library/obligations.py`) and register here.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable

log = logging.getLogger(__name__)


class Kind:
    DOCUMENT_EXPIRY = "document_expiry"
    BRIDGE_LETTER = "bridge_letter"
    AUDIT_PERIOD_END = "audit_period_end"
    GRANT_EXPIRY = "grant_expiry"
    NDA_EXPIRY = "nda_expiry"
    LIBRARY_REVIEW = "library_review"
    STALE_ANSWER = "stale_answer"


KINDS = (Kind.DOCUMENT_EXPIRY, Kind.BRIDGE_LETTER, Kind.AUDIT_PERIOD_END, Kind.GRANT_EXPIRY, Kind.NDA_EXPIRY,
         Kind.LIBRARY_REVIEW, Kind.STALE_ANSWER)
HORIZONS = ("overdue", "30", "60", "90")


@dataclass(frozen=True)
class Obligation:
    key: str  # stable and unique, and includes the due date: a new date is a new obligation
    kind: str
    title: str
    due_on: date  # the last good day (expiry date, review due date), unless `lapsed`
    owner_id: int | None = None
    owner_email: str = ""
    owner_name: str = ""
    frameworks: tuple[str, ...] = ()
    detail: str = ""  # one line of context: version, company, reason
    link_endpoint: str = ""  # staff page, for url_for
    link_args: tuple[tuple[str, str], ...] = ()
    lapsed: bool = False  # due_on is the day it went wrong (a stale answer): overdue from that day
    repeat_overdue: bool = True  # False: one "overdue" notice only (a grant that ran out)
    notify_legal: bool = True  # False: the owner alone is reminded (routine answer reviews)
    source: str = ""  # the provider's name

    def days_overdue(self, today: date) -> int:
        """>= 1 once overdue (the day after the last good day); <= 0 before."""
        return (today - self.due_on).days + (1 if self.lapsed else 0)

    def days_left(self, today: date) -> int:
        return -self.days_overdue(today)

    def is_overdue(self, today: date) -> bool:
        return self.days_overdue(today) >= 1


Provider = Callable[[Any, date], Iterable[Obligation]]
PROVIDERS: dict[str, Provider] = {}


def register(name: str) -> Callable[[Provider], Provider]:
    """Decorator: `@register("grants")` adds a provider (registering the same name again replaces it)."""

    def decorator(fn: Provider) -> Provider:
        PROVIDERS[name] = fn
        return fn

    return decorator


@dataclass
class Collected:
    obligations: list[Obligation]
    errors: dict[str, str] = field(default_factory=dict)  # provider name -> what went wrong


def collect(session, today: date, providers: dict[str, Provider] | None = None) -> Collected:
    """Every provider's obligations, soonest first; a failing provider never hides the others."""
    out: list[Obligation] = []
    errors: dict[str, str] = {}
    for name, fn in sorted((providers if providers is not None else PROVIDERS).items()):
        try:
            out.extend(fn(session, today))
        except Exception as exc:  # noqa: BLE001 - one feature's bug must not silence legal's reminders
            log.exception("obligation provider %s failed", name)
            errors[name] = f"{type(exc).__name__}: {exc}"
    seen: set[str] = set()
    unique = [o for o in out if not (o.key in seen or seen.add(o.key))]
    return Collected(sorted(unique, key=lambda o: (o.due_on, o.kind, o.title.casefold(), o.key)), errors)


@dataclass
class Filters:
    horizon: str = ""  # "", "overdue", "30", "60", "90"
    kind: str = ""
    owner: str = ""  # "", a user id as text, or "none" (no owner)
    framework: str = ""

    @classmethod
    def parse(cls, args) -> "Filters":
        """From query arguments; anything unknown is ignored rather than refused."""
        horizon = args.get("horizon", "")
        owner = (args.get("owner") or "").strip()
        return cls(horizon=horizon if horizon in HORIZONS else "",
                   kind=(args.get("type") or "")[:32],
                   owner=owner if owner == "none" or owner.isdigit() else "",
                   framework=(args.get("framework") or "")[:64])

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in (("horizon", self.horizon), ("type", self.kind), ("owner", self.owner),
                                  ("framework", self.framework)) if v}


def matches(o: Obligation, f: Filters, today: date) -> bool:
    if f.horizon == "overdue" and not o.is_overdue(today):
        return False
    if f.horizon.isdigit() and o.days_left(today) > int(f.horizon):  # overdue ones stay in every horizon
        return False
    if f.kind and o.kind != f.kind:
        return False
    if f.owner == "none" and o.owner_id is not None:
        return False
    if f.owner.isdigit() and o.owner_id != int(f.owner):
        return False
    if f.framework and f.framework not in o.frameworks:
        return False
    return True


def apply_filters(obligations: Iterable[Obligation], f: Filters, today: date) -> list[Obligation]:
    return [o for o in obligations if matches(o, f, today)]


def owner_fields(user) -> dict:
    """The owner columns of an Obligation from a user row (blank for a deactivated owner)."""
    active = user is not None and user.active
    return {"owner_id": user.id if user is not None else None, "owner_email": user.email if active else "",
            "owner_name": (user.name or user.email) if active else ""}
