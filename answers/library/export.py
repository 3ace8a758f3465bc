"""Write the library to XLSX or CSV in the same column layout `vault library import` reads."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import select
from sqlalchemy.orm import Session

from answers.library.models import LibraryEntry
from exporters.safety import neutralise, strip_illegal_xml_chars
from exporters.xlsx_save import create_sheet, save_workbook

HEADER = ["ID", "Question", "Answer", "Details", "Category", "Tags", "Alternative phrasings", "Frameworks",
          "Status", "Language", "Owner", "Last reviewed"]


def _rows(session: Session):
    for e in session.scalars(select(LibraryEntry).order_by(LibraryEntry.ref)):
        yield [e.ref, e.question, e.answer_short, e.answer_full, e.category, ", ".join(e.tags or []),
               "; ".join(e.alternatives or []), "; ".join(e.framework_refs or []), e.status, e.language,
               e.owner.email if e.owner else "", e.last_reviewed_on.isoformat() if e.last_reviewed_on else ""]


def _text_cell(ws, value) -> WriteOnlyCell:
    """Always a string cell: openpyxl would otherwise store "=..." as a formula."""
    cell = WriteOnlyCell(ws, value=strip_illegal_xml_chars(str(value)))
    cell.data_type = "s"
    return cell


def write_library(session: Session, output: Path | BinaryIO, fmt: str | None = None) -> int:
    """Write to a path (format from its extension) or to an open binary file (`fmt` "csv" or "xlsx")."""
    if isinstance(output, (str, Path)):
        output = Path(output)
        fmt = "csv" if output.suffix.lower() == ".csv" else "xlsx"
        if fmt == "csv":
            with output.open("wb") as fh:
                return write_library(session, fh, "csv")
    count = 0
    if fmt == "csv":
        fh = io.TextIOWrapper(output, newline="", encoding="utf-8-sig")  # BOM: Excel opens UTF-8 correctly
        try:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            for row in _rows(session):
                writer.writerow([neutralise(str(v)) for v in row])
                count += 1
            fh.flush()
        finally:
            fh.detach()  # the caller's file stays open
        return count
    wb = Workbook(write_only=True)
    ws = create_sheet(wb, "Library")
    ws.append(HEADER)
    for row in _rows(session):
        ws.append([_text_cell(ws, v) for v in row])
        count += 1
    save_workbook(wb, output)
    return count
