"""The rules of vulnerability disclosure: checking and storing a report (encrypted), the reporter's
private link, triage states, messages, the SLA clock, the hall of fame and security.txt.
Services flush; the view or command commits. No Flask request here: settings come in as `Settings`."""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping, Sequence

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vault import tokens
from vault.audit import Actor
from vault.auth.models import User
from vault.disclosure.models import (Attachment, Message, MessageKind, PolicyText, Report, Severity, State,
                                    new_uid)
from vault.inputs import InvalidInput, check_email, clean_text
from vault.storage.models import StoredBlob
from vault.storage.service import discard_blob, open_blob, save_blob

NAME_MAX = 200
TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
PRODUCT_MAX = 500
MESSAGE_MAX = 10_000
POLICY_MAX = 20_000
BODY_MAX_BYTES = 256 * 1024  # the encrypted body: all text fields together, far above the field limits


class DisclosureError(InvalidInput):
    """A refused report, message or state change (the message names the field and why)."""


# --- settings -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """What the rules need from the configuration (`from_config` reads the DISCLOSURE_ settings)."""

    contact_email: str = ""
    expires: date | None = None  # a configured date; None: computed (today + expires_days)
    expires_days: int = 300
    encryption_url: str = ""
    pgp_key: str = ""
    pgp_passphrase: str = ""
    min_fill_seconds: int = 4
    form_max_age: int = 4 * 3600
    reports_per_address: int = 3  # per address per day
    max_attachments: int = 3
    max_attachment_bytes: int = 10 * 1024 * 1024
    sla_ack_days: int = 3
    sla_triage_days: int = 10
    sla_fix_days: Mapping[str, int] = field(default_factory=lambda: dict(FIX_DAYS))

    @classmethod
    def from_config(cls, config: Mapping) -> "Settings":
        raw = config.get("DISCLOSURE_EXPIRES")
        expires = raw if isinstance(raw, date) else (date.fromisoformat(str(raw)[:10]) if raw else None)
        return cls(contact_email=config.get("DISCLOSURE_CONTACT_EMAIL") or "", expires=expires,
                   expires_days=int(config.get("DISCLOSURE_EXPIRES_DAYS") or 300),
                   encryption_url=config.get("DISCLOSURE_ENCRYPTION_URL") or "",
                   pgp_key=config.get("DISCLOSURE_PGP_KEY") or "",
                   pgp_passphrase=config.get("DISCLOSURE_PGP_PASSPHRASE") or "",
                   min_fill_seconds=int(config.get("DISCLOSURE_MIN_FILL_SECONDS", 4)),
                   form_max_age=int(config.get("DISCLOSURE_FORM_MAX_AGE") or 4 * 3600),
                   reports_per_address=int(config.get("DISCLOSURE_REPORTS_PER_ADDRESS") or 3),
                   max_attachments=int(config.get("DISCLOSURE_MAX_ATTACHMENTS") or 3),
                   max_attachment_bytes=int(config.get("DISCLOSURE_MAX_ATTACHMENT_BYTES") or 10 * 1024 * 1024),
                   sla_ack_days=int(config.get("DISCLOSURE_SLA_ACK_DAYS") or 3),
                   sla_triage_days=int(config.get("DISCLOSURE_SLA_TRIAGE_DAYS") or 10),
                   sla_fix_days={**FIX_DAYS, **(config.get("DISCLOSURE_SLA_FIX_DAYS") or {})})


FIX_DAYS = {Severity.CRITICAL.value: 7, Severity.HIGH.value: 30, Severity.MEDIUM.value: 90,
            Severity.LOW.value: 180, Severity.UNKNOWN.value: 90}


# --- security.txt (RFC 9116) ----------------------------------------------------------------------

MAX_EXPIRES_DAYS = 365  # RFC 9116 2.5.5: "less than a year into the future" is recommended
EXPIRES_WARNING_DAYS = 30


def expires_at(settings: Settings, now: datetime) -> datetime:
    """Always in the future and at most a year ahead: the configured date when it is both, else computed
    (today + expires_days, at midnight UTC, so the file stays the same all day and caches well)."""
    today = now.astimezone(timezone.utc).date()
    computed = today + timedelta(days=max(1, min(settings.expires_days, MAX_EXPIRES_DAYS)))
    chosen = settings.expires
    if chosen is None or chosen <= today or chosen > today + timedelta(days=MAX_EXPIRES_DAYS):
        chosen = computed
    return datetime.combine(chosen, time(0, 0), tzinfo=timezone.utc)


