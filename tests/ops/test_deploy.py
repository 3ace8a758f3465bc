"""The production layout in deploy/ is real: nginx accepts the rendered site, systemd accepts the units, and
gunicorn with deploy/gunicorn.conf.py behind that nginx serves the app with JSON logs, one request id from
nginx to the app, no token in any log, and metrics read from its worker processes' files."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from deploy.render import TEMPLATE, nginx_site, nginx_standalone
from tests.conftest import make_app
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
needs_nginx = pytest.mark.skipif(NGINX is None and os.environ.get("CI") != "true",
                                 reason="nginx not installed (scripts/setup-system installs nginx-light)")


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "trust.example.com")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _nginx_test(workdir: Path, site: str) -> subprocess.CompletedProcess:
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_standalone(site, workdir))
    return subprocess.run([NGINX, "-t", "-p", str(workdir), "-c", str(conf)], capture_output=True, text=True,
                          timeout=30)


@needs_nginx
@pytest.mark.parametrize("tls", [False, True], ids=["loopback", "https"])
def test_nginx_accepts_the_rendered_site(tmp_path, tls):
    cert, key = _self_signed(tmp_path) if tls else (None, None)
    site = nginx_site(["10.0.0.11:8001", "10.0.0.12:8001"], listen="443" if tls else f"127.0.0.1:{free_port()}",
                      server_name="trust.example.com", access_log=str(tmp_path / "access.log"),
                      tls_cert=str(cert) if tls else None, tls_key=str(key) if tls else None)
    assert "@" not in re.sub(r"'[^']*'|\"[^\"]*\"", "", site)  # every field filled
    result = _nginx_test(tmp_path, site)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
    assert ("return 301 https://$host$request_uri" in site) is tls


def test_the_renderer_refuses_what_nginx_would_misread(tmp_path):
    with pytest.raises(ValueError):
        nginx_site([])
    with pytest.raises(ValueError):
        nginx_site(["app-server; include /etc/passwd:80"])
    with pytest.raises(ValueError):
        nginx_site(["127.0.0.1:8001"], tls_cert="/x.pem")
    from deploy import render
    assert render._FIELD.findall(TEMPLATE.read_text())  # it is a template: the fields are there


def test_the_template_never_logs_a_uri_and_keeps_metrics_off_the_public_site():
    text = TEMPLATE.read_text()
    log_format = text.split("log_format", 1)[1].split(";", 1)[0]
    for variable in ("$request_uri", "$uri", "$request ", "$args", "$query_string", "$request\""):
        assert variable not in log_format
    assert re.search(r"location = /metrics \{\s*return 404;", text)
    assert "proxy_request_buffering off;" in text and "proxy_max_temp_file_size 0;" in text
    assert "proxy_set_header X-Request-ID $request_id;" in text


UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def test_the_units_point_at_files_that_exist_and_at_the_same_gunicorn_config():
    assert {u.name for u in UNITS} >= {"trustvault-web@.service", "trustvault-worker@.service",
                                       "trustvault-init.service"}
    for unit in UNITS:
        for path in re.findall(r"/opt/trustvault/([\w./-]+)", unit.read_text()):
            if path.startswith(".venv/") or path.startswith("docs/"):
                continue
            assert (ROOT / path).exists(), f"{unit.name} names {path}, absent from the repository"
    web = (DEPLOY / "systemd" / "trustvault-web@.service").read_text()
    assert "--config /opt/trustvault/deploy/gunicorn.conf.py" in web
    assert "PROMETHEUS_MULTIPROC_DIR=%t/trustvault-web-%i" in web and "RuntimeDirectory=trustvault-web-%i" in web
    assert "vault worker" in (DEPLOY / "systemd" / "trustvault-worker@.service").read_text()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not available here")
def test_systemd_accepts_the_units(tmp_path):
    """`systemd-analyze verify` on copies whose paths point at this checkout (it checks that binaries exist)."""
    names = []
    for unit in UNITS:
        text = unit.read_text().replace("/opt/trustvault", str(ROOT))
        name = unit.name.replace("@.", "@8001." if "web" in unit.name else "@1.")
        (tmp_path / name).write_text(text)
        names.append(str(tmp_path / name))
    result = subprocess.run(["systemd-analyze", "verify", *names], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if tmp_path.name in line] == []


# --- the layout running: nginx from the template -> gunicorn (deploy/gunicorn.conf.py, 2 processes) --------

def _wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@needs_nginx
def test_gunicorn_behind_nginx_as_deployed(tmp_path, metrics_token):
    from prometheus_client.parser import text_string_to_metric_families

    app = make_app(tmp_path)  # schema and keys in tmp_path/instance, as `vault init` leaves them
    instance = Path(app.instance_path)
    app.extensions["vault.engine"].dispose()
    (instance / "secret_key").write_text("deploy-test-secret-key-" + metrics_token[:16])
    metrics_dir = tmp_path / "prometheus"
    app_port, web_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    env.update(VAULT_INSTANCE_PATH=str(instance), VAULT_LOG_FORMAT="json", VAULT_METRICS_TOKEN=metrics_token,
               VAULT_JOBS_RUN="worker", VAULT_PROXY_HOPS="1", VAULT_FONT_PRECUT="0", WEB_CONCURRENCY="2",
               TRUSTVAULT_THREADS="4", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
               VAULT_FONT_CACHE_DIR=os.environ.get("VAULT_FONT_CACHE_DIR", str(tmp_path / "fonts")))
    metrics_dir.mkdir()
    (metrics_dir / "stale_from_before.db").write_bytes(b"")  # on_starting must clear what a past run left
    log_path = tmp_path / "gunicorn.log"
    log_file = log_path.open("wb")
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", str(DEPLOY / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{app_port}"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_file)
    nginx_dir = tmp_path / "nginx"
    site = nginx_site([f"127.0.0.1:{app_port}"], listen=f"127.0.0.1:{web_port}",
                      access_log=str(nginx_dir / "logs" / "access.log"))
    (nginx_dir).mkdir()
    (nginx_dir / "nginx.conf").write_text(nginx_standalone(site, nginx_dir))
    nginx = subprocess.Popen([NGINX, "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_http(f"http://127.0.0.1:{app_port}/healthz")
        _wait_http(f"http://127.0.0.1:{web_port}/healthz")
        assert not (metrics_dir / "stale_from_before.db").exists()
        secret = "GrantTokenThatMustNeverBeLogged" + metrics_token[:8]
        statuses = [_get(f"http://127.0.0.1:{web_port}/trust/")[0] for _ in range(6)]
        status, headers, _ = _get(f"http://127.0.0.1:{web_port}/trust/access/{secret}?lang=zh")
        assert statuses == [200] * 6 and status == 404
        rid = headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", rid)  # nginx's $request_id, kept by the app
        assert _get(f"http://127.0.0.1:{web_port}/metrics", {"Authorization": f"Bearer {metrics_token}"})[0] == 404
        assert _get(f"http://127.0.0.1:{app_port}/metrics")[0] == 401
        code, _, body = _get(f"http://127.0.0.1:{app_port}/metrics", {"Authorization": f"Bearer {metrics_token}"})
        assert code == 200
        families = {f.name: f for f in text_string_to_metric_families(body.decode())}
        counts = {tuple(sorted(s.labels.items())): s.value
                  for s in families["trustvault_http_request_duration_seconds"].samples if s.name.endswith("_count")}
        # six pages through nginx, counted from the worker processes' files whichever process answers
        assert counts[(("method", "GET"), ("route", "trust.index"), ("status", "2xx"))] == 6
        assert "trustvault_jobs" in families and "trustvault_outbox_messages" in families
        assert list(metrics_dir.glob("*.db"))  # the worker processes wrote there, not to memory
    finally:
        nginx.terminate()
        gunicorn.terminate()
        nginx.wait(timeout=30)
        gunicorn.wait(timeout=60)
        log_file.close()
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "vault.request"]
    assert [r["route"] for r in requests if r["request_id"] == rid] == ["access.grant_page"]
    assert len([r for r in requests if r["route"] == "trust.index"]) == 6
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own lines are JSON too
    access = (nginx_dir / "logs" / "access.log").read_text()
    assert rid in access and json.loads(access.splitlines()[-1])["request_id"]
    assert secret not in log_path.read_text() and secret not in access


def test_the_benchmark_runs_the_deployed_nginx_template_and_gunicorn_config():
    """The two-host benchmark measures what is deployed: its nginx comes from deploy/render.py (the template),
    its gunicorn from deploy/gunicorn.conf.py, and no benchmark carries nginx configuration of its own."""
    sources = {path.relative_to(ROOT): path.read_text(encoding="utf-8") for path in (ROOT / "bench").rglob("*.py")}
    own_config = [name for name, text in sources.items()
                  if re.search(r"proxy_pass|upstream\s+\w+\s*\{|log_format|worker_connections", text)]
    assert own_config == []
    starts_nginx = {name: text for name, text in sources.items()
                    if re.search(r"""which\(\s*["']nginx["']|["']/usr/sbin/nginx["']|NGINX\b""", text)}
    if not starts_nginx:
        pytest.skip("no benchmark in this checkout starts nginx yet")
    for name, text in starts_nginx.items():
        assert "deploy.render" in text and "nginx_site(" in text, f"{name} must render deploy/nginx/trustvault.conf"
        if re.search(r"[\"'/]gunicorn[\"']", text):  # the app servers behind that nginx
            assert "gunicorn.conf.py" in text, f"{name} must start gunicorn with deploy/gunicorn.conf.py"
