"""The trust center's profile and what the public page shows. Services flush; the view commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.db import utcnow
from vault.documents import service as documents
from vault.documents.mediatype import JPEG, PNG, detect
from vault.documents.models import Document, DocumentType, DocumentVersion, Visibility, new_uid
from vault.documents.status import Status, StatusKind
from vault.documents.validation import Spooled
from vault.inputs import InvalidInput, clean_text
from vault.storage.service import discard_blob, open_blob, save_blob
from vault.trust.models import TrustProfile, domain_list, logo_context

LOGO_MAX_BYTES = 1024 * 1024
COMPANY_NAME_MAX = 200
SUMMARY_MAX = 5000
NOTE_MAX = 500
CARD_TYPES = (DocumentType.CERTIFICATION.value, DocumentType.AUDIT_REPORT.value)
# Shown in the library on the public page; the NDA template is shown in the request flow instead.
LIBRARY_EXCLUDED = (DocumentType.NDA_TEMPLATE.value,)
PUBLISHED = (Visibility.PUBLIC.value, Visibility.NDA.value)


def get_profile(session: Session) -> TrustProfile:
    """The one profile row, created with defaults on first use."""
    profile = session.scalar(select(TrustProfile).order_by(TrustProfile.id).limit(1))
    if profile is None:
        profile = TrustProfile()
        session.add(profile)
        session.flush()
    return profile


def layout_context(session: Session, default_name: str) -> dict:
    """Name and logo for the trust center's public layout (trust and access pages share it)."""
    profile = get_profile(session)
    return {"trust_company": profile.company_name or default_name, "trust_logo": profile.logo_blob_id is not None}


@dataclass
class Policy:
    """The access policy as plain lists (what rules.py takes)."""

    free_mail: list[str]
    blocked: list[str]
    allowed: list[str]
    grant_days: int


def policy(session: Session) -> Policy:
    p = get_profile(session)
    return Policy(free_mail=domain_list(p.free_mail_domains), blocked=domain_list(p.blocked_domains),
                  allowed=domain_list(p.allowed_domains), grant_days=p.default_grant_days or 30)


# --- settings -----------------------------------------------------------------------------------

@dataclass
class ProfileFields:
    company_name: str
    summary_en: str
    summary_zh: str
    free_mail_domains: str
    blocked_domains: str
    allowed_domains: str
    default_grant_days: int
    show_expired: bool
    renewal_notes: dict  # {document uid: {"en": str, "zh": str}}


def _check_domains(text: str, field: str) -> str:
    domains = domain_list(text)
    for d in domains:
        if len(d) > 253 or " " in d or "." not in d or "/" in d or "@" in d:
            raise InvalidInput("domain", _l("“%(domain)s” is not a domain name (for example: example.com).",
                                            domain=d[:80]), field=field)
    return "\n".join(domains)


def update_profile(session: Session, f: ProfileFields) -> dict:
    """Check and apply; returns the changed fields for the audit trail."""
    # Runs of white space in the name collapse on purpose: it is one line in the page header.
    name = clean_text(" ".join((f.company_name or "").split()), field="company_name", max_len=COMPANY_NAME_MAX,
                      label=_l("Company name"), multiline=False)
    summary_en = clean_text(f.summary_en, field="summary_en", max_len=SUMMARY_MAX, label=_l("Summary (English)"))
    summary_zh = clean_text(f.summary_zh, field="summary_zh", max_len=SUMMARY_MAX, label=_l("Summary (Chinese)"))
    if not 1 <= int(f.default_grant_days or 0) <= 365:
        raise InvalidInput("days", _l("Access lasts between 1 and 365 days."), field="default_grant_days")
    notes = {}
    for uid, texts in (f.renewal_notes or {}).items():
        clean = {lang: clean_text(texts.get(lang), field="", max_len=NOTE_MAX, label=label)
                 for lang, label in (("en", _l("Note (English)")), ("zh", _l("Note (Chinese)")))}
        if any(clean.values()):
            notes[uid] = clean
    values = {
        "company_name": name, "summary_en": summary_en, "summary_zh": summary_zh,
        "free_mail_domains": _check_domains(f.free_mail_domains, "free_mail_domains"),
        "blocked_domains": _check_domains(f.blocked_domains, "blocked_domains"),
        "allowed_domains": _check_domains(f.allowed_domains, "allowed_domains"),
        "default_grant_days": int(f.default_grant_days), "show_expired": bool(f.show_expired),
        "renewal_notes": notes,
    }
    profile = get_profile(session)
    changes = {k: [getattr(profile, k), v] for k, v in values.items() if getattr(profile, k) != v}
    for key, value in values.items():
        setattr(profile, key, value)
    if changes:
        profile.updated_at = utcnow()
    session.flush()
    return changes


