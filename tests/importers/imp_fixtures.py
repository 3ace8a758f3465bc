"""Small generated files for the importer tests (no binary fixtures in the repo)."""
from __future__ import annotations

import io
import re
import zipfile

import openpyxl

from tests.corpus import SHARED_DATA

HECVAT = str(SHARED_DATA / "questionnaires" / "HECVAT414.xlsx")
ZH = str(SHARED_DATA / "questionnaires" / "zh")


def xlsx_bytes(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rewrite_zip(data: bytes, edit) -> bytes:
    """Copy an xlsx, passing each member's text through edit(name, text) -> text."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zin.infolist():
            raw = zin.read(info)
            if info.filename.endswith(".xml"):
                raw = edit(info.filename, raw.decode("utf-8")).encode("utf-8")
            zo.writestr(info, raw)
    return out.getvalue()


def strip_cached_values(data: bytes) -> bytes:
    """Remove every formula's saved value, as files written by scripts look."""
    def edit(name, text):
        if not name.startswith("xl/worksheets/"):
            return text
        return re.sub(r"(<f[^>]*/>|<f[^>]*>[^<]*</f>)(?:<v>[^<]*</v>|<v/>)", r"\1", text)
    return rewrite_zip(data, edit)


def add_x14_list(data: bytes, sheet_file: str, sqref: str, source: str) -> bytes:
    """Append an x14 list validation (the kind openpyxl cannot read) to a sheet."""
    ext = (
        '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
        '<x14:dataValidation type="list" allowBlank="1"><x14:formula1>'
        f"<xm:f>{source}</xm:f></x14:formula1><xm:sqref>{sqref}</xm:sqref>"
        "</x14:dataValidation></x14:dataValidations></ext></extLst>")

    def edit(name, text):
        if name != sheet_file:
            return text
        return text.replace("</worksheet>", ext + "</worksheet>")
    return rewrite_zip(data, edit)


def simple_questionnaire(rows: int = 5, *, title_rows: int = 2) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Security"
    for i in range(title_rows):
        ws.append([f"ACME vendor questionnaire, part {i + 1}"])
    ws.append(["ID", "Question", "Response", "Comments"])
    for i in range(1, rows + 1):
        ws.append([f"SEC-{i:02d}", f"Do you enforce control number {i}?", None, None])
    return wb


def make_pdf(objects: list[bytes], *, root: int = 1) -> bytes:
    """objects[i] is the body of object i+1; a correct xref table is computed."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, root, xref)
    return bytes(out)
