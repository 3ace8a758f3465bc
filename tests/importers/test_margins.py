"""Title rows above the header and footer lines below the table (copyright, end marks, page numbers,
confidentiality labels, version stamps, notes) are never questions, in xlsx and csv; the last real
question is never dropped and section rows inside the table still work."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Alignment, Font, PatternFill

from importers import load_questionnaire
from importers.library import load_library_table
from importers.margins import is_page_mark, looks_like_footer
from tests.answers.test_autofill_cli import vault
from tests.importers.imp_fixtures import HECVAT, ZH, xlsx_bytes

QUESTIONS = ["Do you encrypt customer data at rest?", "Do you enforce MFA for all staff?",
             "Do you have a copyright policy for open-source code?"]
ZH_QUESTIONS = ["是否对静态数据进行加密？", "是否对所有员工启用多因素认证？", "是否有开源代码的版权政策？"]
FOOTERS = ["© 2024 ACME Corp.", "Copyright 2024 ACME Corp. All rights reserved.", "All rights reserved.",
           "End of Standard", "Confidential", "Proprietary and Confidential - do not distribute",
           "Page 1 of 3", "Version 4.1.4 – last updated 2024-05-01", "Note: answers are binding.",
           "版权所有 © 2024 某某科技有限公司", "本问卷结束", "注：以上问题请如实填写。"]
TITLES = ["HECVAT 4.1.4", "Version 2.1", "ISO 27001 Vendor Security Questionnaire", "供应商安全问卷 V2.0"]
BOLD, FILL = Font(bold=True, size=16), PatternFill("solid", fgColor="1F4E78")


def _workbook(titles, footers, *, ids=True, merge=True, texts=QUESTIONS, middle=None) -> tuple[bytes, int]:
    """Titles (merged, styled), a blank row, the header, the questions, a blank row, the footers.
    Returns the file and the header row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Security"
    width = 4 if ids else 3

    def line(text):
        ws.append([text])
        r = ws.max_row
        ws.cell(r, 1).font, ws.cell(r, 1).alignment = BOLD, Alignment(horizontal="center")
        if merge:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)

    for t in titles:
        line(t)
    ws.append([])
    ws.append((["ID"] if ids else []) + ["Question", "Answer", "Comments"])
    header = ws.max_row
    for c in range(1, width + 1):
        ws.cell(header, c).font, ws.cell(header, c).fill = Font(bold=True, color="FFFFFF"), FILL
    for i, t in enumerate(texts, 1):
        if middle and i in middle:
            line(middle[i])
        ws.append(([f"Q-{i}"] if ids else []) + [t])
    ws.append([])
    for f in footers:
        line(f)
    return xlsx_bytes(wb), header


def _cells(q) -> list[tuple]:
    return [(x.qid, x.text, x.question_at.cell, x.answer_at.cell) for x in q.questions]


def _expected(header: int, ids: bool, texts=QUESTIONS, rows=None) -> list[tuple]:
    qc, ac = ("B", "C") if ids else ("A", "B")
    rows = rows or [header + i for i in range(1, len(texts) + 1)]
    return [(f"Q-{i}" if ids else None, t, f"{qc}{r}", f"{ac}{r}") for i, (t, r) in enumerate(zip(texts, rows), 1)]


@pytest.mark.parametrize("ids", [True, False], ids=["ids", "no-ids"])
@pytest.mark.parametrize("merge", [True, False], ids=["merged", "plain"])
@pytest.mark.parametrize("footer", FOOTERS)
def test_xlsx_title_and_footer_rows_are_not_questions(footer, merge, ids):
    title = TITLES[FOOTERS.index(footer) % len(TITLES)]
    data, header = _workbook([title, "Version 4.1.4 – last updated 2024-05-01"], [footer], ids=ids, merge=merge)
    q = load_questionnaire(data, "vendor.xlsx")
    assert _cells(q) == _expected(header, ids)
    for x in q.questions:
        assert x.answer_at.cell != x.question_at.cell


@pytest.mark.parametrize("title", TITLES)
def test_a_merged_title_that_reads_as_an_id_is_not_its_own_answer_cell(title):
    """"HECVAT 4.1.4" merged over the id column looked like an id; its answer cell was the title itself."""
    data, header = _workbook([title], ["Copyright © 2025 EDUCAUSE"])
    q = load_questionnaire(data, "vendor.xlsx")
    assert _cells(q) == _expected(header, True)
    assert q.sheets[0].header_row == header


def test_several_footer_lines_and_anything_below_an_end_mark_are_left_out_with_a_note():
    footers = ["End of Standard", "Questions about this form go to security@acme.example.", "© 2024 ACME Corp."]
    data, header = _workbook(["ACME Vendor Questionnaire"], footers, ids=False, merge=False)
    q = load_questionnaire(data, "vendor.xlsx")
    assert _cells(q) == _expected(header, False)
    notes = q.sheets[0].notes
    assert f"1 rows below the table left out as footer lines (copyright, end or page marks, notes): rows {header + 6}" \
        in notes
    assert f"1 copyright or page-number lines left out: rows {header + 7}" in notes


