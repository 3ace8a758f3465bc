"""fill_xlsx on workbooks built in the test: preservation and the edge cases."""
from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest
from lxml import etree
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image as XLImage
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from exporters import MAX_CELL_CHARS, CellWrite, XlsxCellError, XlsxExportError, fill_xlsx
from tests.exporters._helpers import (
    MAIN_NS,
    assert_only_parts_changed,
    cell_element,
    xml_minus_cells,
    zip_parts,
)

SHEET1 = "xl/worksheets/sheet1.xml"


def _tiny_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def build_workbook() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Vendor Answers"
    ws["A1"] = "Security questionnaire"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:D1")
    ws.append(["ID", "Question", "Answer", "Notes"])
    answer_style = dict(fill=PatternFill("solid", fgColor="FFF2CC"),
                        border=Border(bottom=Side(style="thin")),
                        alignment=Alignment(wrap_text=True, vertical="top"))
    for i in range(3, 9):
        ws[f"A{i}"] = f"Q-{i - 2:02d}"
        ws[f"B{i}"] = f"Do you do thing {i - 2}?"
        for col in "CD":
            for k, v in answer_style.items():
                setattr(ws[f"{col}{i}"], k, v)
    ws["B9"] = "Score"
    ws["C9"] = '=COUNTIF(C3:C8,"Yes")'
    ws.column_dimensions["B"].width = 61.5
    ws.column_dimensions["C"].width = 12.25
    ws.column_dimensions["D"].width = 40
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add("C3:C8")
    ws.conditional_formatting.add("C3:C8", CellIsRule(operator="equal", formula=['"No"'],
                                                      fill=PatternFill("solid", fgColor="FFC7CE")))
    ws["B3"].comment = Comment("Ask the CISO", "Analyst")
    ws["B4"].hyperlink = "https://example.org/policy"
    ws.freeze_panes = "A3"
    ws.page_setup.orientation = "landscape"
    ws.print_title_rows = "2:2"
    img = XLImage(io.BytesIO(_tiny_png()))
    ws.add_image(img, "F2")
    notes = wb.create_sheet("Notes")
    notes["A1"] = "='Vendor Answers'!C9"
    notes.sheet_state = "hidden"
    wb.defined_names["Answers"] = DefinedName("Answers", attr_text="'Vendor Answers'!$C$3:$C$8")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def replace_part(data: bytes, name: str, content: bytes, *, stored: bool = False) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = content if info.filename == name else src.read(info)
            dst.writestr(info.filename, body,
                         compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return out.getvalue()


def with_sheet_xml(sheet_data: str, *, extra: str = "", root_attrs: str = "") -> bytes:
    """A generated workbook whose first worksheet is replaced by the given XML."""
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<worksheet xmlns="{MAIN_NS}" {root_attrs}>'
           f'<dimension ref="A1:D4"/>{extra}<sheetData>{sheet_data}</sheetData></worksheet>')
    return replace_part(build_workbook(), SHEET1, xml.encode())


def load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def sheet_xml(data: bytes, part: str = SHEET1) -> bytes:
    return zip_parts(data)[part]


@pytest.fixture(scope="module")
def book() -> bytes:
    return build_workbook()


# ---------------------------------------------------------------- preservation

def test_generated_workbook_only_target_cells_change(book):
    writes = [CellWrite("Vendor Answers", "C3", "Yes"), CellWrite("Vendor Answers", "C4", "No"),
              CellWrite("Vendor Answers", "D4", "Compensating control:\n  quarterly review")]
    out = fill_xlsx(book, writes)
    assert_only_parts_changed(book, out, {SHEET1})
    assert xml_minus_cells(sheet_xml(book), {"C3", "C4", "D4"}) == \
        xml_minus_cells(sheet_xml(out), {"C3", "C4", "D4"})
    wb = load(out)
    ws = wb["Vendor Answers"]
    assert [ws[c].value for c in ("C3", "C4", "D4")] == [w.value for w in writes]
    # everything openpyxl understands is still there
    assert ws["C3"].fill.fgColor.rgb.endswith("FFF2CC") and ws["C3"].alignment.wrap_text
    assert ws.column_dimensions["B"].width == 61.5
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:D1"]
    assert ws.data_validations.dataValidation[0].formula1 == '"Yes,No,N/A"'
    assert ws["B3"].comment.text.startswith("Ask the CISO")
    assert ws["B4"].hyperlink.target == "https://example.org/policy"
    assert len(ws._images) == 1
    assert ws["C9"].value == '=COUNTIF(C3:C8,"Yes")'
    assert "Answers" in wb.defined_names
    assert wb["Notes"].sheet_state == "hidden" and wb["Notes"]["A1"].value == "='Vendor Answers'!C9"
    assert ws.freeze_panes == "A3"


