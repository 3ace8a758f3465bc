"""Rules of the security and privacy overview: sections, their facts, items and evidence. Services flush;
the view commits. No Flask request here (views.py, staff.py and public.py call in)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import get_locale, lazy_gettext as _l, ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vault.db import utcnow
from vault.documents import service as documents
from vault.documents.models import Document, DocumentType, Visibility
from vault.documents.status import expired_since, is_expired
from vault.inputs import InvalidInput, check_email, clean_text
from vault.overview.models import SECTION_KEYS, OverviewItem, OverviewSection, OverviewSettings

TITLE_MAX = 200
TEXT_MAX = 4000
SUMMARY_MAX = 2000
CONTACT_MAX = 254
ITEMS_PER_SECTION = 50

SECTION_TITLES = {
    "residency": _l("Data residency"),
    "encryption": _l("Encryption"),
    "access_control": _l("Access control"),
    "backups": _l("Backups and disaster recovery"),
    "pentest": _l("Penetration testing"),
    "sdlc": _l("Secure development"),
    "privacy": _l("Privacy roles"),
}
SECTION_HINTS = {
    "residency": _l("One item per region: the region as the title, what is stored there as the text."),
    "encryption": _l("At rest, in transit, and how keys are managed."),
    "access_control": _l("Who can reach customer data and how access is granted, reviewed and removed."),
    "backups": _l("How often backups run, where they are kept, and how fast you recover (RTO) and how much data "
                  "you can lose (RPO)."),
    "pentest": _l("How often independent testers attack the service; link the latest report as evidence."),
    "sdlc": _l("Code review, dependency scanning, secrets handling, change approval."),
    "privacy": _l("Your role under GDPR and PIPL, who to contact, and the basis for transfers across borders."),
}

# --- facts: the structured part of a section --------------------------------------------------------

UNITS = {"minutes": 1, "hours": 60, "days": 1440}
DURATION_MAX_MINUTES = 90 * 1440  # a recovery objective beyond 90 days is a typing error
DURATION_AMOUNT_MAX = 10_000


@dataclass(frozen=True)
class FactSpec:
    key: str
    kind: str  # "duration" | "choice" | "choices" | "email"
    label: object  # lazy string
    choices: tuple[tuple[str, object], ...] = ()
    minimum: int = 0  # durations: the smallest amount


CADENCES = (("continuous", _l("Continuous (bug bounty or ongoing testing)")), ("quarterly", _l("Quarterly")),
            ("twice_yearly", _l("Twice a year")), ("annual", _l("Annual")), ("biennial", _l("Every two years")))
GDPR_ROLES = (("processor", _l("Processor (we process customer data on the customer's instructions)")),
              ("controller", _l("Controller")), ("both", _l("Controller for some data, processor for customer data")),
              ("not_applicable", _l("Not applicable")))
PIPL_ROLES = (("entrusted_party", _l("Entrusted party (受托方: we handle personal information on the customer's "
                                     "behalf)")),
              ("handler", _l("Personal information handler (个人信息处理者)")),
              ("both", _l("Handler for some data, entrusted party for customer data")),
              ("not_applicable", _l("Not applicable")))
TRANSFER_BASES = (("no_transfer", _l("No cross-border transfer: data stays in the region the customer chose")),
                  ("gdpr_adequacy", _l("GDPR: adequacy decision")),
                  ("gdpr_sccs", _l("GDPR: standard contractual clauses")),
                  ("pipl_standard_contract", _l("PIPL: standard contract filed with the regulator")),
                  ("pipl_security_assessment", _l("PIPL: CAC security assessment")),
                  ("pipl_certification", _l("PIPL: personal information protection certification")))

FACTS: dict[str, tuple[FactSpec, ...]] = {
    "backups": (FactSpec("rto", "duration", _l("Recovery time objective (RTO)"), minimum=1),
                FactSpec("rpo", "duration", _l("Recovery point objective (RPO)"), minimum=0)),
    "pentest": (FactSpec("cadence", "choice", _l("Penetration test cadence"), CADENCES),),
    "privacy": (FactSpec("gdpr_role", "choice", _l("Role under GDPR"), GDPR_ROLES),
                FactSpec("pipl_role", "choice", _l("Role under PIPL"), PIPL_ROLES),
                FactSpec("dpo_contact", "email", _l("Data protection officer (GDPR) contact")),
                FactSpec("pi_officer_contact", "email", _l("Personal information protection officer (PIPL) contact")),
                FactSpec("transfer_basis", "choices", _l("Basis for cross-border transfers"), TRANSFER_BASES)),
}


def format_duration(value: dict) -> str:
    amount, unit = int(value["amount"]), value["unit"]
    if unit == "minutes":
        return ngettext("%(num)d minute", "%(num)d minutes", amount)
    if unit == "hours":
        return ngettext("%(num)d hour", "%(num)d hours", amount)
    return ngettext("%(num)d day", "%(num)d days", amount)


def fact_lines(spec: FactSpec, value) -> list[str]:
    """A stored fact as a reader sees it (in the current locale): one line, or one per chosen option."""
    if spec.kind == "duration":
        return [format_duration(value)]
    if spec.kind == "choice":
        return [str(dict(spec.choices).get(value, value))]
    if spec.kind == "choices":
        labels = dict(spec.choices)
        return [str(labels.get(v, v)) for v in value]
    return [str(value)]


def fact_text(spec: FactSpec, value) -> str:
    """The fact on one line (reports, summaries): options joined as the current language writes a list."""
    return ("；" if str(get_locale()).startswith("zh") else "; ").join(fact_lines(spec, value))


def check_duration(spec: FactSpec, amount_raw, unit_raw) -> dict | None:
    """{"amount": int, "unit": str} or None when both are blank; refused with the field named otherwise."""
    amount_text = str(amount_raw if amount_raw is not None else "").strip()
    unit = (unit_raw or "").strip()
    if not amount_text and not unit:
        return None
    field = f"{spec.key}_amount"
    try:
        amount = int(amount_text)
    except ValueError:
        raise InvalidInput("duration_number", _l("%(label)s: enter a whole number (for example 4).",
                                                 label=spec.label), field=field) from None
    if amount < spec.minimum or amount > DURATION_AMOUNT_MAX:
        raise InvalidInput("duration_range", _l("%(label)s: enter a number from %(low)d to %(high)d.",
                                                label=spec.label, low=spec.minimum, high=DURATION_AMOUNT_MAX),
                           field=field)
    if unit not in UNITS:
        raise InvalidInput("duration_unit", _l("%(label)s: choose minutes, hours or days.", label=spec.label),
                           field=f"{spec.key}_unit")
    if amount * UNITS[unit] > DURATION_MAX_MINUTES:
        raise InvalidInput("duration_too_long", _l("%(label)s is longer than 90 days: check the number and the unit.",
                                                   label=spec.label), field=field)
    return {"amount": amount, "unit": unit}


def check_facts(section_key: str, raw: dict) -> dict:
    """The section's facts from form values (`<key>`, or `<key>_amount` + `<key>_unit` for durations)."""
    facts: dict = {}
    for spec in FACTS.get(section_key, ()):
        if spec.kind == "duration":
            value = check_duration(spec, raw.get(f"{spec.key}_amount"), raw.get(f"{spec.key}_unit"))
        elif spec.kind == "choice":
            value = (raw.get(spec.key) or "").strip() or None
            if value is not None and value not in dict(spec.choices):
                raise InvalidInput("choice", _l("%(label)s: choose one of the listed options.", label=spec.label),
                                   field=spec.key)
        elif spec.kind == "choices":
            values = raw.get(spec.key) or []
            allowed = [k for k, _label in spec.choices]
            if any(v not in allowed for v in values):
                raise InvalidInput("choice", _l("%(label)s: choose one of the listed options.", label=spec.label),
                                   field=spec.key)
            if "no_transfer" in values and len(values) > 1:
                raise InvalidInput("transfer_conflict", _l("“No cross-border transfer” cannot be combined with a "
                                                           "transfer basis."), field=spec.key)
            value = [k for k in allowed if k in values] or None  # in the listed order
        else:  # email
            text = (raw.get(spec.key) or "").strip()
            value = check_email(text, field=spec.key) if text else None
        if value is not None:
            facts[spec.key] = value
    return facts


