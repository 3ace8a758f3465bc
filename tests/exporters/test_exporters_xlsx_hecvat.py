"""fill_xlsx on the real HECVAT 4.1.4 workbook: only the answer cells change."""
from __future__ import annotations

import io
import re
import warnings

import openpyxl
import pytest
from lxml import etree

from exporters import CellWrite, XlsxCellError, fill_xlsx
from tests.exporters._helpers import (
    HECVAT,
    MAIN_NS,
    X14_NS,
    assert_only_parts_changed,
    assert_styles_only_appended,
    cell_xfs,
    cell_element,
    csv_cell,
    libreoffice_csv,
    sheet_part,
    xml_minus_cells,
    zip_parts,
)

pytestmark = pytest.mark.skipif(not HECVAT.exists(), reason=f"{HECVAT} not present")

# Real answer cells: Product!C20:C28 and Organization!C22:C28 carry the x14 Yes/No dropdown,
# column D is "Additional Information"; Institution Evaluation!H56/J56 are analyst inputs
# on the sheet with x14 conditional formatting and a merged range (A19:C19).
WRITES = [
    CellWrite("Product", "C20", "Yes"),
    CellWrite("Product", "D20", "SAML 2.0 and OIDC.\nSee our SSO guide, section 3."),
    CellWrite("Product", "C21", "No"),
    CellWrite("Product", "D21", "  leading spaces & <markup> \"quotes\" 中文 ✓"),
    CellWrite("Organization", "C22", "Yes"),
    CellWrite("Organization", "D22", "=1+1"),
    CellWrite("Institution Evaluation", "H56", "Reviewed"),
]
BY_SHEET: dict[str, set[str]] = {}
for _w in WRITES:
    BY_SHEET.setdefault(_w.sheet, set()).add(_w.cell)


@pytest.fixture(scope="module")
def source() -> bytes:
    return HECVAT.read_bytes()


@pytest.fixture(scope="module")
def patched(source) -> bytes:
    return fill_xlsx(source, WRITES)


