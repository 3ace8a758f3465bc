"""The potential-issues finder: near-duplicates and conflicting answers, table-driven, without the app."""
from __future__ import annotations

import pytest

from answers.library.issues import IssuePair, find_issues, polarity
from answers.matching import LibraryEntry, MatchIndex


def E(ref, question, answer="Yes", **kw) -> LibraryEntry:  # noqa: N802 - reads like a table row
    return LibraryEntry(ref=ref, question=question, answer_short=answer, **kw)


BACKGROUND = [
    E("BC-1", "Do you run background checks on new hires?"),
    E("IR-1", "Is there a documented incident response plan?"),
    E("ENC-1", "Do you encrypt customer data at rest?"),
    E("BCP-1", "Do you test your business continuity plan every year?", "No"),
    E("DPO-1", "Have you appointed a data protection officer?"),
]


@pytest.mark.parametrize("answer, expected", [
    ("Yes", "yes"), ("yes.", "yes"), ("YES, for all staff", "yes"), ("Y", "yes"), ("是", "yes"),
    ("是，所有员工", "yes"), ("No", "no"), ("no - not yet", "no"), ("否", "no"), ("不支持", "no"),
    ("N/A", None), ("Partial", None), ("", None), ("We use AES-256", None), ("Nothing to add", None),
])
def test_polarity_of_short_answers(answer, expected):
    assert polarity(answer) == expected


CASES = [
    pytest.param(
        [E("MFA-1", "Do you enforce multi-factor authentication for all staff?", "Yes"),
         E("MFA-2", "Is multi-factor authentication enforced for all employees?", "No")],
        {}, [("MFA-1", "MFA-2")], [], id="same question, Yes against No: a conflict"),
    pytest.param(
        [E("MFA-1", "Do you enforce multi-factor authentication for all staff?", "Yes"),
         E("MFA-2", "Is multi-factor authentication enforced for all employees?", "Yes")],
        {}, [], [("MFA-1", "MFA-2")], id="same question, same answer: a near-duplicate"),
    pytest.param(
        [E("MFA-1", "Do you enforce multi-factor authentication for all staff?", "Yes"),
         E("MFA-2", "Is multi-factor authentication enforced for all employees?", "Partial")],
        {}, [], [("MFA-1", "MFA-2")], id="a non yes/no answer never conflicts"),
    pytest.param(
        [E("Z-1", "是否对所有员工启用多因素认证？", "是", language="zh"),
         E("Z-2", "所有员工是否都启用了多因素认证？", "否", language="zh")],
        {}, [("Z-1", "Z-2")], [], id="Chinese questions, 是 against 否"),
    pytest.param(
        [E("MFA-1", "Do you enforce multi-factor authentication for all staff?", "Yes"),
         E("MFA-2", "Is multi-factor authentication enforced for all employees?", "No", status="retired")],
        {}, [], [], id="retired entries are left out"),
    pytest.param(
        [E("MFA-1", "Do you enforce multi-factor authentication for all staff?", "Yes"),
         E("MFA-2", "Is multi-factor authentication enforced for all employees?", "No")],
        {"skip_pairs": {frozenset(("MFA-1", "MFA-2"))}}, [], [], id="pairs known to be fine are skipped"),
    pytest.param(
        [E("MFA-1", "Do you enforce multi-factor authentication for all staff?", "Yes"),
         E("MFA-2", "Is multi-factor authentication enforced for all employees?", "Yes")],
        {"duplicate_threshold": 0.999}, [], [], id="below the threshold nothing is reported"),
    pytest.param(
        [E("PEN-1", "Do you perform annual penetration tests?", "Yes"),
         E("PEN-2", "Are third-party penetration tests done?", "No",
           alternatives=["Do you perform annual penetration tests by a third party?"])],
        {}, [("PEN-1", "PEN-2")], [], id="an alternative phrasing that matches counts"),
    pytest.param([], {}, [], [], id="only unrelated entries: nothing to report"),
]


@pytest.mark.parametrize("entries, options, conflicts, duplicates", CASES)
def test_find_issues(entries, options, conflicts, duplicates):
    library = BACKGROUND + entries
    index = MatchIndex(library, embedder=None)
    found = find_issues(library, index, **options)
    assert [(p.a, p.b) for p in found.conflicts] == conflicts
    assert [(p.a, p.b) for p in found.duplicates] == duplicates
    assert len(found) == len(conflicts) + len(duplicates)


def test_pairs_are_reported_once_strongest_first_with_scores():
    library = BACKGROUND + [
        E("A", "Do you enforce multi-factor authentication for all staff?"),
        E("B", "Do you enforce multi-factor authentication for all staff members?"),
        E("C", "Is multi-factor authentication enforced for all employees?"),
    ]
    found = find_issues(library, MatchIndex(library, embedder=None))
    pairs = [(p.a, p.b) for p in found.duplicates]
    assert len(pairs) == len(set(pairs)) and ("A", "B") in pairs
    assert all(p.a < p.b for p in found.duplicates)
    scores = [p.score for p in found.duplicates]
    assert scores == sorted(scores, reverse=True) and all(0.85 <= s <= 1 for s in scores)
    assert isinstance(found.duplicates[0], IssuePair)


def test_entries_missing_from_the_index_are_not_paired_with_ghosts():
    """The finder reports pairs among the entries it is given, even if the index holds more."""
    indexed = BACKGROUND + [E("A", "Do you enforce multi-factor authentication for all staff?"),
                            E("B", "Is multi-factor authentication enforced for all employees?", "No")]
    given = [e for e in indexed if e.ref != "B"]
    found = find_issues(given, MatchIndex(indexed, embedder=None))
    assert len(found) == 0