@pytest.mark.parametrize("last", [
    "Do you have a copyright policy for open-source code?",
    "Confidential data is encrypted at rest and in transit.",
    "Describe your copyright and licensing policy.",
    "Versioning of releases follows semantic versioning.",
    "Note whether backups are encrypted.",
])
@pytest.mark.parametrize("ids", [True, False], ids=["ids", "no-ids"])
def test_the_last_real_question_is_kept(last, ids):
    texts = QUESTIONS[:2] + [last]
    data, header = _workbook(["ACME Vendor Questionnaire"], ["© 2024 ACME Corp.", "End of Standard"],
                             ids=ids, texts=texts)
    assert _cells(load_questionnaire(data, "vendor.xlsx")) == _expected(header, ids, texts)


def test_a_row_with_an_id_is_a_question_whatever_its_wording():
    texts = QUESTIONS[:2] + ["Note: describe any exception to the policies above."]
    data, header = _workbook(["ACME Vendor Questionnaire"], ["Page 1 of 1"], texts=texts)
    assert _cells(load_questionnaire(data, "vendor.xlsx")) == _expected(header, True, texts)


def test_section_rows_inside_the_table_still_work_and_page_marks_are_no_section():
    data, header = _workbook(["ACME Vendor Questionnaire"], ["End of Standard"],
                             middle={2: "Access Control", 3: "Page 2 of 3"})
    q = load_questionnaire(data, "vendor.xlsx")
    rows = [header + 1, header + 3, header + 5]
    assert _cells(q) == _expected(header, True, rows=rows)
    assert [x.section for x in q.questions] == [None, "Access Control", "Access Control"]
    assert any("page-number lines left out" in n and str(header + 4) in n for n in q.sheets[0].notes)


# --- CSV -------------------------------------------------------------------------------------------

def _csv(titles, header, texts, footers, ids=True, fcol=0) -> bytes:
    width = len(header)
    rows = [[t] + [""] * (width - 1) for t in titles] + [[""] * width, header]
    rows += [([f"Q-{i}"] if ids else []) + [t] + [""] * (width - 1 - ids) for i, t in enumerate(texts, 1)]
    rows += [[""] * width] + [[""] * fcol + [f] + [""] * (width - 1 - fcol) for f in footers]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8")


CSV_CASES = [  # name, titles, header, questions, footers, ids, column of the footers (0-based)
    ("en-ids", ["ACME Vendor Questionnaire", "Version 4.1.4 – last updated 2024-05-01"],
     ["ID", "Question", "Answer", "Comments"], QUESTIONS, FOOTERS[:9], True, 0),
    ("en-ids-footers-in-question-column", ["HECVAT 4.1.4"], ["ID", "Question", "Answer", "Comments"],
     QUESTIONS, FOOTERS[:9], True, 1),
    ("en-no-ids", ["HECVAT 4.1.4"], ["Question", "Answer", "Comments"], QUESTIONS, FOOTERS[:9], False, 0),
    ("zh-ids", ["供应商安全问卷（2024 版）"], ["编号", "问题", "回答", "备注"], ZH_QUESTIONS, FOOTERS[9:], True, 1),
    ("zh-no-ids", ["供应商安全问卷 V2.0"], ["问题", "回答", "备注"], ZH_QUESTIONS, FOOTERS[9:], False, 0),
]


@pytest.mark.parametrize("titles,header,texts,footers,ids,fcol", [c[1:] for c in CSV_CASES],
                         ids=[c[0] for c in CSV_CASES])
def test_csv_title_and_footer_rows_are_not_questions(titles, header, texts, footers, ids, fcol):
    q = load_questionnaire(_csv(titles, header, texts, footers, ids, fcol), "vendor.csv")
    first = len(titles) + 3  # titles, a blank line, the header
    qcol, acol = (2, 3) if ids else (1, 2)
    assert [(x.qid, x.text, x.question_at.row, x.question_at.column, x.answer_at.column) for x in q.questions] == [
        (f"Q-{i}" if ids else None, t, first + i - 1, qcol, acol) for i, t in enumerate(texts, 1)]


@pytest.mark.parametrize("footer", ["Page 1 of 3,,Confidential", ",Version 4.1 – last updated 2024-01-01,,© ACME"])
def test_a_print_footer_spread_over_several_cells_is_left_out(footer):
    data = ("ID,Question,Answer,Comments\nQ-1,Do you encrypt data?,,\n,Do you do MFA?,,\n,,,\n" + footer + "\n").encode()
    assert [(x.qid, x.text) for x in load_questionnaire(data, "vendor.csv").questions] == [
        ("Q-1", "Do you encrypt data?"), (None, "Do you do MFA?")]
    table = load_library_table(data, "library.csv")
    assert [r.question for r in table.rows] == ["Do you encrypt data?", "Do you do MFA?"]
    assert [p.row for p in table.problems] == [5]


# --- the vocabulary --------------------------------------------------------------------------------