# --- settings -------------------------------------------------------------------------------------

def get_settings(session: Session, *, create: bool = True) -> OverviewSettings:
    """The one settings row; created on first use, or (create=False, public pages: they write nothing)
    an unsaved empty row."""
    row = session.scalar(select(OverviewSettings).order_by(OverviewSettings.id).limit(1))
    if row is None:
        row = OverviewSettings(summary_en="", summary_zh="", security_contact="")
        if create:
            session.add(row)
            session.flush()
    return row


def check_contact(raw: str | None) -> str:
    """An email address or an https:// page (a disclosure policy or security.txt); blank is allowed."""
    text = clean_text(raw, field="security_contact", max_len=CONTACT_MAX, label=_l("Security contact"),
                      multiline=False)
    if not text:
        return ""
    if text.lower().startswith("https://"):
        if any(ch.isspace() for ch in text) or len(text) <= len("https://") or "@" in text.split("/")[2]:
            raise InvalidInput("contact", _l("Enter an email address or an https:// address."),
                               field="security_contact")
        return text
    if "@" in text:
        return check_email(text, field="security_contact")
    raise InvalidInput("contact", _l("Enter an email address or an https:// address."), field="security_contact")


def update_settings(session: Session, *, summary_en: str, summary_zh: str, security_contact: str) -> dict:
    values = {
        "summary_en": clean_text(summary_en, field="summary_en", max_len=SUMMARY_MAX, label=_l("Summary (English)")),
        "summary_zh": clean_text(summary_zh, field="summary_zh", max_len=SUMMARY_MAX, label=_l("Summary (Chinese)")),
        "security_contact": check_contact(security_contact),
    }
    row = get_settings(session)
    changes = {k: [getattr(row, k), v] for k, v in values.items() if getattr(row, k) != v}
    for key, value in values.items():
        setattr(row, key, value)
    if changes:
        row.updated_at = utcnow()
    session.flush()
    return changes


