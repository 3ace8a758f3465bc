"""Custom trust reports: what staff may put in one, the report's data, and storing the PDF on the grant.
Services flush; the view commits (with `documents.commit_upload`, which deletes the stored PDF again if the
commit fails).

The content comes from the other features' named interfaces only: the security overview
(`vault.overview.public.sections_for`), documents (published ones: their public title, type, validity and
summary; never an internal document), the answer library (approved entries, by ref) and the status page
(`status.public.summary_90_days`). The PDF becomes a version of one internal document per grant, linked to
that grant alone as a personal document, so it is served only through that grant's link, watermarked and
recorded like every other download (vault/access).
"""
from __future__ import annotations

import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from babel.dates import format_date
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from answers.library import service as library
from answers.library.models import LibraryEntry
from exporters import trust_report as writer
from status import public as status
from vault.access.models import Grant, GrantDocument
from vault.auth.models import User
from vault.documents import labels as doc_labels, service as documents, status as doc_status, validation
from vault.documents.models import Document, DocumentType, DocumentVersion, Visibility
from vault.inputs import InvalidInput
from vault.overview import public as overview
from vault.storage.service import BlobRef, discard_unless_committed
from vault.trust import service as trust
from vault.trustreports.models import TrustReport

LANGUAGES = ("en", "zh")
MAX_ANSWERS = 60
MAX_DOCUMENTS = 60
SEARCH_RESULTS = 30
REF_MAX = 100


class ReportError(InvalidInput):
    """A refused report, with the field it concerns."""


@dataclass
class Choice:
    """What staff picked for one report."""

    language: str = "en"
    sections: list[str] = field(default_factory=list)  # overview section keys
    documents: list[str] = field(default_factory=list)  # document uids
    answers: list[str] = field(default_factory=list)  # library refs
    status: bool = True

    def record(self) -> dict:
        return {"sections": self.sections, "documents": self.documents, "answers": self.answers,
                "status": self.status}


def _language(value: str | None) -> str:
    return value if value in LANGUAGES else "en"


# --- what can go in --------------------------------------------------------------------------------

def overview_sections(session: Session, language: str, today: date) -> list[overview.Section]:
    return overview.sections_for(session, language, today)


def shareable_documents(session: Session) -> list[tuple[Document, DocumentVersion]]:
    """Published documents (public or under NDA) with a current version; NDA templates and internal documents
    (reports made for other prospects among them) never."""
    out = []
    for doc in documents.list_documents(session):
        current = documents.current_version(doc)
        if (doc.visibility in (Visibility.PUBLIC.value, Visibility.NDA.value) and current is not None
                and doc.type != DocumentType.NDA_TEMPLATE.value):
            out.append((doc, current))
    return out


def search_answers(session: Session, text: str) -> list[LibraryEntry]:
    """Approved library entries whose ref, question or answer contains `text` (empty: none)."""
    text = (text or "").strip()[:200]
    if not text:
        return []
    return library.list_entries(session, library.EntryFilter(text=text, status="approved", limit=SEARCH_RESULTS))


def chosen_answers(session: Session, refs: list[str]) -> list[LibraryEntry]:
    """The approved entries behind `refs`, in the order given; an unknown or unapproved ref is refused."""
    out = []
    for ref in dict.fromkeys(r.strip() for r in refs if r and r.strip()):
        entry = library.get_by_ref(session, ref[:REF_MAX])
        if entry is None or entry.status != "approved":
            raise ReportError("answer", _l("The library answer “%(ref)s” is not an approved answer; search again "
                                           "and pick another.", ref=ref[:REF_MAX]), field="answers")
        out.append(entry)
    if len(out) > MAX_ANSWERS:
        raise ReportError("answers", _l("Pick at most %(max)d answers.", max=MAX_ANSWERS), field="answers")
    return out


def default_choice(session: Session, grant: Grant, today: date) -> Choice:
    """Every overview section, the grant's own published documents, the status summary, no answers yet."""
    language = _language(grant.request.language if grant.request else "en")
    granted = {link.document.uid for link in grant.documents}
    return Choice(language=language, sections=[s.key for s in overview_sections(session, language, today)],
                  documents=[d.uid for d, _v in shareable_documents(session) if d.uid in granted], status=True)


