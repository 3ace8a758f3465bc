"""Questionnaire workflow: upload and detection, matching, review, learning. Services take the
session and flush; the view or CLI commits. Exports live in `export.py`."""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from answers.autofill import propose_answers, review_flags
from answers.autofill.fit import details_fit, fit_answer, fit_to_choices, meaning_of
from answers.library import service as library
from answers.library.models import LibraryEntry as EntryRow
from answers.questionnaires.models import (ITEM_STATUSES, ItemComment, QuestionItem, Questionnaire,
                                           SavedLayout, blob_context, new_uid)
from importers import ImportErrorWithContext, Limits, layout_signature, load_questionnaire
from importers.i18n_marker import N_
from importers.model import Locator, Question
from importers.model import Questionnaire as Parsed
from vault import audit
from vault.audit import Actor
from vault.db import utcnow
from vault.i18n import localized
from vault.storage.service import EmptyFile, TooLarge, discard_blob, open_blob, save_blob

MAX_COMMENT = 5000
MAX_ANSWER = 32_000  # below Excel's 32,767 characters per cell
SAMPLES_PER_SHEET = 3
CORRECTABLE = ("xlsx", "xlsm", "csv", "docx")  # formats whose importers take a layout hint

__all__ = ["QuestionnaireError", "Conflict", "upload", "apply_layout", "start_review", "match_again",
           "review_item", "assign_item", "add_comment", "bulk_accept", "learn", "progress"]


class QuestionnaireError(Exception):
    """A change that cannot be made, with a message for a person."""


class Conflict(QuestionnaireError):
    """The question changed since the reviewer loaded it: nothing was saved."""

    def __init__(self, item: QuestionItem, submitted: dict):
        super().__init__("someone else changed this question since you opened it; nothing was saved")
        self.item, self.submitted = item, submitted


# ------------------------------------------------------------------ the neutral question as JSON

def question_to_json(q: Question) -> dict:
    return dataclasses.asdict(q)


def question_from_json(data: dict) -> Question:
    def loc(d):
        return Locator(**d) if d else None
    return Question(qid=data.get("qid"), text=data["text"], section=data.get("section"),
                    question_at=loc(data["question_at"]), answer_at=loc(data.get("answer_at")),
                    comment_at=loc(data.get("comment_at")), choices=data.get("choices"),
                    existing_answer=data.get("existing_answer"), existing_comment=data.get("existing_comment"),
                    guidance=data.get("guidance"))


def parsed_from_items(qn: Questionnaire, items: list[QuestionItem]) -> Parsed:
    return Parsed(source_format=qn.source_format, filename=qn.filename,
                  questions=[question_from_json(i.locator) for i in items], sheets=[])


# ------------------------------------------------------------------ upload and detection

