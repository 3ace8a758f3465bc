"""`vault documents list/add/upload`, including refusals."""
import json

import pytest

from tests.documents.builders import ENCRYPTED_PDFS, SMALL_PDF, XLSX, new_user, stored_keys, write
from vault import audit, db


@pytest.fixture
def owner(app):
    with app.app_context():
        return new_user(db.session(), "admin").email


def test_add_upload_list(app, runner, owner):
    result = runner.invoke(args=["documents", "add", str(SMALL_PDF), "--title", "Pentest summary", "--title-zh",
                                 "渗透测试摘要", "--type", "pentest_summary", "--framework", "soc2", "--framework",
                                 "NIST CSF", "--visibility", "nda", "--effective", "2025-01-01",
                                 "--expires", "2099-01-01"])
    assert result.exit_code == 0, result.output
    uid = result.output.split()[2]
    result = runner.invoke(args=["documents", "upload", uid, str(XLSX), "--uploader", owner])
    assert result.exit_code == 0, result.output
    assert "Uploaded version 2" in result.output
    result = runner.invoke(args=["documents", "list", "--json"])
    item = json.loads(result.output.strip().splitlines()[0])
    assert item["uid"] == uid and item["version"] == 2 and item["filename"] == "HECVAT414.xlsx"
    assert item["frameworks"] == ["NIST CSF", "soc2"]  # by display name: "NIST CSF" < "SOC 2"
    assert item["status"] == "no_expiry"  # version 2 has no expiry date
    with app.app_context():
        actions = [e.action for e in audit.query_events(db.session())]
        assert actions.count("version.create") == 2 and "document.create" in actions


@pytest.mark.parametrize("make, args, message", [
    (lambda tmp: ENCRYPTED_PDFS[0], [], "encrypted"),
    (lambda tmp: write(tmp, "empty.pdf", b""), [], "empty"),
    (lambda tmp: write(tmp, "report.pdf", b"MZ" + b"\x00" * 100), [], "programs are not accepted"),
    (lambda tmp: write(tmp, "bad\nname.pdf", SMALL_PDF.read_bytes()), [], "control character"),
    (lambda tmp: SMALL_PDF, ["--effective", "2025-02-01", "--expires", "2025-01-01"], "before the effective date"),
    (lambda tmp: SMALL_PDF, ["--audit-start", "2025-02-01", "--audit-end", "2025-01-01"], "before it starts"),
    (lambda tmp: tmp / "missing.pdf", [], "No such file"),
])
def test_add_refusals(app, runner, owner, tmp_path, make, args, message):
    result = runner.invoke(args=["documents", "add", str(make(tmp_path)), "--title", "X", "--type", "other", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert stored_keys(app) == []


def test_upload_to_unknown_document(runner, owner):
    result = runner.invoke(args=["documents", "upload", "0" * 32, str(SMALL_PDF)])
    assert result.exit_code == 1 and "No document" in result.output


def test_add_needs_an_owner(runner):
    result = runner.invoke(args=["documents", "add", str(SMALL_PDF), "--title", "X", "--type", "other"])
    assert result.exit_code == 1 and "--owner" in result.output
