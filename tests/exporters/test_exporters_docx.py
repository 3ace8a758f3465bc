"""fill_docx and the DOCX/PDF/VSAQ paths of fill_questionnaire, on real and generated documents."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from docx import Document

from exporters.answer_sheet import PdfFormError, SheetRow, answer_sheet_docx, answer_sheet_xlsx, fill_pdf_form
from exporters.docx_writer import DocxExportError, DocxWrite, fill_docx
from exporters.filled import FilledAnswer, fill_questionnaire, output_kind
from importers import load_questionnaire
from tests.exporters._helpers import SHARED_DATA, assert_only_parts_changed
from tests.corpus import pdf

DOCX = SHARED_DATA / "questionnaires" / "docx"
DPIA = DOCX / "ico_dpia-template_practical-data-privacy.docx"
ASVS_EN = DOCX / "owasp_asvs_4.0.3-en.docx"
ASVS_ZH = DOCX / "owasp_asvs_4.0.3-zh-cn.docx"
SF424 = pdf("SF424_page2.pdf")
AWS_GUIDE = SHARED_DATA / "pdfs" / "aws-security-incident-response-guide.pdf"
VSAQ = SHARED_DATA / "questionnaires" / "vsaq_webapp.json"


def _fill_all(path: Path, answer=lambda i: f"ANSWER-{i}", comment=lambda i: None):
    src = path.read_bytes()
    q = load_questionnaire(src, path.name)
    answers = [FilledAnswer(x, answer(i), comment(i)) for i, x in enumerate(q.questions)]
    out, written = fill_questionnaire(src, q, answers)
    return src, q, out, written


def _all_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_dpia_form_answers_go_into_the_answer_cells_and_nothing_else_changes():
    src, q, out, written = _fill_all(DPIA, comment=lambda i: "second line" if i == 1 else None)
    assert written == len(q.questions) == 28
    assert_only_parts_changed(src, out, {"word/document.xml"})
    doc = Document(io.BytesIO(out))
    first = doc.tables[0]
    assert first.cell(0, 0).text.strip() == "Name of controller"  # the label is untouched
    assert first.cell(0, 1).text == "ANSWER-0"
    assert first.cell(1, 1).text == "ANSWER-1\nsecond line"  # details under the answer (no comment column)
    text = _all_text(out)
    for i in range(28):
        assert f"ANSWER-{i}" in text
    # In-cell answers ("Comments" full-width cells) keep the label and add the answer below it.
    in_cell = [x for x in q.questions if x.answer_at.extra.get("in_cell")]
    assert in_cell
    idx = q.questions.index(in_cell[0])
    t = doc.tables[in_cell[0].answer_at.extra["table"]]
    cell = t.cell(in_cell[0].answer_at.extra["row"], in_cell[0].answer_at.extra["col"])
    assert cell.paragraphs[0].text.strip().startswith(in_cell[0].text.split()[0])
    assert cell.paragraphs[-1].text == f"ANSWER-{idx}"


@pytest.mark.parametrize("path", [ASVS_EN, ASVS_ZH])
def test_asvs_without_answer_column_gets_the_answer_after_each_question(path):
    src, q, out, written = _fill_all(path, answer=lambda i: "Yes" if i % 2 else "No",
                                     comment=lambda i: f"note {i}")
    assert written == 312
    assert_only_parts_changed(src, out, {"word/document.xml"})
    doc = Document(io.BytesIO(out))
    first = q.questions[0]
    cell = doc.tables[first.question_at.extra["table"]].cell(first.question_at.extra["row"],
                                                             first.question_at.extra["col"])
    texts = [p.text for p in cell.paragraphs]
    label = "回答： No" if path == ASVS_ZH else "Answer: No"
    assert texts[0].startswith(first.text[:10]) and texts[-2:] == [label, "note 0"]
    # The questions are still there and still read as the same questions.
    again = load_questionnaire(out, path.name)
    assert [x.qid for x in again.questions] == [x.qid for x in q.questions]


def test_numbered_paragraph_questions_answered_below(tmp_path):
    d = Document()
    d.add_heading("Security", level=1)
    d.add_paragraph("1. Do you encrypt data at rest?")
    d.add_paragraph("")
    d.add_paragraph("2. Do you run background checks?")
    d.add_paragraph("3. Do you have an incident response plan?")
    d.add_paragraph("")
    buf = io.BytesIO()
    d.save(buf)
    src = buf.getvalue()
    q = load_questionnaire(src, "p.docx")
    assert [x.qid for x in q.questions] == ["1", "2", "3"]
    out, n = fill_questionnaire(src, q, [FilledAnswer(q.questions[0], "Yes", "AES-256"),
                                         FilledAnswer(q.questions[1], "=cmd|' /C calc'!A0"),
                                         FilledAnswer(q.questions[2], "Yes\x00\x07")])
    paras = [p.text for p in Document(io.BytesIO(out)).paragraphs]
    assert paras == ["Security", "1. Do you encrypt data at rest?", "Yes", "AES-256",
                     "2. Do you run background checks?", "=cmd|' /C calc'!A0",
                     "3. Do you have an incident response plan?", "Yes"]
    # No list numbering is copied onto the answers; control characters were dropped.
    doc = Document(io.BytesIO(out))
    assert all(p._p.pPr is None or p._p.pPr.numPr is None for p in doc.paragraphs if p.text in ("Yes", "AES-256"))


def test_unsafe_or_changed_documents_are_refused():
    src = DPIA.read_bytes()
    q = load_questionnaire(src, DPIA.name)
    bad = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename == "word/document.xml":
                body = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "xxxxxxxx">]>' + body.split(b"?>", 1)[1]
            zout.writestr(info, body)
    with pytest.raises(DocxExportError, match="XML bomb|DTD"):
        fill_docx(bad.getvalue(), [DocxWrite(q.questions[0].answer_at, "x")])
    gone = DocxWrite(q.questions[0].answer_at, "x")
    gone.at.extra["path"] = "/w:document/w:body/w:tbl[99]/w:tr[1]/w:tc[1]"
    with pytest.raises(DocxExportError, match="no longer in the document"):
        fill_docx(src, [gone])
    with pytest.raises(DocxExportError):
        fill_docx(b"not a zip", [])


def test_pdf_form_fields_filled():
    src = SF424.read_bytes()
    q = load_questionnaire(src, SF424.name)
    by_field = {x.answer_at.extra["field"]: x for x in q.questions}
    answers = [FilledAnswer(by_field["ApplicantType1"], "B. Municipal"),
               FilledAnswer(by_field["FederalAgencyName"], "=Department of Examples")]
    out, written = fill_questionnaire(src, q, answers)
    assert written == 2 and output_kind(q)[0] == "pdf"
    from pypdf import PdfReader
    fields = PdfReader(io.BytesIO(out)).get_fields()
    assert fields["FederalAgencyName"]["/V"] == "=Department of Examples"
    assert str(fields["ApplicantType1"]["/V"]) in ("B", "B. Municipal")  # the export value of the option
    with pytest.raises(PdfFormError, match="not in the PDF"):
        fill_pdf_form(src, {"NoSuchField": "x"})


def test_pdf_text_questionnaire_comes_back_as_an_answer_sheet():
    src = AWS_GUIDE.read_bytes()
    q = load_questionnaire(src, AWS_GUIDE.name)
    assert q.questions
    out, written = fill_questionnaire(src, q, [FilledAnswer(q.questions[0], "Yes", "We do.")])
    assert written == 1 and output_kind(q)[0] == "docx"
    table = Document(io.BytesIO(out)).tables[0]
    texts = [[c.text for c in row.cells] for row in table.rows]
    assert any(r[1] == q.questions[0].text and r[2] == "Yes" for r in texts)
    assert sum(1 for r in texts if r[1] and r[1] != r[0]) >= len(q.questions)  # every question listed


def test_vsaq_answers_json():
    src = VSAQ.read_bytes()
    q = load_questionnaire(src, VSAQ.name)
    line = next(x for x in q.questions if x.answer_at.extra["type"] == "line")
    radio = next(x for x in q.questions if x.answer_at.extra["type"] == "radiogroup")
    out, written = fill_questionnaire(src, q, [FilledAnswer(line, "Example App"),
                                               FilledAnswer(radio, radio.choices[1]),
                                               FilledAnswer(q.questions[-1], None)])
    data = json.loads(out)
    assert written == 2 and output_kind(q) == ("json", "application/json")
    assert data[line.qid] == "Example App"
    assert data[radio.answer_at.extra["choice_ids"][1]] == "checked"


def test_answer_sheets_hold_text_never_formulas():
    rows = [SheetRow("1", "Sec", "=1+1", "=HYPERLINK(\"http://x\")", "@SUM(A1)"),
            SheetRow(None, None, "问题", "是", None)]
    import openpyxl
    ws = openpyxl.load_workbook(io.BytesIO(answer_sheet_xlsx("T", rows)))["Answers"]
    assert ws["C3"].value == "=1+1" and ws["C3"].data_type == "s"
    assert ws["D3"].data_type == "s" and ws["E3"].data_type == "s"
    assert ws["D4"].value == "是"
    doc = Document(io.BytesIO(answer_sheet_docx("T", rows)))
    assert "问题" in _all_text(answer_sheet_docx("T", rows)) and doc.tables
