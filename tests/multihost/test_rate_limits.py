"""Rate limits across two app servers in two processes: with Redis one count for both; without it, each
process counts alone (docs/deployment.md says so)."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import _close
from tests.multihost.conftest import host
from tests.services import free_port

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
LIMITS = {"LOGIN_LIMIT_PER_ADDRESS": "3 per 5 minutes", "LOGIN_LIMIT_PER_ACCOUNT": "50 per 5 minutes"}


def _start_host(app, tmp_path) -> tuple[subprocess.Popen, int]:
    """Host B: the same settings as host A, its own instance folder and process."""
    folder = tmp_path / "b-instance"
    folder.mkdir()
    keys = ("TESTING", "SECRET_KEY", "DATABASE_URL", "WTF_CSRF_ENABLED", "RATELIMIT_ENABLED", "SERVER_NAME",
            "ARGON2_PARAMETERS", "MASTER_KEY_FILE", "STORAGE", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION",
            "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_PREFIX", "REDIS_URL",
            *LIMITS)
    config = {k: app.config.get(k) for k in keys} | {"INSTANCE_PATH": str(folder)}
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.multihost.server", json.dumps(config), str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        pytest.fail(f"host B did not start: {line!r}")
    return proc, port


def _failed_login_on(port: int) -> int:
    data = urllib.parse.urlencode({"email": "nobody@example.com", "password": "wrong"}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/login", data=data, headers={"Host": "vault.test"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize("redis", [True, False], ids=["with-redis", "without-redis"])
def test_the_sign_in_limit_counts_both_hosts_only_with_redis(tmp_path, shared_settings, redis):
    settings = {**shared_settings, **LIMITS}
    if not redis:
        settings["REDIS_URL"] = None
    a = host(tmp_path, "a", settings)
    from vault.extensions import limiter
    limiter.reset()  # counters of earlier tests on the shared Redis (the fixture clears them after each)
    proc, port = _start_host(a, tmp_path)
    try:
        on_a = a.test_client()
        for _ in range(3):  # host A takes the address's three failed attempts
            assert on_a.post("/login", data={"email": "nobody@example.com", "password": "wrong"}).status_code == 200
        assert _failed_login_on(port) == (429 if redis else 200)  # host B knows, through Redis only
        assert on_a.post("/login", data={"email": "nobody@example.com", "password": "wrong"}).status_code == 429
    finally:
        proc.terminate()
        proc.wait(10)
        _close(a)
