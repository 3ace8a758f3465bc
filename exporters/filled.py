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
        # Recalculate on open so the customer's own formulas over the answers (scores) are current.
        return (fill_xlsx(src, writes, recalc_on_load=True) if writes else src), len(writes)
    if fmt == "csv":
        from exporters.csv_writer import fill_csv
        record_of = _csv_records_by_line(src)
        writes = []
        for a in answers:
            for loc, value in ((a.question.answer_at, a.answer), (a.question.comment_at, a.comment)):
                if loc is not None and value:
                    writes.append((record_of[loc.row], loc.column, value))
        return (fill_csv(src, writes) if writes else src), len(writes)
    raise NothingToWrite(f"filling {fmt} files is not supported yet; export an answer sheet instead")


def _csv_records_by_line(src: bytes) -> dict[int, int]:
    """Importers locate CSV rows by line number (what a person sees); the writer counts records."""
    import csv
    import io

    from importers.csv_reader import decode, sniff_delimiter

    text, _ = decode(src)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text))
    out, line = {}, 1
    for number, _rec in enumerate(reader, start=1):
        out[line] = number
        line = reader.line_num + 1
    return out
