"""What goes where for one library answer: the answer cell (fitted to a dropdown's exact spelling) and
the details. The one rule, for the CLI's `vault autofill` and the web review alike. Pure."""
from __future__ import annotations

import re

from answers.matching.intent import answer_kind, question_intent
from importers.model import Question

# Meaning -> spellings seen in real questionnaires (English and Chinese).
_MEANINGS = {
    "yes": {"yes", "y", "true", "是", "是的", "有", "已", "已启用", "已实施", "符合", "支持", "yes, fully", "implemented",
            "compliant"},
    "no": {"no", "n", "false", "否", "不是", "无", "没有", "未", "未启用", "未实施", "不符合", "不支持", "not implemented",
           "non-compliant"},
    "na": {"n/a", "na", "not applicable", "不适用", "n.a.", "none"},
    "partial": {"partial", "partially", "partly", "部分", "部分符合", "部分实施", "in progress"},
}


def _norm(text: str) -> str:
    return re.sub(r"[\s.。]+$", "", text.strip().lower())


def meaning_of(answer: str) -> str | None:
    """"yes", "no", "na", "partial" or None (free text); "Yes, for all staff" and "是，所有员工" are "yes"."""
    value = _norm(answer)
    for meaning, spellings in _MEANINGS.items():
        if value in spellings:
            return meaning
    first = re.split(r"[\s,;:.!?，；：。、！？(（-]", value, maxsplit=1)[0]
    for meaning, spellings in _MEANINGS.items():
        if first in spellings and meaning in ("yes", "no"):
            return meaning
    return None


def fit_to_choices(answer: str, choices: list[str] | None) -> str | None:
    """The choice that says what `answer` says, spelled exactly as the dropdown spells it.

    Returns the answer unchanged when there is no dropdown, and None when no choice fits
    (the caller then leaves the cell for a person rather than writing something the sheet rejects).
    """
    if not answer:
        return None
    if not choices:
        return answer
    for choice in choices:
        if choice == answer:
            return choice
    for choice in choices:
        if _norm(choice) == _norm(answer):
            return choice
    meaning = meaning_of(answer)
    if meaning is None:
        return None
    for choice in choices:
        if meaning_of(choice) == meaning:
            return choice
    return None


def short_answers(question: str, short: str) -> bool:
    """Whether the short answer is the kind the question asks for (a Yes for a yes/no question)."""
    wants = question_intent(question).wants
    return wants == "yesno" or answer_kind(short, "") == wants


# Answer places where the full answer can follow the short one (Word cells and paragraphs, PDF text, the
# answer sheet): there the web review keeps the details even without a comment column.
_ROOM_FOR_DETAILS = (None, "docx-table", "docx-paragraph", "pdf-text")


def details_fit(question: Question) -> bool:
    kind = question.answer_at.kind if question.answer_at is not None else None
    return question.comment_at is not None or kind in _ROOM_FOR_DETAILS


def fit_answer(question: Question, short: str, full: str, *, details: bool) -> tuple[str | None, str | None]:
    """(answer, details) for one library answer (`short`, `full`) to this question.

    The answer is None when nothing the library holds fits the answer cell (a short answer that is none
    of the dropdown's choices, only a full answer for a dropdown). `details` says whether the full answer
    has a place beside the short one (the CLI: a comment column; the web review: `details_fit`)."""
    short, full = (short or "").strip(), (full or "").strip()
    if question.answer_at is None and question.comment_at is not None:
        return None, full or short
    if short and full and not question.choices and not short_answers(question.text, short):
        # "What is your RTO?" against "Yes" + "RTO 4 hours, RPO 15 minutes": the cell gets the text that
        # holds what is asked, never a bare "Yes" (answer_fits has checked the full text holds it)
        return full, None
    if short:
        return fit_to_choices(short, question.choices), (full or None) if details else None
    return (full if not question.choices else None), None