def _load(data: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about the x14 extensions it drops
        return openpyxl.load_workbook(io.BytesIO(data))


def test_only_patched_worksheets_change(source, patched):
    parts = {sheet_part(source, s) for s in BY_SHEET}
    assert parts == {"xl/worksheets/sheet3.xml", "xl/worksheets/sheet2.xml",
                     "xl/worksheets/sheet9.xml"}
    # "=1+1" in Organization!D22 gets a quotePrefix copy of its style appended to styles.xml
    assert_only_parts_changed(source, patched, parts | {"xl/styles.xml"})
    assert len(assert_styles_only_appended(zip_parts(source)["xl/styles.xml"],
                                           zip_parts(patched)["xl/styles.xml"])) == 1
    # sharedStrings, calcChain, printer settings, comments ... untouched
    for name in ("xl/sharedStrings.xml", "xl/calcChain.xml", "[Content_Types].xml", "xl/workbook.xml"):
        assert zip_parts(source)[name] == zip_parts(patched)[name]


def test_unpatched_parts_keep_their_compressed_bytes(source, patched):
    """Copied entries are not re-deflated: the raw compressed stream is the same."""
    import zipfile

    src_zip, out_zip = zipfile.ZipFile(io.BytesIO(source)), zipfile.ZipFile(io.BytesIO(patched))
    for info in src_zip.infolist():
        other = out_zip.getinfo(info.filename)
        if info.filename.startswith("xl/worksheets/sheet") and info.filename.endswith(
                ("sheet2.xml", "sheet3.xml", "sheet9.xml")) or info.filename == "xl/styles.xml":
            continue
        assert (other.compress_size, other.CRC) == (info.compress_size, info.CRC), info.filename


def test_patched_sheets_differ_only_in_target_cells(source, patched):
    before, after = zip_parts(source), zip_parts(patched)
    for sheet, cells in BY_SHEET.items():
        part = sheet_part(source, sheet)
        assert xml_minus_cells(before[part], cells) == xml_minus_cells(after[part], cells), sheet
        # the XML declaration and the mc:Ignorable prefixes survive verbatim
        assert after[part].startswith(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<worksheet ')
        head = after[part][:1200]
        assert b'mc:Ignorable="x14ac xr xr2 xr3"' in head
        for prefix in (b"x14ac", b"xr", b"xr2", b"xr3"):
            assert b"xmlns:" + prefix + b"=" in head


def _without_cells(xml: bytes, cells: set[str]) -> bytes:
    for ref in cells:
        xml, n = re.subn(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', b"", xml, flags=re.S)
        assert n == 1, ref
    return xml


def test_patched_sheets_are_byte_identical_outside_the_target_cells(source, patched):
    """Stronger than the parsed comparison: attribute order, quoting, entity forms kept."""
    before, after = zip_parts(source), zip_parts(patched)
    for sheet, cells in BY_SHEET.items():
        part = sheet_part(source, sheet)
        assert _without_cells(before[part], cells) == _without_cells(after[part], cells), sheet


def test_target_cells_are_inline_strings_keeping_their_style(source, patched):
    before, after = zip_parts(source), zip_parts(patched)
    for w in WRITES:
        part = sheet_part(source, w.sheet)
        old, new = cell_element(before[part], w.cell), cell_element(after[part], w.cell)
        if w.value.startswith("="):  # same style plus quotePrefix (Excel keeps it text when edited)
            xfs = cell_xfs(after["xl/styles.xml"])
            old_xf, new_xf = xfs[int(old.get("s") or 0)], xfs[int(new.get("s"))]
            assert new_xf.get("quotePrefix") == "1"
            assert {k: v for k, v in new_xf.attrib.items() if k != "quotePrefix"} == \
                   {k: v for k, v in old_xf.attrib.items() if k != "quotePrefix"}
            assert [etree.tostring(c, method="c14n") for c in new_xf] == \
                   [etree.tostring(c, method="c14n") for c in old_xf]
        else:
            assert new.get("s") == old.get("s")
        assert new.get("t") == "inlineStr"
        assert new.find(f"{{{MAIN_NS}}}f") is None and new.find(f"{{{MAIN_NS}}}v") is None
        t = new.find(f"{{{MAIN_NS}}}is/{{{MAIN_NS}}}t")
        assert t.text == w.value
        assert t.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"


def test_x14_validations_and_conditional_formatting_survive(source, patched):
    before, after = zip_parts(source), zip_parts(patched)
    for sheet in BY_SHEET:
        part = sheet_part(source, sheet)
        for tag in (f"{{{MAIN_NS}}}dataValidations", f"{{{MAIN_NS}}}conditionalFormatting",
                    f"{{{X14_NS}}}dataValidations", f"{{{X14_NS}}}conditionalFormattings",
                    f"{{{MAIN_NS}}}cols", f"{{{MAIN_NS}}}mergeCells", f"{{{MAIN_NS}}}extLst"):
            old = etree.fromstring(before[part]).findall(f".//{tag}")
            new = etree.fromstring(after[part]).findall(f".//{tag}")
            assert [etree.tostring(e, method="c14n") for e in new] == \
                   [etree.tostring(e, method="c14n") for e in old], (sheet, tag)
    product = etree.fromstring(after["xl/worksheets/sheet3.xml"])
    sqrefs = [e.text for e in product.iter("{http://schemas.microsoft.com/office/excel/2006/main}sqref")]
    assert any("C20:C28" in s for s in sqrefs)  # the Yes/No dropdown still covers C20
    inst = etree.fromstring(after["xl/worksheets/sheet9.xml"])
    assert inst.findall(f".//{{{X14_NS}}}conditionalFormatting")


def test_openpyxl_reads_back_the_answers(patched):
    wb = _load(patched)
    for w in WRITES:
        cell = wb[w.sheet][w.cell]
        assert cell.value == w.value
        assert cell.data_type == "s"
    # neighbouring formulas are still formulas
    assert wb["Product"]["B20"].data_type == "f"
    assert wb["Product"]["E20"].value.startswith("=IF(")


def test_formula_cells_are_refused_with_every_cell_listed(source):
    with pytest.raises(XlsxCellError) as info:
        fill_xlsx(source, [
            CellWrite("Product", "C20", "Yes"),
            CellWrite("Product", "B20", "question overwritten?"),  # VLOOKUP question text
            CellWrite("Institution Evaluation", "F21", "x"),  # IFERROR score formula
        ])
    cells = {(p.sheet, p.cell) for p in info.value.problems}
    assert cells == {("Product", "B20"), ("Institution Evaluation", "F21")}
    assert "VLOOKUP" in str(info.value) and "not an answer cell" in str(info.value)


def test_merged_range_on_real_sheet(source):
    with pytest.raises(XlsxCellError, match=r"merged range A19:C19.*top-left cell A19"):
        fill_xlsx(source, [CellWrite("Institution Evaluation", "B19", "x")])
    out = fill_xlsx(source, [CellWrite("Institution Evaluation", "B19", "x")], merged="top-left")
    assert _load(out)["Institution Evaluation"]["A19"].value == "x"


def test_unknown_sheet_lists_the_sheets(source):
    with pytest.raises(XlsxCellError, match=r"no such sheet.*'Product'"):
        fill_xlsx(source, [CellWrite("Producto", "C20", "Yes")])


def test_sheet_name_match_is_case_insensitive_like_excel(source):
    out = fill_xlsx(source, [CellWrite("product", "C20", "Yes")])
    assert _load(out)["Product"]["C20"].value == "Yes"


def test_libreoffice_opens_the_result_and_shows_the_answers(patched, tmp_path):
    sheets = libreoffice_csv(patched, tmp_path)
    for w in WRITES:
        assert csv_cell(sheets[w.sheet], w.cell) == w.value, w
    # the question text computed by VLOOKUP is still there next to the answer
    assert "single sign-on" in csv_cell(sheets["Product"], "B20")


def test_recalc_on_load_touches_only_calcpr_in_workbook_xml(source):
    out = fill_xlsx(source, WRITES, recalc_on_load=True)
    parts = {sheet_part(source, s) for s in BY_SHEET} | {"xl/workbook.xml", "xl/styles.xml"}
    assert_only_parts_changed(source, out, parts)
    before, after = zip_parts(source)["xl/workbook.xml"], zip_parts(out)["xl/workbook.xml"]
    assert after == before.replace(b'<calcPr calcId="191029"/>',
                                   b'<calcPr calcId="191029" fullCalcOnLoad="1"/>')
