"""Potential problems in the library: two entries that answer the same question, differently or twice.

Pure: plain `answers.matching.LibraryEntry` values and a `MatchIndex` in, pairs out.

Two entries answer **the same question** when each one's question finds the other as a strong match
(both ways: a topic neighbour is usually found one way only, "Does your provider hold your keys?" ->
the encryption entry, not back) or their wording is the same once normalised, **and** the questions
ask for the same thing (`answers.matching.intent`: a value or a Yes/No, a past event or a practice,
who does it). Only then are the answers compared, by meaning, not by string:

* a **conflict**: Yes against No (or N/A, Partial), or different amounts of the same quantity
  ("RTO 4 hours" against "24 hours", "annually" against "quarterly");
* a **near-duplicate**: the same question with compatible answers ("Yes" and "Yes, we use AES-256").

An entry's other phrasings count only where they ask what its question asks: its short answer
answers its question, so "What are your RTO and RPO?" filed under a Yes/No continuity-plan entry does
not make that entry a duplicate of a real RTO entry.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from answers.autofill.fit import meaning_of
from answers.matching import LibraryEntry, MatchIndex
from answers.matching.text import exact_key

from answers.matching.intent import FLAG_AT, answer_fits, intent_mismatch

SAME_QUESTION_THRESHOLD = 0.6  # each question must find the other at least this strongly (intent does the rest)


# --- answers: what they mean -------------------------------------------------------------------

_MINUTES = {"s": 1 / 60, "min": 1, "h": 60, "d": 1440, "w": 10080, "mo": 43800, "q": 131400, "half": 262800,
            "y": 525600}  # a month is a twelfth of a year, so "every 6 months" is "semi-annually"
_EN_UNIT = {"second": "s", "seconds": "s", "sec": "s", "secs": "s", "minute": "min", "minutes": "min",
            "min": "min", "mins": "min", "hour": "h", "hours": "h", "hr": "h", "hrs": "h", "h": "h",
            "day": "d", "days": "d", "d": "d", "business day": "d", "business days": "d", "working day": "d",
            "working days": "d", "week": "w", "weeks": "w", "wk": "w", "wks": "w", "month": "mo",
            "months": "mo", "quarter": "q", "quarters": "q", "year": "y", "years": "y", "yr": "y", "yrs": "y"}
_ZH_UNIT = {"秒": "s", "秒钟": "s", "分钟": "min", "小时": "h", "个小时": "h", "天": "d", "日": "d",
            "个工作日": "d", "工作日": "d", "周": "w", "个星期": "w", "星期": "w", "个月": "mo", "年": "y"}
_NUMBER = r"(\d+(?:\.\d+)?)"
_EN_UNITS = "|".join(sorted((re.escape(u) for u in _EN_UNIT), key=len, reverse=True))
_ZH_UNITS = "|".join(sorted(_ZH_UNIT, key=len, reverse=True))
_UNIT = rf"(?:(?P<en>{_EN_UNITS})(?![a-z])|(?P<zh>{_ZH_UNITS}))"  # "4 hours内": no \b between Latin and CJK
_DURATION = re.compile(rf"(?<![\d.])(?<!月){_NUMBER}\s*(?:-\s*)?{_UNIT}", re.I)
_EVERY = re.compile(rf"(?:(?<![a-z])(?:every|each)\s+|每\s*)(?:{_NUMBER}\s*)?{_UNIT}", re.I)
_PERIOD = {  # the period between two times, by the words that say "how often"
    "half": r"semi-?annual(?:ly)?|bi-?annual(?:ly)?|half-?yearly|twice a year|每半年|半年一次",
    "y": r"annual(?:ly)?|yearly|once (?:a|per) year|一年一次|年度",
    "q": r"quarterly|once (?:a|per) quarter|每季度?|季度",
    "mo": r"monthly|once (?:a|per) month|每个?月",
    "w": r"weekly|once (?:a|per) week|每周|每星期",
    "d": r"daily|once (?:a|per) day|每天|每日",
}
_FREQUENCY = re.compile("|".join(rf"(?<![a-z])(?P<{unit}>{words})(?![a-z])" for unit, words in _PERIOD.items()), re.I)
_CLAUSE_END = re.compile(r"[,;，；。\n]|\.\s")
_LABEL = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9]{1,4}(?![A-Za-z0-9])"  # RTO, RPO, SLA, MTTR
                    r"|恢复时间目标|恢复点目标|(?i:recovery time objective|recovery point objective)")
_LABEL_ALIAS = {"恢复时间目标": "RTO", "recovery time objective": "RTO", "恢复点目标": "RPO",
                "recovery point objective": "RPO"}


@dataclass(frozen=True)
class AnswerDifference:
    kind: str  # "answer": a and b are meanings (yes, no, na, partial); "quantity": amounts as written
    a: str
    b: str


@dataclass(frozen=True)
class _Amount:
    kind: str          # "duration" (value in minutes) or "frequency" (times a year)
    value: float
    label: str | None  # the quantity it is for, when the clause names it (RTO, RPO, SLA ...)
    written: str       # as the answer says it, with the quantity's name when the clause gives one


def _minutes(number: str | None, unit: str) -> float:
    return float(number or 1) * _MINUTES[unit]


def _label(text: str, start: int) -> str | None:
    clause = _CLAUSE_END.split(text[:start])[-1]
    names = _LABEL.findall(clause)
    if not names:
        return None
    name = names[-1]
    return _LABEL_ALIAS.get(name.lower(), name.upper())


def amounts(text: str, default_label: str | None = None) -> list[_Amount]:
    """Durations and frequencies in an answer: "RTO 4 hours", "within 72 hours", "quarterly", "每 6 个月".
    An amount whose clause names no quantity is for `default_label` (what the question asks about)."""
    found: list[tuple[int, int, _Amount]] = []

    def add(kind: str, value: float, m: re.Match) -> None:
        if any(start < m.end() and m.start() < end for start, end, _ in found):
            return  # "every 6 months" is a frequency, not also a duration
        named, written = _label(text, m.start()), " ".join(m[0].split())
        shown = f"{named} {written}" if named and named not in written else written  # "RTO 4 hours", as said
        found.append((m.start(), m.end(), _Amount(kind, round(value, 6), named or default_label, shown)))

    for m in _EVERY.finditer(text):
        unit = _EN_UNIT[m["en"].lower()] if m["en"] else _ZH_UNIT[m["zh"]]
        add("frequency", _MINUTES["y"] / _minutes(m[1], unit), m)
    for m in _FREQUENCY.finditer(text):
        add("frequency", _MINUTES["y"] / _MINUTES[m.lastgroup], m)
    for m in _DURATION.finditer(text):
        unit = _EN_UNIT[m["en"].lower()] if m["en"] else _ZH_UNIT[m["zh"]]
        if not (unit == "y" and float(m[1]) >= 1900):  # 2022年 is a date
            add("duration", _minutes(m[1], unit), m)
    return [a for _, _, a in sorted(found, key=lambda f: f[0])]


def _amount_difference(a: list[_Amount], b: list[_Amount]) -> AnswerDifference | None:
    """The first quantity both answers give with different values. Conservative: an amount is compared
    with the other answer's only when each answer gives one value of that kind (and they do not name
    different quantities), or when both name the same quantity once (RTO against RTO)."""
    for kind in ("duration", "frequency"):
        xs, ys = [x for x in a if x.kind == kind], [y for y in b if y.kind == kind]
        if not xs or not ys:
            continue
        if len({x.value for x in xs}) == 1 and len({y.value for y in ys}) == 1:
            lx, ly = {x.label for x in xs} - {None}, {y.label for y in ys} - {None}
            if not (lx and ly and lx.isdisjoint(ly)):
                if xs[0].value != ys[0].value:
                    return AnswerDifference("quantity", xs[0].written, ys[0].written)
                continue
        for label in sorted({x.label for x in xs} & {y.label for y in ys} - {None}):
            x = [v for v in xs if v.label == label]
            y = [v for v in ys if v.label == label]
            if len({v.value for v in x}) == 1 and len({v.value for v in y}) == 1 and x[0].value != y[0].value:
                return AnswerDifference("quantity", x[0].written, y[0].written)
    return None


def answer_difference(a: LibraryEntry, b: LibraryEntry) -> AnswerDifference | None:
    """How two answers to the same question disagree, or None when they are compatible."""
    ma, mb = meaning_of(a.answer_short), meaning_of(b.answer_short)
    if ma and mb and ma != mb:
        return AnswerDifference("answer", ma, mb)
    return _amount_difference(*(amounts(f"{e.answer_short}\n{e.answer_full}", _asked_label(e.question)) for e in (a, b)))


def _asked_label(question: str) -> str | None:
    """The one quantity a question names ("What is your recovery time objective (RTO)?" -> RTO), if one."""
    names = {_LABEL_ALIAS.get(n.lower(), n.upper()) for n in _LABEL.findall(question or "")}
    return names.pop() if len(names) == 1 else None


# --- questions: the same one? -----------------------------------------------------------------

def same_intent(q1: str, q2: str) -> bool:
    return max(intent_mismatch(q1, q2)[0], intent_mismatch(q2, q1)[0]) < FLAG_AT


def _same_question(a: LibraryEntry, b: LibraryEntry, phrasings: dict[str, list[str]]) -> bool:
    """Some phrasing of each asks for the same thing, and each answer is the kind the other's question
    asks for (a Yes/No entry and a "4 hours" entry do not answer one question, whatever their wording)."""
    return (any(same_intent(x, y) for x in phrasings[a.ref] for y in phrasings[b.ref])
            and answer_fits(a.question, b.answer_short, b.answer_full)
            and answer_fits(b.question, a.answer_short, a.answer_full))


def _phrasings(e: LibraryEntry) -> list[str]:
    """The entry's question and the other phrasings its answer is right for (intent as a question to be
    answered with the entry's answer to its own question)."""
    alternatives = [t for t in e.alternatives if t and t.strip() and intent_mismatch(t, e.question)[0] < FLAG_AT]
    return [e.question, *alternatives] if e.question and e.question.strip() else alternatives


