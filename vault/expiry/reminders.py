"""`vault remind`: one run of the reminder schedule, safe to call every few minutes.

    report = run_reminders(session, now)   # flushes; the caller commits (or rolls back)

For every obligation the run works out its current *stage*: `before:N` for the smallest configured
threshold N >= days left (so a run that was down for a while sends the latest stage only, never a
burst), then `overdue:K` for the K-th repeat period while overdue. A stage already in the ledger
(`expiry_sent_reminders`, unique per obligation and stage) is skipped. The rest go out as **one
digest per person** (the owner; the legal group: users with role legal and extra addresses) and one per
chat destination, queued through `vault.notify`. Every digest prints the audit chain's head, so copies of
it live outside the database (`vault audit verify --expect-head`). Ledger rows and outbox rows are written in the same
transaction (a transactional outbox): a crash before the commit loses both, so the next run sends
everything once; after the commit the ledger stops a second send. Two runs at once: the ledger's
unique key makes the later commit fail (`remind_once` then runs again and finds nothing to do).
"""
from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app, render_template
from flask_babel import force_locale, gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vault import audit, notify
from vault.auth.models import User
from vault.auth.roles import Role
from vault.expiry import service
from vault.expiry.labels import kind_label, when_label
from vault.expiry.models import ReminderDestination, ReminderSettings, SentReminder
from vault.expiry.obligations import Obligation

log = logging.getLogger(__name__)
DIGEST_MAX_ITEMS = 50  # listed in one message; the rest are a link to the timeline


def stage_for(o: Obligation, today: date, thresholds: list[int], repeat_days: int) -> str | None:
    """The reminder stage `o` is in today, or None (further away than every threshold). Pure."""
    overdue = o.days_overdue(today)
    if overdue >= 1:
        period = (overdue - 1) // max(1, repeat_days) if o.repeat_overdue else 0
        return f"overdue:{period}"
    fitting = [t for t in thresholds if -overdue <= t]
    return f"before:{min(fitting)}" if fitting else None


@dataclass(frozen=True)
class Due:
    obligation: Obligation
    stage: str


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    language: str


@dataclass
class RunReport:
    today: date
    due: list[Due] = field(default_factory=list)  # stages reminded in this run (or that would be, dry run)
    emails: dict[str, list[Due]] = field(default_factory=dict)  # address -> what its digest lists
    destinations: dict[str, list[Due]] = field(default_factory=dict)  # masked target -> digest
    unaddressed: list[Due] = field(default_factory=list)  # nobody to tell: left for a later run
    errors: list[str] = field(default_factory=list)  # enqueue refusals and provider failures
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would remind" if self.dry_run else "reminded"
        return (f"{verb} {len(self.due)} obligation stages: {len(self.emails)} emails, "
                f"{len(self.destinations)} chat/webhook digests; {len(self.unaddressed)} without a recipient; "
                f"{len(self.errors)} errors")


