"""Generated workbooks: one layout feature per test."""
from __future__ import annotations

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from importers import ImportErrorWithContext, Limits, layout_signature, load_questionnaire

from imp_fixtures import add_x14_list, simple_questionnaire, xlsx_bytes


def load(wb, **kw):
    return load_questionnaire(xlsx_bytes(wb), "t.xlsx", **kw)


def test_header_below_title_rows():
    q = load(simple_questionnaire(3, title_rows=4))
    det = q.sheets[0]
    assert det.header_row == 5
    assert det.columns == {"id": "A", "question": "B", "answer": "C", "comment": "D"}
    assert [x.qid for x in q.questions] == ["SEC-01", "SEC-02", "SEC-03"]
    first = q.questions[0]
    assert (first.question_at.cell, first.answer_at.cell, first.comment_at.cell) == ("B6", "C6", "D6")
    assert first.question_at.row == 6 and first.question_at.column == 2
    assert first.section is None


@pytest.mark.parametrize("headers,expected", [
    (["序号", "问题", "回答", "备注"], {"id": "A", "question": "B", "answer": "C", "comment": "D"}),
    (["编号", "检查项", "答复", "说明"], {"id": "A", "question": "B", "answer": "C", "comment": "D"}),
    (["#", "Control Question", "Vendor Response", "Additional Information"],
     {"id": "A", "question": "B", "answer": "C", "comment": "D"}),
    (["Question ID", "Question", "Yes/No", "Evidence"],
     {"id": "A", "question": "B", "answer": "C", "comment": "D"}),
    (["Requirement", "Response", "Analyst Notes"], {"question": "A", "answer": "B"}),
])
def test_header_vocabulary(headers, expected):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for i in range(3):
        row = [f"Q{i + 1}", f"是否对数据进行加密存储和传输，并定期检查{i}？"] if headers[0] != "Requirement" \
            else [f"Is the data encrypted at rest, check {i}?"]
        ws.append(row)
    q = load(wb)
    assert q.sheets[0].columns == expected
    assert len(q.questions) == 3


def test_empty_answer_column_found_without_question_header():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([None, None, "Answer"])
    ws.append(["AC-1", "Do you review user access every quarter?", None])
    ws.append(["AC-2", "Do you remove leavers' accounts within a day?", None])
    ws.append(["AC-3", "Is MFA required for administrators?", None])
    q = load(wb)
    assert q.sheets[0].columns == {"id": "A", "question": "B", "answer": "C"}
    assert [x.qid for x in q.questions] == ["AC-1", "AC-2", "AC-3"]


def test_section_rows_and_merged_section_titles():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ID", "Question", "Answer", "Comment"])
    ws.append(["Access Control"])  # text only in the first column
    ws.append(["AC-1", "Do you review access quarterly?", None, None])
    ws.append([None, "Encryption"])  # heading in the question column, merged across
    ws.merge_cells("B4:D4")
    ws.append(["EN-1", "Is data encrypted at rest?", "Yes", "AES-256"])
    q = load(wb)
    assert [(x.qid, x.section) for x in q.questions] == [("AC-1", "Access Control"),
                                                        ("EN-1", "Encryption")]
    assert q.questions[1].existing_answer == "Yes"
    assert q.questions[1].existing_comment == "AES-256"


def test_section_column_is_filled_down_over_merged_cells():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Category", "Question", "Response"])
    ws.append(["Network", "Do you use a firewall?", None])
    ws.append([None, "Do you segment networks?", None])
    ws.append(["People", "Do staff get security training?", None])
    ws.merge_cells("A2:A3")
    q = load(wb)
    assert [x.section for x in q.questions] == ["Network", "Network", "People"]


def test_merged_answer_cell_points_to_its_top_left():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Question", "Answer", None, "Comments"])
    ws.append(["Do you have an incident response plan?", None, None, None])
    ws.merge_cells("B2:C2")
    q = load(wb)
    assert q.questions[0].answer_at.cell == "B2"
    assert q.questions[0].answer_at.extra["merged"] == "B2:C2"


