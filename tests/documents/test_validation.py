import io
from datetime import date

import pytest

from tests.documents.builders import (ENCRYPTED_PDFS, SMALL_PDF, TRUNCATED_PDF, VALID_PDF, XLSX, write,
                                      zip_bytes)
from tests.corpus import pdf
from vault.documents import validation as v


@pytest.mark.parametrize("name, reason", [
    ("", "no name"),
    ("   ", "no name"),
    ("../../etc/passwd.pdf", "folder path"),
    ("reports/soc2.pdf", "folder path"),
    ("C:\\Users\\me\\soc2.pdf", "folder path"),
    ("..", "cannot start"),
    ("..pdf", "cannot start"),
    ("report\x00.pdf", "control character"),
    ("report\r\nSet-Cookie: x.pdf", "control character"),
    ("tab\there.pdf", "control character"),
    ("invoice\u202efdp.exe", "invisible"),
    ("a" * 197 + ".pdf", "too long"),
    ("访" * 90 + ".pdf", "too long"),  # 270 bytes in UTF-8
    (" report.pdf", "spaces"),
])
def test_bad_filenames(name, reason):
    with pytest.raises(v.UploadRefused) as exc:
        v.check_filename(name)
    assert exc.value.code == "filename"
    assert reason in str(exc.value)


@pytest.mark.parametrize("name", ["SOC 2 Type II (2025).pdf", "等级保护测评报告.pdf", "O'Brien \"quoted\".pdf", "CON.pdf",
                                  "a" * 196 + ".pdf", "résumé.docx"])
def test_good_filenames(name):
    assert v.check_filename(name) == name


def test_filename_is_nfc_normalised():
    assert v.check_filename("re\u0301sume\u0301.pdf") == "résumé.pdf"


def test_spool_refuses_empty_and_too_large():
    with pytest.raises(v.UploadRefused) as exc:
        with v.spool(io.BytesIO(b""), max_bytes=10):
            pass
    assert exc.value.code == "empty"
    with pytest.raises(v.UploadRefused) as exc:
        with v.spool(io.BytesIO(b"x" * 11), max_bytes=10, chunk_size=4):
            pass
    assert exc.value.code == "too_large"
    assert "limit of 10 bytes" in str(exc.value)


def test_spool_removes_its_temporary_file():
    with v.spool(io.BytesIO(b"hello"), max_bytes=10) as spooled:
        path = spooled.path
        assert path.read_bytes() == b"hello"
    assert not path.exists()


def _check(tmp_path, name, data):
    path = write(tmp_path, "upload", data)
    return v.check_upload(v.Spooled(path, len(data)), name)


EXE = b"MZ\x90\x00" + b"\x00" * 500
ZIP = zip_bytes({"a.txt": b"hello"})


@pytest.mark.parametrize("name, data, code, words", [
    ("report.pdf", ZIP, "type_mismatch", "looks like a ZIP archive"),
    ("report.pdf", EXE, "executable", "Windows executable program"),
    ("report.zip", EXE, "executable", "program"),
    ("notes.txt", EXE, "executable", "program"),
    ("report.pdf", bytes(range(256)) * 8, "unknown_type", "unrecognised binary data"),
    ("report.pdf", b"just some text\n", "type_mismatch", "plain text"),
    ("sheet.xlsx", zip_bytes({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}), "type_mismatch",
     "Word document"),
    ("tool.exe", b"hello", "extension", "not accepted"),
    ("noextension", b"hello", "extension", "has no extension"),
])
def test_content_refusals(tmp_path, name, data, code, words):
    with pytest.raises(v.UploadRefused) as exc:
        _check(tmp_path, name, data)
    assert exc.value.code == code
    assert words in str(exc.value)


def test_real_executable_named_pdf(tmp_path):
    import sys
    data = open(sys.executable, "rb").read(64 * 1024)
    with pytest.raises(v.UploadRefused) as exc:
        _check(tmp_path, "soc2.pdf", data)
    assert exc.value.code == "executable"
    assert "Linux executable program" in str(exc.value)