def expiry_warnings(settings: Settings, now: datetime) -> list[str]:
    """What `vault disclosure check` warns about (plain English: an operator's terminal)."""
    today = now.astimezone(timezone.utc).date()
    warnings = []
    if settings.expires is not None:
        if settings.expires <= today:
            warnings.append(f"DISCLOSURE_EXPIRES {settings.expires} has passed; serving the computed date instead")
        elif settings.expires > today + timedelta(days=MAX_EXPIRES_DAYS):
            warnings.append(f"DISCLOSURE_EXPIRES {settings.expires} is more than a year ahead; serving the "
                            "computed date instead")
        elif settings.expires - today <= timedelta(days=EXPIRES_WARNING_DAYS):
            warnings.append(f"security.txt expires on {settings.expires} (in {(settings.expires - today).days} "
                            "days): set a later DISCLOSURE_EXPIRES")
    return warnings


def rfc3339(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SecurityTxtUrls:
    canonical: str  # https URL of /.well-known/security.txt
    report_form: str
    policy: str
    acknowledgments: str = ""


def security_txt(settings: Settings, urls: SecurityTxtUrls, *, now: datetime) -> str:
    """The unsigned file: one field per line, CRLF-free, UTF-8 (RFC 9116 section 2)."""
    lines = ["# Security contact and disclosure policy (RFC 9116)"]
    if settings.contact_email:
        lines.append(f"Contact: mailto:{settings.contact_email}")
    lines.append(f"Contact: {urls.report_form}")
    lines.append(f"Expires: {rfc3339(expires_at(settings, now))}")
    if settings.encryption_url:
        lines.append(f"Encryption: {settings.encryption_url}")
    if urls.acknowledgments:
        lines.append(f"Acknowledgments: {urls.acknowledgments}")
    lines.append("Preferred-Languages: en, zh")
    lines.append(f"Canonical: {urls.canonical}")
    lines.append(f"Policy: {urls.policy}")
    return "\n".join(lines) + "\n"


# --- the anti-abuse stamp -------------------------------------------------------------------------

STAMP_SALT = "vault.disclosure.form-started"


def form_stamp(secret: str, now: datetime) -> str:
    """A signed 'form shown at' time: a bot posting at once, or a stamp it made up, is refused."""
    return URLSafeSerializer(secret, salt=STAMP_SALT).dumps({"t": now.timestamp()})


def check_stamp(secret: str, stamp: str | None, *, now: datetime, settings: Settings) -> None:
    try:
        shown = float(URLSafeSerializer(secret, salt=STAMP_SALT).loads(stamp or "")["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise DisclosureError("stamp", _l("The form could not be checked. Reload the page and send it again."))
    elapsed = now.timestamp() - shown
    if elapsed < settings.min_fill_seconds:
        raise DisclosureError("too_fast", _l("The form was sent too quickly after it was opened. Wait a few "
                                             "seconds and send it again."))
    if elapsed > settings.form_max_age:
        raise DisclosureError("stale", _l("The form was open for too long. Reload the page and send it again "
                                          "(copy your text first)."))


def email_hash(secret: str, email: str) -> str:
    """Keyed, so the column cannot be reversed by hashing a list of addresses."""
    return hmac.new(secret.encode("utf-8"), b"disclosure-email:" + email.encode("utf-8"), hashlib.sha256).hexdigest()


# --- filing a report ------------------------------------------------------------------------------

@dataclass
class ReportInput:
    name: str = ""
    email: str = ""
    title: str = ""
    description: str = ""
    product: str = ""
    severity_guess: str = Severity.UNKNOWN.value
    credit: bool = False
    language: str = "en"


def check_report(inp: ReportInput) -> ReportInput:
    """Cleaned fields, or DisclosureError naming the field."""
    name = clean_text(inp.name, field="name", max_len=NAME_MAX, label=_l("Your name"), multiline=False,
                      error=DisclosureError)
    email = check_email(inp.email, error=DisclosureError)
    title = clean_text(inp.title, field="title", max_len=TITLE_MAX, label=_l("Title"), multiline=False,
                       error=DisclosureError)
    if not title:
        raise DisclosureError("title", _l("Give the report a short title."), "title")
    description = clean_text(inp.description, field="description", max_len=DESCRIPTION_MAX,
                             label=_l("Description"), error=DisclosureError)
    if len(description) < 20:
        raise DisclosureError("description", _l("Describe the issue and how to reproduce it (at least 20 "
                                                "characters)."), "description")
    product = clean_text(inp.product, field="product", max_len=PRODUCT_MAX, label=_l("Affected product or URL"),
                         multiline=False, error=DisclosureError)
    if inp.severity_guess not in {s.value for s in Severity}:
        raise DisclosureError("severity", _l("Choose a severity from the list."), "severity")
    if inp.credit and not name:
        raise DisclosureError("credit", _l("Give the name to credit, or untick the box."), "name")
    return ReportInput(name=name, email=email, title=title, description=description, product=product,
                       severity_guess=inp.severity_guess, credit=bool(inp.credit),
                       language=inp.language if inp.language in ("en", "zh") else "en")


def too_many_from(session: Session, hashed: str, *, now: datetime, settings: Settings) -> bool:
    since = now - timedelta(days=1)
    count = session.scalar(select(func.count()).select_from(Report)
                           .where(Report.email_hash == hashed, Report.created_at >= since))
    return count >= settings.reports_per_address


def next_reference(session: Session, now: datetime) -> str:
    """VR-<year>-<number>: easy to quote in an email; it opens nothing (the private link is a token)."""
    prefix = f"VR-{now.year}-"
    last = session.scalar(select(func.max(Report.reference)).where(Report.reference.like(prefix + "%")))
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _context(report_uid: str, part: str) -> str:
    return f"disclosure:{report_uid}:{part}"


def _save_text(session: Session, data: dict, context: str, stored: list[StoredBlob]) -> StoredBlob:
    raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
    blob = save_blob(session, [raw], context=context, max_bytes=BODY_MAX_BYTES)
    stored.append(blob)
    return blob


def _read_json(blob: StoredBlob, context: str) -> dict:
    return json.loads(b"".join(open_blob(blob, context=context)).decode("utf-8"))


def create_report(session: Session, inp: ReportInput, files: Sequence, *, secret: str,
                  settings: Settings, now: datetime) -> tuple[Report, str]:
    """Check, encrypt and store a report with its attachments (checked uploads: filename, media_type, size,
    chunks(), as vault.documents.validation.check_upload returns them); returns it and the link token.

    Stored objects are removed again if anything fails before the row is flushed (nothing half-written)."""
    inp = check_report(inp)
    if len(files) > settings.max_attachments:
        raise DisclosureError("attachments", _l("Attach at most %(max)d files.", max=settings.max_attachments),
                              "attachments")
    hashed = email_hash(secret, inp.email)
    if too_many_from(session, hashed, now=now, settings=settings):
        raise DisclosureError("throttled", _l("We already received several reports from this address today. "
                                              "Add to an existing report through its private link, or try "
                                              "again tomorrow."), "email")
    token = tokens.new_token()
    report = Report(uid=new_uid(), reference="", token_hash=tokens.hash_token(token),
                    email_hash=hashed, state=State.NEW.value, severity_guess=inp.severity_guess,
                    severity=inp.severity_guess, language=inp.language, credit_consent=inp.credit,
                    credit_name=inp.name if inp.credit else "", created_at=now, updated_at=now)
    stored: list[StoredBlob] = []
    try:
        listed = []
        for upload in files:
            att = Attachment(uid=new_uid(), created_at=now)
            att.blob = save_blob(session, upload.chunks(), context=_context(report.uid, f"attachment:{att.uid}"),
                                 max_bytes=settings.max_attachment_bytes)
            stored.append(att.blob)
            report.attachments.append(att)
            listed.append({"uid": att.uid, "filename": upload.filename, "media_type": upload.media_type,
                           "size": upload.size})
        body = {"name": inp.name, "email": inp.email, "title": inp.title, "description": inp.description,
                "product": inp.product, "attachments": listed}
        report.body_blob = _save_text(session, body, _context(report.uid, "body"), stored)
        _add_with_reference(session, report, now)
    except BaseException:
        for blob in stored:
            _discard_quietly(blob)
        raise
    return report, token


def _add_with_reference(session: Session, report: Report, now: datetime) -> None:
    """Two reports filed at the same moment: the unique reference decides, the loser takes the next one."""
    for _attempt in range(5):
        report.reference = next_reference(session, now)
        try:
            with session.begin_nested():
                session.add(report)
                session.flush()
            return
        except IntegrityError:
            continue
    raise RuntimeError("could not assign a report reference")


def _discard_quietly(blob: StoredBlob) -> None:
    try:
        discard_blob(blob)
    except Exception:  # noqa: BLE001 - compensation must not hide the original error
        pass


# --- reading (authorised staff and the reporter's link only; the caller audits) ---------------------

def read_body(report: Report) -> dict:
    return _read_json(report.body_blob, _context(report.uid, "body"))


def read_message(report: Report, message: Message) -> str:
    if message.blob is None:
        return ""
    return _read_json(message.blob, _context(report.uid, f"message:{message.uid}"))["text"]


def attachment_meta(body: dict, attachment_uid: str) -> dict | None:
    return next((a for a in body.get("attachments", []) if a.get("uid") == attachment_uid), None)


def open_attachment(report: Report, attachment: Attachment):
    return open_blob(attachment.blob, context=_context(report.uid, f"attachment:{attachment.uid}"))


def find_by_token(session: Session, token: str | None) -> Report | None:
    if not tokens.plausible(token):
        return None
    report = session.scalar(select(Report).where(Report.token_hash == tokens.hash_token(token)))
    return report if report is not None and tokens.matches(token, report.token_hash) else None


def get_report(session: Session, uid: str) -> Report | None:
    return session.scalar(select(Report).where(Report.uid == uid))


def get_attachment(report: Report, uid: str) -> Attachment | None:
    return next((a for a in report.attachments if a.uid == uid), None)


def list_reports(session: Session, *, state: str | None = None) -> list[Report]:
    query = select(Report).order_by(Report.created_at.desc(), Report.id.desc())
    if state:
        query = query.where(Report.state == state)
    return list(session.scalars(query))


def state_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Report.state, func.count()).group_by(Report.state)).all())


