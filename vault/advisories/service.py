"""Security advisories and announcements: the rules (no Flask request; the caller commits).

The named interface for other features (tests/test_architecture.py INTERFACES) is this module. The
vulnerability-disclosure feature publishes a fixed issue with:

    create_advisory(session, *, actor: vault.audit.Actor, title_en: str, title_zh: str = "",
                    body_en: str = "", body_zh: str = "", cvss_vector: str = "",
                    cve_ids: Iterable[str] | str = (), affected: Iterable[tuple[str, str]] | str = (),
                    fixed_in: Iterable[tuple[str, str]] | str = (),
                    timeline: Iterable[tuple[date, str, str]] = (), publish: bool = False,
                    now: datetime | None = None) -> Advisory

    - returns the advisory with its id assigned (`advisory.advisory_id`, e.g. "TV-2026-003");
    - `cvss_vector` is a CVSS v3.1 vector ("CVSS:3.1/AV:N/AC:L/..."); the base score and severity are
      computed from it (the `cvss` library, FIRST's formulas);
    - `cve_ids` are CVE-YYYY-NNNN+ (a list, or text separated by commas, spaces or lines);
    - `affected` / `fixed_in` are (product, versions) pairs, or lines "Product: versions";
    - `timeline` entries are (date, text in English, text in Chinese);
    - `publish=True` publishes at once (title, body, CVSS vector and an affected product required) and
      queues one mail per confirmed subscriber through vault.notify (sent after the caller commits);
    - bad input raises AdvisoryInput (a vault.inputs.InvalidInput naming the field); nothing is half-written
      because the caller's transaction is rolled back.
    Every change is audited with `by=actor`.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from cvss import CVSS3
from cvss.exceptions import CVSSError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vault import audit
from vault.advisories import emails
from vault.advisories.models import Advisory, Announcement, TimelineEntry
from vault.db import utcnow
from vault.inputs import InvalidInput, clean_text

TITLE_MAX, BODY_MAX, LINE_MAX, TIMELINE_MAX = 300, 50_000, 300, 500
PRODUCTS_MAX, CVES_MAX = 50, 50
CVE_RE = re.compile(r"^CVE-(\d{4})-(\d{4,19})$")


class AdvisoryInput(InvalidInput):
    """A refused advisory or announcement field (the message names it)."""


# --- CVSS and CVE checks ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Cvss:
    vector: str  # normalised, base metrics in the spec's order
    score: float
    severity: str  # none / low / medium / high / critical

    @property
    def severity_label(self) -> str:  # CSAF and NVD spelling
        return self.severity.upper()


def parse_cvss(vector: str | None, *, field: str = "cvss_vector") -> Cvss:
    """A CVSS v3.1 vector checked and scored (base score and qualitative rating, CVSS v3.1 spec §5)."""
    text = (vector or "").strip()
    if not text.startswith("CVSS:3.1/"):
        raise AdvisoryInput("cvss_version", _l("Enter a CVSS v3.1 vector starting with “CVSS:3.1/”, such as "
                                               "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H."), field)
    if len(text) > 200:
        raise AdvisoryInput("cvss_too_long", _l("The CVSS vector is too long."), field)
    try:
        parsed = CVSS3(text)
    except CVSSError as exc:
        raise AdvisoryInput("cvss_invalid", _l("The CVSS vector is not valid: %(reason)s.", reason=str(exc)), field)
    score = float(parsed.base_score)
    return Cvss(vector=parsed.clean_vector(), score=score, severity=severity_of(score))


def severity_of(score: float) -> str:
    """CVSS v3.1 qualitative severity rating scale."""
    if score == 0:
        return "none"
    if score < 4.0:
        return "low"
    if score < 7.0:
        return "medium"
    if score < 9.0:
        return "high"
    return "critical"


def check_cve_ids(value: Iterable[str] | str | None, *, field: str = "cve_ids") -> list[str]:
    """CVE ids in upper case, duplicates dropped, order kept; one that is not CVE-YYYY-NNNN+ is refused."""
    items = re.split(r"[\s,;]+", value) if isinstance(value, str) else list(value or ())
    out: list[str] = []
    for raw in items:
        cve = (raw or "").strip().upper()
        if not cve:
            continue
        match = CVE_RE.match(cve)
        if match is None or int(match.group(1)) < 1999:
            raise AdvisoryInput("cve_invalid", _l("“%(value)s” is not a CVE id (CVE-YYYY-NNNN, at least four "
                                                  "digits after the year).", value=cve[:40]), field)
        if cve not in out:
            out.append(cve)
    if len(out) > CVES_MAX:
        raise AdvisoryInput("cve_too_many", _l("At most %(max)d CVE ids.", max=CVES_MAX), field)
    return out


def parse_products(value: Iterable[tuple[str, str]] | str | None, *, field: str, label) -> list[tuple[str, str]]:
    """(product, versions) pairs from pairs or from lines "Product: versions"."""
    if isinstance(value, str):
        pairs = []
        for line in value.splitlines():
            if not line.strip():
                continue
            parts = re.split(r"[:：]", line, maxsplit=1)  # a Chinese keyboard types the full-width colon
            product, versions = (parts + [""])[:2]
            if len(parts) < 2 or not product.strip() or not versions.strip():
                raise AdvisoryInput("product_line", _l("%(label)s: write one product per line as “Product: "
                                                       "versions” (“%(line)s” is not).", label=label,
                                                       line=line.strip()[:60]), field)
            pairs.append((product, versions))
    else:
        pairs = list(value or ())
    out = []
    for product, versions in pairs:
        product = clean_text(product, field=field, max_len=LINE_MAX, label=label, multiline=False, error=AdvisoryInput)
        versions = clean_text(versions, field=field, max_len=LINE_MAX, label=label, multiline=False,
                              error=AdvisoryInput)
        if not product or not versions:
            raise AdvisoryInput("product_empty", _l("%(label)s: each entry needs a product and versions.",
                                                    label=label), field)
        out.append((product, versions))
    if len(out) > PRODUCTS_MAX:
        raise AdvisoryInput("product_too_many", _l("%(label)s: at most %(max)d lines.", label=label,
                                                   max=PRODUCTS_MAX), field)
    return out


def products_text(pairs: list[dict], key: str) -> str:
    """The stored pairs back as form lines."""
    return "\n".join(f"{p['product']}: {p[key]}" for p in pairs or ())


# --- advisories -------------------------------------------------------------------------------------

@dataclass
class AdvisoryFields:
    title_en: str = ""
    title_zh: str = ""
    body_en: str = ""
    body_zh: str = ""
    cvss_vector: str = ""
    cve_ids: Iterable[str] | str = ()
    affected: Iterable[tuple[str, str]] | str = ()
    fixed_in: Iterable[tuple[str, str]] | str = ()
    change_summary: str = ""  # the revision's summary when a published advisory changes

    def cleaned(self) -> dict:
        """Checked column values; AdvisoryInput names the first bad field."""
        t = clean_text
        values = {
            "title_en": t(self.title_en, field="title_en", max_len=TITLE_MAX, label=_l("Title (English)"),
                          multiline=False, error=AdvisoryInput),
            "title_zh": t(self.title_zh, field="title_zh", max_len=TITLE_MAX, label=_l("Title (Chinese)"),
                          multiline=False, error=AdvisoryInput),
            "body_en": t(self.body_en, field="body_en", max_len=BODY_MAX, label=_l("Description (English)"),
                         error=AdvisoryInput),
            "body_zh": t(self.body_zh, field="body_zh", max_len=BODY_MAX, label=_l("Description (Chinese)"),
                         error=AdvisoryInput),
        }
        if not values["title_en"] and not values["title_zh"]:
            raise AdvisoryInput("title_missing", _l("Enter a title in English or Chinese."), "title_en")
        vector = (self.cvss_vector or "").strip()
        if vector:
            cvss = parse_cvss(vector)
            values.update(cvss_vector=cvss.vector, cvss_score=cvss.score, severity=cvss.severity)
        else:
            values.update(cvss_vector="", cvss_score=None, severity="none")
        values["cve_ids"] = check_cve_ids(self.cve_ids)
        values["affected"] = [{"product": p, "versions": v} for p, v in
                              parse_products(self.affected, field="affected", label=_l("Affected products"))]
        values["fixed_in"] = [{"product": p, "version": v} for p, v in
                              parse_products(self.fixed_in, field="fixed_in", label=_l("Fixed in"))]
        return values


def _prefix() -> str:
    return current_app.config.get("ADVISORY_ID_PREFIX", "TV")


def _next_id(session: Session, year: int) -> str:
    """TV-<year>-<nnn>: one more than the highest number of the year (gaps from deleted drafts stay)."""
    stem = f"{_prefix()}-{year}-"
    taken = session.scalars(select(Advisory.advisory_id).where(Advisory.advisory_id.like(f"{stem}%")))
    highest = max((int(a.rsplit("-", 1)[1]) for a in taken if a.rsplit("-", 1)[1].isdigit()), default=0)
    return f"{stem}{highest + 1:03d}"


def create_advisory(session: Session, *, actor: audit.Actor, title_en: str = "", title_zh: str = "",
                    body_en: str = "", body_zh: str = "", cvss_vector: str = "",
                    cve_ids: Iterable[str] | str = (), affected: Iterable[tuple[str, str]] | str = (),
                    fixed_in: Iterable[tuple[str, str]] | str = (),
                    timeline: Iterable[tuple[date, str, str]] = (), publish: bool = False,
                    now: datetime | None = None) -> Advisory:
    """A draft advisory with its id assigned (see the module docstring); published at once with publish=True."""
    now = now or utcnow()
    values = AdvisoryFields(title_en=title_en, title_zh=title_zh, body_en=body_en, body_zh=body_zh,
                            cvss_vector=cvss_vector, cve_ids=cve_ids, affected=affected, fixed_in=fixed_in).cleaned()
    advisory = None
    for _attempt in range(5):  # two staff members creating at the same moment: the unique id decides
        candidate = Advisory(advisory_id=_next_id(session, now.year), state="draft", revisions=[], created_at=now,
                             updated_at=now, **values)
        try:
            with session.begin_nested():
                session.add(candidate)
                session.flush()
        except IntegrityError:
            continue
        advisory = candidate
        break
    if advisory is None:
        raise RuntimeError("could not assign an advisory id")
    audit.record(session, "advisory.create", object_type="advisory", object_id=advisory.advisory_id,
                 detail={"severity": advisory.severity, "cve_ids": advisory.cve_ids}, by=actor)
    for happened_on, text_en, text_zh in timeline:
        add_timeline_entry(session, advisory, happened_on=happened_on, text_en=text_en, text_zh=text_zh, actor=actor,
                           now=now)
    if publish:
        publish_advisory(session, advisory, actor=actor, now=now)
    return advisory


def update_advisory(session: Session, advisory: Advisory, fields: AdvisoryFields, *, actor: audit.Actor,
                    now: datetime) -> dict:
    """Changes {column: [old, new]}; a published advisory gets a new revision, whose summary is required."""
    values = fields.cleaned()
    changes = {k: [getattr(advisory, k), v] for k, v in values.items() if getattr(advisory, k) != v}
    if not changes:
        return {}
    summary = ""
    if advisory.published:
        summary = clean_text(fields.change_summary, field="change_summary", max_len=LINE_MAX,
                             label=_l("What changed"), multiline=False, error=AdvisoryInput)
        if not summary:
            raise AdvisoryInput("summary_missing", _l("Say what changed: readers see it in the revision history."),
                                "change_summary")
        _check_publishable(values)  # a published advisory keeps its description, vector and products
    for key, (_old, new) in changes.items():
        setattr(advisory, key, new)
    advisory.updated_at = now
    if advisory.published:
        advisory.revisions = [*advisory.revisions, {"number": str(len(advisory.revisions) + 1),
                                                    "date": now.isoformat(), "summary": summary}]
    session.flush()
    audit.record(session, "advisory.update", object_type="advisory", object_id=advisory.advisory_id,
                 detail={"fields": sorted(changes), "summary": summary}, by=actor)
    return changes


def _check_publishable(values: dict) -> None:
    if not values["body_en"] and not values["body_zh"]:
        raise AdvisoryInput("body_missing", _l("A published advisory needs a description."), "body_en")
    if not values["cvss_vector"]:
        raise AdvisoryInput("cvss_missing", _l("A published advisory needs a CVSS v3.1 vector."), "cvss_vector")
    if not values["affected"]:
        raise AdvisoryInput("affected_missing", _l("A published advisory names at least one affected product."),
                            "affected")


def publish_advisory(session: Session, advisory: Advisory, *, actor: audit.Actor, now: datetime) -> int:
    """Published from now on; each confirmed subscriber gets one mail (queued; a second publish sends none).
    Returns how many mails were queued."""
    if advisory.published:
        raise AdvisoryInput("already_published", _l("This advisory is already published."), "")
    _check_publishable({k: getattr(advisory, k) for k in ("body_en", "body_zh", "cvss_vector", "affected")})
    advisory.state, advisory.published_at, advisory.updated_at = "published", now, now
    advisory.revisions = [{"number": "1", "date": now.isoformat(), "summary": "Initial public release"}]
    session.flush()
    queued = emails.announce_advisory(session, advisory)
    audit.record(session, "advisory.publish", object_type="advisory", object_id=advisory.advisory_id,
                 detail={"mails": queued}, by=actor)
    return queued


def add_timeline_entry(session: Session, advisory: Advisory, *, happened_on: date | None, text_en: str = "",
                       text_zh: str = "", actor: audit.Actor, now: datetime) -> TimelineEntry:
    if happened_on is None:
        raise AdvisoryInput("date_missing", _l("Enter the date of the timeline entry."), "happened_on")
    text_en = clean_text(text_en, field="text_en", max_len=TIMELINE_MAX, label=_l("Entry (English)"),
                         multiline=False, error=AdvisoryInput)
    text_zh = clean_text(text_zh, field="text_zh", max_len=TIMELINE_MAX, label=_l("Entry (Chinese)"),
                         multiline=False, error=AdvisoryInput)
    if not text_en and not text_zh:
        raise AdvisoryInput("entry_missing", _l("Describe the timeline entry in English or Chinese."), "text_en")
    entry = TimelineEntry(happened_on=happened_on, text_en=text_en, text_zh=text_zh, created_at=now)
    advisory.timeline.append(entry)
    advisory.updated_at = now
    session.flush()
    audit.record(session, "advisory.timeline.add", object_type="advisory", object_id=advisory.advisory_id,
                 detail={"date": happened_on.isoformat()}, by=actor)
    return entry


def get_advisory(session: Session, advisory_id: str) -> Advisory | None:
    """Any state (staff pages)."""
    if not advisory_id or len(advisory_id) > 32:
        return None
    return session.scalar(select(Advisory).where(Advisory.advisory_id == advisory_id))


def get_published(session: Session, advisory_id: str) -> Advisory | None:
    """A published advisory, or None (drafts do not exist for the public)."""
    advisory = get_advisory(session, advisory_id)
    return advisory if advisory is not None and advisory.published else None


def published_advisories(session: Session, limit: int | None = None) -> list[Advisory]:
    query = select(Advisory).where(Advisory.state == "published").order_by(Advisory.published_at.desc(),
                                                                           Advisory.id.desc())
    return list(session.scalars(query.limit(limit) if limit else query))


def all_advisories(session: Session) -> list[Advisory]:
    return list(session.scalars(select(Advisory).order_by(Advisory.created_at.desc(), Advisory.id.desc())))


# --- announcements ----------------------------------------------------------------------------------

def create_announcement(session: Session, *, actor: audit.Actor, title_en: str = "", title_zh: str = "",
                        body_en: str = "", body_zh: str = "", now: datetime | None = None) -> Announcement:
    """Published at once (page and feed); announcements are not mailed."""
    now = now or utcnow()
    values = AdvisoryFields(title_en=title_en, title_zh=title_zh, body_en=body_en, body_zh=body_zh).cleaned()
    if not values["body_en"] and not values["body_zh"]:
        raise AdvisoryInput("body_missing", _l("Write the announcement in English or Chinese."), "body_en")
    row = Announcement(uid=secrets.token_hex(8), published_at=now,
                       **{k: values[k] for k in ("title_en", "title_zh", "body_en", "body_zh")})
    session.add(row)
    session.flush()
    audit.record(session, "advisory.announcement.create", object_type="announcement", object_id=row.uid, by=actor)
    return row


def announcements(session: Session, limit: int | None = None) -> list[Announcement]:
    query = select(Announcement).order_by(Announcement.published_at.desc(), Announcement.id.desc())
    return list(session.scalars(query.limit(limit) if limit else query))


def get_announcement(session: Session, uid: str) -> Announcement | None:
    if not uid or len(uid) > 32:
        return None
    return session.scalar(select(Announcement).where(Announcement.uid == uid))
