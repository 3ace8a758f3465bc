"""Questionnaire + library index -> proposed answers (filled, suggested, unanswered) and the JSON report. Pure."""
from __future__ import annotations

from dataclasses import dataclass, field

from answers.autofill.fit import fit_answer
from answers.matching import AUTOFILL_THRESHOLD, LibraryEntry, MatchIndex, MatchResult
from answers.matching.intent import FLAG_AT, answer_fits, intent_mismatch
from importers.language import guess_language
from importers.model import Question, Questionnaire


@dataclass
class Proposal:
    question: Question
    result: MatchResult
    status: str  # "filled" | "suggested" | "unanswered"
    entry: LibraryEntry | None
    answer: str | None  # what goes into the answer cell (fitted to the dropdown)
    comment: str | None  # what goes into the comment column, if the sheet has one
    # Why a confident match is only suggested: "intent:<reason>" (the entry answers another question:
    # a past event, a third party's practice, a number asked for ...), "answer_type" (a Yes for a
    # number question), "stale", "draft". Empty when filled or when confidence alone decided.
    flags: list[str] = field(default_factory=list)
    # The entry is in the other language than the question: its free text is a lead for a person, never
    # details beside the answer (the CLI and the web review both follow this).
    foreign: bool = False


def review_flags(question: str, entry: LibraryEntry) -> list[str]:
    """What stops this entry's answer from being sent for this question unreviewed."""
    flags = []
    score, reasons = min((intent_mismatch(question, t) for t in [entry.question, *entry.alternatives] if t),
                         key=lambda x: x[0], default=(0.0, []))
    if score >= FLAG_AT:
        flags += [f"intent:{r}" for r in reasons]
    if not answer_fits(question, entry.answer_short, entry.answer_full):
        flags.append("answer_type")
    if entry.stale:
        flags.append("stale")
    if entry.status != "approved":
        flags.append("draft")
    return flags


def _propose(question: Question, result: MatchResult, entries: dict[str, LibraryEntry]) -> Proposal:
    best = result.best
    entry = entries.get(best.ref) if best and result.answerable else None
    if entry is None or not (entry.answer_short.strip() or entry.answer_full.strip()):
        # No match, or the best entry is a question the library has not answered yet.
        return Proposal(question, result, "unanswered", None, None, None)
    short, full = entry.answer_short.strip(), entry.answer_full.strip()
    answer, comment = fit_answer(question, short, full, details=question.comment_at is not None)
    foreign = entry.language != guess_language(question.text)
    if foreign:
        # An answer in the other language is a lead, not something to send: only a dropdown choice
        # (spelled as the customer's sheet spells it) may be filled; free text waits for a person.
        comment = None
        if not question.choices:
            answer = None
    fits = answer is not None or (question.answer_at is None and comment)
    # A stale entry (evidence expired or withdrawn, see answers/library/stale.py), a draft (its answer not
    # approved yet), an entry asking another question on the same topic, or an answer of the wrong kind
    # (a Yes for "what is your RTO?") is only ever suggested, with the reason.
    flags = review_flags(question.text, entry)
    status = "filled" if result.confidence >= AUTOFILL_THRESHOLD and fits and not flags else "suggested"
    return Proposal(question, result, status, entry, answer if answer is not None else (short or full), comment,
                    flags, foreign)


def propose_answers(questionnaire: Questionnaire, index: MatchIndex, entries: dict[str, LibraryEntry],
                    *, top_k: int = 5) -> list[Proposal]:
    results = index.match_many([q.text for q in questionnaire.questions], top_k=top_k)
    return [_propose(q, r, entries) for q, r in zip(questionnaire.questions, results)]


def _cell(loc) -> str | None:
    """The A1 name of a cell; a CSV field by its column letter and line ("L2")."""
    letter = loc.extra.get("column_letter")
    return loc.cell or (f"{letter}{loc.row}" if letter and loc.row else None)


_FLAG_TEXT = {
    "answer_type": "the library answer is not the kind of answer asked for",
    "stale": "the library entry is out of date: its evidence has expired or was withdrawn",
    "draft": "the library entry is a draft: its answer has not been approved",
}


def reason(p: Proposal) -> str:
    """One English line saying why a question was filled, only suggested or left open (the report's
    `reason`, beside the machine-readable `status` and `flags`)."""
    from answers.matching.intent import explain
    pct = f"{round(float(p.result.confidence) * 100)}%"
    if p.status == "unanswered":
        best = p.result.best
        if best is None:
            return "no library entry matches"
        return f"no good match in the library (best {best.ref}, confidence {pct})"
    ref = p.entry.ref if p.entry else "?"
    if p.status == "filled":
        return f"filled from {ref}: confidence {pct}"
    why = []
    for flag in p.flags:
        if flag.startswith("intent:"):
            why += explain([flag.split(":", 1)[1]])
        elif flag == "stale" and p.entry is not None and p.entry.stale_reason:
            why.append(f"{_FLAG_TEXT['stale']}: {p.entry.stale_reason}")
        else:
            why.append(_FLAG_TEXT.get(flag, flag))
    if why:
        return f"not filled from {ref}, a person must decide: " + "; ".join(dict.fromkeys(why))
    threshold = f"{round(AUTOFILL_THRESHOLD * 100)}%"
    if p.result.confidence < AUTOFILL_THRESHOLD:
        return f"suggested from {ref}: confidence {pct} is below the {threshold} needed to fill"
    return f"suggested from {ref}: its answer does not fit this cell (another language, or not an allowed choice)"


def report(proposals: list[Proposal]) -> dict:
    """The `vault autofill --report` JSON (a stable contract: see the README)."""
    rows = []
    for p in proposals:
        q = p.question
        rows.append({
            "sheet": q.question_at.sheet,
            "row": q.question_at.row,
            "question_cell": _cell(q.question_at),  # CSV too, so question and answer are named alike
            # where the answer is a mark in one of several choice columns: the column of this answer
            "answer_cell": (q.marked_cell(p.answer) or _cell(q.answer_at)) if q.answer_at else None,
            "question_id": q.qid,
            "question": q.text,
            "status": p.status,
            "answer": p.answer if p.status != "unanswered" else None,
            "confidence": round(float(p.result.confidence), 4),
            "candidates": [{"entry": c.ref, "score": round(float(c.score), 4)} for c in p.result.candidates],
            # why a match is only suggested (intent:past_event, answer_type, stale, draft); [] otherwise
            "flags": p.flags,
            "reason": reason(p),  # the same, for a person, in English (stale: names the evidence and the day)
        })
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("filled", "suggested", "unanswered")}
    return {"questions": rows, "summary": {"total": len(rows), **counts}}