def set_logo(session: Session, spooled: Spooled) -> TrustProfile:
    """Store a PNG or JPEG logo (SVG is refused: it can carry script), read from the spooled upload
    (never a plaintext copy on disk)."""
    if spooled.size > LOGO_MAX_BYTES:
        raise InvalidInput("logo", _l("The logo is larger than 1 MB."), field="logo")
    with spooled.open() as fh:
        kind = detect(fh).media_type
    if kind not in (PNG, JPEG):
        raise InvalidInput("logo", _l("The logo must be a PNG or JPEG image."), field="logo")
    profile = get_profile(session)
    uid = new_uid()
    blob = save_blob(session, spooled.chunks(), context=logo_context(uid), max_bytes=LOGO_MAX_BYTES)
    try:
        profile.logo_blob, profile.logo_uid, profile.logo_media_type = blob, uid, kind
        profile.updated_at = utcnow()
        session.flush()
    except BaseException:
        discard_blob(blob)
        raise
    return profile


def logo_bytes(session: Session) -> bytes | None:
    """The logo's bytes (PNG or JPEG, at most 1 MB) for documents we brand, e.g. a custom trust report."""
    profile = get_profile(session)
    if profile.logo_blob is None:
        return None
    return b"".join(open_blob(profile.logo_blob, context=logo_context(profile.logo_uid)))


# --- the public page ----------------------------------------------------------------------------

@dataclass
class PublicItem:
    document: Document
    current: DocumentVersion
    status: Status

    @property
    def is_public(self) -> bool:
        return self.document.visibility == Visibility.PUBLIC.value


@dataclass
class PublicPage:
    cards: list[PublicItem]
    groups: list[tuple[str, list[PublicItem]]]  # (document type, items)
    nda_documents: list[PublicItem]


def published_items(session: Session, *, today: date, warning_days: int, show_expired: bool) -> list[PublicItem]:
    """Public and NDA documents that have a current version; expired ones only if the profile says so."""
    items = []
    for row in documents.document_rows(session, today=today, warning_days=warning_days):
        if row.document.visibility not in PUBLISHED or row.current is None:
            continue
        if row.status.kind == StatusKind.EXPIRED and not show_expired:
            continue
        items.append(PublicItem(row.document, row.current, row.status))
    return items


def public_page(session: Session, *, today: date, warning_days: int) -> PublicPage:
    profile = get_profile(session)
    items = published_items(session, today=today, warning_days=warning_days, show_expired=profile.show_expired)
    cards = [i for i in items if i.document.type in CARD_TYPES]
    library = [i for i in items if i.document.type not in LIBRARY_EXCLUDED]
    groups = [(t, list(g)) for t, g in groupby(library, key=lambda i: i.document.type)]
    nda = [i for i in library if i.document.visibility == Visibility.NDA.value]
    return PublicPage(cards=cards, groups=groups, nda_documents=nda)


def public_document(session: Session, uid: str) -> tuple[Document, DocumentVersion] | None:
    """A public document and its current version, or None (unknown, not public, nothing current)."""
    document = documents.get_document(session, uid)
    if document is None or document.visibility != Visibility.PUBLIC.value:
        return None
    current = documents.current_version(document)
    return (document, current) if current is not None else None


def card_documents(session: Session) -> list[Document]:
    """Certification cards' documents (for renewal notes on the settings page)."""
    return [d for d in documents.list_documents(session) if d.type in CARD_TYPES and d.visibility in PUBLISHED]
