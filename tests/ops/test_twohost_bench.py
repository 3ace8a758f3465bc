"""The two-host benchmark runs with one command (tiny phases) and checks everything it received: PostgreSQL,
S3 (moto), Redis, `vault init`, two gunicorns (deploy/gunicorn.conf.py) behind nginx from the deployed
template, `vault worker` on each host; nothing failed, nothing is left running or on disk."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import _pg_bin

ROOT = Path(__file__).resolve().parents[2]
MISSING = [name for name, found in (("nginx", shutil.which("nginx") or Path("/usr/sbin/nginx").exists()),
                                    ("redis-server", shutil.which("redis-server")), ("PostgreSQL", _pg_bin()))
           if not found]
needs_servers = pytest.mark.skipif(bool(MISSING) and os.environ.get("CI") != "true",
                                   reason=f"{', '.join(MISSING)} missing (scripts/setup-system installs them)")


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline:
                found.append(cmdline)
    return found


@needs_servers
@pytest.mark.postgres
@pytest.mark.slow  # ~50 s on the shared 2-core machine: every server started for real, two 3 s phases
def test_the_two_host_benchmark_runs_and_nothing_fails(tmp_path):
    out = tmp_path / "twohost.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.twohost", "--seconds", "3", "--page-clients", "2", "--status-clients", "2",
         "--questions", "20", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=400, check=False, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = json.loads(out.read_text())
    assert report["ok"] and report["failures"] == []
    for key in ("page", "status", "download", "staff", "import", "match"):
        for phase in ("one_host", "two_hosts"):
            row = report["paths"][key][phase]
            assert row["ok"] >= 1 and row["errors"] == 0, (key, phase, row)
        assert report["paths"][key]["ratio_per_second"] > 0
    assert report["clients"]["download"] == 20
    # nginx sent requests to both app servers (the staff member's session and forms worked on either)
    assert set(report["spread"]["two hosts"]["requests"]) == {"host-a", "host-b"}
    assert min(report["spread"]["two hosts"]["requests"].values()) > 0
    assert "nothing failed" in result.stdout
    assert re.search(r"^watermarked download\s+\d+", result.stdout, re.MULTILINE)
    assert "share" in result.stdout and "not CPUs" in result.stdout  # the honest note on one machine
    workdir = re.search(r"working in (\S+)", result.stdout).group(1)
    assert not Path(workdir).exists()
    assert _processes_mentioning(workdir) == []  # nginx (-p), gunicorn's and the workers' folders: all stopped


# --- the benchmark's own checks refuse what they must (no servers) ------------------------------------------

def test_a_download_counts_only_as_a_whole_pdf_with_its_own_download_id():
    from bench.twohost.load import DownloadCheck
    from tests.documents.builders import SMALL_PDF
    from vault.access.delivery import Recipient, marked_copy

    original = SMALL_PDF.read_bytes()
    recipient = Recipient(name="Bea Buyer", email="bea@buyer.example", company="Buyer Ltd",
                          downloaded_at="2026-12-06 08:00 UTC", download_id="0123456789abcdef0123")
    chunks, _length = marked_copy(iter([original]), media_type="application/pdf", recipient=recipient)
    marked = b"".join(chunks)
    pdf = {"content-type": "application/pdf"}
    check = DownloadCheck()
    assert check(200, pdf, marked) == ""
    assert check.ids == ["0123456789abcdef0123"]
    assert "not watermarked" in check(200, pdf, original)
    assert check(200, pdf, marked[: len(marked) // 2]) == "not a whole PDF"
    assert check(503, pdf, marked) == "status 503"
    assert "content type" in check(200, {"content-type": "text/html"}, marked)
    assert check.ids == ["0123456789abcdef0123"]  # refused answers add no id


def test_pages_and_json_are_checked_and_forms_read_as_a_browser_sends_them():
    from bench.twohost.load import check_page, check_summary, form_to

    assert check_page(200, {}, b"<html><body>Trust center</body></html>\n") == ""
    assert check_page(200, {}, b"<html><body>Trust cen") == "not a whole page"
    assert check_summary(200, {}, b'{"status": {"indicator": "none"}, "components": [{"id": 1}]}') == ""
    assert check_summary(200, {}, b'{"status": {}}') == "JSON without components or status"
    assert check_summary(502, {}, b"") == "status 502"
    html = """<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="a"></form>
    <form method="post" action="/library/import/tok"><input type="hidden" name="csrf_token" value="b">
      <input type="number" name="h1" value="2"><input type="checkbox" name="skip" value="1">
      <select name="c1_1"><option value="">-</option><option value="question" selected>Q</option></select>
      <select name="c1_2"><option value="answer">A</option></select>
      <button name="action" value="confirm">Import</button></form>"""
    form = form_to(html, "/library/import/tok", ("action", "confirm"))
    assert form["fields"] == {"csrf_token": "b", "h1": "2", "c1_1": "question", "c1_2": "answer"}
    with pytest.raises(AssertionError):
        form_to(html, "/questionnaires/new")