# --- sections -------------------------------------------------------------------------------------

def sections(session: Session, *, create: bool = True) -> list[OverviewSection]:
    """Every section in display order, with items and their evidence loaded; missing rows are created
    (a new key added in a later release appears at the end), or with create=False (public pages: they
    write nothing) stand in unsaved and empty."""
    rows = list(session.scalars(
        select(OverviewSection).order_by(OverviewSection.position, OverviewSection.id)
        .options(selectinload(OverviewSection.items).selectinload(OverviewItem.evidence)
                 .selectinload(Document.versions),
                 selectinload(OverviewSection.items).selectinload(OverviewItem.evidence)
                 .selectinload(Document.texts))))
    known = {s.key for s in rows}
    next_position = max((s.position for s in rows), default=-1) + 1
    for key in SECTION_KEYS:
        if key not in known:
            section = OverviewSection(key=key, position=next_position, facts={}, title_en="", title_zh="")
            if create:
                session.add(section)
            rows.append(section)
            next_position += 1
    if create:
        session.flush()
    return [s for s in rows if s.key in SECTION_KEYS]  # a key dropped by a later release is not shown


def get_section(session: Session, key: str) -> OverviewSection | None:
    if key not in SECTION_KEYS:
        return None
    return next(s for s in sections(session) if s.key == key)


def section_title(section: OverviewSection, language: str) -> str:
    """The override in `language`, else the default title translated (the current locale)."""
    override = section.title_zh if language == "zh" else section.title_en
    return override or str(SECTION_TITLES[section.key])


def update_section(session: Session, section: OverviewSection, *, title_en: str, title_zh: str, facts: dict) -> dict:
    values = {
        "title_en": clean_text(title_en, field="title_en", max_len=TITLE_MAX, label=_l("Title (English)"),
                               multiline=False),
        "title_zh": clean_text(title_zh, field="title_zh", max_len=TITLE_MAX, label=_l("Title (Chinese)"),
                               multiline=False),
        "facts": check_facts(section.key, facts),
    }
    changes = {k: [getattr(section, k) or ({} if k == "facts" else ""), v] for k, v in values.items()
               if (getattr(section, k) or ({} if k == "facts" else "")) != v}
    for key, value in values.items():
        setattr(section, key, value)
    if changes:
        section.updated_at = utcnow()
    session.flush()
    return changes


def _swap(rows: list, row, step: int) -> bool:
    """Move `row` one place up (-1) or down (+1) in `rows`; positions are renumbered 0..n-1."""
    index = rows.index(row)
    target = index + step
    if not 0 <= target < len(rows):
        return False
    rows[index], rows[target] = rows[target], rows[index]
    for position, r in enumerate(rows):
        r.position = position
    return True


def move_section(session: Session, section: OverviewSection, step: int) -> bool:
    moved = _swap(sections(session), section, step)
    session.flush()
    return moved


# --- items ----------------------------------------------------------------------------------------

@dataclass
class ItemFields:
    title_en: str = ""
    title_zh: str = ""
    text_en: str = ""
    text_zh: str = ""
    evidence: str = ""  # a document uid, or "" for none


ITEM_FIELDS = ("title_en", "title_zh", "text_en", "text_zh", "evidence")


def get_item(session: Session, uid: str) -> OverviewItem | None:
    if not uid or len(uid) > 64:
        return None
    return session.scalar(select(OverviewItem).where(OverviewItem.uid == uid))


def evidence_choices(session: Session) -> list[Document]:
    """Documents an item may cite: published ones (public or under NDA); NDA templates are not evidence."""
    return [d for d in documents.list_documents(session)
            if d.visibility in (Visibility.PUBLIC.value, Visibility.NDA.value)
            and d.type != DocumentType.NDA_TEMPLATE.value]


