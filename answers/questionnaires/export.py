"""The customer's file filled, the answer sheet and the summary report; records each answer sent
(`SentAnswer`; the ledger's queries are in `ledger.py`)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from answers.autofill.fill import keep_theirs
from answers.questionnaires.models import QuestionItem, Questionnaire, SentAnswer
from answers.questionnaires.service import (
    QuestionnaireError,
    parsed_from_items,
    question_from_json,
    read_original,
    shown_answer,
    stale_evidence,
)
from exporters import EXPORT_ERRORS
from exporters.answer_sheet import SheetRow, answer_sheet_docx, answer_sheet_xlsx
from exporters.filled import (
    FilledAnswer,
    NothingToWrite,
    fill_questionnaire,
    output_kind,
)
from exporters.report import ReportInfo, ReportRow, summary_report_xlsx
from importers.model import ImportErrorWithContext
from vault import audit
from vault.audit import Actor
from vault.db import utcnow
from vault.i18n import localized

SHEET_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@dataclass
class Download:
    data: bytes
    filename: str
    media_type: str


def _items(session: Session, qn: Questionnaire) -> list[QuestionItem]:
    return list(session.scalars(select(QuestionItem).where(QuestionItem.questionnaire_id == qn.id)
                                .order_by(QuestionItem.position)))


def _answers_of(item: QuestionItem, include_suggested: bool) -> tuple[str | None, str | None] | None:
    if item.status == "accepted":
        return item.final_answer, item.final_comment
    if include_suggested and item.status == "edited":
        return item.final_answer, item.final_comment  # the reviewer's edit beats the proposal
    if include_suggested and item.status == "suggested":
        return item.proposed_answer, item.proposed_comment
    return None


def _name(qn: Questionnaire, suffix: str, ext: str) -> str:
    stem = os.path.splitext(qn.filename)[0] or "questionnaire"
    return f"{stem}{suffix}.{ext}"


def export_filled(session: Session, actor: Actor, qn: Questionnaire, *, include_suggested: bool = False) -> Download:
    """The customer's own file with the accepted answers written in, never over an answer the file
    already holds (`answers.autofill.fill.keep_theirs`); records what was sent."""
    items = _items(session, qn)
    parsed = parsed_from_items(qn, items)
    answers, sent, kept = [], [], []
    for item, question in zip(items, parsed.questions):
        pair = _answers_of(item, include_suggested)
        if not (pair and (pair[0] or pair[1])):
            continue
        [answer] = keep_theirs([FilledAnswer(question, *pair)], kept)
        if answer.answer or answer.comment:
            answers.append(answer)
            if item.status == "accepted":
                sent.append((item, answer))  # as written: where the file kept its own, ours was not sent
    try:
        data, written = fill_questionnaire(read_original(qn), parsed, answers)
    except (*EXPORT_ERRORS, NothingToWrite,
            ImportErrorWithContext) as exc:  # nothing recorded as sent, no file: all or nothing
        raise QuestionnaireError(_("the file could not be filled: %(reason)s", reason=localized(exc))) from None
    _record_sent(session, actor, qn, sent)
    qn.exported_at = utcnow()
    ext, media = output_kind(parsed)
    audit.record(session, "questionnaire.export", by=actor, object_type="questionnaire", object_id=qn.uid,
                 detail={"written": written, "accepted": len(sent), "include_suggested": include_suggested,
                         "format": ext, "kept": len(kept)})
    session.flush()
    return Download(data, _name(qn, "-answered", ext), media)


def _record_sent(session: Session, actor: Actor, qn: Questionnaire,
                 sent: list[tuple[QuestionItem, FilledAnswer]]) -> None:
    """One ledger row per answer sent, as written into the file; an identical answer sent again is not
    recorded twice."""
    last = {}
    for row in session.scalars(select(SentAnswer).where(SentAnswer.questionnaire_id == qn.id)
                               .order_by(SentAnswer.id)):
        last[row.item_id] = (row.answer, row.comment, row.entry_ref, row.entry_revision, row.accepted_by_id,
                             row.bulk_threshold)
    for item, written in sent:
        # Who accepted, and how, is part of what was sent: a person confirming a bulk-accepted answer is a new row.
        key = (written.answer, written.comment, item.final_entry_ref, item.final_entry_revision,
               item.reviewed_by_id, item.bulk_threshold)
        if last.get(item.id) == key:
            continue
        session.add(SentAnswer(customer=qn.customer, questionnaire_id=qn.id, item_id=item.id,
                               entry_ref=item.final_entry_ref, entry_revision=item.final_entry_revision,
                               answer=written.answer, comment=written.comment, sent_by_id=actor.id,
                               accepted_by_id=item.reviewed_by_id, bulk_threshold=item.bulk_threshold))


def answer_sheet(session: Session, actor: Actor, qn: Questionnaire, fmt: str, *, title: str,
                 headers: tuple[str, ...] | None = None) -> Download:
    if fmt not in SHEET_TYPES:
        raise QuestionnaireError(_("the answer sheet is available as xlsx or docx"))
    rows = []
    for item in _items(session, qn):
        pair = _answers_of(item, False) or (None, None)
        rows.append(SheetRow(item.qid, item.section, item.text, pair[0], pair[1]))
    build = answer_sheet_xlsx if fmt == "xlsx" else answer_sheet_docx
    data = build(title, rows, **({"headers": headers} if headers else {}))
    audit.record(session, "questionnaire.answer_sheet", by=actor,
                 object_type="questionnaire", object_id=qn.uid, detail={"format": fmt})
    return Download(data, _name(qn, "-answers", fmt), SHEET_TYPES[fmt])


def _who(user) -> str:
    if user is None:
        return ""
    return f"{user.name} <{user.email}>" if user.name else user.email


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def report(session: Session, actor: Actor, qn: Questionnaire, labels: dict | None = None) -> Download:
    from flask_babel import get_locale
    from answers.library.stale import describe
    items = _items(session, qn)
    refs = {i.final_entry_ref or i.proposed_entry_ref for i in items} - {None}
    stale = stale_evidence(session, refs, utcnow().date())
    locale = str(get_locale() or "en")

    def why(item) -> str:
        return " ".join(str(describe(s, locale)) for s in stale.get(item.final_entry_ref or item.proposed_entry_ref, []))

    rows = [ReportRow(qid=i.qid, section=i.section, question=i.text, status=i.status,
                      answer=shown_answer(i)[0], comment=shown_answer(i)[1],
                      how=i.how, auto=i.auto, entry_ref=i.final_entry_ref or i.proposed_entry_ref,
                      confidence=i.confidence, reviewed_by=_who(i.reviewed_by), reviewed_at=_when(i.reviewed_at),
                      assignee=_who(i.assignee), comments=len(i.comments), bulk_threshold=i.bulk_threshold,
                      stale=why(i) if i.status != "open" else "")
            for i in items]
    info = ReportInfo(customer=qn.customer, filename=qn.filename, uploaded_by=_who(qn.created_by),
                      uploaded_at=_when(qn.created_at), exported_by=actor.label, exported_at=_when(utcnow()))
    data = summary_report_xlsx(info, rows, labels)
    audit.record(session, "questionnaire.report", by=actor, object_type="questionnaire", object_id=qn.uid)
    return Download(data, _name(qn, "-report", "xlsx"), SHEET_TYPES["xlsx"])


def existing_answer(item: QuestionItem) -> str | None:
    return question_from_json(item.locator).existing_answer
