"""HECVAT 4.1.4 (EDUCAUSE): question text is a VLOOKUP into a hidden sheet, dropdowns
are x14 validations, evaluation/scoring sheets mirror the answers with formulas."""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from importers import layout_signature, load_questionnaire

from imp_fixtures import HECVAT, strip_cached_values

pytestmark = pytest.mark.skipif(not Path(HECVAT).exists(), reason="shared HECVAT file missing")

ANSWER_SHEETS = {  # counted by hand: rows with an ID in column A whose answer cell C is not a formula
    "START HERE": 22, "Organization": 43, "Product": 41, "Infrastructure": 51,
    "IT Accessibility": 18, "Case-Specific": 60, "AI": 31, "Privacy": 65,
}
SKIPPED = {
    "Institution Evaluation": "formula", "High-Risk Evaluation": "formula",
    "Privacy Analyst Evaluation": "formula", "Analyst Reference": "no answer column",
    "Questions": "lookup table", "Auto Responses": "lookup table", "(backend scoring)": "lookup table",
}
YES_NO = ["Yes", "No"]
YES_NO_NA = ["Yes", "No", "N/A"]


@pytest.fixture(scope="module")
def hecvat():
    return load_questionnaire(HECVAT)


@pytest.fixture(scope="module")
def by_id(hecvat):
    return {q.qid: q for q in hecvat.questions}


def test_question_counts_per_sheet(hecvat):
    counts = {s.name: s.question_count for s in hecvat.sheets if not s.skipped}
    assert counts == ANSWER_SHEETS
    assert len(hecvat.questions) == 331
    assert hecvat.source_format == "xlsx"
    assert hecvat.warnings == []


@pytest.mark.parametrize("sheet,why", SKIPPED.items())
def test_evaluation_reference_and_lookup_sheets_are_skipped(hecvat, sheet, why):
    det = next(s for s in hecvat.sheets if s.name == sheet)
    assert det.skipped and why in det.skip_reason


def test_hidden_sheets_reported_as_hidden(hecvat):
    states = {s.name: s.state for s in hecvat.sheets}
    assert states["Questions"] == states["Auto Responses"] == states["(backend scoring)"] == "hidden"
    assert len(hecvat.sheets) == 15


def test_columns_detected_from_repeated_block_headers(hecvat):
    for s in hecvat.sheets:
        if not s.skipped:
            assert s.columns == {"id": "A", "question": "B", "answer": "C", "comment": "D",
                                 "guidance": "E"}, s.name
    heads = {s.name: s.header_row for s in hecvat.sheets if not s.skipped}
    assert heads["START HERE"] == 22 and heads["Organization"] == 12 and heads["Privacy"] == 12


def test_ids_unique_and_match_the_hidden_question_bank(hecvat):
    wb = openpyxl.load_workbook(HECVAT, data_only=True, read_only=True)
    bank = {}
    for row in wb["Questions"].iter_rows(min_row=3, max_col=2, values_only=True):
        if isinstance(row[0], str) and re.fullmatch(r"[A-Z]{4}-\d{2}", row[0]):
            bank[row[0]] = row[1].strip()
    wb.close()
    ids = [q.qid for q in hecvat.questions]
    assert len(ids) == len(set(ids)) == 331
    assert set(bank) - set(ids) == {"AILM-07"}  # in the bank but on no answer sheet
    assert all(bank[q.qid] == q.text for q in hecvat.questions)


@pytest.mark.parametrize("qid,sheet,qcell,acell,section,choices,text_start", [
    ("GNRL-01", "START HERE", "B13", "C13", "General Information", None, "Solution Provider Name"),
    ("COMP-01", "START HERE", "B23", "C23", "Company Information", YES_NO,
     "Do you have a dedicated software and system development team"),
    ("REQU-08", "START HERE", "B36", "C36", "Required Questions", YES_NO,
     "Does your solution have access to personal or institutional data?"),
    ("DOCU-01", "Organization", "B22", "C22", "Documentation", YES_NO,
     "Do you have a well-documented business continuity plan (BCP)"),
    ("THRD-01", "Organization", "B30", "C30", "Assessment of Third Parties", YES_NO_NA,
     "Do you perform security assessments of third-party companies"),
    ("AAAI-01", "Product", "B20", "C20", "Authentication, Authorization, and Account Management",
     YES_NO, "Does your solution support single sign-on (SSO)"),
    ("DCTR-01", "Infrastructure", "B35", "C35", "Datacenter",
     ["Self-Managed", "Physical Co-Location", "Virtual Co-Location", "AWS", "Azure", "GCP",
      "Hybrid/Other"], "Select your hosting option."),
    ("HIPA-23", "Case-Specific", "B55", "C55", "HIPAA Compliance", None,
     "Do you retain logs for at least as long as required by HIPAA"),
    ("AILM-06", "AI", "B55", "C55", "AI Large Language Model (LLM)", YES_NO,
     "Do you leverage LLM model tuning"),
    ("DPAI-08", "Privacy", "B97", "C97", "Privacy and AI", YES_NO_NA,
     "Do you provide choice to the user to opt out of AI use?"),
])
def test_specific_questions(by_id, qid, sheet, qcell, acell, section, choices, text_start):
    q = by_id[qid]
    assert q.question_at.sheet == q.answer_at.sheet == sheet
    assert (q.question_at.kind, q.question_at.cell, q.answer_at.cell) == ("cell", qcell, acell)
    assert q.comment_at.cell == "D" + acell[1:]
    assert q.section == section
    assert q.choices == choices
    assert q.text.startswith(text_start)
    assert q.existing_answer is None


def test_question_text_comes_from_vlookup_formula(by_id):
    q = by_id["DOCU-01"]
    assert q.question_at.extra == {"formula": True}
    assert q.text.endswith("that is tested annually?*")


def test_dropdown_totals(hecvat):
    dropdowns = [q.choices for q in hecvat.questions]
    assert dropdowns.count(YES_NO) == 254
    assert dropdowns.count(YES_NO_NA) == 48
    assert dropdowns.count(None) == 28


def test_guidance_column_is_read(by_id):
    assert by_id["COMP-02"].guidance.startswith("Include circumstances that may involve offshoring")


def test_rows_filled_from_start_here_are_not_asked_twice(hecvat):
    org = next(s for s in hecvat.sheets if s.name == "Organization")
    assert "rows 13, 14, 15, 16, 17, 18, 19, 20" in org.notes[0]
    assert [q.question_at.sheet for q in hecvat.questions if q.qid == "GNRL-01"] == ["START HERE"]


def test_formulas_are_computed_when_the_file_has_no_saved_values(hecvat):
    stripped = load_questionnaire(strip_cached_values(Path(HECVAT).read_bytes()), "no-cache.xlsx")
    assert stripped.warnings == []
    assert len(stripped.questions) == len(hecvat.questions)
    for a, b in zip(hecvat.questions, stripped.questions):
        assert (a.qid, a.text, a.section, a.choices, a.answer_at, a.guidance) == \
               (b.qid, b.text, b.section, b.choices, b.answer_at, b.guidance)


def test_layout_roundtrip_and_signature(hecvat):
    layout = hecvat.layout()
    assert layout["sheets"]["Questions"] == {"skip": True}
    assert layout["sheets"]["Organization"]["columns"]["answer"] == "C"
    again = load_questionnaire(HECVAT, layout_hint=layout)
    assert [q.answer_at for q in again.questions] == [q.answer_at for q in hecvat.questions]
    assert layout_signature(again) == layout_signature(hecvat)
    assert len(layout_signature(hecvat)) == 64