def _check_item(session: Session, f: ItemFields) -> dict:
    values = {
        "title_en": clean_text(f.title_en, field="title_en", max_len=TITLE_MAX, label=_l("Title (English)"),
                               multiline=False),
        "title_zh": clean_text(f.title_zh, field="title_zh", max_len=TITLE_MAX, label=_l("Title (Chinese)"),
                               multiline=False),
        "text_en": clean_text(f.text_en, field="text_en", max_len=TEXT_MAX, label=_l("Text (English)")),
        "text_zh": clean_text(f.text_zh, field="text_zh", max_len=TEXT_MAX, label=_l("Text (Chinese)")),
    }
    if not values["title_en"] and not values["title_zh"]:
        raise InvalidInput("title_missing", _l("Give the item a title in English or Chinese."), field="title_en")
    evidence = None
    if (f.evidence or "").strip():
        evidence = documents.get_document(session, f.evidence.strip())
        if evidence is None:
            raise InvalidInput("evidence_unknown", _l("Choose the evidence from the list of documents."),
                               field="evidence")
        if evidence not in evidence_choices(session):
            raise InvalidInput("evidence_unpublished", _l("Only documents published on the trust center (public or "
                                                          "under NDA) can be linked as evidence."), field="evidence")
    values["evidence"] = evidence
    return values


def item_record(item: OverviewItem) -> dict:
    return {"title_en": item.title_en, "title_zh": item.title_zh, "text_en": item.text_en, "text_zh": item.text_zh,
            "evidence": item.evidence.uid if item.evidence else ""}


def create_item(session: Session, section: OverviewSection, f: ItemFields) -> OverviewItem:
    if len(section.items) >= ITEMS_PER_SECTION:
        raise InvalidInput("too_many_items", _l("A section holds at most %(max)d items.", max=ITEMS_PER_SECTION))
    values = _check_item(session, f)
    item = OverviewItem(position=max((i.position for i in section.items), default=-1) + 1, **values)
    section.items.append(item)
    session.flush()
    return item


def update_item(session: Session, item: OverviewItem, f: ItemFields) -> dict:
    """Apply checked fields; returns {field: [old, new]} (evidence as document uids) for the audit trail."""
    before = item_record(item)
    for key, value in _check_item(session, f).items():
        setattr(item, key, value)
    after = item_record(item)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        item.updated_at = utcnow()
    session.flush()
    return changes


def delete_item(session: Session, item: OverviewItem) -> dict:
    record = item_record(item)
    section = item.section
    section.items.remove(item)
    for position, row in enumerate(section.items):
        row.position = position
    session.flush()
    return record


def move_item(session: Session, item: OverviewItem, step: int) -> bool:
    rows = sorted(item.section.items, key=lambda i: (i.position, i.id))
    moved = _swap(rows, item, step)
    session.flush()
    return moved


# --- evidence that no longer holds ------------------------------------------------------------------

@dataclass(frozen=True)
class EvidenceProblem:
    reason: str  # "expired" | "withdrawn" | "no_file"
    since: date | None  # the first day it no longer holds (documents.status.expired_since for "expired")

    @property
    def last_valid_day(self) -> date | None:
        return self.since - timedelta(days=1) if self.since else None


def evidence_problem(document: Document, today: date) -> EvidenceProblem | None:
    """Why `document` does not back an item today (the same rule as the library's stale answers), or None."""
    current = documents.current_version(document)
    if current is None:
        withdrawn = [v for v in document.versions if v.withdrawn]
        if not withdrawn:
            return EvidenceProblem("no_file", None)
        return EvidenceProblem("withdrawn", max(v.withdrawn_at for v in withdrawn).date())
    if is_expired(current.expiry_date, today):
        return EvidenceProblem("expired", expired_since(current.expiry_date))
    return None


def is_published(document: Document) -> bool:
    return document.visibility in (Visibility.PUBLIC.value, Visibility.NDA.value)


@dataclass
class StaffItem:
    item: OverviewItem
    problem: EvidenceProblem | None
    unpublished: bool  # the evidence was made internal after it was linked: not linked on the public page


@dataclass
class StaffSection:
    section: OverviewSection
    items: list[StaffItem]


def staff_overview(session: Session, today: date) -> list[StaffSection]:
    out = []
    for section in sections(session):
        rows = [StaffItem(item, evidence_problem(item.evidence, today) if item.evidence else None,
                          bool(item.evidence) and not is_published(item.evidence))
                for item in sorted(section.items, key=lambda i: (i.position, i.id))]
        out.append(StaffSection(section, rows))
    return out


def stale_count(session: Session, today: date) -> int:
    return sum(1 for s in staff_overview(session, today) for i in s.items if i.problem is not None)