def test_second_sheet_can_be_written_too(book):
    out = fill_xlsx(book, [CellWrite("Notes", "B2", "hidden sheet answer")])
    assert_only_parts_changed(book, out, {"xl/worksheets/sheet2.xml"})
    assert load(out)["Notes"]["B2"].value == "hidden sheet answer"


def test_no_writes_returns_the_source_unchanged(book):
    assert fill_xlsx(book, []) == book


def test_source_may_be_a_path_or_a_file(book, tmp_path):
    path = tmp_path / "q.xlsx"
    path.write_bytes(book)
    w = [CellWrite("Vendor Answers", "C3", "Yes")]
    assert fill_xlsx(path, w) == fill_xlsx(str(path), w) == fill_xlsx(io.BytesIO(book), w)


def test_stored_entries_stay_stored_and_data_descriptors_are_handled(book):
    stored = replace_part(book, "xl/styles.xml", zip_parts(book)["xl/styles.xml"], stored=True)
    # zipfile writes data descriptors when the output is not seekable
    class Unseekable(io.RawIOBase):
        def __init__(self):
            self.buf = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.buf += b
            return len(b)

    sink = Unseekable()
    src = zipfile.ZipFile(io.BytesIO(stored))
    with zipfile.ZipFile(sink, "w") as dst:
        for info in src.infolist():
            with src.open(info) as fh, dst.open(zipfile.ZipInfo(info.filename, info.date_time), "w") as o:
                o.write(fh.read())
    streamed = bytes(sink.buf)
    assert any(i.flag_bits & 0x08 for i in zipfile.ZipFile(io.BytesIO(streamed)).infolist())
    for source in (stored, streamed):
        out = fill_xlsx(source, [CellWrite("Vendor Answers", "C3", "Yes")])
        assert_only_parts_changed(source, out, {SHEET1})
        assert load(out)["Vendor Answers"]["C3"].value == "Yes"


# ---------------------------------------------------------------- structure

def test_new_cell_goes_in_column_order_with_column_style_and_spans():
    data = with_sheet_xml(
        '<row r="2" spans="1:2"><c r="A2" t="inlineStr"><is><t>Q1</t></is></c>'
        '<c r="D2" s="1"/></row>',
        extra='<cols><col min="3" max="3" width="20" style="1" customWidth="1"/></cols>')
    out = fill_xlsx(data, [CellWrite("Vendor Answers", "C2", "Yes")])
    row = etree.fromstring(sheet_xml(out)).find(f".//{{{MAIN_NS}}}row")
    assert [c.get("r") for c in row] == ["A2", "C2", "D2"]
    assert row[1].get("s") == "1"  # the column's style, as Excel does when you type there
    assert row.get("spans") == "1:3"
    assert load(out)["Vendor Answers"]["C2"].value == "Yes"


def test_new_row_goes_in_row_order_and_dimension_widens():
    data = with_sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row>'
                          '<row r="5" s="1" customFormat="1"><c r="A5"/></row>')
    out = fill_xlsx(data, [CellWrite("Vendor Answers", "B3", "mid"),
                           CellWrite("Vendor Answers", "F5", "styled by row"),
                           CellWrite("Vendor Answers", "A9", "end")])
    root = etree.fromstring(sheet_xml(out))
    rows = root.findall(f".//{{{MAIN_NS}}}row")
    assert [r.get("r") for r in rows] == ["1", "3", "5", "9"]
    assert cell_element(sheet_xml(out), "F5").get("s") == "1"  # row style (customFormat)
    assert root.find(f"{{{MAIN_NS}}}dimension").get("ref") == "A1:F9"
    ws = load(out)["Vendor Answers"]
    assert (ws["B3"].value, ws["F5"].value, ws["A9"].value) == ("mid", "styled by row", "end")


