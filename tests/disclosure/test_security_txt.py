"""/.well-known/security.txt per RFC 9116: the fields, an Expires always in the future and at most a year
ahead, text/plain UTF-8, the legacy path redirecting, and a cleartext signature when a key is configured."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime, timedelta, timezone

import pytest

from vault.disclosure import service

FIELD = re.compile(r"^([A-Za-z-]+): (\S.*)$")


def fields(text: str) -> list[tuple[str, str]]:
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = FIELD.match(line)
        assert m, f"not a field line: {line!r}"
        out.append((m.group(1), m.group(2)))
    return out


def test_fields_types_and_expires(client):
    r = client.get("/.well-known/security.txt")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    found = fields(r.get_data(as_text=True))
    names = [n for n, _ in found]
    assert names.count("Expires") == 1 and names.count("Canonical") == 1 and names.count("Preferred-Languages") == 1
    values = dict(found)
    contacts = [v for n, v in found if n == "Contact"]
    assert "mailto:security@example.com" in contacts
    assert "https://trust.example.com/trust/security/report" in contacts
    assert values["Canonical"] == "https://trust.example.com/.well-known/security.txt"
    assert values["Policy"] == "https://trust.example.com/trust/security/disclosure"
    assert values["Acknowledgments"] == "https://trust.example.com/trust/security/thanks"
    assert values["Preferred-Languages"] == "en, zh"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", values["Expires"])  # RFC 3339 (RFC 9116 2.5.5)
    expires = datetime.strptime(values["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    now = datetime.now(timezone.utc)
    assert now < expires <= now + timedelta(days=366)


def test_legacy_path_redirects(client):
    r = client.get("/security.txt")
    assert r.status_code == 301 and r.headers["Location"].endswith("/.well-known/security.txt")


@pytest.mark.parametrize("configured, expect_configured", [
    (None, False),
    ("past", False),  # a passed date is never served
    ("far", False),  # more than a year ahead is capped
    ("soon", True),
])
def test_expires_is_always_future_and_within_a_year(configured, expect_configured):
    now = datetime(2026, 12, 6, 15, 30, tzinfo=timezone.utc)
    chosen = {None: None, "past": date(2026, 1, 1), "far": date(2028, 6, 1), "soon": date(2027, 1, 10)}[configured]
    expires = service.expires_at(service.Settings(expires=chosen, expires_days=300), now)
    assert now < expires <= now + timedelta(days=365)
    assert (expires.date() == chosen) is expect_configured
    warnings = service.expiry_warnings(service.Settings(expires=chosen), now)
    assert bool(warnings) is (configured in ("past", "far"))  # 'soon' is 35 days ahead: not yet near


def test_check_command_warns_when_expiry_is_near(app):
    soon = (datetime.now(timezone.utc).date() + timedelta(days=10)).isoformat()
    app.config["DISCLOSURE_EXPIRES"] = soon
    result = app.test_cli_runner().invoke(args=["disclosure", "check"])
    assert result.exit_code == 0
    assert f"Expires: {soon}T00:00:00Z" in result.output
    assert "expires on" in result.output and "in 10 days" in result.output


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed")
def test_signed_when_a_key_is_configured(app, tmp_path):
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run(gpg + ["--quick-gen-key", "Security Team <security@example.com>", "ed25519", "sign", "1y"],
                   check=True, capture_output=True, timeout=60)
    key = tmp_path / "security-key.asc"
    key.write_bytes(subprocess.run(gpg + ["--armor", "--export-secret-keys"], check=True, capture_output=True,
                                   timeout=60).stdout)
    app.config["DISCLOSURE_PGP_KEY"] = str(key)
    text = app.test_client().get("/.well-known/security.txt").get_data(as_text=True)
    assert text.startswith("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n")
    assert "Canonical: https://trust.example.com/.well-known/security.txt" in text
    signed = tmp_path / "security.txt"
    signed.write_text(text)
    verified = subprocess.run(["gpg", "--homedir", str(home), "--batch", "--verify", str(signed)],
                              capture_output=True, timeout=60)
    assert verified.returncode == 0, verified.stderr
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, timeout=30)
