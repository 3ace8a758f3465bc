"""The public subprocessor list (GDPR Art. 28 style): who processes customer data, for what, where.

Rows are never deleted: removing one sets `removed_on`, so the public page can show recent changes,
and a future `effective_from` announces a subprocessor before it starts. Services flush; views commit.
Create, remove and restore queue a notice to confirmed subscribers (notices.py); edits do not.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vault.db import utcnow
from vault.documents.models import new_uid
from vault.inputs import BIDI_AND_INVISIBLE, InvalidInput, clean_text
from vault.trust import notices
from vault.trust.models import Subprocessor

NAME_MAX = 200
LOCATION_MAX = 200
PURPOSE_MAX = 1000
CATEGORIES_MAX = 1000
WEBSITE_MAX = 2048
RECENTLY_REMOVED_DAYS = 180
FIELDS = ("name", "purpose_en", "purpose_zh", "data_categories", "location", "website", "effective_from",
          "data_categories_zh", "location_zh")


@dataclass
class SubprocessorFields:
    name: str = ""
    purpose_en: str = ""
    purpose_zh: str = ""
    data_categories: str = ""
    location: str = ""
    website: str = ""
    effective_from: date | None = None
    # Chinese versions of data_categories / location (last, so positional construction keeps working).
    data_categories_zh: str = ""
    location_zh: str = ""


# --- checks -------------------------------------------------------------------------------------

def _line(value: str | None, field: str, maximum: int, label) -> str:
    # Runs of white space collapse on purpose: a name or place is one line on the public page.
    return clean_text(" ".join((value or "").split()), field=field, max_len=maximum, label=label,
                      multiline=False)


def _text(value: str | None, field: str, maximum: int, label) -> str:
    # Windows line ends become one "\n" on purpose, so a pasted text counts and shows the same everywhere.
    return clean_text((value or "").replace("\r\n", "\n"), field=field, max_len=maximum, label=label)


def check_website(value: str | None) -> str:
    """An absolute http(s) address or empty; anything else (javascript:, data:, relative) is refused."""
    url = (value or "").strip()
    if not url:
        return ""
    if len(url) > WEBSITE_MAX:
        raise InvalidInput("website", _l("The website address is too long (at most %(max)d characters).",
                                         max=WEBSITE_MAX), field="website")
    bad = _l("The website must be a full address starting with https:// or http:// "
             "(for example: https://aws.amazon.com).")
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" or ch in BIDI_AND_INVISIBLE for ch in url):
        raise InvalidInput("website", bad, field="website")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unbalanced "[" in the host
        raise InvalidInput("website", bad, field="website") from None
    if parts.scheme.lower() not in ("http", "https") or not host or "." not in host:
        raise InvalidInput("website", bad, field="website")
    if parts.username is not None or parts.password is not None:
        # "https://aws.amazon.com@evil.example" reads as AWS but opens evil.example.
        raise InvalidInput("website", _l("The website address must not contain a user name or password "
                                         "(“…@”)."), field="website")
    return url


def check_fields(f: SubprocessorFields) -> dict:
    """The cleaned values, or InvalidInput naming the field and the reason."""
    name = _line(f.name, "name", NAME_MAX, _l("Name"))
    if not name:
        raise InvalidInput("name", _l("Enter the subprocessor's name."), field="name")
    values = {
        "name": name,
        "purpose_en": _text(f.purpose_en, "purpose_en", PURPOSE_MAX, _l("Purpose (English)")),
        "purpose_zh": _text(f.purpose_zh, "purpose_zh", PURPOSE_MAX, _l("Purpose (Chinese)")),
        "data_categories": _text(f.data_categories, "data_categories", CATEGORIES_MAX, _l("Data categories")),
        "data_categories_zh": _text(f.data_categories_zh, "data_categories_zh", CATEGORIES_MAX,
                                    _l("Data categories (Chinese)")),
        "location": _line(f.location, "location", LOCATION_MAX, _l("Location")),
        "location_zh": _line(f.location_zh, "location_zh", LOCATION_MAX, _l("Location (Chinese)")),
        "website": check_website(f.website),
        "effective_from": f.effective_from,
    }
    if not values["purpose_en"] and not values["purpose_zh"]:
        raise InvalidInput("purpose", _l("Say what the subprocessor does for you (the purpose, in English "
                                         "or Chinese)."), field="purpose_en")
    return values


# --- changes (each returns what the audit trail records) ------------------------------------------

def _audit_value(value):
    return value.isoformat() if isinstance(value, date) else value


def create_subprocessor(session: Session, f: SubprocessorFields) -> Subprocessor:
    values = check_fields(f)
    last = session.scalar(select(func.max(Subprocessor.position))) or 0
    now = utcnow()
    sp = Subprocessor(uid=new_uid(), position=last + 1, created_at=now, updated_at=now, **values)
    session.add(sp)
    session.flush()
    notices.announce(session, sp, "added")
    return sp


def update_subprocessor(session: Session, sp: Subprocessor, f: SubprocessorFields) -> dict:
    """Apply the checked fields; returns {field: [old, new]} for what changed."""
    values = check_fields(f)
    changes = {k: [_audit_value(getattr(sp, k)), _audit_value(v)] for k, v in values.items() if getattr(sp, k) != v}
    for key, value in values.items():
        setattr(sp, key, value)
    if changes:
        sp.updated_at = utcnow()
    session.flush()
    return changes


def remove_subprocessor(session: Session, sp: Subprocessor, *, today: date) -> None:
    """Stop listing it as current; the row stays and shows as recently removed."""
    if sp.removed_on is not None:
        raise InvalidInput("already_removed", _l("This subprocessor was already removed on %(date)s.",
                                                 date=sp.removed_on.isoformat()))
    sp.removed_on, sp.updated_at = today, utcnow()
    session.flush()
    notices.announce(session, sp, "removed")


def restore_subprocessor(session: Session, sp: Subprocessor) -> date:
    """Undo a removal; returns the removal date that was cleared."""
    if sp.removed_on is None:
        raise InvalidInput("not_removed", _l("This subprocessor is not removed."))
    removed_on = sp.removed_on
    sp.removed_on, sp.updated_at = None, utcnow()
    session.flush()
    notices.announce(session, sp, "restored")
    return removed_on


def reorder(session: Session, uids: list[str]) -> None:
    """Display order: the given uids first, in that order, then the others as they were."""
    rows = staff_list(session)
    by_uid = {sp.uid: sp for sp in rows}
    unknown = [u for u in uids if u not in by_uid]
    if unknown or len(set(uids)) != len(uids):
        raise InvalidInput("order", _l("The new order names an unknown or repeated subprocessor; reload the page."))
    named = set(uids)
    ordered = [by_uid[u] for u in uids] + [sp for sp in rows if sp.uid not in named]
    for position, sp in enumerate(ordered, start=1):
        sp.position = position
    session.flush()


def move_subprocessor(session: Session, sp: Subprocessor, step: int) -> bool:
    """One place up (-1) or down (+1) among the listed (not removed) rows; False when it cannot move."""
    uids = [row.uid for row in staff_list(session) if row.removed_on is None]
    if sp.uid not in uids or step not in (-1, 1):
        return False
    i = uids.index(sp.uid)
    j = i + step
    if not 0 <= j < len(uids):
        return False
    uids[i], uids[j] = uids[j], uids[i]
    reorder(session, uids)
    return True


# --- reading ------------------------------------------------------------------------------------

def get_subprocessor(session: Session, uid: str) -> Subprocessor | None:
    return session.scalar(select(Subprocessor).where(Subprocessor.uid == uid[:32]))


def staff_list(session: Session) -> list[Subprocessor]:
    """Every row in display order (removed ones included)."""
    return list(session.scalars(select(Subprocessor).order_by(Subprocessor.position, Subprocessor.name,
                                                              Subprocessor.id)))


def is_current(sp: Subprocessor, today: date) -> bool:
    return sp.removed_on is None and (sp.effective_from is None or sp.effective_from <= today)


def is_announced(sp: Subprocessor, today: date) -> bool:
    return sp.removed_on is None and sp.effective_from is not None and sp.effective_from > today


def is_recently_removed(sp: Subprocessor, today: date) -> bool:
    return sp.removed_on is not None and today - timedelta(days=RECENTLY_REMOVED_DAYS) <= sp.removed_on <= today


def current_subprocessors(session: Session, today: date) -> list[Subprocessor]:
    return [sp for sp in staff_list(session) if is_current(sp, today)]


def announced_subprocessors(session: Session, today: date) -> list[Subprocessor]:
    """Announced ahead of use, soonest first."""
    return sorted((sp for sp in staff_list(session) if is_announced(sp, today)), key=lambda sp: sp.effective_from)


def recently_removed(session: Session, today: date) -> list[Subprocessor]:
    """Removed in the last RECENTLY_REMOVED_DAYS days, newest removal first."""
    return sorted((sp for sp in staff_list(session) if is_recently_removed(sp, today)),
                  key=lambda sp: sp.removed_on, reverse=True)


@dataclass
class PublicList:
    current: list[Subprocessor]
    announced: list[Subprocessor]
    removed: list[Subprocessor]


def public_list(session: Session, today: date) -> PublicList:
    return PublicList(current_subprocessors(session, today), announced_subprocessors(session, today),
                      recently_removed(session, today))


def public_record(sp: Subprocessor) -> dict:
    """What the JSON feed publishes: no internal id, no staff timestamps."""
    return {
        "uid": sp.uid, "name": sp.name, "purpose_en": sp.purpose_en, "purpose_zh": sp.purpose_zh,
        "data_categories": sp.data_categories, "data_categories_zh": sp.data_categories_zh,
        "location": sp.location, "location_zh": sp.location_zh, "website": sp.website,
        "effective_from": sp.effective_from.isoformat() if sp.effective_from else None,
        "removed_on": sp.removed_on.isoformat() if sp.removed_on else None,
    }


def website_host(url: str) -> str:
    """The host shown as the link text (the full address stays in href)."""
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url