def test_rows_and_cells_without_r_keep_their_implicit_positions():
    # <row> and <c> may omit r: their index is the previous one + 1
    data = with_sheet_xml('<row><c t="inlineStr"><is><t>a1</t></is></c><c t="inlineStr">'
                          '<is><t>b1</t></is></c></row><row><c t="inlineStr"><is><t>a2</t></is>'
                          '</c></row>')
    out = fill_xlsx(data, [CellWrite("Vendor Answers", "A1", "new a1"),
                           CellWrite("Vendor Answers", "C1", "c1"),
                           CellWrite("Vendor Answers", "B2", "b2")])
    ws = load(out)["Vendor Answers"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=2, max_col=3)] == \
        [["new a1", "b1", "c1"], ["a2", "b2", None]]


def test_prefixed_main_namespace_is_kept():
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<x:worksheet xmlns:x="{MAIN_NS}"><x:sheetData><x:row r="1"><x:c r="A1" s="0"/>'
           f'</x:row></x:sheetData></x:worksheet>').encode()
    out = fill_xlsx(replace_part(build_workbook(), SHEET1, xml),
                    [CellWrite("Vendor Answers", "A1", "v"), CellWrite("Vendor Answers", "B1", "w")])
    text = sheet_xml(out).decode()
    assert '<x:c r="A1" s="0" t="inlineStr"><x:is><x:t xml:space="preserve">v</x:t></x:is></x:c>' in text
    assert '<x:c r="B1" t="inlineStr">' in text and "xmlns:ns0" not in text


def test_existing_values_are_replaced_and_value_metadata_dropped():
    data = with_sheet_xml('<row r="1"><c r="A1" s="1" t="s"><v>0</v></c><c r="B1" vm="1"><v>42</v>'
                          '</c><c r="C1" t="b"><v>1</v></c></row>')
    out = fill_xlsx(data, [CellWrite("Vendor Answers", c, "text") for c in ("A1", "B1", "C1")])
    for ref in ("A1", "B1", "C1"):
        c = cell_element(sheet_xml(out), ref)
        assert c.get("t") == "inlineStr" and c.get("vm") is None
        assert c.find(f"{{{MAIN_NS}}}v") is None
    assert cell_element(sheet_xml(out), "A1").get("s") == "1"


def test_empty_value_clears_the_cell_but_keeps_its_style():
    data = with_sheet_xml('<row r="1"><c r="A1" s="1" t="inlineStr"><is><t>old</t></is></c></row>')
    out = fill_xlsx(data, [CellWrite("Vendor Answers", "A1", "")])
    c = cell_element(sheet_xml(out), "A1")
    assert c.get("s") == "1" and c.get("t") is None and len(c) == 0
    assert load(out)["Vendor Answers"]["A1"].value is None


# ---------------------------------------------------------------- refusals

def test_array_and_shared_formula_cells_are_refused():
    data = with_sheet_xml(
        '<row r="1"><c r="A1"><f t="array" ref="A1:A3">ROW(1:3)</f><v>1</v></c>'
        '<c r="B1"><f t="shared" ref="B1:B2" si="0">A1*2</f><v>2</v></c></row>'
        '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>')
    with pytest.raises(XlsxCellError) as info:
        fill_xlsx(data, [CellWrite("Vendor Answers", "A2", "x"), CellWrite("Vendor Answers", "B2", "x"),
                         CellWrite("Vendor Answers", "A1", "x")])
    reasons = {p.cell: p.reason for p in info.value.problems}
    assert "array formula of A1" in reasons["A2"] and "array formula" in reasons["A1"]
    assert "shared formula" in reasons["B2"]


def test_merged_cells(book):
    with pytest.raises(XlsxCellError, match=r"Vendor Answers!B1: inside merged range A1:D1; only "
                                            r"its top-left cell A1 can hold a value"):
        fill_xlsx(book, [CellWrite("Vendor Answers", "B1", "x")])
    out = fill_xlsx(book, [CellWrite("Vendor Answers", "A1", "Retitled")])  # top-left is fine
    assert load(out)["Vendor Answers"]["A1"].value == "Retitled"
    out = fill_xlsx(book, [CellWrite("Vendor Answers", "C1", "x")], merged="top-left")
    assert load(out)["Vendor Answers"]["A1"].value == "x"
    with pytest.raises(XlsxCellError, match="written twice"):
        fill_xlsx(book, [CellWrite("Vendor Answers", "A1", "x"), CellWrite("Vendor Answers", "B1", "y")],
                  merged="top-left")


