"""vault/downloads.py: the one sequence of a streamed download (platform; it names no feature)."""
import subprocess
import sys

import pytest
from flask import Flask

from vault import downloads

FEATURES = ("vault.documents", "vault.access", "vault.trust", "vault.expiry", "vault.admin", "status", "answers")


def test_downloads_imports_no_feature_package():
    code = (f"import sys, vault.downloads; bad = [m for m in sys.modules if any(m == f or m.startswith(f + '.') "
            f"for f in {FEATURES!r})]; print(','.join(bad)); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"vault.downloads pulls in {result.stdout.strip() or result.stderr}"


@pytest.mark.parametrize("size, length", [(1234, "1234"), (None, None)])
def test_head_response_promises_only_a_known_length(size, length):
    with Flask(__name__).test_request_context(method="HEAD"):
        resp = downloads.head_response("报告.pdf", "application/pdf", size)
    assert resp.status_code == 200 and resp.get_data() == b""
    assert resp.headers.get("Content-Length") == length
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["Accept-Ranges"] == "none"
    assert resp.headers["Content-Disposition"].startswith("attachment; ")
    assert "filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf" in resp.headers["Content-Disposition"]

