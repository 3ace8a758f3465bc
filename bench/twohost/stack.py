"""The servers of the two-host benchmark, started as processes and always stopped again.

PostgreSQL and Redis come from tests/services.py (throw-away clusters on loopback), S3 is moto's server in
its own process (real HTTP), and the app side is what deploy/ describes: gunicorn with
deploy/gunicorn.conf.py, `vault worker`, and nginx from deploy/nginx/trustvault.conf rendered by
deploy/render.py. Every process is started in its own session (Ctrl-C reaches the benchmark only, which
stops them in order) and registered in `Stack`, whose close() stops them all and removes the temp folder.
"""
from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from deploy.render import nginx_site, nginx_standalone
from tests.services import PostgresServer, RedisServer, free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUNICORN_CONF = REPO / "deploy" / "gunicorn.conf.py"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def wait_http(url: str, timeout: float = 90.0, process: subprocess.Popen | None = None) -> None:
    """Until `url` answers 200; an error names the url, or the process that ended before it answered."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the process ended with {process.returncode} before it answered")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.2)


class Stack:
    """Everything this run started; close() undoes it in reverse order, whatever happened."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="vault-bench-twohost-"))
        self._undo: list[tuple[str, object]] = []
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs: list = []

    # --- shared servers -------------------------------------------------------------------------

    def start_services(self) -> dict[str, str]:
        """PostgreSQL, Redis, S3 (with a bucket): the `VAULT_*` settings every host gets alike."""
        pg = PostgresServer()
        self._undo.append(("postgresql", pg.stop))
        database_url = pg.start()
        redis = RedisServer()
        self._undo.append(("redis", redis.stop))
        redis_url = redis.start()
        s3_port = free_port()
        self.spawn("moto", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)])
        s3_url = f"http://127.0.0.1:{s3_port}"
        wait_http(f"{s3_url}/moto-api/", timeout=60, process=self.processes["moto"])
        from vault.storage.s3 import make_client
        bucket = "trustvault-bench"
        make_client(endpoint_url=s3_url, access_key_id="bench", secret_access_key="bench").create_bucket(Bucket=bucket)
        self.pg_dsn = database_url.replace("+psycopg", "")
        return {
            "VAULT_DATABASE_URL": database_url, "VAULT_REDIS_URL": redis_url,
            "VAULT_STORAGE": "s3", "VAULT_S3_BUCKET": bucket, "VAULT_S3_ENDPOINT_URL": s3_url,
            "VAULT_S3_REGION": "us-east-1", "VAULT_S3_ACCESS_KEY_ID": "bench", "VAULT_S3_SECRET_ACCESS_KEY": "bench",
            "VAULT_S3_PREFIX": "vault/",
            # the same on every host (docs/deployment.md): sessions signed on A are checked on B
            "VAULT_SECRET_KEY": "bench-" + secrets.token_urlsafe(32),
            "VAULT_MASTER_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
            "VAULT_PROXY_HOPS": "1", "VAULT_JOBS_RUN": "worker", "VAULT_LOG_FORMAT": "json",
            "VAULT_METRICS_TOKEN": secrets.token_urlsafe(32),
        }

    # --- processes ------------------------------------------------------------------------------

    def env(self, shared: dict[str, str], **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "TRUSTVAULT_"))
                and k not in ("WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR")}
        return {**base, **shared, **extra}

    def spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = (self.root / f"{name}.log").open("wb")
        self._logs.append(log)
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # Ctrl-C reaches the benchmark, which stops this
        self.processes[name] = proc
        self._undo.append((name, lambda: self._stop(proc)))
        return proc

    def run(self, name: str, cmd: list[str], env: dict[str, str], timeout: float = 600) -> str:
        """A one-shot command (`vault init`, the seed): its output, or an error naming it with its output."""
        result = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
                                start_new_session=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{name} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def log_of(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def host(self, name: str, shared: dict[str, str], *, processes: int, threads: int) -> Host:
        """One app server's environment, with its own instance folder (caches only) and metrics folder, as
        a second machine would have."""
        folder = self.root / name
        folder.mkdir()
        env = self.env(shared, VAULT_INSTANCE_PATH=str(folder / "instance"),
                       PROMETHEUS_MULTIPROC_DIR=str(folder / "metrics"), WEB_CONCURRENCY=str(processes),
                       TRUSTVAULT_THREADS=str(threads))
        return Host(self, name, env)

    def nginx(self, name: str, upstreams: list[str]) -> int:
        """nginx on loopback with the site rendered from the deployed template for these app servers."""
        port = free_port()
        workdir = self.root / name
        site = nginx_site(upstreams, listen=f"127.0.0.1:{port}", access_log=str(workdir / "logs" / "access.log"))
        conf = workdir / "nginx.conf"
        workdir.mkdir()
        conf.write_text(nginx_standalone(site, workdir))
        proc = self.spawn(name, [NGINX, "-p", str(workdir), "-c", str(conf)])
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=30, process=proc)
        return port

    def stop(self, name: str) -> None:
        proc = self.processes.pop(name, None)
        if proc is not None:
            self._stop(proc)

    @staticmethod
    def _stop(proc: subprocess.Popen) -> None:
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: gunicorn's and nginx's children too
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def close(self) -> list[str]:
        """Stop everything and remove the temp folder; returns what could not be stopped. Every process is
        asked to stop at once (gunicorn's graceful stop takes seconds), then waited for, newest first; the
        database and Redis go last."""
        problems = []
        for proc in self.processes.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        while self._undo:
            name, undo = self._undo.pop()
            try:
                undo()
            except Exception as exc:  # noqa: BLE001 (keep going: every other process must still stop)
                problems.append(f"{name}: {exc}")
        for log in self._logs:
            log.close()
        shutil.rmtree(self.root, ignore_errors=True)
        return problems


class Host:
    """gunicorn (deploy/gunicorn.conf.py) and `vault worker` of one app server; started separately, so
    the second host's web server can start while the first is measured without taking any of its jobs."""

    def __init__(self, stack: Stack, name: str, env: dict[str, str]) -> None:
        self.stack, self.name, self.env = stack, name, env
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.web: subprocess.Popen | None = None

    def start_web(self) -> None:
        self.web = self.stack.spawn(f"{self.name}-gunicorn", [str(BIN / "gunicorn"), "--config", str(GUNICORN_CONF),
                                                              "--bind", self.address], self.env)

    def wait_web(self) -> None:
        wait_http(f"http://{self.address}/readyz", process=self.web)

    def start_worker(self, concurrency: int, wait: bool = True) -> None:
        """`vault worker`; with `wait`, return once it says it runs (it prints its line after loading the app)."""
        self.stack.spawn(f"{self.name}-worker", [str(BIN / "vault"), "worker", "--concurrency", str(concurrency)],
                         self.env)
        if wait:
            self.wait_worker()

    def wait_worker(self, timeout: float = 90) -> None:
        name = f"{self.name}-worker"
        proc = self.stack.processes[name]
        deadline = time.monotonic() + timeout
        while " at a time, queues " not in self.stack.log_of(name):
            if proc.poll() is not None:
                raise RuntimeError(f"{name} ended with {proc.returncode}:\n{self.stack.log_of(name)[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start within {timeout:.0f} s")
            time.sleep(0.2)
