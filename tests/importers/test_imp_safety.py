"""Hostile and broken files: every one must end in a clear ImportErrorWithContext,
quickly, and never in a crash, a hang or a silent truncation."""
from __future__ import annotations

import io
import struct
import time
import zipfile

import openpyxl
import openpyxl.xml
import pytest

from importers import ImportErrorWithContext, Limits, load_questionnaire

from imp_fixtures import rewrite_zip, simple_questionnaire, xlsx_bytes

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def zip_of(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def expect_error(data: bytes, match: str, name="upload.xlsx", **kw) -> ImportErrorWithContext:
    start = time.monotonic()
    with pytest.raises(ImportErrorWithContext, match=match) as info:
        load_questionnaire(data, name, **kw)
    assert time.monotonic() - start < 60  # generous: CI machines are shared
    assert name in str(info.value)  # every message says which file
    return info.value


def test_openpyxl_uses_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')
XXE = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
       '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&e;</t></si></sst>')


@pytest.mark.parametrize("part,payload", [
    ("xl/worksheets/sheet1.xml", BILLION_LAUGHS),
    ("xl/worksheets/sheet1.xml", XXE.replace("sst", "worksheet").replace("<si><t>&e;</t></si>",
                                                                       "<sheetData/>&e;")),
    ("xl/workbook.xml", BILLION_LAUGHS.replace("worksheet", "workbook")),
])
def test_xml_entity_tricks_are_refused(part, payload):
    data = rewrite_zip(xlsx_bytes(simple_questionnaire(2)), lambda n, t: payload if n == part else t)
    expect_error(data, "entit")


def test_zip_bomb_by_declared_size():
    data = zip_of({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b" " * (12 * 1024 * 1024)})
    err = expect_error(data, "expand to", limits=Limits(max_uncompressed_bytes=10 * 1024 * 1024))
    assert "zip bomb" in str(err)


def test_zip_bomb_by_compression_ratio():
    data = zip_of({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b" " * (30 * 1024 * 1024)})
    assert len(data) < 200_000
    expect_error(data, "compressed .* times")


def test_too_many_zip_entries():
    data = zip_of({f"xl/part{i}.xml": b"<x/>" for i in range(5_001)}, zipfile.ZIP_STORED)
    expect_error(data, "5,001 parts")


def test_zip_lying_about_its_size_is_damaged_not_expanded():
    inner = xlsx_bytes(simple_questionnaire(50))
    zf = zipfile.ZipFile(io.BytesIO(inner))
    info = zf.getinfo("xl/worksheets/sheet1.xml")
    raw = bytearray(inner)
    struct.pack_into("<I", raw, info.header_offset + 22, 100)  # local header: uncompressed size
    cd = raw.find(b"PK\x01\x02", zf.start_dir)
    while cd != -1:
        name_len = struct.unpack_from("<H", raw, cd + 28)[0]
        if raw[cd + 46:cd + 46 + name_len] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", raw, cd + 24, 100)  # central directory: uncompressed size
            break
        cd = raw.find(b"PK\x01\x02", cd + 4)
    expect_error(bytes(raw), "damaged")


@pytest.mark.parametrize("data,match", [
    (OLE + b"\x00" * 512 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64
     + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512, "password-protected"),
    (OLE + b"\x00" * 512 + "Workbook".encode("utf-16-le") + b"\x00" * 512, r"legacy Excel 97-2003 \.xls"),
    (OLE + b"\x00" * 512 + "WordDocument".encode("utf-16-le") + b"\x00" * 512, r"\.doc file"),
    (OLE + b"\x00" * 1024, "old-style Office"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "not a spreadsheet"),
    (b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n", "PDF"),
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (zip_of({"notes.txt": b"hello"}), "zip archive, not an Excel"),
    (zip_of({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}),
     r"OpenDocument"),
    (zip_of({"[Content_Types].xml": b"<Types/>",
             "_rels/.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                            b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
                            b'.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook'
                            b'.bin"/></Relationships>',
             "xl/workbook.bin": b"\x00\x01"}), r"\.xlsb"),
    (b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
     "XML file"),
])
def test_unsupported_and_encrypted_files(data, match):
    expect_error(data, match)


def test_truncated_xlsx_is_damaged():
    data = xlsx_bytes(simple_questionnaire(30))
    expect_error(data[: len(data) // 2], "damaged")


def test_broken_sheet_xml():
    data = rewrite_zip(xlsx_bytes(simple_questionnaire(3)),
                       lambda n, t: t[: len(t) // 2] if n == "xl/worksheets/sheet1.xml" else t)
    err = expect_error(data, "damaged")
    assert err.sheet == "Security"


def big_workbook(rows: int) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Big")
    ws.append(["ID", "Question", "Answer", "Comment"])
    for i in range(rows):
        ws.append([f"Q-{i}", f"Do you meet requirement number {i}?", None, None])
    return xlsx_bytes(wb)


def test_fifty_thousand_rows_is_a_clear_error_in_bounded_time():
    data = big_workbook(50_000)
    start = time.monotonic()
    err = expect_error(data, "more than 20,000 questions")
    assert err.sheet == "Big"
    assert time.monotonic() - start < 60


def test_fifty_thousand_csv_rows():
    text = "ID,Question,Answer\n" + "".join(f"Q-{i},Do you meet requirement {i}?,\n" for i in range(50_000))
    expect_error(text.encode(), "more than 20,000 questions", name="big.csv")


@pytest.mark.parametrize("limits,match", [
    (Limits(max_rows_per_sheet=100), "more than 100 rows"),
    (Limits(max_cells=300), "more than 300 filled cells"),
    (Limits(max_seconds=0), "longer than 0 seconds"),
    (Limits(max_file_bytes=1000), "the limit is 0 MB"),
])
def test_configurable_limits(limits, match):
    expect_error(xlsx_bytes(simple_questionnaire(1500)), match, limits=limits)


def test_error_message_is_specific():
    err = ImportErrorWithContext("the cell is odd", file="a.xlsx", sheet="S1", row=7)
    assert str(err) == '"a.xlsx", sheet "S1", row 7: the cell is odd'
    assert (err.file, err.sheet, err.row, err.reason) == ("a.xlsx", "S1", 7, "the cell is odd")


def test_path_input_and_missing_file(tmp_path):
    p = tmp_path / "q.xlsx"
    p.write_bytes(xlsx_bytes(simple_questionnaire(2)))
    assert len(load_questionnaire(p).questions) == 2
    assert load_questionnaire(str(p)).filename == "q.xlsx"
    with pytest.raises(ImportErrorWithContext, match="cannot be read"):
        load_questionnaire(tmp_path / "missing.xlsx")
