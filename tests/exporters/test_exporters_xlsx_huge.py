"""fill_xlsx on a sheet that declares A1:XFD1048576 and holds ~100,000 empty <row/> elements
(issue #14): the empty rows are set aside before parsing, and the filled copy is byte for byte what
the full parse gives. Time and memory are measured in bench/xlsx_huge.py, not here."""
from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

from exporters import CellWrite, XlsxCellError, fill_xlsx, xlsx_sheet
from tests.exporters._helpers import assert_only_parts_changed, zip_parts

SHEET = "xl/worksheets/sheet1.xml"


def huge_workbook(last_row: int = 100_000, gap: range = range(50_001, 50_011)) -> bytes:
    """Header + 5 questions, then empty rows 7..last_row (a few missing: *gap*), a merge in the
    empty area, dimension A1:XFD1048576."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Q"
    ws.append(["ID", "Question", "Answer"])
    for i in range(1, 6):
        ws.append([f"Q{i}", f"Question {i}?", None])
    buf = io.BytesIO()
    wb.save(buf)
    zin, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            raw = zin.read(info)
            if info.filename == SHEET:
                raw = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', raw)
                empty = b"".join(b'<row r="%d" spans="1:16384"/>' % r
                                 for r in range(7, last_row + 1) if r not in gap)
                raw = raw.replace(b"</sheetData>", empty + b"</sheetData>"
                                  b'<mergeCells count="1"><mergeCell ref="C70000:D70001"/></mergeCells>')
            zout.writestr(info, raw)
    return out.getvalue()


WRITES = [
    CellWrite("Q", "C2", "Yes"),
    CellWrite("Q", "C6", "=1+1"),           # formula-like: quotePrefix style
    CellWrite("Q", "C40000", "in an empty row"),
    CellWrite("Q", "C50005", "in a missing row between empty rows"),
    CellWrite("Q", "D70001", "merged", ),   # redirected to C70000 with merged="top-left"
    CellWrite("Q", "C100000", "last row"),
    CellWrite("Q", "C200000", "past the last row"),
]


@pytest.fixture(scope="module")
def source() -> bytes:
    return huge_workbook()


@pytest.fixture(scope="module")
def filled(source) -> bytes:
    return fill_xlsx(source, WRITES, merged="top-left")


def test_filled_copy_is_the_same_as_with_a_full_parse(source, filled, monkeypatch):
    assert len(xlsx_sheet.BlankRuns(zip_parts(source)[SHEET], {40000}).reduced) < 20_000  # set aside
    monkeypatch.setattr(xlsx_sheet.BlankRuns, "_RUN", re.compile(rb"(?!)"))  # nothing set aside
    assert fill_xlsx(source, WRITES, merged="top-left") == filled


def test_filled_copy_keeps_every_row_in_order_and_writes_the_targets(source, filled):
    assert_only_parts_changed(source, filled, {SHEET, "xl/styles.xml"})
    before, after = zip_parts(source)[SHEET], zip_parts(filled)[SHEET]
    rows = [int(r) for r in re.findall(rb'<row r="(\d+)"', after)]
    assert rows == sorted(set(rows))
    assert len(rows) == len(re.findall(rb'<row r="', before)) + 2  # rows 50005 and 200000 are new
    assert b'<dimension ref="A1:XFD1048576"/>' in after
    cells = dict(re.findall(rb'<c r="([A-Z]+\d+)"[^>]*><is><t xml:space="preserve">([^<]*)</t>', after))
    assert cells == {b"C2": b"Yes", b"C6": b"=1+1", b"C40000": b"in an empty row",
                     b"C50005": b"in a missing row between empty rows", b"C70000": b"merged",
                     b"C100000": b"last row", b"C200000": b"past the last row"}
    # an empty row written into keeps its attributes; its neighbours are untouched
    assert b'<row r="39999" spans="1:16384"/><row r="40000" spans="1:16384"><c r="C40000"' in after
    assert b'</row><row r="40001" spans="1:16384"/>' in after
    assert (b'<row r="50000" spans="1:16384"/><row r="50005"><c r="C50005"' in after
            and b'</row><row r="50011" spans="1:16384"/>' in after)
    # outside the target rows the sheet is byte-identical
    strip = re.compile(rb'<row r="(?:2|6|40000|70000|100000)" spans="1:16384">.*?</row>'
                       rb'|<row r="(?:2|6)"[^>]*>.*?</row>|<row r="(?:50005|200000)">.*?</row>'
                       rb'|<row r="(?:2|6|40000|70000|100000)" spans="1:16384"/>')
    assert strip.sub(b"", after) == strip.sub(b"", before)


def test_refusals_still_reach_rows_in_the_empty_area(source):
    with pytest.raises(XlsxCellError, match="inside merged range C70000:D70001"):
        fill_xlsx(source, [CellWrite("Q", "D70001", "x")])


@pytest.mark.parametrize("edit", [
    lambda raw: raw.replace(b'<row r="7" ', b'<row spans="1:16384" r="7" ', 1),   # a row not starting with r
    lambda raw: raw.replace(b"<sheetData>", b"<sheetData><!-- note -->", 1),       # a comment in sheetData
])
def test_sheets_the_runs_are_not_set_aside_for_are_parsed_whole(edit):
    raw = edit(zip_parts(huge_workbook(last_row=2_000))[SHEET])
    assert xlsx_sheet.BlankRuns(raw, {100}).reduced == raw
