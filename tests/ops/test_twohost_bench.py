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

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    (shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists()) or shutil.which("redis-server") is None,
    reason="nginx and redis-server come from scripts/setup-system")


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


def test_the_two_host_benchmark_runs_and_nothing_fails(tmp_path):
    out = tmp_path / "twohost.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.twohost", "--seconds", "3", "--page-clients", "2", "--status-clients", "2",
         "--questions", "20", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=400, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = json.loads(out.read_text())
    assert report["ok"] and report["failures"] == []
    for key in ("page", "status", "download", "staff", "import", "match"):
        for phase in ("one_host", "two_hosts"):
            row = report["paths"][key][phase]
            assert row["ok"] >= 1 and row["errors"] == 0, (key, phase, row)
        assert report["paths"][key]["ratio_per_second"] > 0
    assert report["clients"]["download"] == 20
    assert "nothing failed" in result.stdout
    assert re.search(r"^watermarked download\s+\d+", result.stdout, re.M)
    assert "share" in result.stdout and "not CPUs" in result.stdout  # the honest note on one machine
    workdir = re.search(r"working in (\S+)", result.stdout).group(1)
    assert not Path(workdir).exists()
    assert _processes_mentioning(workdir) == []  # nginx (-p), gunicorn's and the workers' folders: all stopped
