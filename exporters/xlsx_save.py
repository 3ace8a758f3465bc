"""Save openpyxl workbooks without plaintext temporary files.

openpyxl (3.1) writes every worksheet's XML to a `NamedTemporaryFile(delete=False)` in TMPDIR and
then zips it by file name; for write-only workbooks that file is opened at the sheet's first
`append`, long before `save`. Confidential answers would touch the disk in plaintext. Here each
worksheet writer gets an `io.BytesIO` instead (its constructor and `read()` support one), and the
workbook is zipped by a subclass of openpyxl's `ExcelWriter` whose `write_worksheet` takes the bytes
(`writestr`) rather than a path. Per call, no module globals are patched, so it is thread-safe.

Use `create_sheet(wb, title)` for write-only workbooks and `save_workbook(wb, fileobj)` for any.
"""
from __future__ import annotations

import datetime
import io
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter


def _in_memory(ws) -> None:
    """Make a write-only sheet stream its XML into memory (installed before its first append)."""
    if getattr(ws, "_writer", None) is not None:
        if not isinstance(ws._writer.out, io.BytesIO):
            raise ValueError(f"worksheet {ws.title!r} was already written to a temporary file; "
                             "create it with exporters.xlsx_save.create_sheet")
        return

    def _get_writer():
        # Same as WriteOnlyWorksheet._get_writer, minus the temporary file. Deferred to the first
        # append so column widths / freeze panes set after create_sheet still reach write_top.
        if ws._writer is None:
            ws._writer = WorksheetWriter(ws, out=io.BytesIO())
            ws._writer.write_top()

    ws._get_writer = _get_writer


def create_sheet(wb, title: str | None = None):
    """`wb.create_sheet(title)`, with a write-only sheet's XML kept in memory."""
    ws = wb.create_sheet(title)
    if wb.write_only:
        _in_memory(ws)
    return ws


class _MemoryExcelWriter(ExcelWriter):
    def write_worksheet(self, ws):
        # openpyxl 3.1 ExcelWriter.write_worksheet, with a BytesIO instead of a temporary file.
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        if self.workbook.write_only:
            if not ws.closed:
                ws.close()
            writer = ws._writer
        else:
            writer = WorksheetWriter(ws, out=io.BytesIO())
            writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], writer.read())
        self.manifest.append(ws)


def save_workbook(wb, fileobj) -> None:
    """`wb.save(fileobj)` without writing any worksheet XML to a temporary file."""
    if wb.read_only:
        raise TypeError("Workbook is read-only")
    if wb.write_only:
        if not wb.worksheets:
            wb.create_sheet()
        for ws in wb.worksheets:  # checked before anything is written
            _in_memory(ws)
    archive = ZipFile(fileobj, "w", ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = datetime.datetime.now(tz=datetime.timezone.utc).replace(tzinfo=None)
    _MemoryExcelWriter(wb, archive).save()
