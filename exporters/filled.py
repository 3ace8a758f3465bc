"""The customer's questionnaire file, filled: neutral answers -> the right exporter by format."""
from __future__ import annotations

import re
from dataclasses import dataclass

from openpyxl.utils.cell import get_column_letter

from importers.language import guess_language
from importers.model import Locator, Question, Questionnaire, csv_records_by_line


@dataclass
class FilledAnswer:
    question: Question
    answer: str | None  # into question.answer_at
    comment: str | None = None  # into question.comment_at


class NothingToWrite(ValueError):
    pass


def fill_questionnaire(src: bytes, questionnaire: Questionnaire, answers: list[FilledAnswer]) -> tuple[bytes, int]:
    """(new file bytes, number of cells written). Only cells the importer located are written."""
    fmt = questionnaire.source_format
    if fmt in ("xlsx", "xlsm"):
        from exporters.xlsx_patch import CellWrite, fill_xlsx
        cells = [(loc, cell, value) for a in answers for loc, _column, cell, value in _cells(a)]
        headers = [CellWrite(sheet=loc.sheet, cell=f"{get_column_letter(loc.column)}{row}", value=text,
                             style_from=loc.extra["new_column"]["style_from"])
                   for loc, row, text in _new_headers(questionnaire, [loc for loc, _, _ in cells])]
        writes = [CellWrite(sheet=loc.sheet, cell=cell, value=value) for loc, cell, value in cells]
        # Recalculate on open so the customer's own formulas over the answers (scores) are current.
        return (fill_xlsx(src, writes + headers, recalc_on_load=True) if writes else src), len(writes)
    if fmt == "csv":
        from exporters.csv_writer import fill_csv
        record_of = csv_records_by_line(src)
        cells = [(loc, column, value) for a in answers for loc, column, _cell, value in _cells(a)]
        writes = [(record_of[loc.row], column, value) for loc, column, value in cells]
        added = [(record_of[row], loc.column, text)
                 for loc, row, text in _new_headers(questionnaire, [loc for loc, _, _ in cells], pad=True)]
        return (fill_csv(src, writes + added) if writes else src), len(writes)
    if fmt == "docx":
        return _fill_docx(src, questionnaire, answers)
    if fmt == "pdf":
        return _fill_pdf(src, questionnaire, answers)
    if fmt == "vsaq":
        from exporters.answer_sheet import vsaq_answers
        rows = [(a.question.answer_at.extra, a.question.choices, a.answer, a.comment) for a in answers
                if a.question.answer_at is not None and (a.answer or a.comment)]
        return vsaq_answers(rows), len(rows)
    raise NothingToWrite(f"filling {fmt} files is not supported yet; export an answer sheet instead")


def _cells(a: FilledAnswer):
    """(locator, column, cell, value) for each spreadsheet cell to write. Where the answer is a mark in
    one of several choice columns (CAIQ v3.1's Yes | No | Not Applicable), the chosen column gets the
    sheet's own mark; an answer that is none of the choices marks nothing."""
    q = a.question
    if q.answer_at is not None and a.answer:
        if "marks" in q.answer_at.extra:
            column = q.marked_column(a.answer)
            if column is not None:
                yield q.answer_at, column, q.marked_cell(a.answer), q.answer_at.extra.get("mark") or "X"
        else:
            yield q.answer_at, q.answer_at.column, q.answer_at.cell, a.answer
    if q.comment_at is not None and a.comment:
        yield q.comment_at, q.comment_at.column, q.comment_at.cell, a.comment


NEW_HEADERS = {"en": {"answer": "Answer", "comment": "Comment"}, "zh": {"answer": "答复", "comment": "说明"}}