# --- the report's data ------------------------------------------------------------------------------

def long_date(day: date, language: str) -> str:
    return format_date(day, format="long", locale="zh_Hans_CN" if language == "zh" else "en")


def validity_text(version: DocumentVersion, today: date, language: str) -> str:
    if version.expiry_date is None:
        return _("No expiry date")
    when = long_date(version.expiry_date, language)
    if doc_status.is_expired(version.expiry_date, today):
        return _("Expired on %(date)s", date=when)
    return _("Valid until %(date)s", date=when)


def labels() -> writer.Labels:
    """The report's fixed words in the current locale."""
    return writer.Labels(
        title=_("Security and trust report"), prepared_for=_("Prepared for"), prepared_on=_("Date"),
        confidential=_("Confidential"),
        notice=_("This report was prepared for the recipient named above only. Every copy is marked with the "
                 "recipient's name and a download id."),
        contents=_("Contents"), documents=_("Documents"), answers=_("Answers to your questions"),
        status=_("Service status, last 90 days"), document_type=_("Type"), validity=_("Validity"),
        uptime=_("Uptime"), overall_uptime=_("Overall uptime"), component=_("Component"),
        incidents=_("Incidents"), no_incidents=_("No incidents in this period."),
        page=_("Page %(page)s of %(pages)s", page="{page}", pages="{pages}"))


def _section(section: overview.Section, language: str) -> writer.Section:
    colon = "：" if language == "zh" else ": "
    paragraphs = [f"{fact.label}{colon}{fact.text}" for fact in section.facts]
    items = []
    for item in section.items:
        text = f"{item.title}{colon}{item.text}" if item.text else item.title
        if item.evidence is not None:
            text += " " + _("(Evidence: %(title)s)", title=item.evidence.title)
        items.append(text)
    return writer.Section(section.title, paragraphs, items)


def _duration(minutes: int | None) -> str:
    if minutes is None:
        return _("ongoing")
    if minutes < 120:
        return _("%(n)d min", n=minutes)
    return _("%(h)d h %(m)02d min", h=minutes // 60, m=minutes % 60)


def _status(session: Session, language: str, today: date) -> writer.StatusSummary:
    summary = status.summary_90_days(session, today, language)
    return writer.StatusSummary(
        period=f"{long_date(summary.start, language)} – {long_date(summary.end, language)}",
        overall=f"{summary.overall} %",
        components=[writer.ComponentUptime(c.name, f"{c.uptime} %") for c in summary.components],
        incidents=[writer.IncidentLine(f"{i.started:%Y-%m-%d %H:%M} UTC", i.title,
                                       f"{i.impact} · {_duration(i.minutes)}") for i in summary.incidents])


def company_name(session: Session, default: str) -> str:
    return trust.get_profile(session).company_name or default


def report_data(session: Session, grant: Grant, choice: Choice, *, today: date,
                default_company: str) -> writer.ReportData:
    """The plain data the PDF writer takes, in the report's language; every choice is checked here."""
    language = _language(choice.language)
    if choice.language not in LANGUAGES:
        raise ReportError("language", _l("Choose English or Chinese."), field="language")
    with force_locale(language):
        available = {s.key: s for s in overview_sections(session, language, today)}
        sections = [_section(available[k], language) for k in dict.fromkeys(choice.sections) if k in available]
        shareable = {d.uid: (d, v) for d, v in shareable_documents(session)}
        wanted = list(dict.fromkeys(choice.documents))
        if any(uid not in shareable for uid in wanted):
            raise ReportError("document", _l("One of the chosen documents is no longer published; reload the page "
                                             "and choose again."), field="documents")
        if len(wanted) > MAX_DOCUMENTS:
            raise ReportError("documents", _l("Pick at most %(max)d documents.", max=MAX_DOCUMENTS),
                              field="documents")
        docs = [writer.DocumentSummary(d.title_for(language), doc_labels.type_label(d.type),
                                       validity_text(v, today, language), d.description_for(language))
                for d, v in (shareable[uid] for uid in wanted)]
        answers = [writer.Answer(e.question, e.answer_full or e.answer_short) for e in chosen_answers(session, choice.answers)]
        if not (sections or docs or answers or choice.status):
            raise ReportError("empty", _l("Choose something to put in the report."), field="sections")
        return writer.ReportData(
            company=company_name(session, default_company), prospect_name=grant.name,
            prospect_company=grant.company, date=long_date(today, language), language=language,
            logo=trust.logo_bytes(session), sections=sections, documents=docs, answers=answers,
            status=_status(session, language, today) if choice.status else None, labels=labels())


# --- storing it on the grant --------------------------------------------------------------------------

def reports_for(session: Session, grant: Grant) -> list[TrustReport]:
    return list(session.scalars(select(TrustReport).where(TrustReport.grant_id == grant.id)
                                .order_by(TrustReport.created_at.desc(), TrustReport.id.desc())))


def _filename(grant: Grant, today: date) -> str:
    ascii_name = unicodedata.normalize("NFKD", grant.company).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60]
    return f"trust-report-{slug + '-' if slug else ''}{today.isoformat()}.pdf"