def test_hidden_rows_are_imported_and_marked():
    wb = simple_questionnaire(3, title_rows=0)
    wb.active.row_dimensions[3].hidden = True
    q = load(wb)
    assert [x.question_at.extra.get("hidden", False) for x in q.questions] == [False, True, False]
    assert q.questions[1].answer_at.extra["hidden"] is True


def test_hidden_sheets_lookup_skipped_questions_kept():
    wb = simple_questionnaire(2, title_rows=0)
    lists = wb.create_sheet("Lists")
    for v in ("Yes", "No", "N/A"):
        lists.append([v])
    lists.sheet_state = "hidden"
    dv = DataValidation(type="list", formula1="Lists!$A$1:$A$3")
    dv.add("C2:C3")
    wb.active.add_data_validation(dv)
    extra = wb.create_sheet("Extra")
    extra.append(["ID", "Question", "Answer"])
    extra.append(["EX-1", "Do you keep backups off-site?", None])
    extra.sheet_state = "hidden"
    q = load(wb)
    det = {s.name: s for s in q.sheets}
    assert det["Lists"].skipped and "lookup table" in det["Lists"].skip_reason
    assert not det["Extra"].skipped and det["Extra"].state == "hidden"
    assert any("hidden sheet \"Extra\"" in w for w in q.warnings)
    assert q.questions[0].choices == ["Yes", "No", "N/A"]


def test_instruction_sheet_skipped():
    wb = simple_questionnaire(3, title_rows=0)
    ins = wb.create_sheet("Instructions", 0)
    ins.append(["How to complete this questionnaire"])
    ins.append(["Answer every question in column C. Use the comments column for detail."])
    q = load(wb)
    det = {s.name: s for s in q.sheets}
    assert det["Instructions"].skipped
    assert len(q.questions) == 3


@pytest.mark.parametrize("formula1,defined,expected", [
    ('"Yes,No,N/A"', None, ["Yes", "No", "N/A"]),
    ('"Compliant, Partially compliant ,Not compliant"', None,
     ["Compliant", "Partially compliant", "Not compliant"]),
    ("Options!$B$2:$B$4", None, ["Fully", "Partly", "Not at all"]),
    ("YesNo", "Options!$A$2:$A$3", ["Yes", "No"]),
])
def test_dropdown_sources(formula1, defined, expected):
    wb = simple_questionnaire(2, title_rows=0)
    opts = wb.create_sheet("Options")
    opts.append(["yn", "level"])
    opts.append(["Yes", "Fully"])
    opts.append(["No", "Partly"])
    opts.append([None, "Not at all"])
    if defined:
        wb.defined_names["YesNo"] = DefinedName("YesNo", attr_text=defined)
    dv = DataValidation(type="list", formula1=formula1)
    dv.add("C2:C3")
    wb.active.add_data_validation(dv)
    q = load(wb)
    assert [x.choices for x in q.questions] == [expected, expected]


def test_x14_dropdowns_openpyxl_cannot_read():
    wb = simple_questionnaire(3, title_rows=0)
    opts = wb.create_sheet("Opts")
    for v in ("Implemented", "Planned", "Not applicable"):
        opts.append([v])
    data = add_x14_list(xlsx_bytes(wb), "xl/worksheets/sheet1.xml", "C2 C4", "Opts!$A$1:$A$3")
    q = load_questionnaire(data, "x14.xlsx")
    assert [x.choices for x in q.questions] == [["Implemented", "Planned", "Not applicable"], None,
                                                ["Implemented", "Planned", "Not applicable"]]


