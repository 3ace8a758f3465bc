"""The ledger of answers sent to customers (`SentAnswer`): the questions legal and security ask of it.

Who received entry X, what did customer Y get and when, which answers went out at a revision the library
has since replaced, and which customers hold an answer that has since changed in substance (the short or
full answer, not a tag or a typo elsewhere) so someone can decide to tell them. Queries only; the views
render, the CSV goes through `exporters.safety.neutralise`.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, selectinload

from answers.library.models import LibraryEntry, LibraryEntryRevision
from answers.library.stale import AnswerUse, register_answer_uses
from answers.questionnaires.models import Questionnaire, QuestionItem, SentAnswer

# What makes a change material for a customer holding the answer; tags, category, owner, question
# wording or a new phrasing are not.
MATERIAL_FIELDS = ("answer_short", "answer_full")


@dataclass(frozen=True)
class LedgerFilter:
    entry: str = ""  # the entry reference, exactly (case-insensitive)
    customer: str = ""  # part of the customer's name
    since: date | None = None  # sent on or after this UTC day
    until: date | None = None  # sent on or before this UTC day
    superseded: bool = False  # only answers sent at an older revision than the entry's current one

    def as_args(self) -> dict[str, str]:
        args = {"entry": self.entry, "customer": self.customer,
                "since": self.since.isoformat() if self.since else "",
                "until": self.until.isoformat() if self.until else "",
                "superseded": "1" if self.superseded else ""}
        return {k: v for k, v in args.items() if v}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip()[:10]) if value else None
    except ValueError:
        return None


def parse_filter(args) -> LedgerFilter:
    """From query arguments; a malformed date is ignored, not an error."""
    return LedgerFilter(entry=(args.get("entry") or "").strip()[:100],
                        customer=(args.get("customer") or "").strip()[:200],
                        since=_day(args.get("since")), until=_day(args.get("until")),
                        superseded=args.get("superseded") == "1")


@dataclass
class LedgerRow:
    sent: SentAnswer
    entry_uid: str | None  # the entry's page (None: the entry was deleted or renamed)
    current_revision: int | None
    answer_changed: bool  # the entry's answer today differs from the one in the revision sent

    @property
    def superseded(self) -> bool:
        return (self.sent.entry_revision is not None and self.current_revision is not None
                and self.sent.entry_revision < self.current_revision)


def _start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.utc)


def ledger_rows(session: Session, flt: LedgerFilter, limit: int | None = 500) -> list[LedgerRow]:
    """Sent answers matching `flt`, newest first."""
    stmt = (select(SentAnswer, LibraryEntry)
            .outerjoin(LibraryEntry, LibraryEntry.ref == SentAnswer.entry_ref)
            .options(selectinload(SentAnswer.item), selectinload(SentAnswer.questionnaire))
            .order_by(SentAnswer.sent_at.desc(), SentAnswer.id.desc()))
    if flt.entry:
        stmt = stmt.where(SentAnswer.entry_ref.ilike(flt.entry.replace("\\", "\\\\").replace("%", "\\%")
                                                     .replace("_", "\\_"), escape="\\"))
    if flt.customer:
        stmt = stmt.where(SentAnswer.customer.ilike(f"%{flt.customer}%"))
    if flt.since:
        stmt = stmt.where(SentAnswer.sent_at >= _start(flt.since))
    if flt.until:
        stmt = stmt.where(SentAnswer.sent_at < _start(flt.until + timedelta(days=1)))
    if flt.superseded:
        stmt = stmt.where(SentAnswer.entry_revision < LibraryEntry.revision)
    if limit:
        stmt = stmt.limit(limit)
    pairs = list(session.execute(stmt).all())
    changed = _answer_changed(session, pairs)
    return [LedgerRow(sent, entry.uid if entry else None, entry.revision if entry else None,
                      changed.get(sent.id, False)) for sent, entry in pairs]


def _answer_changed(session: Session, pairs) -> dict[int, bool]:
    """{SentAnswer id: True} where the entry's answer now differs from the snapshot of the revision sent."""
    keys = {(entry.id, sent.entry_revision) for sent, entry in pairs
            if entry is not None and sent.entry_revision is not None and sent.entry_revision < entry.revision}
    if not keys:
        return {}
    snapshots = {}
    keys = sorted(keys)
    for i in range(0, len(keys), 400):
        batch = keys[i:i + 400]
        for rev in session.scalars(select(LibraryEntryRevision).where(
                tuple_(LibraryEntryRevision.entry_id, LibraryEntryRevision.number).in_(batch))):
            snapshots[(rev.entry_id, rev.number)] = rev.snapshot or {}
    out = {}
    for sent, entry in pairs:
        snap = snapshots.get((entry.id, sent.entry_revision)) if entry is not None else None
        if snap is not None:
            out[sent.id] = any((snap.get(f) or "") != (getattr(entry, f) or "") for f in MATERIAL_FIELDS)
    return out


