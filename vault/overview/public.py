"""The overview as a buyer reads it, as plain data (no ORM rows): the named interface other features use.

`sections_for(session, locale, today)` is what the public page renders and what a custom trust report may
print. Texts are in `locale` ("en" or "zh"), falling back to the other language when one is blank; labels
(section titles, fact names, durations) are translated into `locale`. Sections with neither facts nor
items are left out. An item whose evidence expired or was withdrawn keeps its place with
`evidence_renewing=True` and no evidence (see docs/trust-center.md, "Security and privacy overview").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale, gettext as _
from sqlalchemy.orm import Session

from vault.documents.models import Visibility
from vault.overview import service
from vault.overview.models import in_language


@dataclass(frozen=True)
class Evidence:
    document_uid: str
    title: str
    access: str  # "public" (downloads at once) or "nda" (through the access request)


@dataclass(frozen=True)
class Fact:
    key: str
    label: str
    text: str  # on one line; several options joined with "; " (zh "；")
    lines: tuple[str, ...]  # the same, one line per chosen option (what the page shows)
    value: object  # as stored: {"amount": 4, "unit": "hours"}, "annual", ["gdpr_sccs", ...], "dpo@example.com"


@dataclass(frozen=True)
class Item:
    uid: str
    title: str
    text: str
    evidence: Evidence | None
    evidence_renewing: bool


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    facts: tuple[Fact, ...]
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Summary:
    text: str  # the overview summary (blank: none written)
    highlights: tuple[tuple[str, str], ...]  # (label, text) pairs for the front page
    has_content: bool  # any section to show on /trust/overview
    security_contact: str  # an email address or an https:// address, or ""


def _language(locale: str) -> str:
    return "zh" if str(locale).startswith("zh") else "en"


def _item(item, language: str, today: date) -> Item:
    document = item.evidence
    evidence, renewing = None, False
    if document is not None and service.is_published(document):
        if service.evidence_problem(document, today) is not None:
            renewing = True
        else:
            access = "public" if document.visibility == Visibility.PUBLIC.value else "nda"
            evidence = Evidence(document.uid, document.title_for(language), access)
    return Item(item.uid, item.title_for(language), item.text_for(language), evidence, renewing)


def _facts(section, language: str) -> tuple[Fact, ...]:
    stored = section.facts or {}
    return tuple(Fact(spec.key, str(spec.label), service.fact_text(spec, stored[spec.key]),
                      tuple(service.fact_lines(spec, stored[spec.key])), stored[spec.key])
                 for spec in service.FACTS.get(section.key, ()) if spec.key in stored)


def sections_for(session: Session, locale: str, today: date) -> list[Section]:
    """The published overview in `locale`, in display order (needs an app context for the translations)."""
    language = _language(locale)
    out = []
    with force_locale(language):
        for section in service.sections(session, create=False):
            facts = _facts(section, language)
            items = tuple(_item(i, language, today) for i in sorted(section.items, key=lambda i: (i.position, i.id)))
            if facts or items:
                out.append(Section(section.key, service.section_title(section, language), facts, items))
    return out


def summary_for(session: Session, locale: str, today: date, default_contact: str = "") -> Summary:
    """The compact block on the trust center's front page: summary, a few key facts, the security contact."""
    language = _language(locale)
    settings = service.get_settings(session, create=False)
    shown = sections_for(session, language, today)
    highlights: list[tuple[str, str]] = []
    with force_locale(language):
        by_key = {s.key: s for s in shown}
        if "residency" in by_key and by_key["residency"].items:
            highlights.append((_("Data regions"), ("、" if language == "zh" else ", ").join(i.title for i in by_key["residency"].items)))
        if "backups" in by_key:
            facts = {f.key: f.text for f in by_key["backups"].facts}
            parts = [f"RTO {facts['rto']}" if "rto" in facts else "", f"RPO {facts['rpo']}" if "rpo" in facts else ""]
            if any(parts):
                highlights.append((_("Recovery objectives"), " · ".join(p for p in parts if p)))
        if "pentest" in by_key:
            cadence = next((f.text for f in by_key["pentest"].facts if f.key == "cadence"), "")
            if cadence:
                highlights.append((_("Penetration tests"), cadence))
    text = in_language(language, settings.summary_en, settings.summary_zh)
    return Summary(text, tuple(highlights), bool(shown), settings.security_contact or default_contact)