def test_formula_question_text_without_saved_values():
    """openpyxl saves formulas without cached values, so these must be computed."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Answers"
    bank = wb.create_sheet("Bank")
    bank.append(["ID", "Text", "Area"])
    bank.append(["K-1", "Do you log admin access", "Logging"])
    bank.append(["K-2", "Do you rotate keys", "Crypto"])
    ws.append(["ID", "Question", "Answer"])
    ws.append(["K-1", '=VLOOKUP($A2,Bank!$A$2:$C$3,2,FALSE)&"?"', None])
    ws.append(["K-2", "=INDEX(Bank!$B$2:$B$3,MATCH(A3,Bank!$A$2:$A$3,0))&\"?\"", None])
    ws.append(["K-3", '=CONCATENATE("Is ", LOWER(Bank!C3), " reviewed yearly?")', None])
    q = load(wb)
    assert [x.text for x in q.questions] == ["Do you log admin access?", "Do you rotate keys?",
                                             "Is crypto reviewed yearly?"]
    assert q.sheets[1].skipped  # the bank has no answer column


def test_answer_cells_with_formulas_are_left_out():
    wb = simple_questionnaire(2, title_rows=0)
    wb.active["C3"] = "=C2"
    q = load(wb)
    assert [x.qid for x in q.questions] == ["SEC-01"]
    assert "row" in q.sheets[0].notes[0] and "3" in q.sheets[0].notes[0]


def test_layout_hint_overrides_detection():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Q"
    ws.append(["a", "b", "c", "d"])
    ws.append(["x1", "Is there a policy?", "", "n"])
    ws.append(["x2", "Is it reviewed?", "", "n"])
    hint = {"sheets": {"Q": {"header_row": 1, "columns": {"id": "A", "question": "B", "answer": "D"}}}}
    q = load(wb, layout_hint=hint)
    assert [x.answer_at.cell for x in q.questions] == ["D2", "D3"]
    assert [x.section for x in q.questions] == [None, None]
    assert q.layout()["sheets"]["Q"] == {"skip": False, "header_row": 1,
                                         "columns": {"id": "A", "question": "B", "answer": "D"}}


def test_layout_hint_with_only_a_header_row():
    wb = simple_questionnaire(2, title_rows=1)
    wb.active.insert_rows(3)
    wb.active["A3"], wb.active["B3"], wb.active["C3"] = "Ref", "Item", "Reply"
    q = load(wb, layout_hint={"sheets": {"Security": {"header_row": 3}}})
    assert q.sheets[0].header_row == 3
    assert [x.question_at.row for x in q.questions] == [4, 5]


def test_layout_hint_skip_and_bad_hints():
    wb = simple_questionnaire(2, title_rows=0)
    wb.create_sheet("Other").append(["Question", "Answer"])
    wb["Other"].append(["Do you test backups?", None])
    q = load(wb, layout_hint={"sheets": {"Other": {"skip": True}, "Nope": {"skip": True}}})
    assert {s.name: s.skipped for s in q.sheets} == {"Security": False, "Other": True}
    assert any("Nope" in w for w in q.warnings)
    with pytest.raises(ImportErrorWithContext, match="column letter"):
        load(wb, layout_hint={"sheets": {"Other": {"columns": {"question": "A1"}}}})
    with pytest.raises(ImportErrorWithContext, match="unknown column role"):
        load(wb, layout_hint={"sheets": {"Other": {"columns": {"question": "A", "foo": "B"}}}})


def test_layout_signature_depends_on_names_and_header_rows():
    a = load(simple_questionnaire(3, title_rows=2))
    b = load(simple_questionnaire(7, title_rows=2))
    c = load(simple_questionnaire(3, title_rows=3))
    assert layout_signature(a) == layout_signature(b) != layout_signature(c)


def test_too_many_questions_is_an_error_not_a_truncation():
    with pytest.raises(ImportErrorWithContext, match="more than 10 questions"):
        load(simple_questionnaire(11, title_rows=0), limits=Limits(max_questions=10))


def test_xlsm_is_read_and_macros_flagged():
    data = xlsx_bytes(simple_questionnaire(2))
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(buf, "w") as zout:
        for i in zin.infolist():
            zout.writestr(i, zin.read(i))
        zout.writestr("xl/vbaProject.bin", b"\x00" * 64)
    q = load_questionnaire(buf.getvalue(), "m.xlsm")
    assert q.source_format == "xlsm" and len(q.questions) == 2
    assert any("macros" in w for w in q.warnings)


def test_no_questions_anywhere_is_a_clear_error():
    wb = openpyxl.Workbook()
    wb.active.append(["Just a note"])
    with pytest.raises(ImportErrorWithContext, match="no questions were found"):
        load(wb)
