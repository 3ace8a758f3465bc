"""Several columns claim one role: the stronger header wins, and on a tie the values decide."""
import csv
import io

import pytest

from importers import load_questionnaire
from importers.library import classify_library_header, load_library_table

CAIQ_LIKE = [
    ["Control Domain", "Control ID", "Question ID", "Control Specification", "Consensus Assessment Questions",
     "Consensus Assessment Answers Yes", "No", "Not Applicable", "Notes"],
    ["Application & Interface Security", "AIS-01", "AIS-01.1",
     "Applications and programming interfaces (APIs) shall be designed, developed and deployed in "
     "accordance with leading industry standards.",
     "Do you use industry standards to build in security for your SDLC?", "", "", "", ""],
    ["Application & Interface Security", "AIS-01", "AIS-01.2",
     "Applications and programming interfaces (APIs) shall be designed, developed and deployed in "
     "accordance with leading industry standards.",
     "Do you use an automated source code analysis tool to detect security defects in code prior to production?",
     "", "", "", ""],
]
TITLE_AND_DESCRIPTION = [
    ["Control ID", "Control Title", "Control Description"],
    ["AC-1", "Policy and Procedures", "Develop, document, and disseminate an access control policy."],
    ["AC-2", "Account Management", "Define and document the types of accounts allowed and prohibited."],
]


def _csv(rows) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


def _questionnaire(tmp_path, rows):
    path = tmp_path / "q.csv"
    path.write_bytes(_csv(rows))
    return load_questionnaire(path).questions


def test_questionnaire_takes_the_question_column_and_the_per_row_id(tmp_path):
    qs = _questionnaire(tmp_path, CAIQ_LIKE)
    assert [q.qid for q in qs] == ["AIS-01.1", "AIS-01.2"]
    assert qs[1].text.startswith("Do you use an automated source code analysis tool")


def test_questionnaire_takes_the_description_over_the_title(tmp_path):
    qs = _questionnaire(tmp_path, TITLE_AND_DESCRIPTION)
    assert [(q.qid, q.text) for q in qs] == [
        ("AC-1", "Develop, document, and disseminate an access control policy."),
        ("AC-2", "Define and document the types of accounts allowed and prohibited.")]


def test_library_takes_the_question_column_and_the_per_row_id():
    table = load_library_table(_csv(CAIQ_LIKE), "caiq.csv")
    assert table.problems == []  # "Control ID" repeats; taking it would have reported duplicates
    assert [r.ref for r in table.rows] == ["AIS-01.1", "AIS-01.2"]
    assert table.rows[0].category == "Application & Interface Security"
    assert table.rows[0].question == "Do you use industry standards to build in security for your SDLC?"


def test_library_takes_the_description_over_the_title():
    table = load_library_table(_csv(TITLE_AND_DESCRIPTION), "controls.csv")
    assert [r.question for r in table.rows][0] == "Develop, document, and disseminate an access control policy."


@pytest.mark.parametrize("header, role", [
    ("CAIQ Question", "question"), ("Question ID", "id"), ("Ques Num", "id"), ("Ques Text", "question"),
    ("Framework", "frameworks"), ("Control Domain", "category"), ("问题", "question"), ("问题编号", "id"),
])
def test_library_header_roles(header, role):
    assert classify_library_header(header) == role
