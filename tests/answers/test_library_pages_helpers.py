"""Pure helpers behind the library pages: text diffs, the import mapping form."""
from __future__ import annotations

import pytest

from answers.library import preview
from answers.library.diff import snapshot_changes, text_diff
from answers.library.forms import split_lines, split_refs, split_tags


@pytest.mark.parametrize("old, new, expected", [
    ("MFA for staff.", "MFA for all staff.", [("same", "MFA for "), ("ins", "all "), ("same", "staff.")]),
    ("Yes", "No", [("del", "Yes"), ("ins", "No")]),
    ("", "New text", [("ins", "New text")]),
    ("所有员工启用", "所有员工均启用", [("same", "所有员工"), ("ins", "均"), ("same", "启用")]),
    ("same", "same", [("same", "same")]),
])
def test_text_diff(old, new, expected):
    parts = text_diff(old, new)
    assert parts == expected
    assert "".join(t for op, t in parts if op != "del") == new
    assert "".join(t for op, t in parts if op != "ins") == old


def test_snapshot_changes_render_ids_for_people():
    before = {"owner_id": 1, "tags": ["a"]}
    after = {"owner_id": 2, "tags": ["a", "b"]}
    names = {1: "ann@example.com", 2: "bo@example.com"}
    changes = dict(snapshot_changes(before, after, ["owner_id", "tags"],
                                    lambda n, v: names.get(v, "") if n == "owner_id" else "\n".join(v)))
    assert changes["owner_id"] == [("del", "ann"), ("ins", "bo"), ("same", "@example.com")]
    assert changes["tags"] == [("same", "a"), ("ins", "\nb")]


@pytest.mark.parametrize("fn, text, expected", [
    (split_tags, "mfa, sso，身份、 mfa ;x", ["mfa", "sso", "身份", "x"]),
    (split_lines, "one\n\n two \r\nthree", ["one", "two", "three"]),
    (split_refs, "SOC 2 CC6.1; ISO 27001 A.8.5\nCAIQ IAM-02；GB/T 22239", [
        "SOC 2 CC6.1", "ISO 27001 A.8.5", "CAIQ IAM-02", "GB/T 22239"]),
    (split_tags, "", []),
])
def test_list_fields_are_split_the_way_people_type_them(fn, text, expected):
    assert fn(text) == expected


SHEETS = [("Library", {1: ["Title"], 3: ["Ref", "Question", "Answer"], 4: ["A-1", "Q?", "Yes"]}),
          ("Notes", {1: ["free text"]})]


def test_mapping_form_round_trip():
    views = preview.sheet_views(SHEETS, {"sheets": {"Library": {"header_row": 3,
                                                                "columns": {"id": "A", "question": "B"}}}})
    assert [(c.letter, c.header, c.role) for c in views[0].columns] == [
        ("A", "Ref", "id"), ("B", "Question", "question"), ("C", "Answer", "")]
    assert views[0].included and not views[1].included

    mapping, problems, chosen = preview.mapping_from_form(
        {"h0": "3", "c0_1": "id", "c0_2": "question", "c0_3": "answer", "h1": "", "c1_1": ""}, SHEETS)
    assert problems == []
    assert mapping == {"sheets": {"Library": {"header_row": 3,
                                              "columns": {"id": "A", "question": "B", "answer": "C"}}}}
    assert chosen[0].included and not chosen[1].included
    assert preview.fingerprint(mapping, "approved") != preview.fingerprint(mapping, "draft")


@pytest.mark.parametrize("form, problem", [
    ({"h0": "x", "c0_2": "question"}, ("Library", "header_row")),
    ({"h0": "3", "c0_1": "question", "c0_2": "question"}, ("Library", "duplicate:question")),
    ({"h0": "3", "c0_3": "answer"}, ("Library", "no_question")),
    ({"h0": "3", "c0_2": "evil<role>", "c0_1": "question"}, None),  # unknown roles are ignored
])
def test_mapping_form_problems(form, problem):
    _mapping, problems, _views = preview.mapping_from_form(form, SHEETS)
    assert problems == ([problem] if problem else [])