@pytest.mark.parametrize("path", ENCRYPTED_PDFS)
def test_encrypted_pdfs_refused(tmp_path, path):
    with pytest.raises(v.UploadRefused) as exc:
        v.check_upload(v.Spooled(path, path.stat().st_size), path.name)
    assert exc.value.code == "pdf_encrypted"
    assert "encrypted" in str(exc.value)


def test_truncated_pdf_refused():
    with pytest.raises(v.UploadRefused) as exc:
        v.check_upload(v.Spooled(TRUNCATED_PDF, TRUNCATED_PDF.stat().st_size), "guide.pdf")
    assert exc.value.code == "pdf_broken"
    assert "cannot be read" in str(exc.value)


@pytest.mark.parametrize("path, pages", [(VALID_PDF, 77), (SMALL_PDF, 1), (pdf("outlines-with-invalid-destinations.pdf"), 4)])
def test_inspect_pdf_valid(path, pages):
    report = v.inspect_pdf(path)
    assert (report.encrypted, report.broken, report.pages) == (False, False, pages)


def test_inspect_pdf_garbage(tmp_path):
    report = v.inspect_pdf(write(tmp_path, "x.pdf", b"%PDF-1.7\n" + b"garbage" * 100))
    assert report.broken and report.problem


def test_valid_uploads_pass(tmp_path):
    checked = v.check_upload(v.Spooled(XLSX, XLSX.stat().st_size), "HECVAT.xlsx")
    assert checked.media_type.endswith("spreadsheetml.sheet")
    checked = v.check_upload(v.Spooled(VALID_PDF, VALID_PDF.stat().st_size), "guide.pdf")
    assert checked.page_count == 77


@pytest.mark.parametrize("dates, field", [
    (v.VersionDates(effective_date=date(2025, 2, 1), expiry_date=date(2025, 1, 31)), "expiry_date"),
    (v.VersionDates(audit_period_start=date(2025, 2, 1), audit_period_end=date(2025, 1, 1)), "audit_period_end"),
])
def test_bad_dates(dates, field):
    with pytest.raises(v.InvalidInput) as exc:
        v.check_dates(dates)
    assert exc.value.field == field
    assert "before" in str(exc.value)


def test_good_dates():
    v.check_dates(v.VersionDates(date(2025, 1, 1), date(2025, 1, 1), date(2024, 1, 1), date(2024, 12, 31)))
    v.check_dates(v.VersionDates(expiry_date=date(2020, 1, 1)))  # no effective date: nothing to compare


@pytest.mark.parametrize("texts, code", [
    ({"en": ("", ""), "zh": ("", "")}, "title"),
    ({"en": ("", "a description without a title")}, "title"),
    ({"en": ("x" * 301, "")}, "too_long"),
    ({"en": ("two\nlines", "")}, "title"),
    ({"en": ("ok", "bell\x07")}, "control"),
    ({"en": ("invoice\u202efdp", "")}, "invisible"),
])
def test_bad_texts(texts, code):
    with pytest.raises(v.InvalidInput) as exc:
        v.check_texts(texts)
    assert exc.value.code == code


def test_texts_keep_languages_with_a_title():
    assert v.check_texts({"en": (" SOC 2 ", " d "), "zh": ("", "")}) == {"en": ("SOC 2", "d")}
    assert v.check_texts({"en": ("", ""), "zh": ("等级保护", "")}) == {"zh": ("等级保护", "")}


def test_frameworks():
    assert v.check_frameworks(["soc2", "iso27001"], ["  NIST   CSF ", "SOC 2", "iso27001", ""]) == \
        ["NIST CSF", "iso27001", "soc2"]
    with pytest.raises(v.InvalidInput):
        v.check_frameworks(["not-a-code"], [])
    with pytest.raises(v.InvalidInput):
        v.check_frameworks([], ["x" * 65])


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_bad_reasons(reason):
    with pytest.raises(v.InvalidInput):
        v.check_reason(reason)