def _document_fields(grant: Grant, today: date) -> documents.DocumentFields:
    texts = {}
    for lang in LANGUAGES:
        with force_locale(lang):
            texts[lang] = (_("Security and trust report for %(company)s", company=grant.company)[:300],
                           _("Prepared for %(name)s (%(email)s) on %(date)s. Shared only through this person's "
                             "access link.", name=grant.name, email=grant.email, date=today.isoformat()))
    return documents.DocumentFields(doc_type=DocumentType.TRUST_REPORT.value, visibility=Visibility.INTERNAL.value,
                                    texts=texts, frameworks=[])


def check(session: Session, grant: Grant, choice: Choice, *, now: datetime, default_company: str) -> writer.ReportData:
    """Every refusal `generate` can give, without writing the PDF (the page checks before it starts the job)."""
    if not grant.active_at(now):
        raise ReportError("grant", _l("This access was revoked or has expired: a report cannot be added to it."))
    return report_data(session, grant, choice, today=now.date(), default_company=default_company)


def generate(session: Session, grant: Grant, choice: Choice, *, by: User, now: datetime, default_company: str,
             max_bytes: int) -> TrustReport:
    """Write the PDF and add it to the grant (a new version of the grant's report document): flushed, not
    committed. Refused for a revoked or expired grant. On the page it runs as a job (vault/trustreports/jobs.py)."""
    today = now.date()
    data = check(session, grant, choice, now=now, default_company=default_company)
    try:
        pdf = writer.trust_report_pdf(data)
    except writer.ReportFontMissing as exc:
        raise ReportError("font", _l("No font for this language is installed on the server (%(detail)s).",
                                     detail=str(exc)), field="language") from exc
    previous = reports_for(session, grant)
    document = previous[0].document if previous else None
    with tempfile.TemporaryDirectory(prefix="vault-trust-report-") as tmp:
        path = Path(tmp) / "report.pdf"
        path.write_bytes(pdf)
        with validation.checked_file(path, max_bytes=max_bytes, filename=_filename(grant, today)) as upload:
            if document is None:
                document = documents.create_document(session, _document_fields(grant, today), owner=by,
                                                     first_upload=upload, max_bytes=max_bytes)
                version = document.versions[0]
            else:
                version = documents.add_version(session, document, upload, uploader=by, max_bytes=max_bytes)
    stored = BlobRef.of(version.blob)
    try:
        if not any(link.document_id == document.id for link in grant.documents):
            grant.documents.append(GrantDocument(document=document, personal=True))
        report = TrustReport(grant=grant, document=document, version=version, language=data.language,
                             contents=choice.record(), pages=version.page_count or 0, created_by=by, created_at=now)
        session.add(report)
        session.flush()
    except BaseException:
        discard_unless_committed(stored)  # the PDF is stored already: no object without its row
        raise
    return report
