"""Fit a library's short answer to what the customer's cell accepts (a dropdown's exact spelling)."""
from __future__ import annotations

import re

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
