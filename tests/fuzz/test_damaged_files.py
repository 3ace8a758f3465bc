"""Issue #14: damaged files get one clear line, never a traceback, a half result or silent damage.
Every damaged file is built here from a small valid seed (tests/fuzz/seeds/)."""
from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path

import pytest

from bench.fuzz import check_input
from exporters import EXPORT_ERRORS
from exporters.filled import FilledAnswer, fill_questionnaire
from exporters.xlsx_patch import CellWrite, fill_xlsx
from importers import ImportErrorWithContext, load_questionnaire
from importers.library import load_library_table
from tests.fuzz.make_seeds import form_pdf
from vault.watermark import find_download_id

SEEDS = Path(__file__).parent / "seeds"


def seed(name: str) -> bytes:
    return (SEEDS / name).read_bytes()


def flip_member(data: bytes, member: str, at: int = 10) -> bytes:
    """Flip bits inside one member's compressed bytes (what a bad download or disk does)."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    info = zf.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    b = bytearray(data)
    for k in range(4):
        b[start + (at + 7 * k) % info.compress_size] ^= 0x5A
    return bytes(b)


def edit_member(data: bytes, member: str, edit) -> bytes:
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zin.infolist():
            raw = zin.read(info)
            zo.writestr(info, edit(raw) if info.filename == member else raw)
    return out.getvalue()


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text
    return text


@pytest.mark.parametrize("name, member", [("questionnaire.xlsx", "xl/worksheets/sheet1.xml"),
                                          ("questionnaire.xlsm", "xl/worksheets/sheet1.xml"),
                                          ("questionnaire.xlsx", "docProps/app.xml"),
                                          ("questionnaire.docx", "word/document.xml"),
                                          ("questionnaire.docx", "word/webSettings.xml")])
def test_flipped_bytes_in_a_part_name_the_part(name, member):
    """Was zlib.error / BadZipFile from importers/safety.py read_member (or from the filled copy, for
    parts the importer never reads)."""
    data = flip_member(seed(name), member)
    with pytest.raises(ImportErrorWithContext) as err:
        load_questionnaire(data, name)
    assert f'part "{member}"' in one_line(err.value) and "damaged" in str(err.value)


def test_the_filled_copy_refuses_a_damaged_part_with_an_export_error():
    data = flip_member(seed("questionnaire.xlsx"), "docProps/app.xml")
    with pytest.raises(EXPORT_ERRORS) as err:
        fill_xlsx(data, [CellWrite("Security", "C4", "Yes")])
    assert "docProps/app.xml" in one_line(err.value)


def test_rels_without_target_is_an_export_error_not_a_traceback():
    src = seed("questionnaire.xlsx")
    q = load_questionnaire(src, "q.xlsx")
    broken = edit_member(src, "_rels/.rels", lambda raw: re.sub(rb'\sTarget="[^"]*"', b"", raw))
    with pytest.raises((ImportErrorWithContext, *EXPORT_ERRORS)) as err:
        fill_questionnaire(broken, q, [FilledAnswer(q.questions[0], "Yes")])
    one_line(err.value)


@pytest.mark.parametrize("piece, why", [(b"\x00", "nul byte"), (b"caf\xe9", "not valid utf-8"),
                                        (b"\x01", "control character u+0001")])
def test_csv_damage_is_named_with_its_row(piece, why):
    data = seed("questionnaire.csv").replace(b"Is customer", b"Is " + piece + b"customer")
    with pytest.raises(ImportErrorWithContext) as err:
        load_questionnaire(data, "q.csv")
    assert err.value.row == 3 and why in one_line(err.value).lower()
    assert "not a spreadsheet" not in str(err.value)


def test_library_csv_damage_is_reported_row_by_row_and_never_kept():
    lib = seed("library.csv")
    mixed = lib.replace("AES-256 in every data store.".encode(), b"AES-256 \xe0 la carte")  # Latin-1 row
    table = load_library_table(mixed, "lib.csv")
    assert [r.ref for r in table.rows] == ["IAM-01", "ZH-01"]  # the Chinese row is not re-read as cp1252
    assert [str(p) for p in table.problems] == [
        "row 3: column D holds bytes that are not valid utf-8 text (the file mixes encodings); "
        "save the file again as UTF-8"]
    nul = lib.replace(b"Yes,All", b"Y\x00es,All")
    assert [p.row for p in load_library_table(nul, "lib.csv").problems] == [2]


def test_library_csv_unclosed_quote_and_cut_off_row_are_problems():
    lib = seed("library.csv")
    unclosed = lib.replace(b"Yes,AES-256", b'Yes,"AES-256')
    table = load_library_table(unclosed, "lib.csv")
    assert [r.ref for r in table.rows] == ["IAM-01"]
    assert "never closed" in str(table.problems[0]) and table.problems[0].row == 3
    cut = lib[:lib.index("是".encode())]  # cut in the last row's question: 2 of 4 fields
    table = load_library_table(cut, "lib.csv")
    assert [r.ref for r in table.rows] == ["IAM-01", "ENC-01"]
    assert "cut off" in str(table.problems[0])


def test_trace_says_damaged_and_pypdf_stays_quiet(caplog):
    pdf = form_pdf()
    cases = {"truncated": pdf[: len(pdf) // 2],
             "encrypted": pdf.replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt << /Filter /Standard /V 1 /R 2 "
                                                       b"/O <00> /U <00> /P -4 >>"),
             "docx": flip_member(seed("questionnaire.docx"), "word/document.xml")}
    with caplog.at_level(logging.WARNING):
        for what, data in cases.items():
            result = find_download_id(data)
            assert result.download_id is None and result.damaged, what
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]


def test_filled_pdf_drops_active_content():
    src = form_pdf(catalog_extra=b"/OpenAction 8 0 R /AA << /WC 8 0 R >> "
                                 b"/Names << /JavaScript << /Names [(a) 8 0 R] >> >>",
                   page_extra=b"/AA << /O 8 0 R >>",
                   more=[b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"])
    q = load_questionnaire(src, "f.pdf")
    out, written = fill_questionnaire(src, q, [FilledAnswer(x, "Yes") for x in q.questions])
    assert written == 2
    for needle in (b"/JavaScript", b"/OpenAction", b"/AA", b"app.alert"):
        assert needle not in out
    assert [x.existing_answer for x in load_questionnaire(out, "o.pdf").questions] == ["Yes", "Yes"]


def test_a_huge_declared_dimension_with_empty_rows_is_read_by_its_content():
    """A1:XFD1048576 and 200,000 empty rows: the import streams them (no per-row memory) and the
    deadline is checked on empty rows too. Timing is measured in bench/, not here."""
    def edit(raw: bytes) -> bytes:
        raw = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', raw)
        return raw.replace(b"</sheetData>", b"".join(b'<row r="%d" spans="1:16384"/>' % r
                                                      for r in range(9, 200_000)) + b"</sheetData>")
    data = edit_member(seed("questionnaire.xlsx"), "xl/worksheets/sheet1.xml", edit)
    q = load_questionnaire(data, "huge.xlsx")
    assert len(q.questions) == 5


@pytest.mark.parametrize("name", ["questionnaire.xlsx", "questionnaire.csv", "questionnaire.docx", "form.pdf",
                                  "vsaq.json", "library.csv"])
def test_every_seed_passes_the_fuzz_checks_unchanged(name):
    check_input(name, seed(name))


def test_fuzz_finding_unknown_xml_encoding_in_a_docx_part():
    """bench.fuzz --n 600 --seed 2026: encoding="UTG-8" in customXml/item1.xml was a LookupError
    from the filled copy's safety check."""
    def edit(raw: bytes) -> bytes:
        return raw.replace(b"encoding='UTF-8'", b"encoding='UTG-8'", 1)
    docx = seed("questionnaire.docx")
    member = next(n for n in zipfile.ZipFile(io.BytesIO(docx)).namelist() if n.startswith("customXml/item"))
    data = edit_member(docx, member, edit)
    check_input("questionnaire.docx", data)
    with pytest.raises((ImportErrorWithContext, *EXPORT_ERRORS)) as err:
        q = load_questionnaire(data, "q.docx")
        fill_questionnaire(data, q, [FilledAnswer(q.questions[0], "Yes")])
    assert member in one_line(err.value)