def test_duplicate_and_invalid_references(book):
    with pytest.raises(XlsxCellError) as info:
        fill_xlsx(book, [CellWrite("Vendor Answers", "C3", "a"), CellWrite("Vendor Answers", "$C$3", "b"),
                         CellWrite("Vendor Answers", "XFE1", "x"), CellWrite("Vendor Answers", "A0", "x"),
                         CellWrite("Vendor Answers", "C3:C4", "x"), CellWrite("Vendor Answers", "C5", 5)])
    reasons = [p.reason for p in info.value.problems]
    assert sum("not a cell reference" in r for r in reasons) == 3
    assert any("written twice" in r for r in reasons) and any("must be str" in r for r in reasons)


def test_lowercase_and_absolute_references_are_accepted(book):
    out = fill_xlsx(book, [CellWrite("Vendor Answers", "c3", "a"), CellWrite("Vendor Answers", "$D$3", "b")])
    ws = load(out)["Vendor Answers"]
    assert (ws["C3"].value, ws["D3"].value) == ("a", "b")


def test_length_limit_is_excels(book):
    ok = "x" * MAX_CELL_CHARS
    assert load(fill_xlsx(book, [CellWrite("Vendor Answers", "D3", ok)]))["Vendor Answers"]["D3"].value == ok
    with pytest.raises(XlsxCellError, match="32768 characters; Excel holds at most 32767"):
        fill_xlsx(book, [CellWrite("Vendor Answers", "D3", ok + "x")])
    # Excel counts UTF-16 units: an emoji is two
    with pytest.raises(XlsxCellError, match="32768 characters"):
        fill_xlsx(book, [CellWrite("Vendor Answers", "D3", "x" * (MAX_CELL_CHARS - 1) + "😀")])


def test_chartsheet_is_refused():
    from openpyxl.chart import BarChart, Reference

    wb = openpyxl.Workbook()
    wb.active.append([1])
    cs = wb.create_chartsheet("Chart")
    chart = BarChart()
    chart.add_data(Reference(wb.active, min_col=1, min_row=1, max_row=1))
    cs.add_chart(chart)
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(XlsxCellError, match="not a worksheet"):
        fill_xlsx(buf.getvalue(), [CellWrite("Chart", "A1", "x")])


