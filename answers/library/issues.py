"""Potential problems in the library: near-duplicate entries and matching questions with opposite answers.

Pure: plain `answers.matching.LibraryEntry` values and a `MatchIndex` in, pairs out. Each entry's
question (and alternatives) is matched against the index; a strong hit on another entry is a pair.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from answers.matching import LibraryEntry, MatchIndex

DUPLICATE_THRESHOLD = 0.85  # scores this high are the same question asked twice
CONFLICT_THRESHOLD = 0.7    # similar enough that a Yes against a No needs a look

_YES = {"yes", "y", "true", "是", "是的", "有", "支持", "已", "已启用"}
_NO = {"no", "n", "false", "否", "不是", "没有", "无", "不支持", "未", "未启用"}
_FIRST_WORD = re.compile(r"[\s,.;:!?()，。；：！？、（）]+")


def polarity(answer: str) -> str | None:
    """"yes", "no" or None (N/A, partial, free text) from a short answer's first word."""
    text = (answer or "").strip().lower()
    if not text:
        return None
    if text in _YES or text in _NO:
        return "yes" if text in _YES else "no"
    first = _FIRST_WORD.split(text, maxsplit=1)[0]
    if first in _YES:
        return "yes"
    if first in _NO:
        return "no"
    return None


@dataclass(frozen=True)
class IssuePair:
    a: str          # reference ids, a < b
    b: str
    score: float    # the stronger of the two directions


@dataclass
class LibraryIssues:
    conflicts: list[IssuePair] = field(default_factory=list)   # similar questions, Yes against No
    duplicates: list[IssuePair] = field(default_factory=list)  # near-identical questions (not conflicts)

    def __len__(self) -> int:
        return len(self.conflicts) + len(self.duplicates)


def _pair_scores(entries: list[LibraryEntry], index: MatchIndex, floor: float, top_k: int) -> dict:
    texts, owners = [], []
    for e in entries:
        for text in [e.question, *e.alternatives]:
            if text and text.strip():
                texts.append(text)
                owners.append(e.ref)
    scores: dict[tuple[str, str], float] = {}
    known = {e.ref for e in entries}
    for ref, result in zip(owners, index.match_many(texts, top_k=top_k)):
        for cand in result.candidates:
            if cand.ref == ref or cand.ref not in known or cand.score < floor:
                continue
            key = (ref, cand.ref) if ref < cand.ref else (cand.ref, ref)
            scores[key] = max(scores.get(key, 0.0), cand.score)
    return scores


def find_issues(entries: Iterable[LibraryEntry], index: MatchIndex, *,
                duplicate_threshold: float = DUPLICATE_THRESHOLD, conflict_threshold: float = CONFLICT_THRESHOLD,
                skip_pairs: set[frozenset[str]] = frozenset(), top_k: int = 6) -> LibraryIssues:
    """Pairs of live (not retired) entries, strongest first. `skip_pairs` are pairs known to be fine
    (an entry and its translation)."""
    live = [e for e in entries if e.status != "retired"]
    by_ref = {e.ref: e for e in live}
    scores = _pair_scores(live, index, min(duplicate_threshold, conflict_threshold), top_k)
    issues = LibraryIssues()
    for (a, b), score in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])):
        if frozenset((a, b)) in skip_pairs:
            continue
        pa, pb = polarity(by_ref[a].answer_short), polarity(by_ref[b].answer_short)
        pair = IssuePair(a, b, round(score, 3))
        if score >= conflict_threshold and pa and pb and pa != pb:
            issues.conflicts.append(pair)
        elif score >= duplicate_threshold:
            issues.duplicates.append(pair)
    return issues