def _new_headers(questionnaire: Questionnaire, written: list[Locator], pad: bool = False):
    """(locator, row, text) of the header cells of the answer/comment columns the importer appended to
    a table without any (Locator.extra["new_column"]), on each sheet something was written into them;
    with `pad`, also an empty value for each of their unwritten question cells (every CSV record then
    has the new fields)."""
    sheets = {loc.sheet for loc in written if "new_column" in loc.extra}
    if not sheets:
        return
    taken = {(loc.sheet, loc.row, loc.column) for loc in written}
    for sheet in sheets:
        questions = [q for q in questionnaire.questions if q.question_at.sheet == sheet]
        chinese = sum(guess_language(q.text) == "zh" for q in questions) * 2 > len(questions)
        labels, headed = NEW_HEADERS["zh" if chinese else "en"], set()
        for q in questions:
            for loc in (q.answer_at, q.comment_at):
                new = loc.extra.get("new_column") if loc is not None else None
                if not new:
                    continue
                if new["header_row"] and loc.column not in headed:
                    headed.add(loc.column)
                    yield loc, new["header_row"], labels[new["role"]]
                if pad and (sheet, loc.row, loc.column) not in taken:
                    yield loc, loc.row, ""


# What fill_questionnaire returns per source format: (file extension, media type).
OUTPUT_KINDS = {
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "xlsm": ("xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12"),
    "csv": ("csv", "text/csv"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pdf": ("pdf", "application/pdf"),
    "vsaq": ("json", "application/json"),
}


def output_kind(questionnaire: Questionnaire) -> tuple[str, str]:
    """(extension, media type) of what fill_questionnaire returns for this questionnaire: a PDF
    without form fields comes back as a DOCX answer sheet, VSAQ as VSAQ's answers JSON."""
    if questionnaire.source_format == "pdf" and not has_form_fields(questionnaire):
        return OUTPUT_KINDS["docx"]
    return OUTPUT_KINDS.get(questionnaire.source_format, ("bin", "application/octet-stream"))


def has_form_fields(questionnaire: Questionnaire) -> bool:
    return any(q.answer_at is not None and q.answer_at.kind == "pdf-field" for q in questionnaire.questions)


def _fill_docx(src: bytes, questionnaire: Questionnaire, answers: list[FilledAnswer]) -> tuple[bytes, int]:
    from exporters.docx_writer import DocxWrite, fill_docx
    writes = []
    for a in answers:
        q = a.question
        if not (a.answer or a.comment):
            continue
        if q.answer_at is not None:
            # The comment goes to its own column when there is one, else under the answer.
            writes.append(DocxWrite(q.answer_at, a.answer, None if q.comment_at else a.comment))
            if q.comment_at is not None and a.comment:
                writes.append(DocxWrite(q.comment_at, a.comment))
        elif q.comment_at is not None:
            writes.append(DocxWrite(q.comment_at, a.answer, a.comment))
        elif q.question_at.kind == "docx-table":  # no answer column (OWASP ASVS): after the question
            writes.append(DocxWrite(q.question_at, a.answer, a.comment, label=answer_label(q.text)))
    if not writes:
        return src, 0
    return fill_docx(src, writes, filename=questionnaire.filename), len(writes)


def answer_label(question_text: str) -> str:
    """The label in the document's language: a Chinese question gets 回答：."""
    return "回答：" if re.search(r"[\u4e00-\u9fff]", question_text or "") else "Answer:"


def _fill_pdf(src: bytes, questionnaire: Questionnaire, answers: list[FilledAnswer]) -> tuple[bytes, int]:
    if has_form_fields(questionnaire):
        from exporters.answer_sheet import fill_pdf_form
        values = {}
        for a in answers:
            loc = a.question.answer_at
            if loc is not None and loc.kind == "pdf-field" and a.answer:
                values[loc.extra["field"]] = a.answer
        return (fill_pdf_form(src, values) if values else src), len(values)
    # Text questions: the PDF has no place for answers; a DOCX answer sheet comes back instead.
    from exporters.answer_sheet import SheetRow, answer_sheet_docx
    given = {id(a.question): a for a in answers}
    rows = []
    for q in questionnaire.questions:
        a = given.get(id(q))
        rows.append(SheetRow(q.qid, q.section, q.text, a.answer if a else None, a.comment if a else None))
    written = sum(1 for a in answers if a.answer or a.comment)
    return answer_sheet_docx(questionnaire.filename, rows), written
