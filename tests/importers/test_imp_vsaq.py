"""VSAQ JSON templates (google/vsaq questionnaires/*.json): nested blocks, groups with
choice ids, conditions, and the JavaScript-isms of the published files."""
from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from importers import ImportErrorWithContext, Limits, load_questionnaire
from importers.vsaq import cond_refs, to_strict_json

from tests.corpus import SHARED_DATA, need

DIR = SHARED_DATA / "questionnaires"


def load(name: str):
    return load_questionnaire(need(DIR / name))


def by_id(q, qid):
    return next(x for x in q.questions if x.qid == qid)


@pytest.mark.parametrize("name,total,with_id,types", [
    ("vsaq_webapp.json", 73, 54, {"line": 11, "box": 15, "radiogroup": 37, "checkgroup": 10}),
    ("vsaq_infrastructure.json", 96, 85, {"radiogroup": 71, "checkgroup": 8, "box": 11, "line": 6}),
    ("vsaq_physical_and_datacenter.json", 30, 25,
     {"radiogroup": 16, "checkgroup": 4, "box": 6, "line": 4}),
    ("vsaq_security_privacy_programs.json", 46, 37,
     {"radiogroup": 28, "checkgroup": 5, "line": 8, "box": 5}),
])
def test_real_vsaq_files(name, total, with_id, types):
    q = load(name)
    assert q.source_format == "vsaq"
    assert len(q.questions) == total == q.sheets[0].question_count
    assert Counter(x.answer_at.extra["type"] for x in q.questions) == types
    ids = [x.qid for x in q.questions if x.qid]
    assert len(ids) == with_id == len(set(ids))  # ids are unique within a template
    for x in q.questions:
        assert x.text and not re.search(r"<(p|a|b|i|br|code)\b", x.text)  # HTML removed
        assert x.question_at.kind == x.answer_at.kind == "json"
        assert x.answer_at.extra["id"] == x.qid
        assert x.answer_at.extra["path"].startswith("$.questionnaire[0].items[")
        if x.qid is None:  # id-less groups are answered through their choice ids
            assert x.answer_at.extra["answer_keys"]


def test_webapp_details():
    q = load("vsaq_webapp.json")
    assert q.sheets[0].notes[0] == "title: Web Application Security Questionnaire"
    first = q.questions[0]
    assert (first.qid, first.text, first.section, first.choices) == (
        "application_name", "The name of the application:", "Application / Application Metadata", None)
    assert first.answer_at.extra["type"] == "line"
    assert first.answer_at.extra["path"] == "$.questionnaire[0].items[0].items[0].items[0]"
    x = by_id(q, "application_vm_securitycontact")
    assert x.section == "Application / Vulnerability Reporting and Management"
    assert x.choices == [
        "Yes, we have a published security email contact, or we provide another way for users to "
        "report security issues. Incoming reports are timely reviewed and triaged.",
        "No, we do not currently offer a way to report security vulnerabilities for priority handling."]
    assert x.answer_at.extra["choice_ids"] == ["application_vm_securitycontact_yes",
                                               "application_vm_securitycontact_no"]
    assert x.answer_at.extra["multiple"] is False
    # HTML links are reduced to their words; the original is kept
    fs = next(x for x in q.questions if x.text == "Does your server offer forward secrecy for "
                                                   "clients that support it?")
    assert "<a href=" in fs.answer_at.extra["html"]
    # "..." + "..." concatenation across lines is joined into one text
    xssi = next(x for x in q.questions if x.text.startswith("Many web applications use AJAX"))
    assert "contacts.js" in xssi.text and xssi.answer_at.extra["multiple"] is True
    assert len(xssi.text.split("\n")) >= 4  # one line per <p>


def test_conditions_are_recorded():
    q = load("vsaq_infrastructure.json")
    dmz = by_id(q, "network_dmz")  # inside a block shown only if firewalls are used
    assert dmz.section == "Network / Firewalls"
    assert dmz.answer_at.extra["block_conds"] == ["network_firewalls_yes"]
    assert dmz.answer_at.extra["depends_on"] == ["network_firewalls"]
    media = by_id(q, "clients_media_encryption")
    assert media.answer_at.extra["cond"] == "!req_nodata && req_sensitive"
    assert media.answer_at.extra["depends_on"] == ["options"]  # both are choices of "options"
    opts = by_id(q, "options")  # no caption: the info text above it is used
    assert opts.text.startswith("Select the options that describe your project.")
    assert opts.answer_at.extra["choice_ids"] == ["req_sensitive", "req_nodata"]
    assert not any("unknown_refs" in x.answer_at.extra for x in q.questions)
    assert any("conditional" in w for w in q.warnings)


def test_captionless_group_continues_previous_list():
    q = load("vsaq_physical_and_datacenter.json")
    x = next(x for x in q.questions if x.choices and "UPS batteries" in x.choices)
    assert x.qid is None and x.text.startswith("Select the security controls that are in place at all "
                                               "of your data centers")
    assert "text_from" in x.answer_at.extra
    assert x.answer_at.extra["answer_keys"][0] == "dc_controls_ups"


def _doc(items):
    return json.dumps({"questionnaire": [{"type": "block", "text": "T", "items": items}]}).encode()


