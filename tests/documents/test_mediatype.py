import sys

import pytest

from tests.documents.builders import CSV_ZH, DOCX, MARKDOWN, VALID_PDF, XLSX, write, zip_bytes
from tests.corpus import pdf
from vault.documents import mediatype as mt


@pytest.mark.parametrize("path, ext, expected", [
    (VALID_PDF, ".pdf", mt.PDF),
    (pdf("crazyones-encrypted-256.pdf"), ".pdf", mt.PDF),
    (pdf("multilang.pdf"), ".pdf", mt.PDF),
    (XLSX, ".xlsx", mt.XLSX),
    (DOCX, ".docx", mt.DOCX),
    (CSV_ZH, ".csv", mt.CSV),  # Chinese UTF-8 text
    (MARKDOWN, ".md", mt.MARKDOWN),
    (CSV_ZH, ".txt", mt.TEXT),
])
def test_real_files(path, ext, expected):
    assert mt.detect(path, extension=ext).media_type == expected


def test_real_executable_is_recognised():
    detected = mt.detect(sys.executable)
    assert detected.executable
    assert "executable" in detected.label


@pytest.mark.parametrize("name, data, expected", [
    ("plain.zip", zip_bytes({"a.txt": b"hello"}), mt.ZIP),
    ("fake.docx", zip_bytes({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}), mt.DOCX),
    ("fake.xlsx", zip_bytes({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<w/>"}), mt.XLSX),
    ("fake.pptx", zip_bytes({"[Content_Types].xml": b"<x/>", "ppt/presentation.xml": b"<p/>"}), mt.PPTX),
    # Named like Office parts but without the content-types manifest: just a ZIP.
    ("sneaky.zip", zip_bytes({"word/document.xml": b"<w/>"}), mt.ZIP),
    ("broken.zip", b"PK\x03\x04" + b"\x00" * 100, mt.OCTET),
    ("win.exe", b"MZ\x90\x00" + b"\x00" * 200, "application/x-msdownload"),
    ("mac.bin", b"\xcf\xfa\xed\xfe" + b"\x00" * 200, "application/x-mach-binary"),
    ("image.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, mt.PNG),
    ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, mt.JPEG),
    ("notes.txt", "Zugriffskontrolle – 访问控制\n".encode(), mt.TEXT),
    ("bom.csv", b"\xef\xbb\xbfa,b\n1,2\n", mt.CSV),
    ("nul.txt", b"abc\x00def", mt.OCTET),
    ("latin1.txt", "caf\xe9".encode("latin-1"), mt.OCTET),
    ("random.bin", bytes(range(256)) * 4, mt.OCTET),
])
def test_generated_files(tmp_path, name, data, expected):
    path = write(tmp_path, name, data)
    assert mt.detect(path, extension="." + name.rsplit(".", 1)[1]).media_type == expected


def test_utf8_split_across_chunks(tmp_path):
    # A multi-byte character straddling the read boundary is still valid text.
    path = write(tmp_path, "zh.txt", ("访" * 30000).encode())
    assert mt.is_utf8_text(path, chunk_size=1000)