# --- triage ---------------------------------------------------------------------------------------

TRANSITIONS: dict[str, frozenset[str]] = {
    State.NEW.value: frozenset({State.TRIAGED.value, State.DUPLICATE.value, State.SPAM.value}),
    State.TRIAGED.value: frozenset({State.ACCEPTED.value, State.DUPLICATE.value, State.NOT_APPLICABLE.value,
                                    State.SPAM.value}),
    State.ACCEPTED.value: frozenset({State.FIXED.value, State.DUPLICATE.value, State.NOT_APPLICABLE.value}),
    State.FIXED.value: frozenset({State.PUBLISHED.value, State.ACCEPTED.value}),
    # Closed without a fix: can be reopened for another look.
    State.DUPLICATE.value: frozenset({State.TRIAGED.value}),
    State.NOT_APPLICABLE.value: frozenset({State.TRIAGED.value}),
    State.SPAM.value: frozenset({State.TRIAGED.value}),
    State.PUBLISHED.value: frozenset(),
}
CLOSED = frozenset({State.DUPLICATE.value, State.NOT_APPLICABLE.value, State.SPAM.value, State.PUBLISHED.value})


def allowed_next(report: Report) -> list[str]:
    return [s.value for s in State if s.value in TRANSITIONS.get(report.state, ())]