@pytest.mark.parametrize("payload, match", [
    (b"not a zip at all", "not an .xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "encrypted"),
])
def test_not_an_xlsx(payload, match):
    with pytest.raises(XlsxExportError, match=match):
        fill_xlsx(payload, [CellWrite("Sheet1", "A1", "x")])


def test_docx_is_not_a_workbook(tmp_path):
    import docx

    path = tmp_path / "d.docx"
    docx.Document().save(path)
    with pytest.raises(XlsxExportError, match="not a spreadsheet"):
        fill_xlsx(path, [CellWrite("Sheet1", "A1", "x")])


def test_doctype_in_sheet_is_refused():
    xml = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<worksheet xmlns="' + MAIN_NS.encode() + b'"><sheetData>&x;</sheetData></worksheet>')
    with pytest.raises(XlsxExportError, match="DOCTYPE"):
        fill_xlsx(replace_part(build_workbook(), SHEET1, xml), [CellWrite("Vendor Answers", "A1", "x")])


def test_relative_and_absolute_relationship_targets(book):
    rels = zip_parts(book)["xl/_rels/workbook.xml.rels"]
    assert b'Target="/xl/worksheets/sheet1.xml"' in rels  # openpyxl writes absolute targets
    relative = replace_part(book, "xl/_rels/workbook.xml.rels",
                            rels.replace(b'Target="/xl/worksheets/sheet1.xml"',
                                         b'Target="worksheets/sheet1.xml"'))
    for data in (book, relative):
        out = fill_xlsx(data, [CellWrite("Vendor Answers", "C3", "Yes")])
        assert load(out)["Vendor Answers"]["C3"].value == "Yes"


# ---------------------------------------------------------------- text handling

def test_text_cleanup(book):
    out = fill_xlsx(book, [
        CellWrite("Vendor Answers", "D3", "bell\x07 nul\x00 esc\x1b ok"),
        CellWrite("Vendor Answers", "D4", "line1\r\nline2\rline3\n"),
        CellWrite("Vendor Answers", "D5", "  spaced  \tand tabbed "),
        CellWrite("Vendor Answers", "D6", "literal _x0041_ stays"),
    ])
    xml = sheet_xml(out)
    t = lambda ref: cell_element(xml, ref).find(f"{{{MAIN_NS}}}is/{{{MAIN_NS}}}t").text  # noqa: E731
    assert t("D3") == "bell nul esc ok"
    assert t("D4") == "line1\nline2\nline3\n"
    assert t("D5") == "  spaced  \tand tabbed "
    assert t("D6") == "literal _x005F_x0041_ stays"  # OOXML escape for a literal "_x0041_"


# ---------------------------------------------------------------- recalculation

def test_recalc_on_load_sets_full_calc_and_changes_only_workbook_xml(book):
    # openpyxl itself saves fullCalcOnLoad="1"; Excel-saved files (HECVAT) do not have it
    wb_xml = zip_parts(book)["xl/workbook.xml"]
    assert b'fullCalcOnLoad="1"' in wb_xml
    book = replace_part(book, "xl/workbook.xml", wb_xml.replace(b' fullCalcOnLoad="1"', b""))
    w = [CellWrite("Vendor Answers", "C3", "Yes")]
    assert b"fullCalcOnLoad" not in zip_parts(fill_xlsx(book, w))["xl/workbook.xml"]
    out = fill_xlsx(book, w, recalc_on_load=True)
    assert_only_parts_changed(book, out, {SHEET1, "xl/workbook.xml"})
    root = etree.fromstring(zip_parts(out)["xl/workbook.xml"])
    assert root.find(f"{{{MAIN_NS}}}calcPr").get("fullCalcOnLoad") == "1"
    assert root.find(f"{{{MAIN_NS}}}calcPr").get("calcId") == "124519"  # other attributes kept


def test_recalc_on_load_creates_calcpr_in_schema_order(book):
    parts = zip_parts(book)
    wb_xml = re.sub(rb"<calcPr[^>]*/>", b"", parts["xl/workbook.xml"])
    wb_xml = wb_xml.replace(b"</workbook>", b"<extLst/></workbook>")
    data = replace_part(book, "xl/workbook.xml", wb_xml)
    out = fill_xlsx(data, [CellWrite("Vendor Answers", "C3", "Yes")], recalc_on_load=True)
    root = etree.fromstring(zip_parts(out)["xl/workbook.xml"])
    names = [etree.QName(el).localname for el in root]
    assert names[-2:] == ["calcPr", "extLst"]
    assert root.find(f"{{{MAIN_NS}}}calcPr").get("fullCalcOnLoad") == "1"


# ---------------------------------------------------------------- splice / fallback

def test_empty_sheetdata_element():
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<worksheet xmlns="{MAIN_NS}"><dimension ref="A1"/><sheetData/></worksheet>').encode()
    out = fill_xlsx(replace_part(build_workbook(), SHEET1, xml), [CellWrite("Vendor Answers", "B2", "x")])
    assert load(out)["Vendor Answers"]["B2"].value == "x"
    assert b'<dimension ref="A1:B2"/>' in sheet_xml(out)


def test_markup_lookalikes_in_comments_do_not_fool_the_splice():
    # "</row>" inside an XML comment: the byte splice would cut there; the check catches
    # it and the full serialisation is used, so the result is still right
    data = with_sheet_xml('<row r="1"><!-- </row> --><c r="A1" t="inlineStr"><is><t>a</t></is></c>'
                          '</row><row r="2" customHeight="1" ht="30"><c r="A2"/></row>')
    out = fill_xlsx(data, [CellWrite("Vendor Answers", "B1", "b1"), CellWrite("Vendor Answers", "A2", "a2")])
    ws = load(out)["Vendor Answers"]
    assert (ws["A1"].value, ws["B1"].value, ws["A2"].value) == ("a", "b1", "a2")
    assert ws.row_dimensions[2].height == 30


def test_splice_keeps_untouched_bytes_verbatim():
    # attribute order and quoting lxml would normalise
    rows = ("<row r='1' spans='1:2' xmlns:q='urn:q' q:k='v'><c r='A1' s='0'/></row>"
            "<row r='3'><c r='A3' t='inlineStr'><is><t>keep &apos;me&apos;</t></is></c></row>")
    data = with_sheet_xml(rows)
    out = fill_xlsx(data, [CellWrite("Vendor Answers", "A3", "new"), CellWrite("Vendor Answers", "A2", "ins")])
    xml = sheet_xml(out)
    assert b"<row r='1' spans='1:2' xmlns:q='urn:q' q:k='v'><c r='A1' s='0'/></row><row r=\"2\">" in xml
    ws = load(out)["Vendor Answers"]
    assert (ws["A2"].value, ws["A3"].value) == ("ins", "new")