@dataclass(frozen=True)
class IssuePair:
    a: str          # reference ids, a < b
    b: str
    score: float    # the weaker of the two directions (1.0 for the same wording)
    same_wording: bool = False
    difference: AnswerDifference | None = None  # set for conflicts


@dataclass
class LibraryIssues:
    conflicts: list[IssuePair] = field(default_factory=list)   # the same question, answered differently
    duplicates: list[IssuePair] = field(default_factory=list)  # the same question, compatible answers

    def __len__(self) -> int:
        return len(self.conflicts) + len(self.duplicates)


def _directed_scores(phrasings: dict[str, list[str]], index: MatchIndex, top_k: int) -> dict[tuple[str, str], float]:
    """(x, y) -> how strongly x's phrasings find entry y."""
    texts, owners = [], []
    for ref, texts_of in phrasings.items():
        texts += texts_of
        owners += [ref] * len(texts_of)
    scores: dict[tuple[str, str], float] = {}
    for ref, result in zip(owners, index.match_many(texts, top_k=top_k)):
        for cand in result.candidates:
            if cand.ref != ref and cand.ref in phrasings:
                scores[(ref, cand.ref)] = max(scores.get((ref, cand.ref), 0.0), cand.score)
    return scores


def _same_wording(phrasings: dict[str, list[str]]) -> set[tuple[str, str]]:
    by_key: dict[str, set[str]] = {}
    for ref, texts in phrasings.items():
        for text in texts:
            if key := exact_key(text):
                by_key.setdefault(key, set()).add(ref)
    return {(a, b) for refs in by_key.values() for a in refs for b in refs if a < b}