def _staff_message(report: Report, kind: str, by: Actor, now: datetime, **values) -> Message:
    msg = Message(uid=new_uid(), kind=kind, author=by.label, author_id=by.id, created_at=now, **values)
    report.messages.append(msg)
    return msg


def change_state(session: Session, report: Report, to: str, *, by: Actor, now: datetime,
                 severity: str | None = None) -> Message | None:
    """Move the report along TRANSITIONS (and set the assessed severity); None when nothing changed."""
    if severity is not None and severity != report.severity:
        if severity not in {s.value for s in Severity}:
            raise DisclosureError("severity", _l("Choose a severity from the list."), "severity")
        report.severity = severity
        report.updated_at = now
    if to == report.state or not to:
        session.flush()
        return None
    if to not in TRANSITIONS.get(report.state, ()):
        raise DisclosureError("transition", _l("A report that is “%(current)s” cannot become “%(target)s”.",
                                               current=state_label(report.state), target=state_label(to)), "state")
    msg = _staff_message(report, MessageKind.STATE.value, by, now, state_from=report.state, state_to=to)
    report.state = to
    report.updated_at = now
    report.acknowledged_at = report.acknowledged_at or now
    if to != State.NEW.value and report.triaged_at is None:
        report.triaged_at = now
    if to == State.FIXED.value:
        report.fixed_at = now
    if to == State.PUBLISHED.value:
        report.published_at = now
    session.flush()
    return msg