@pytest.mark.parametrize("text,footer", [(f, True) for f in FOOTERS] + [
    ("Do you have a copyright policy for open-source code?", False),
    ("Confidential data is encrypted at rest.", False),
    ("Confidential information is classified.", False),
    ("Version control: do you use signed commits", False),
    ("V14.5.4 Verify that HTTP headers are validated", False),
    ("Describe your copyright policy.", False),
    ("机密数据应加密存储", False),
    ("应保护版权所有者的权利。", False),
])
def test_footer_vocabulary(text, footer):
    assert looks_like_footer(text) is footer


def test_page_marks_are_only_copyright_and_page_numbers():
    assert is_page_mark("Copyright © 2025 EDUCAUSE") and is_page_mark("Page 2 of 5") and is_page_mark("第 2 页")
    assert not is_page_mark("End of Standard") and not is_page_mark("Ensure all rights reserved are honoured.")


# --- the library importer --------------------------------------------------------------------------

@pytest.mark.parametrize("ids", [True, False], ids=["ids", "no-ids"])
def test_library_import_leaves_footer_lines_out_and_says_so(ids):
    header = ["ID", "Question", "Answer"] if ids else ["Question", "Answer"]
    footers = ["End of Standard", "ACME Corp, 1 Main Street", "Confidential", "© 2024 ACME Corp."]
    data = _csv(["ACME answer library"], header, QUESTIONS, footers, ids, fcol=int(ids))
    table = load_library_table(data, "library.csv")
    assert [(r.ref, r.question) for r in table.rows] == [(f"Q-{i}" if ids else None, t)
                                                         for i, t in enumerate(QUESTIONS, 1)]
    assert [(p.row, p.reason) for p in table.problems] == [
        (r, "a footer line (copyright, end or page mark, note), not an entry") for r in (11, 8, 9, 10)]
    assert [n.row for n in table.notes] == [4, 5, 6]  # unanswered: drafts


# --- the real files: detection unchanged -------------------------------------------------------------

REAL = {"HECVAT414.xlsx": (HECVAT, 331), "gbt22239_2019_level3.csv": (f"{ZH}/gbt22239_2019_level3.csv", 304),
        "gbt22239_2019_requirements_all_levels.csv": (f"{ZH}/gbt22239_2019_requirements_all_levels.csv", 398),
        "mlps_level3_aliyun_precheck_97.csv": (f"{ZH}/mlps_level3_aliyun_precheck_97.csv", 97),
        "owasp_asvs_4.0.3-en.csv": (f"{ZH}/owasp_asvs_4.0.3-en.csv", 286),
        "owasp_asvs_4.0.3-zh-cn.csv": (f"{ZH}/owasp_asvs_4.0.3-zh-cn.csv", 285),
        "owasp_asvs_4.0.3_en_zh_pairs.csv": (f"{ZH}/owasp_asvs_4.0.3_en_zh_pairs.csv", 285)}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_questionnaires_keep_their_question_counts(name):
    path, count = REAL[name]
    if not Path(path).exists():
        pytest.skip("shared questionnaire file missing (../shared/data)")
    q = load_questionnaire(Path(path).read_bytes(), name)
    assert len(q.questions) == count
    assert not any(x.answer_at and x.answer_at.cell and x.answer_at.cell == x.question_at.cell for x in q.questions)


# --- through the command line --------------------------------------------------------------------

@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    base = tmp_path_factory.mktemp("margins")
    vault(base / "instance", "init", "--no-input")
    return base / "instance"


def test_cli_autofill_report_lists_only_the_questions(instance, tmp_path):
    data, header = _workbook(["HECVAT 4.1.4", "Version 4.1.4 – last updated 2024-05-01"],
                             ["End of Standard", "© 2024 ACME Corp. All rights reserved."])
    src, report = tmp_path / "vendor.xlsx", tmp_path / "report.json"
    src.write_bytes(data)
    vault(instance, "autofill", str(src), "--report", str(report))
    rows = json.loads(report.read_text(encoding="utf-8"))["questions"]
    assert [(r["sheet"], r["row"], r["question_cell"], r["answer_cell"]) for r in rows] == [
        ("Security", header + i, f"B{header + i}", f"C{header + i}") for i in (1, 2, 3)]

    src = tmp_path / "vendor.csv"
    src.write_bytes(_csv(["供应商安全问卷（2024 版）"], ["编号", "问题", "回答", "备注"], ZH_QUESTIONS, FOOTERS[9:],
                         fcol=1))
    vault(instance, "autofill", str(src), "--report", str(report))
    rows = json.loads(report.read_text(encoding="utf-8"))["questions"]
    assert [(r["row"], r["question_cell"], r["answer_cell"]) for r in rows] == [
        (r, f"B{r}", f"C{r}") for r in (4, 5, 6)]


def test_cli_library_import_skips_footer_lines(instance, tmp_path):
    lib = tmp_path / "library.csv"
    lib.write_bytes(_csv(["ACME answer library"], ["ID", "Question", "Answer"], QUESTIONS,
                         ["End of Standard", "Confidential"], fcol=1))
    out = vault(instance, "library", "import", str(lib), "--dry-run")
    assert "would create 3," in out.stdout
    for row in (8, 9):
        assert f"skipped row {row}: a footer line (copyright, end or page mark, note), not an entry" in out.stderr