def find_issues(entries: Iterable[LibraryEntry], index: MatchIndex, *,
                threshold: float = SAME_QUESTION_THRESHOLD, skip_pairs: set[frozenset[str]] = frozenset(),
                top_k: int = 10) -> LibraryIssues:
    """Pairs of live (not retired) entries that answer the same question, strongest first. `skip_pairs`
    are pairs known to be fine (an entry and its translation)."""
    live = [e for e in entries if e.status != "retired"]
    by_ref = {e.ref: e for e in live}
    phrasings = {e.ref: _phrasings(e) for e in live}
    directed = _directed_scores(phrasings, index, top_k)
    wording = _same_wording(phrasings)
    pairs: dict[tuple[str, str], tuple[float, bool]] = {}
    for x, y in directed:
        a, b = min(x, y), max(x, y)
        both = min(directed.get((a, b), 0.0), directed.get((b, a), 0.0))
        if both >= threshold:
            pairs[(a, b)] = (both, False)
    for key in wording:
        pairs[key] = (1.0, True)
    issues = LibraryIssues()
    for (a, b), (score, same_words) in sorted(pairs.items(), key=lambda kv: (-kv[1][0], kv[0])):
        if frozenset((a, b)) in skip_pairs or not _same_question(by_ref[a], by_ref[b], phrasings):
            continue
        difference = answer_difference(by_ref[a], by_ref[b])
        pair = IssuePair(a, b, round(score, 3), same_words, difference)
        (issues.conflicts if difference else issues.duplicates).append(pair)
    return issues