def _message_with_text(session: Session, report: Report, kind: str, text: str | None, *, author: str,
                       author_id: int | None, now: datetime) -> Message:
    text = clean_text(text, field="text", max_len=MESSAGE_MAX, label=_l("Message"), error=DisclosureError)
    if not text:
        raise DisclosureError("empty", _l("Write a message first."), "text")
    msg = Message(uid=new_uid(), kind=kind, author=author, author_id=author_id, created_at=now)
    stored: list[StoredBlob] = []
    try:
        msg.blob = _save_text(session, {"text": text}, _context(report.uid, f"message:{msg.uid}"), stored)
        report.messages.append(msg)
        report.updated_at = now
        session.flush()
    except BaseException:
        for blob in stored:
            _discard_quietly(blob)
        raise
    return msg


def reply(session: Session, report: Report, text: str | None, *, by: Actor, now: datetime) -> Message:
    """A staff reply: mailed to the reporter and shown on the private link (counts as the acknowledgement)."""
    msg = _message_with_text(session, report, MessageKind.REPLY.value, text, author=by.label, author_id=by.id, now=now)
    report.acknowledged_at = report.acknowledged_at or now
    session.flush()
    return msg


def note(session: Session, report: Report, text: str | None, *, by: Actor, now: datetime) -> Message:
    return _message_with_text(session, report, MessageKind.NOTE.value, text, author=by.label, author_id=by.id, now=now)


def followup(session: Session, report: Report, text: str | None, *, now: datetime) -> Message:
    if report.state in CLOSED:
        raise DisclosureError("closed", _l("This report is closed. File a new report if you found something "
                                           "else."), "text")
    return _message_with_text(session, report, MessageKind.FOLLOWUP.value, text, author="", author_id=None, now=now)


def visible_to_reporter(report: Report) -> list[Message]:
    return [m for m in report.messages if m.kind != MessageKind.NOTE.value]


def can_become_advisory(report: Report) -> bool:
    return report.state in (State.FIXED.value, State.PUBLISHED.value) and not report.advisory_ref


def advisory_draft(report: Report, body: dict) -> dict:
    """Keyword arguments for vault.advisories' create_advisory: the title, a summary to complete, the dates
    and the credit the reporter agreed to. The reporter's description stays private."""
    credit_en = f" We thank {report.credit_name} for reporting it responsibly." if report.credit_name else ""
    credit_zh = f"感谢 {report.credit_name} 负责任地报告此问题。" if report.credit_name else ""
    timeline = [(report.created_at.date(), "Reported to us", "收到报告")]
    if report.fixed_at:
        timeline.append((report.fixed_at.date(), "Fixed", "已修复"))
    return {"title_en": body.get("title", "")[:200],
            "body_en": f"[Describe the issue, who was affected and what to do.]{credit_en}",
            "body_zh": f"[请描述问题、受影响范围及应对措施。]{credit_zh}", "timeline": timeline}


def set_advisory(session: Session, report: Report, advisory_id: str, *, now: datetime) -> None:
    report.advisory_ref = advisory_id[:64]
    report.updated_at = now
    session.flush()


def security_staff(session: Session) -> list[User]:
    """Who hears of a new report or a follow-up: active security users (admins when there are none)."""
    users = list(session.scalars(select(User).where(User.role == "security", User.active.is_(True)).order_by(User.id)))
    if not users:
        users = list(session.scalars(select(User).where(User.role == "admin", User.active.is_(True)).order_by(User.id)))
    return users


# --- labels ---------------------------------------------------------------------------------------