def test_item_types_yesno_and_static_items():
    data = _doc([
        {"type": "info", "text": "Read this"}, {"type": "spacer"},
        {"type": "yesno", "id": "q1", "text": "Do you <b>encrypt</b>?", "yes": "Yes", "no": "No"},
        {"type": "yesno", "id": "q2", "text": "Default labels?"},
        {"type": "tip", "id": "warn_q1", "text": "You should", "cond": "q1/no"},
        {"type": "radiogroup", "id": "q3", "text": "Pick", "defaultChoice": True,
         "choices": [{"a": "A"}, {"b": "B"}], "cond": "^warn_q1 || q1/yes"},
        {"type": "upload", "id": "q4", "text": "Attach your policy"},
        {"type": "mystery", "id": "q5", "text": "New item kind"},
        {"type": "line", "text": "No id"},
    ])
    q = load_questionnaire(data, "t.json")
    assert [x.qid for x in q.questions] == ["q1", "q2", "q3", "q4", "q5", None]
    assert q.questions[0].text == "Do you encrypt?" and q.questions[0].choices == ["Yes", "No"]
    assert q.questions[1].choices == ["Yes", "No"]
    assert q.questions[2].choices == ["A", "B", "None of the above."]
    assert q.questions[2].answer_at.extra["choice_ids"] == ["a", "b", None]
    assert q.questions[2].answer_at.extra["depends_on"] == ["q1"]  # tip ids are not questions
    assert q.questions[3].answer_at.extra["upload"] is True
    assert q.questions[4].answer_at.extra["unknown_type"] is True
    assert q.questions[0].section is None  # the single top-level block is the title
    assert any("no id" in w for w in q.warnings) and any("mystery" in w for w in q.warnings)


def test_javascript_subset():
    text = '// licence\n/* block */ {"a": "x" +\n  "y", "b": [1, 2,],}\n'
    strict, _ = to_strict_json(text, 10)
    assert json.loads(strict) == {"a": "xy", "b": [1, 2]}
    assert cond_refs('!^warn_a && (b/yes || contains(c/value, "x, y"))') == ["warn_a", "b", "c"]


def test_vsaq_file_with_leading_comments_is_sniffed_as_json():
    data = b"// Copyright\n// more\n" + _doc([{"type": "line", "id": "a", "text": "Name?"}])
    assert load_questionnaire(data, "c.json").questions[0].qid == "a"


@pytest.mark.parametrize("text,line,col", [
    ('{"questionnaire": [\n  {"type": "line" "id": "a"}\n]}', 2, 19),
    ('// c\n// c\n{"questionnaire": [\n  {"type": "line", "text": "a" + \n 12}]}', 4, 32),
    ('{"questionnaire": [ {"type": "line", "text": "unterminated}]}', 1, 46),
])
def test_bad_json_names_file_line_and_column(text, line, col):
    with pytest.raises(ImportErrorWithContext) as info:
        load_questionnaire(text.encode(), "broken.json")
    e = info.value
    assert '"broken.json"' in str(e) and f"line {line}, column {col}" in str(e)
    assert (e.line, e.column) == (line, col)


def test_real_file_with_syntax_error_reports_its_position():
    raw = need(DIR / "vsaq_webapp.json").read_text().splitlines(keepends=True)
    n = next(i for i in range(100, len(raw)) if '"type": "radiogroup"' in raw[i])
    col = raw[n].index('"radiogroup"') + 1
    raw[n] = raw[n].replace('"type": "radiogroup"', '"type"  "radiogroup"')
    with pytest.raises(ImportErrorWithContext, match=rf"line {n + 1}, column {col}: Expecting ':'"):
        load_questionnaire("".join(raw).encode(), "vsaq_webapp.json")


def test_nesting_depth_limit():
    deep = "[" * 100 + "]" * 100
    with pytest.raises(ImportErrorWithContext, match="nested more than 64 levels"):
        load_questionnaire(deep.encode(), "deep.json")
    items: list = [{"type": "line", "id": "x", "text": "Deep?"}]
    for _ in range(12):
        items = [{"type": "block", "text": "b", "items": items}]
    data = json.dumps({"questionnaire": items}).encode()
    assert len(load_questionnaire(data, "ok.json").questions) == 1
    with pytest.raises(ImportErrorWithContext, match="nested more than 20"):
        load_questionnaire(data, "ok.json", limits=Limits(max_nesting=20))


def test_size_and_question_limits():
    items = [{"type": "line", "id": f"q{i}", "text": f"Question {i}?"} for i in range(50)]
    with pytest.raises(ImportErrorWithContext, match="more than 10 questions"):
        load_questionnaire(_doc(items), "many.json", limits=Limits(max_questions=10))
    big = b'{"questionnaire": [], "pad": "' + b"x" * 2000 + b'"}'
    with pytest.raises(ImportErrorWithContext, match="limit"):
        load_questionnaire(big, "big.json", limits=Limits(max_file_bytes=1000))


@pytest.mark.parametrize("data,match", [
    (b'{"application_name": "Foo", "application_vm_securitycontact_yes": "checked"}', "answers"),
    (b'{"foo": [1, 2]}', "not a VSAQ questionnaire"),
    (b'{"questionnaire": [{"type": "info", "text": "only info"}]}', "no questions"),
    (b'{"questionnaire": [], "n": 1' + b"1" * 5000 + b"}", "invalid"),  # int digit limit
    (b'\xff\xfe{"a": 1}'[2:] + b"\xff", "not UTF-8"),
    (b'{"a": "x" + 3}', r"'\+' is only allowed between two strings"),
])
def test_not_a_questionnaire(data, match):
    with pytest.raises(ImportErrorWithContext, match=match):
        load_questionnaire(data, "x.json")
