"""The customer's questionnaire file, filled: neutral answers -> the right exporter by format."""
from __future__ import annotations

from dataclasses import dataclass

from importers.model import Question, Questionnaire


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
        writes = []
        for a in answers:
            for loc, value in ((a.question.answer_at, a.answer), (a.question.comment_at, a.comment)):
                if loc is not None and value:
                    writes.append(CellWrite(sheet=loc.sheet, cell=loc.cell, value=value))
        return (fill_xlsx(src, writes) if writes else src), len(writes)
    if fmt == "csv":
        from exporters.csv_writer import fill_csv
        writes = []
        for a in answers:
            for loc, value in ((a.question.answer_at, a.answer), (a.question.comment_at, a.comment)):
                if loc is not None and value:
                    writes.append((loc.row, loc.column, value))
        return (fill_csv(src, writes) if writes else src), len(writes)
    raise NothingToWrite(f"filling {fmt} files is not supported yet; export an answer sheet instead")