STATE_LABELS = {
    State.NEW.value: _l("New"), State.TRIAGED.value: _l("Triaged"), State.ACCEPTED.value: _l("Accepted"),
    State.DUPLICATE.value: _l("Duplicate"), State.NOT_APPLICABLE.value: _l("Not applicable"),
    State.SPAM.value: _l("Spam"), State.FIXED.value: _l("Fixed"), State.PUBLISHED.value: _l("Publicly disclosed"),
}
SEVERITY_LABELS = {
    Severity.UNKNOWN.value: _l("Not sure"), Severity.LOW.value: _l("Low"), Severity.MEDIUM.value: _l("Medium"),
    Severity.HIGH.value: _l("High"), Severity.CRITICAL.value: _l("Critical"),
}


def state_label(state: str):
    return STATE_LABELS.get(state, state)


def severity_label(severity: str):
    return SEVERITY_LABELS.get(severity, severity)


# --- the SLA clock --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    what: str  # "acknowledge", "triage", "fix"
    due: date
    done: datetime | None

    def days_left(self, today: date) -> int:
        return (self.due - today).days


def deadlines(report: Report, settings: Settings) -> list[Deadline]:
    """Acknowledge and triage count from receipt; the fix target from triage, by the assessed severity."""
    received = report.created_at.astimezone(timezone.utc).date()
    items = [Deadline("acknowledge", received + timedelta(days=settings.sla_ack_days), report.acknowledged_at),
             Deadline("triage", received + timedelta(days=settings.sla_triage_days), report.triaged_at)]
    if report.state in (State.TRIAGED.value, State.ACCEPTED.value, State.FIXED.value, State.PUBLISHED.value) \
            and report.triaged_at:
        start = report.triaged_at.astimezone(timezone.utc).date()
        days = settings.sla_fix_days.get(report.severity, FIX_DAYS[Severity.UNKNOWN.value])
        items.append(Deadline("fix", start + timedelta(days=days), report.fixed_at))
    if report.state in CLOSED - {State.PUBLISHED.value}:
        items = [d for d in items if d.done is not None]  # nothing is due on a closed report
    return items


def due_words(due: date, today: date):
    """'due today' when the day is today (not 'overdue by 1 day', not 'due in 0 days'). Called while a page
    or mail is rendered, in its language."""
    from flask_babel import gettext, ngettext
    days = (due - today).days
    if days == 0:
        return gettext("due today")
    if days > 0:
        return ngettext("due in %(num)d day", "due in %(num)d days", days)
    return ngettext("overdue by %(num)d day", "overdue by %(num)d days", -days)


def next_deadline(report: Report, settings: Settings) -> Deadline | None:
    open_items = [d for d in deadlines(report, settings) if d.done is None]
    return min(open_items, key=lambda d: d.due) if open_items else None


# --- the hall of fame -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Credit:
    name: str
    fixed_on: date


def hall_of_fame(session: Session) -> list[Credit]:
    """Reporters who agreed to be credited, for reports that were fixed (or published)."""
    rows = session.scalars(select(Report).where(Report.credit_consent.is_(True), Report.credit_name != "",
                                                Report.state.in_((State.FIXED.value, State.PUBLISHED.value)))
                           .order_by(Report.fixed_at.desc(), Report.id.desc()))
    return [Credit(r.credit_name, (r.fixed_at or r.updated_at).date()) for r in rows]


# --- the policy text --------------------------------------------------------------------------------

def get_policy(session: Session) -> PolicyText:
    row = session.scalar(select(PolicyText).order_by(PolicyText.id).limit(1))
    if row is None:
        row = PolicyText(text_en="", text_zh="")
        session.add(row)
        session.flush()
    return row


def save_policy(session: Session, *, text_en: str | None, text_zh: str | None, by: Actor, now: datetime) -> PolicyText:
    en = clean_text(text_en, field="text_en", max_len=POLICY_MAX, label=_l("Policy (English)"), error=DisclosureError)
    zh = clean_text(text_zh, field="text_zh", max_len=POLICY_MAX, label=_l("Policy (Chinese)"), error=DisclosureError)
    row = get_policy(session)
    row.text_en, row.text_zh, row.updated_at, row.updated_by = en, zh, now, by.label
    session.flush()
    return row


def policy_for(row: PolicyText, language: str) -> str:
    """The staff's text in this language, else in the other one; "" means: show the default text."""
    first, second = (row.text_zh, row.text_en) if language == "zh" else (row.text_en, row.text_zh)
    return first or second or ""
