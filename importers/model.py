"""The neutral questionnaire structure every importer produces."""
from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils.cell import get_column_letter

from .csv_text import decode, sniff_delimiter
from .i18n_marker import TranslatableError

# Column roles a sheet/table can have. "guidance" is help text shown to the person
# answering (HECVAT column E); "section" is a per-row category column.
ROLES = ("id", "question", "answer", "comment", "section", "guidance")


@dataclass
class Locator:
    """Where something is in the source file."""

    kind: str  # "cell" (xlsx), "csv", "docx-table", "docx-paragraph", "pdf-field", "json"
    sheet: str | None = None
    cell: str | None = None  # "B12" for xlsx
    row: int | None = None  # 1-based row as the spreadsheet shows it (csv: 1-based line number)
    column: int | None = None  # 1-based
    extra: dict = field(default_factory=dict)


def csv_records_by_line(data: bytes) -> dict[int, int]:
    """{line number: record number} of a CSV file. A CSV Locator's `row` is the line its record starts
    on (what a person sees); a writer counts records. The file is decoded and split as the importer did."""
    text, _ = decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text))
    out, line = {}, 1
    for number, _rec in enumerate(reader, start=1):
        out[line] = number
        line = reader.line_num + 1
    return out


def new_column(role: str, header_row: int | None, style_from: str | None) -> dict:
    """Locator.extra["new_column"] of an answer/comment cell in a column the filled copy appends (the
    table has none): the header goes in `header_row`, styled like the cell `style_from` (xlsx)."""
    return {"role": role, "header_row": header_row, "style_from": style_from}


@dataclass
class Question:
    qid: str | None  # the questionnaire's own id ("IAM-01", "3.2.1") if any
    text: str  # question text, cleaned of surrounding whitespace
    section: str | None
    question_at: Locator
    answer_at: Locator | None  # where the (short) answer goes
    comment_at: Locator | None  # where the full answer / comment goes, if there is a column
    choices: list[str] | None  # allowed answers from data validation (dropdown), exact spelling
    existing_answer: str | None
    existing_comment: str | None
    guidance: str | None = None  # help text the questionnaire gives for this question

    def marked_column(self, answer: str | None) -> int | None:
        """The column to mark for `answer` when the answer is a mark in one of several choice columns
        (answer_at.extra["marks"]: choice -> column, CAIQ v3.1's Yes | No | Not Applicable), else None."""
        marks = self.answer_at.extra.get("marks") if self.answer_at is not None else None
        return marks.get(answer) if marks and answer else None

    def marked_cell(self, answer: str | None) -> str | None:
        """The A1 cell of `marked_column` on an xlsx sheet ("H12"), else None."""
        col = self.marked_column(answer)
        if col is None or self.answer_at.kind != "cell":
            return None
        return f"{get_column_letter(col)}{self.answer_at.row}"


@dataclass
class SheetDetection:
    """What was detected on one sheet (xlsx) or table (csv/docx)."""

    name: str
    index: int = 0  # position in the workbook, 0-based
    state: str = "visible"  # visible | hidden | veryHidden
    skipped: bool = False
    skip_reason: str | None = None
    header_row: int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # role -> column letter
    question_count: int = 0
    notes: list[str] = field(default_factory=list)  # per-sheet remarks (rows left out and why)


@dataclass
class Questionnaire:
    source_format: str  # "xlsx" | "csv" | ...
    filename: str
    questions: list[Question]
    sheets: list[SheetDetection]
    warnings: list[str] = field(default_factory=list)

    def layout(self) -> dict:
        """The detected layout, in the same shape `layout_hint` accepts."""
        sheets: dict[str, dict] = {}
        for s in self.sheets:
            entry: dict[str, Any] = {"skip": s.skipped}
            if not s.skipped:
                entry["header_row"] = s.header_row
                entry["columns"] = dict(s.columns)
            sheets[s.name] = entry
        return {"sheets": sheets}

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def questions_on(self, sheet: str) -> list[Question]:
        return [q for q in self.questions if q.question_at.sheet == sheet]


class ImportErrorWithContext(TranslatableError):
    """An import failure explained for a person: which file, where, and why (`reason` is the English
    text of the N_-marked template; the web shows it translated, vault.i18n.localized)."""

    def __init__(self, template: str, *, params: dict | None = None, file: str | None = None,
                 sheet: str | None = None, row: int | None = None):
        self.file = file
        self.sheet = sheet
        self.row = row
        super().__init__(template, params=params)

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f'"{self.file}"')
        if self.sheet:
            where.append(f'sheet "{self.sheet}"')
        if self.row:
            where.append(f"row {self.row}")
        return (", ".join(where) + ": " if where else "") + self.reason