def recipients_of(session: Session, entry: LibraryEntry) -> list[LedgerRow]:
    """Everyone who received this entry's answer (the entry page's "Sent to")."""
    return ledger_rows(session, LedgerFilter(entry=entry.ref), limit=None)


@dataclass(frozen=True)
class Holder:
    customer: str
    revision: int | None
    sent_on: date
    questionnaire_uid: str
    questionnaire: str


def holders_of_old_answer(session: Session, entry: LibraryEntry) -> list[Holder]:
    """Customers whose latest answer from this entry is not what the entry says now (a material change):
    one line per customer and questionnaire, the latest sending. Empty when nobody holds an old answer."""
    latest: dict[tuple[str, int], LedgerRow] = {}
    for row in recipients_of(session, entry):  # newest first
        latest.setdefault((row.sent.customer, row.sent.questionnaire_id), row)
    return [Holder(r.sent.customer, r.sent.entry_revision, r.sent.sent_at.date(), r.sent.questionnaire.uid,
                   r.sent.questionnaire.filename)
            for r in latest.values() if r.answer_changed]


def material_change(changed: list[str]) -> bool:
    return any(f in MATERIAL_FIELDS for f in changed)


def ledger_csv(rows: list[LedgerRow], headers: list[str], accepted_label, yes: str) -> bytes:
    """UTF-8 with a BOM (Excel reads Chinese correctly); every cell neutralised: customer names, questions
    and answers come from customers' files and people, so `=HYPERLINK(...)` must stay text."""
    from exporters.safety import neutralise

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for r in rows:
        s = r.sent
        item: QuestionItem = s.item
        writer.writerow([neutralise(str(v)) for v in (
            s.sent_at.strftime("%Y-%m-%d %H:%M"), s.customer, s.questionnaire.filename, item.qid or "", item.text,
            s.answer or "", s.comment or "", s.entry_ref or "", s.entry_revision or "", r.current_revision or "",
            yes if r.superseded else "", yes if r.answer_changed else "", accepted_label(s),
            (s.sent_by.name or s.sent_by.email) if s.sent_by else "")])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@register_answer_uses
def sent_answer_uses(session: Session, entry: LibraryEntry) -> list[AnswerUse]:
    """The questionnaires feature's ledger of answers sent to customers (`questionnaire_sent_answers`)."""
    rows = session.execute(
        select(Questionnaire.uid, Questionnaire.filename, Questionnaire.customer, func.max(SentAnswer.sent_at))
        .join(SentAnswer, SentAnswer.questionnaire_id == Questionnaire.id)
        .where(SentAnswer.entry_ref == entry.ref)
        .group_by(Questionnaire.uid, Questionnaire.filename, Questionnaire.customer))
    return [AnswerUse(questionnaire=filename, customer=customer, answered_on=sent.date() if sent else None,
                      link_endpoint="questionnaires.review", link_args=(("uid", uid),))
            for uid, filename, customer, sent in rows]
