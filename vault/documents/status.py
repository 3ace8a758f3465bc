"""Expiry status of a document, from its current version's expiry date. Pure: `today` is passed in."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class StatusKind(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"  # within the warning window (EXPIRY_WARNING_DAYS)
    EXPIRED = "expired"
    NO_EXPIRY = "no_expiry"
    NO_VERSION = "no_version"  # nothing current: no upload yet, or every version withdrawn


BADGES = {
    StatusKind.VALID: "badge-valid",
    StatusKind.EXPIRING: "badge-soon",
    StatusKind.EXPIRED: "badge-expired",
    StatusKind.NO_EXPIRY: "badge-none",
    StatusKind.NO_VERSION: "badge-none",
}


@dataclass(frozen=True)
class Status:
    kind: StatusKind
    days_left: int | None = None  # negative once expired
    expiry_date: date | None = None

    @property
    def badge(self) -> str:
        return BADGES[self.kind]


def expired_since(expiry_date: date) -> date:
    """The one date rule: an expiry date is the **last valid day**, so a document is expired from the day
    after. Every "expired since" (document status, stale answers, the timeline, the library, the review
    page, the trust center, the CLI report) is this day; "valid until" is the expiry date itself."""
    return expiry_date + timedelta(days=1)


def is_expired(expiry_date: date | None, today: date) -> bool:
    return expiry_date is not None and today >= expired_since(expiry_date)


def expiry_status(expiry_date: date | None, *, today: date, warning_days: int, has_version: bool = True) -> Status:
    """The expiry date is the last day the evidence is valid: expired from the day after."""
    if not has_version:
        return Status(StatusKind.NO_VERSION)
    if expiry_date is None:
        return Status(StatusKind.NO_EXPIRY)
    days = (expiry_date - today).days
    if is_expired(expiry_date, today):
        kind = StatusKind.EXPIRED
    elif days <= warning_days:
        kind = StatusKind.EXPIRING
    else:
        kind = StatusKind.VALID
    return Status(kind, days, expiry_date)