def _already_sent(session: Session, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    keys = sorted({k for k, _s in pairs})
    for i in range(0, len(keys), 500):
        rows = session.execute(select(SentReminder.obligation_key, SentReminder.stage)
                               .where(SentReminder.obligation_key.in_(keys[i:i + 500])))
        found.update((k, s) for k, s in rows)
    return found


def _default_language() -> str:
    return (current_app.config.get("LANGUAGES") or ["en"])[0]


def _legal_group(session: Session, settings: ReminderSettings) -> list[Person]:
    people: dict[str, Person] = {}
    if settings.notify_legal_role:
        for u in session.scalars(select(User).where(User.role == Role.LEGAL.value, User.active.is_(True))
                                 .order_by(User.email)):
            people[u.email.lower()] = Person(u.email.lower(), u.name or "", _language_of(u))
    for addr in (settings.legal_emails or "").split():
        people.setdefault(addr.lower(), Person(addr.lower(), "", _default_language()))
    return list(people.values())


def _language_of(user: User | None) -> str:
    langs = current_app.config.get("LANGUAGES") or ["en"]
    return user.locale if user is not None and user.locale in langs else _default_language()


def plan(session: Session, today: date) -> tuple[RunReport, dict[str, Person], list[ReminderDestination]]:
    """What a run would send today: no writes."""
    settings = service.get_settings(session)
    collected = service.obligations(session, today)
    report = RunReport(today=today, errors=[f"provider {n}: {e}" for n, e in collected.errors.items()])
    candidates = []
    for o in collected.obligations:
        stage = stage_for(o, today, list(settings.thresholds or []), settings.overdue_repeat_days)
        if stage is not None:
            candidates.append(Due(o, stage))
    sent = _already_sent(session, [(d.obligation.key, d.stage) for d in candidates])
    due = [d for d in candidates if (d.obligation.key, d.stage) not in sent]

    legal = _legal_group(session, settings)
    destinations = service.list_destinations(session, enabled_only=True)
    owners = {u.id: u for u in session.scalars(select(User).where(
        User.id.in_({d.obligation.owner_id for d in due if d.obligation.owner_id is not None})))} if due else {}
    people: dict[str, Person] = {p.email: p for p in legal}
    for d in due:
        o = d.obligation
        addressed = False
        owner = owners.get(o.owner_id) if o.owner_id is not None else None
        if settings.notify_owner and owner is not None and owner.active and o.owner_email:
            people.setdefault(owner.email.lower(), Person(owner.email.lower(), owner.name or "", _language_of(owner)))
            report.emails.setdefault(owner.email.lower(), []).append(d)
            addressed = True
        if o.notify_legal:
            for p in legal:
                bucket = report.emails.setdefault(p.email, [])
                if d not in bucket:
                    bucket.append(d)
                addressed = True
            for dest in destinations:
                report.destinations.setdefault(dest.uid, []).append(d)
                addressed = True
        (report.due if addressed else report.unaddressed).append(d)
    return report, people, destinations


def run_reminders(session: Session, now: datetime, *, dry_run: bool = False) -> RunReport:
    """One run at `now` (UTC; its date is "today"). Flushes outbox and ledger rows together; the caller
    commits. With `dry_run`, only plans."""
    today = now.date()
    report, people, destinations = plan(session, today)
    report.dry_run = dry_run
    if dry_run or not report.due:
        return report
    delivered: dict[tuple[str, str], list[str]] = defaultdict(list)  # (key, stage) -> recipients
    for email in sorted(report.emails):
        dues = report.emails[email]
        try:
            _enqueue_email(session, people[email], dues, today)
        except notify.NotifyError as exc:  # one bad address never stops the others
            report.errors.append(f"email to {email}: {exc}")
            continue
        for d in dues:
            delivered[(d.obligation.key, d.stage)].append(email)
    by_uid = {dest.uid: dest for dest in destinations}
    masked_report: dict[str, list[Due]] = {}
    for uid in sorted(report.destinations):
        dest, dues = by_uid[uid], report.destinations[uid]
        shown = f"{dest.channel} {service.masked(dest)}"
        try:
            _enqueue_chat(session, dest, dues, today)
        except notify.NotifyError as exc:
            report.errors.append(f"{shown}: {exc}")
            continue
        masked_report[shown] = dues
        for d in dues:
            delivered[(d.obligation.key, d.stage)].append(shown)
    report.destinations = masked_report
    for d in report.due:
        recipients = delivered.get((d.obligation.key, d.stage))
        if recipients:  # nothing queued for it (every recipient refused): the next run tries again
            session.add(SentReminder(obligation_key=d.obligation.key, stage=d.stage, kind=d.obligation.kind,
                                     due_on=d.obligation.due_on, recipients=sorted(set(recipients)), sent_at=now))
    session.flush()
    return report


def remind_once(session: Session, now: datetime, *, dry_run: bool = False) -> RunReport:
    """`run_reminders` and commit; if a concurrent run committed the same stages first, run again."""
    for attempt in (1, 2):
        try:
            report = run_reminders(session, now, dry_run=dry_run)
            if dry_run:
                session.rollback()
            else:
                session.commit()
            return report
        except IntegrityError:
            session.rollback()
            if attempt == 2:
                raise
            log.info("another reminder run recorded the same stages first; running again")
        except BaseException:
            session.rollback()
            raise
    raise AssertionError("unreachable")


# --- messages ------------------------------------------------------------------------------------

def _dedupe_key(dues: list[Due]) -> str:
    raw = "\n".join(sorted(f"{d.obligation.key}|{d.stage}" for d in dues))
    return "expiry:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _items(dues: list[Due], today: date) -> list[dict]:
    ordered = sorted(dues, key=lambda d: (d.obligation.due_on, d.obligation.title.casefold()))
    return [{"kind": kind_label(d.obligation.kind), "title": d.obligation.title, "when": when_label(d.obligation, today),
             "due_on": d.obligation.due_on.isoformat(), "detail": str(d.obligation.detail or ""),
             "url": service.obligation_url(d.obligation), "overdue": d.obligation.is_overdue(today)}
            for d in ordered]


def _subject(items: list[dict]) -> str:
    if len(items) == 1:
        i = items[0]
        return _("Reminder: %(kind)s: %(title)s (%(when)s)", kind=i["kind"], title=i["title"], when=i["when"])
    overdue = sum(1 for i in items if i["overdue"])
    if overdue:
        return _("Compliance reminders: %(count)d dates need attention, %(overdue)d overdue",
                 count=len(items), overdue=overdue)
    return _("Compliance reminders: %(count)d dates need attention", count=len(items))


def _enqueue_email(session: Session, person: Person, dues: list[Due], today: date) -> None:
    with force_locale(person.language):
        items = _items(dues, today)
        context = {"items": items[:DIGEST_MAX_ITEMS], "more": max(0, len(items) - DIGEST_MAX_ITEMS),
                   "name": person.name, "timeline_url": service.external_url("expiry.index"),
                   "company": current_app.config.get("COMPANY_NAME", ""),
                   "audit_head": str(audit.current_head(session))}  # an anchor kept outside the database
        subject = _subject(items)
        text = render_template("expiry/email/digest.txt", **context)
        html = render_template("expiry/email/digest.html", subject=subject, **context)
    to = f"{person.name} <{person.email}>" if person.name and _plain_name(person.name) else person.email
    notify.send_email(session, to=to, subject=subject, text=text, html=html, dedupe_key=_dedupe_key(dues),
                      headers={"X-Trustvault-Reminder": "expiry"})


def _plain_name(name: str) -> bool:
    return not any(c in name for c in '<>"@,;\r\n')


def _enqueue_chat(session: Session, dest: ReminderDestination, dues: list[Due], today: date) -> None:
    with force_locale(_default_language()):
        items = _items(dues, today)
        lines = [f"- {i['kind']}: {i['title']} ({i['when']}, {i['due_on']})" for i in items[:DIGEST_MAX_ITEMS]]
        if len(items) > DIGEST_MAX_ITEMS:
            lines.append(_("…and %(count)d more.", count=len(items) - DIGEST_MAX_ITEMS))
        head = audit.current_head(session)
        lines.append(_("Audit trail head: %(head)s", head=str(head)))
        message = notify.Message(
            subject=_subject(items), text="\n".join(lines), url=service.external_url("expiry.index"),
            data={"type": "expiry.digest", "items": [
                {"key": d.obligation.key, "kind": d.obligation.kind, "title": d.obligation.title,
                 "due_on": d.obligation.due_on.isoformat(), "stage": d.stage,
                 "url": service.obligation_url(d.obligation)}
                for d in sorted(dues, key=lambda d: (d.obligation.due_on, d.obligation.key))],
                "audit_head": {"seq": head.seq, "hash": head.hash}})
    notify.send(session, channel=dest.channel, target=dest.target, message=message, secret=dest.secret,
                dedupe_key=_dedupe_key(dues))