def clean_filename(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return name[:255] or "questionnaire"


def detection_of(parsed: Parsed) -> dict:
    """What the detection page shows: per sheet/table, the roles' columns, counts and samples."""
    sheets = []
    for s in parsed.sheets:
        samples = [{"qid": q.qid, "text": q.text[:300], "row": q.question_at.row,
                    "answer": _where(q.answer_at), "choices": (q.choices or [])[:8]}
                   for q in parsed.questions_on(s.name)[:SAMPLES_PER_SHEET]] if not s.skipped else []
        sheets.append({"name": s.name, "index": s.index, "state": s.state, "skipped": s.skipped,
                       "skip_reason": s.skip_reason, "header_row": s.header_row, "columns": dict(s.columns),
                       "question_count": s.question_count, "notes": list(s.notes), "samples": samples})
    if not parsed.sheets and parsed.questions:  # PDF text and VSAQ report no tables
        sheets.append({"name": parsed.source_format.upper(), "index": 0, "state": "visible", "skipped": False,
                       "skip_reason": None, "header_row": None, "columns": {},
                       "question_count": len(parsed.questions), "notes": [],
                       "samples": [{"qid": q.qid, "text": q.text[:300], "row": q.question_at.row,
                                    "answer": _where(q.answer_at), "choices": (q.choices or [])[:8]}
                                   for q in parsed.questions[:SAMPLES_PER_SHEET]]})
    located = sum(1 for q in parsed.questions if q.answer_at is not None)
    return {"sheets": sheets, "warnings": list(parsed.warnings), "question_count": len(parsed.questions),
            "with_answer_place": located, "with_choices": sum(1 for q in parsed.questions if q.choices),
            "i18n": _message_templates(parsed)}


def _message_templates(parsed: Parsed) -> dict:
    """English text -> [template, params] of the importer's skip reasons, notes and warnings (Msg).
    The stored texts stay English (CLI, older rows, hint_from_form); the detection page looks each
    text up here to show it translated. A JSON key, so no migration; older rows fall back to gettext."""
    texts = [*parsed.warnings, *(s.skip_reason for s in parsed.sheets), *(n for s in parsed.sheets for n in s.notes)]
    return {str(t): [t.template, t.params] for t in texts if isinstance(getattr(t, "template", None), str)}


def _where(loc: Locator | None) -> str:
    if loc is None:
        return ""
    if loc.cell:
        return loc.cell
    if loc.kind == "pdf-field":
        return loc.extra.get("field", "")
    if loc.kind == "docx-paragraph":
        return "after the question"
    if loc.column:
        return f"row {loc.row}, column {loc.column}"
    return loc.kind


def _read_blob(qn: Questionnaire) -> bytes:
    return b"".join(open_blob(qn.blob, context=qn.blob_context))


def read_original(qn: Questionnaire) -> bytes:
    return _read_blob(qn)


def upload(session: Session, actor: Actor, *, customer: str, filename: str, data: bytes,
           limits: Limits | None = None, max_bytes: int | None = None) -> Questionnaire:
    """Parse the file (ImportErrorWithContext for bad files: nothing is stored), replay a remembered
    layout for files of the same layout, store the file encrypted and the detection."""
    customer = (customer or "").strip()
    if not customer:
        raise QuestionnaireError(_("enter the customer's name"))
    if len(customer) > 200:
        raise QuestionnaireError(_("the customer's name is longer than 200 characters"))
    filename = clean_filename(filename)
    parsed = load_questionnaire(data, filename, limits=limits)
    signature = layout_signature(parsed)
    saved = session.scalar(select(SavedLayout).where(SavedLayout.signature == signature))
    source = "detected"
    hint: dict = {}
    if saved is not None:
        try:
            parsed = load_questionnaire(data, filename, layout_hint=saved.hint, limits=limits)
            hint, source = saved.hint, "remembered"
            saved.uses += 1
        except ImportErrorWithContext:
            pass  # the remembered layout does not fit this file after all: keep the detection
    if not parsed.questions and parsed.source_format not in CORRECTABLE:
        if parsed.warnings:
            raise ImportErrorWithContext(N_("no questions were found in this file (%(warnings)s)"),
                                         params={"warnings": "; ".join(parsed.warnings)}, file=filename)
        raise ImportErrorWithContext(N_("no questions were found in this file"), file=filename)
    uid = new_uid()
    try:
        blob = save_blob(session, [data], context=blob_context(uid), max_bytes=max_bytes)
    except TooLarge as exc:
        raise QuestionnaireError(_("the file is larger than the limit of %(n)s bytes", n=exc.max_bytes)) from None
    except EmptyFile:
        raise QuestionnaireError(_("the file is empty")) from None
    try:
        qn = Questionnaire(uid=uid, customer=customer, filename=filename, source_format=parsed.source_format,
                           blob=blob, detection=detection_of(parsed), layout=hint, layout_signature=signature,
                           layout_source=source, question_count=len(parsed.questions), created_by_id=actor.id)
        session.add(qn)
        session.flush()
    except BaseException:
        discard_blob(blob)
        raise
    audit.record(session, "questionnaire.upload", by=actor, object_type="questionnaire", object_id=uid,
                 detail={"customer": customer, "filename": filename, "format": parsed.source_format,
                         "questions": len(parsed.questions), "layout": source})
    return qn


def apply_layout(session: Session, actor: Actor, qn: Questionnaire, hint: dict, *, remember: bool) -> None:
    """Re-run the detection with a person's corrections; optionally remember them for the layout."""
    if qn.state != "detected":
        raise QuestionnaireError(_("the questions have been matched already; upload the file again to "
                                 "change the detection"))
    if qn.source_format not in CORRECTABLE:
        raise QuestionnaireError(_("the detection of this kind of file cannot be corrected"))
    parsed = load_questionnaire(_read_blob(qn), qn.filename, layout_hint=hint)
    qn.detection, qn.layout, qn.layout_source = detection_of(parsed), hint, "corrected"
    qn.question_count = len(parsed.questions)
    qn.updated_at = utcnow()
    if remember:
        saved = session.scalar(select(SavedLayout).where(SavedLayout.signature == qn.layout_signature))
        if saved is None:
            saved = SavedLayout(signature=qn.layout_signature, source_format=qn.source_format, hint=hint)
            session.add(saved)
        saved.hint, saved.example_filename, saved.saved_by_id = hint, qn.filename, actor.id
        saved.updated_at = utcnow()
    audit.record(session, "questionnaire.layout", by=actor, object_type="questionnaire", object_id=qn.uid,
                 detail={"remember": remember, "questions": qn.question_count})
    session.flush()


def hint_from_form(detection: dict, form) -> dict:
    """The layout hint from the correction form: per sheet skip / header row / column letters."""
    from importers.model import ROLES
    sheets = {}
    for s in detection.get("sheets", []):
        i = s["index"]
        entry: dict = {"skip": form.get(f"s{i}-skip") == "1"}
        if not entry["skip"]:
            row = (form.get(f"s{i}-header_row") or "").strip()
            if row:
                if not row.isdigit() or not 1 <= int(row) <= 1_048_576:
                    raise QuestionnaireError(_("%(sheet)s: the header row must be a row number", sheet=s["name"]))
                entry["header_row"] = int(row)
            cols = {}
            for role in ROLES:
                value = (form.get(f"s{i}-{role}") or "").strip().upper()
                if value:
                    cols[role] = value
            if cols and "question" not in cols:
                raise QuestionnaireError(_("%(sheet)s: say which column holds the questions", sheet=s["name"]))
            if cols:
                entry["columns"] = cols
        sheets[s["name"]] = entry
    return {"sheets": sheets}


# ------------------------------------------------------------------ matching

def _revisions(session: Session, proposals) -> dict:
    refs = {c.ref for p in proposals for c in p.result.candidates}
    if not refs:
        return {}
    return dict(session.execute(select(EntryRow.ref, EntryRow.revision).where(EntryRow.ref.in_(refs))).all())


def _propose_into(item: QuestionItem, p, entries: dict, revisions: dict) -> None:
    """Write one `propose_answers` result onto an item: proposal, confidence, alternatives, status."""
    q = p.question
    item.status, item.auto, item.flags = "open", False, []
    item.proposed_answer = item.proposed_comment = item.proposed_entry_ref = item.proposed_entry_revision = None
    if p.status != "unanswered" and p.entry is not None:
        item.status = "suggested"
        item.proposed_answer, item.proposed_comment = p.answer, p.comment
        if p.comment is None and not p.foreign and details_fit(q) and p.entry.answer_full.strip() and \
                p.answer != p.entry.answer_full.strip():
            item.proposed_comment = p.entry.answer_full.strip()  # follows the answer in Word / sheets
        item.proposed_entry_ref = p.entry.ref
        item.proposed_entry_revision = revisions.get(p.entry.ref)
        item.auto = p.status == "filled"
        item.flags = list(p.flags)  # why it may only be suggested (shown on the card, skipped by bulk accept)
    item.confidence = float(p.result.confidence) if p.result.candidates else None
    alts = []
    for c in p.result.candidates:
        e = entries.get(c.ref)
        if e is None or (item.proposed_entry_ref == c.ref):
            continue
        answer, comment = fit_answer(q, e.answer_short, e.answer_full, details=details_fit(q))
        if answer is None and q.answer_at is not None and e.answer_short.strip():
            answer = e.answer_short.strip()  # not one of the dropdown's choices: shown as the library has it
        # An alternative is one click from being accepted: it carries its reasons too (a past-breach
        # question's best candidate is often the incident-response entry, below "no good match").
        alts.append({"ref": c.ref, "revision": revisions.get(c.ref), "score": round(float(c.score), 4),
                     "question": e.question[:500], "answer": answer, "comment": comment,
                     "flags": review_flags(q.text, e)})
    item.alternatives = alts


MATCH_CHUNK = 100  # questions matched per step: a 2,000-question file reports progress 20 times


def _propose(parsed: Parsed, index, entries: dict, top_k: int, progress) -> list:
    """`propose_answers` in steps of MATCH_CHUNK questions, calling `progress(done, total)` after each."""
    questions, out = parsed.questions, []
    for start in range(0, len(questions), MATCH_CHUNK):
        part = dataclasses.replace(parsed, questions=questions[start:start + MATCH_CHUNK])
        out += propose_answers(part, index, entries, top_k=top_k)
        if progress is not None:
            progress(len(out), len(questions))
    return out


def start_review(session: Session, actor: Actor, qn: Questionnaire, index, entries: dict, *,
                 top_k: int = 5, progress=None) -> int:
    """Match every question against the library and create the review items (a job on the web:
    answers/questionnaires/jobs.py; `progress(done, total)` is told after each step)."""
    if qn.state != "detected":
        raise QuestionnaireError(_("the questions have been matched already"))
    parsed = load_questionnaire(_read_blob(qn), qn.filename, layout_hint=qn.layout or None)
    if not parsed.questions:
        raise QuestionnaireError(_("no questions were detected; correct the detection first"))
    proposals = _propose(parsed, index, entries, top_k, progress)
    revisions = _revisions(session, proposals)
    for position, p in enumerate(proposals):
        q = p.question
        item = QuestionItem(questionnaire_id=qn.id, position=position, locator=question_to_json(q), qid=q.qid,
                            text=q.text, section=q.section, choices=q.choices, revision=1)
        _propose_into(item, p, entries, revisions)
        session.add(item)
    qn.state, qn.matched_at, qn.question_count = "review", utcnow(), len(proposals)
    session.flush()
    audit.record(session, "questionnaire.match", by=actor, object_type="questionnaire", object_id=qn.uid,
                 detail={"questions": len(proposals),
                         "suggested": sum(1 for p in proposals if p.status != "unanswered")})
    _matched_event(session, qn, [p.status for p in proposals])
    return len(proposals)


def _matched_event(session: Session, qn: Questionnaire, statuses: list[str]) -> None:
    """Matching finished: tell the sales chat and webhooks (vault.integrations; docs/integrations.md)."""
    from vault import integrations
    from vault.web import external_url
    integrations.emit(session, "questionnaire.matched", {
        "questionnaire": {"uid": qn.uid, "customer": qn.customer, "filename": qn.filename,
                          "url": external_url("questionnaires.review", uid=qn.uid)},
        "counts": {"filled": statuses.count("filled"), "for_review": statuses.count("suggested"),
                   "unanswered": statuses.count("unanswered"), "total": len(statuses)}}, key=qn.uid)


UNTOUCHED = ("open", "suggested")  # nobody edited, accepted, rejected or bulk accepted it


@dataclass
class Rematch:
    reproposed: int  # untouched questions whose proposal changed
    unchanged: int  # untouched questions proposed the same as before
    kept: int  # touched questions, left exactly as they were


def _proposal_of(item: QuestionItem) -> tuple:
    return (item.status, item.proposed_answer, item.proposed_comment, item.proposed_entry_ref,
            item.proposed_entry_revision, item.confidence, item.auto, item.alternatives, item.flags)


def match_again(session: Session, actor: Actor, qn: Questionnaire, index, entries: dict, *,
                top_k: int = 5, progress=None) -> Rematch:
    """Match the questions nobody has touched against the current library (after it grew), through
    the same `propose_answers`; edited, accepted, rejected and bulk-accepted questions keep everything."""
    if qn.state != "review":
        raise QuestionnaireError(_("match the questions first"))
    items = list(session.scalars(select(QuestionItem).where(QuestionItem.questionnaire_id == qn.id)
                                 .order_by(QuestionItem.position)))
    fresh = [i for i in items if i.status in UNTOUCHED]
    proposals = _propose(parsed_from_items(qn, fresh), index, entries, top_k, progress) if fresh else []
    revisions = _revisions(session, proposals)
    changed = 0
    for item, p in zip(fresh, proposals):
        before = _proposal_of(item)
        _propose_into(item, p, entries, revisions)
        if _proposal_of(item) != before:
            _touch(item, actor)  # a page showing the old proposal gets a conflict, not a stale accept
            changed += 1
    qn.matched_at = utcnow()
    result = Rematch(reproposed=changed, unchanged=len(fresh) - changed, kept=len(items) - len(fresh))
    audit.record(session, "questionnaire.match_again", by=actor,
                 object_type="questionnaire", object_id=qn.uid, detail=dataclasses.asdict(result))
    session.flush()
    return result


# ------------------------------------------------------------------ lookups

def get_questionnaire(session: Session, uid: str) -> Questionnaire | None:
    if not uid or len(uid) > 64:
        return None
    return session.scalar(select(Questionnaire).where(Questionnaire.uid == uid))


def get_item(session: Session, qn: Questionnaire, uid: str) -> QuestionItem | None:
    """Only an item of this questionnaire: another questionnaire's item uid is not found."""
    if not uid or len(uid) > 64:
        return None
    return session.scalar(select(QuestionItem).where(QuestionItem.uid == uid,
                                                     QuestionItem.questionnaire_id == qn.id))


def list_questionnaires(session: Session, customer: str = "") -> list[Questionnaire]:
    stmt = select(Questionnaire).order_by(Questionnaire.created_at.desc(), Questionnaire.id.desc())
    if customer:
        stmt = stmt.where(Questionnaire.customer.ilike(f"%{customer}%"))
    return list(session.scalars(stmt.limit(500)))


@dataclass
class ItemFilter:
    status: str = ""
    section: str = ""
    assignee_id: int | None = None
    unassigned: bool = False
    text: str = ""
    limit: int = 50
    offset: int = 0


def list_items(session: Session, qn: Questionnaire, flt: ItemFilter) -> tuple[list[QuestionItem], int]:
    stmt = select(QuestionItem).where(QuestionItem.questionnaire_id == qn.id)
    if flt.status in ITEM_STATUSES:
        stmt = stmt.where(QuestionItem.status == flt.status)
    if flt.section:
        stmt = stmt.where(QuestionItem.section == flt.section)
    if flt.unassigned:
        stmt = stmt.where(QuestionItem.assignee_id.is_(None))
    elif flt.assignee_id:
        stmt = stmt.where(QuestionItem.assignee_id == flt.assignee_id)
    if flt.text:
        like = f"%{flt.text}%"
        stmt = stmt.where(QuestionItem.text.ilike(like) | QuestionItem.qid.ilike(like))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(session.scalars(stmt.order_by(QuestionItem.position).offset(flt.offset).limit(flt.limit)))
    return items, total


def progress(session: Session, qn: Questionnaire) -> dict:
    rows = dict(session.execute(select(QuestionItem.status, func.count()).where(
        QuestionItem.questionnaire_id == qn.id).group_by(QuestionItem.status)).all())
    counts = {s: rows.get(s, 0) for s in ITEM_STATUSES}
    counts["total"] = sum(counts[s] for s in ITEM_STATUSES)
    counts["bulk"] = session.scalar(select(func.count()).where(
        QuestionItem.questionnaire_id == qn.id, QuestionItem.status == "accepted",
        QuestionItem.bulk_threshold.is_not(None))) or 0
    counts["percent"] = round(100 * counts["accepted"] / counts["total"]) if counts["total"] else 0
    return counts


def sections(session: Session, qn: Questionnaire) -> list[str]:
    return [s for s in session.scalars(select(QuestionItem.section).where(
        QuestionItem.questionnaire_id == qn.id, QuestionItem.section.is_not(None)).distinct().order_by(
        QuestionItem.section)) if s]


# ------------------------------------------------------------------ review

def _check_revision(item: QuestionItem, expected: int | None, submitted: dict) -> None:
    if expected is None or item.revision != expected:
        raise Conflict(item, submitted)


def _touch(item: QuestionItem, actor: Actor) -> None:
    item.revision += 1
    item.updated_at, item.updated_by_id = utcnow(), actor.id


def _accept(item: QuestionItem, actor: Actor, answer, comment, ref, revision, how: str, *,
            bulk_threshold: float | None = None) -> None:
    item.final_answer, item.final_comment = answer, comment
    item.final_entry_ref, item.final_entry_revision, item.how = ref, revision, how
    item.status, item.reviewed_by_id, item.reviewed_at = "accepted", actor.id, utcnow()
    item.bulk_threshold = bulk_threshold


def _text(value: str | None) -> str | None:
    """A form field as stored: browsers post textareas with CRLF; blank is None."""
    value = (value or "").replace("\r\n", "\n").strip()
    return value or None


def _check_answer(item: QuestionItem, answer: str | None, comment: str | None) -> str | None:
    answer = _text(answer)
    if answer and len(answer) > MAX_ANSWER or comment and len(comment) > MAX_ANSWER:
        raise QuestionnaireError(_("an answer is limited to %(n)s characters", n=f"{MAX_ANSWER:,}"))
    if answer and item.choices:
        fitted = fit_to_choices(answer, item.choices)
        if fitted is None:
            raise QuestionnaireError(_("the answer must be one of: %(choices)s", choices=", ".join(item.choices)))
        answer = fitted  # exactly as the dropdown spells it
    if not answer and not (comment or "").strip():
        raise QuestionnaireError(_("write an answer first"))
    return answer


def _origin(item: QuestionItem, answer, comment) -> tuple[str | None, int | None, str]:
    """(library entry, its revision, how) of an answer the reviewer submits."""
    if (answer, comment) == (_text(item.proposed_answer), _text(item.proposed_comment)):
        return item.proposed_entry_ref, item.proposed_entry_revision, "library"
    if item.how == "alternative" and (answer, comment) == (item.final_answer, item.final_comment):
        return item.final_entry_ref, item.final_entry_revision, "alternative"
    base = item.final_entry_ref or item.proposed_entry_ref
    revision = item.final_entry_revision if base == item.final_entry_ref else item.proposed_entry_revision
    return base, revision, "edited" if base else "written"


def shown_answer(item: QuestionItem) -> tuple[str | None, str | None]:
    """What the answer and details fields hold: the reviewer's answer once there is one, else the proposal."""
    if item.status in ("edited", "accepted"):
        return item.final_answer, item.final_comment
    return item.proposed_answer, item.proposed_comment


def contradicts(answer: str | None, details: str | None) -> bool:
    """A Yes/No answer beside details that begin with the other meaning ("No" / "Yes, covering ...")."""
    meanings = {meaning_of(answer) if answer else None, meaning_of(details) if details else None}
    return meanings == {"yes", "no"}


def contradiction(item: QuestionItem) -> bool:
    """Flagged on the page until fixed or explicitly accepted (an accepted answer is a decision)."""
    return item.status in ("suggested", "edited") and contradicts(*shown_answer(item))


def review_item(session: Session, actor: Actor, item: QuestionItem, action: str, *,
                expected_revision: int | None, answer: str | None = None, comment: str | None = None,
                alternative: str | None = None) -> None:
    """accept | save | edit | reject | alternative | reopen.

    accept and save accept what the fields hold (`answer`, `comment`); accept with neither field sent
    accepts what the page shows (the reviewer's edit, else the proposal). edit keeps the answer as the
    reviewer's, not accepted (a dropdown change is an edit, never an accept)."""
    submitted = {"action": action, "answer": answer, "comment": comment, "alternative": alternative}
    _check_revision(item, expected_revision, submitted)
    flagged = False
    if action == "accept" and answer is None and comment is None:
        answer, comment = shown_answer(item)
        if answer is None and comment is None:
            raise QuestionnaireError(_("there is no proposed answer to accept; write one"))
    if action in ("accept", "save", "edit"):
        comment = _text(comment)
        answer = _check_answer(item, answer, comment)
        ref, revision, how = _origin(item, answer, comment)
        flagged = contradicts(answer, comment)
        if action == "edit" and item.status == "accepted" and (answer, comment) == (item.final_answer,
                                                                                 item.final_comment):
            return  # nothing changed: an accepted answer stays accepted
        if action == "edit":
            item.final_answer, item.final_comment = answer, comment
            item.final_entry_ref, item.final_entry_revision, item.how = ref, revision, how
            item.status, item.reviewed_by_id, item.reviewed_at, item.bulk_threshold = "edited", None, None, None
        else:
            _accept(item, actor, answer, comment, ref, revision, how)
    elif action == "alternative":
        alt = next((a for a in item.alternatives or [] if a.get("ref") == alternative), None)
        if alt is None:
            raise QuestionnaireError(_("that alternative is not offered for this question"))
        if not alt.get("answer") and not alt.get("comment"):
            raise QuestionnaireError(_("that library entry has no answer that fits this question"))
        # the same checks as a typed answer: an alternative shown "as the library has it" may not be one of
        # the dropdown's choices, and must not reach the customer's file that way
        answer = _check_answer(item, alt.get("answer"), _text(alt.get("comment")))
        _accept(item, actor, answer, _text(alt.get("comment")), alt["ref"], alt.get("revision"), "alternative")
    elif action in ("reject", "reopen"):
        item.final_answer = item.final_comment = item.final_entry_ref = item.final_entry_revision = None
        item.how, item.bulk_threshold = "", None
        if action == "reject":
            item.status, item.reviewed_by_id, item.reviewed_at = "rejected", actor.id, utcnow()
        else:  # back to the library's proposal, as if nobody had touched it
            item.status = "suggested" if item.proposed_entry_ref else "open"
            item.reviewed_by_id = item.reviewed_at = None
    else:
        raise QuestionnaireError(_("unknown action %(action)s", action=repr(action)))
    _touch(item, actor)
    detail = {"questionnaire": item.questionnaire.uid, "qid": item.qid, "status": item.status,
              "entry": item.final_entry_ref}
    if flagged:
        detail["contradiction"] = True  # accepted (or saved) although answer and details disagree
    audit.record(session, f"questionnaire.item.{action}", by=actor,
                 object_type="questionnaire_item", object_id=item.uid, detail=detail)
    session.flush()


def assign_item(session: Session, actor: Actor, item: QuestionItem, user_id: int | None, *,
                expected_revision: int | None) -> None:
    from vault.auth.models import User
    _check_revision(item, expected_revision, {"action": "assign", "assignee": user_id})
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or not user.active or not user.can("questionnaires.edit"):
            raise QuestionnaireError(_("questions can only be assigned to colleagues who can edit questionnaires"))
    item.assignee_id = user_id
    _touch(item, actor)
    audit.record(session, "questionnaire.item.assign", by=actor, object_type="questionnaire_item", object_id=item.uid,
                 detail={"questionnaire": item.questionnaire.uid, "assignee_id": user_id})
    session.flush()


def add_comment(session: Session, actor: Actor, item: QuestionItem, body: str) -> ItemComment:
    body = (body or "").strip()
    if not body:
        raise QuestionnaireError(_("the comment is empty"))
    if len(body) > MAX_COMMENT:
        raise QuestionnaireError(_("a comment is limited to %(n)s characters", n=f"{MAX_COMMENT:,}"))
    comment = ItemComment(item_id=item.id, author_id=actor.id, body=body)
    session.add(comment)
    session.flush()
    audit.record(session, "questionnaire.item.comment", by=actor, object_type="questionnaire_item", object_id=item.uid,
                 detail={"questionnaire": item.questionnaire.uid})
    return comment


@dataclass
class BulkResult:
    accepted: int = 0
    flagged: int = 0  # the library entry asks another question, answers another kind, is stale or a draft
    not_allowed: int = 0  # the answer is not one the dropdown allows
    contradictory: int = 0  # answer and details disagree


def stale_evidence(session: Session, refs, today) -> dict:
    """{entry ref: [StaleEvidence]} for the refs whose evidence lapsed by `today` (answers.library.stale):
    an entry that went stale after matching is as stale as one flagged then."""
    from answers.library.stale import stale_by_ref
    return stale_by_ref(session, today, refs)


def bulk_accept(session: Session, actor: Actor, qn: Questionnaire, threshold: float) -> BulkResult:
    """Accept every unreviewed proposal at or above `threshold` (0..1) that fits its cell, recorded as
    accepted in bulk at that threshold (by `actor`), never as a person's review. A flagged proposal
    (`QuestionItem.flags`: another intent, the wrong kind of answer, stale, draft) is never accepted in
    bulk, whatever its confidence: a person decides."""
    if not 0 < threshold <= 1:
        raise QuestionnaireError(_("the threshold must be between 1% and 100%"))
    items = session.scalars(select(QuestionItem).where(
        QuestionItem.questionnaire_id == qn.id, QuestionItem.status == "suggested",
        QuestionItem.confidence >= threshold))
    result = BulkResult()
    items = list(items)
    stale_now = stale_evidence(session, {i.proposed_entry_ref for i in items if i.proposed_entry_ref},
                               utcnow().date())
    for item in items:
        if item.proposed_answer is None and item.proposed_comment is None:
            continue
        if item.flags or item.proposed_entry_ref in stale_now:  # stale today, even if it was not when matched
            result.flagged += 1
            continue
        if item.proposed_answer and item.choices and item.proposed_answer not in item.choices:
            result.not_allowed += 1
            continue  # the library's answer is not one the dropdown allows: a person decides
        if contradicts(item.proposed_answer, item.proposed_comment):
            result.contradictory += 1
            continue  # answer and details disagree: a person decides
        _accept(item, actor, item.proposed_answer, item.proposed_comment, item.proposed_entry_ref,
                item.proposed_entry_revision, "library", bulk_threshold=threshold)
        _touch(item, actor)
        result.accepted += 1
    audit.record(session, "questionnaire.bulk_accept", by=actor, object_type="questionnaire", object_id=qn.uid,
                 detail={"threshold": threshold, **dataclasses.asdict(result)})
    session.flush()
    return result


# ------------------------------------------------------------------ learning

def learn(session: Session, actor: Actor, item: QuestionItem, mode: str, *, can_edit_library: bool):
    """Save the reviewer's answer to the library: a new entry ("new") or the question as a new
    phrasing of the matched entry ("phrasing"). Returns the library entry."""
    qn = item.questionnaire
    if item.status != "accepted" or not (item.final_answer or item.final_comment):
        raise QuestionnaireError(_("accept or write an answer before saving it to the library"))
    origin = {"customer": qn.customer, "questionnaire": qn.uid, "filename": qn.filename,
              "question_id": item.qid, "date": utcnow().date().isoformat()}
    if mode == "new":
        short, full = (item.final_answer or ""), (item.final_comment or "")
        if len(short) > 200:  # the library's short answer is a cell-sized value
            short, full = "", "\n\n".join(v for v in (short, full) if v)
        try:
            entry = library.create_entry(session, actor, question=item.text, answer_short=short,
                                         answer_full=full, status="approved" if can_edit_library else "draft",
                                         category=(item.section or "")[:200],
                                         source={"from": "questionnaire", **origin})
        except library.LibraryError as exc:
            raise QuestionnaireError(localized(exc)) from exc
    elif mode == "phrasing":
        if not can_edit_library:
            raise QuestionnaireError(_("adding a phrasing changes an existing library entry; "
                                     "ask someone who can edit the library"))
        ref = item.final_entry_ref or item.proposed_entry_ref
        entry = library.get_by_ref(session, ref) if ref else None
        if entry is None:
            raise QuestionnaireError(_("this answer did not come from a library entry; save it as a new entry"))
        if item.text.strip() not in [entry.question.strip(), *[a.strip() for a in entry.alternatives or []]]:
            try:
                library.update_entry(session, entry, actor, alternatives=[*(entry.alternatives or []), item.text],
                                     note=f"phrasing from {qn.customer} ({qn.filename}, {origin['date']})")
            except library.LibraryError as exc:
                raise QuestionnaireError(localized(exc)) from exc
    else:
        raise QuestionnaireError(_("unknown way to save to the library %(mode)s", mode=repr(mode)))
    item.learned_ref = entry.ref
    audit.record(session, "questionnaire.item.learn", by=actor, object_type="questionnaire_item", object_id=item.uid,
                 detail={"questionnaire": qn.uid, "mode": mode, "entry": entry.ref})
    session.flush()
    return entry
