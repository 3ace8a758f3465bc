"""Real services for the tests, started by the tests themselves: PostgreSQL, an S3 server, an SMTP sink, Redis."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PostgresServer:
    """A throw-away PostgreSQL cluster on a loopback port, owned by the `postgres` user when run as root."""

    def __init__(self) -> None:
        self.bindir = _pg_bin()
        if self.bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found (install Debian's postgresql package)")
        self.dir = Path(tempfile.mkdtemp(prefix="vault-pg-"))
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> str:
        data = self.dir / "data"
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(str(self.bindir / "initdb"), "-D", str(data), "-U", "vault", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                  f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start")
        return f"postgresql+psycopg://vault@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class S3Server:
    """moto's stand-alone S3 server: the real S3 protocol over HTTP on loopback."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.port = free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def start(self) -> str:
        self.server.start()
        url = f"http://127.0.0.1:{self.port}"
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        return url

    def stop(self) -> None:
        self.server.stop()


class SmtpSink:
    """A real SMTP server on loopback that keeps every message it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list = []
        # Refusals a test sets: "mail" (MAIL FROM), "rcpt:<address>" or "data:<address>" -> the reply
        # given instead of 250, e.g. "550 5.1.1 mailbox unavailable" or "451 4.3.0 try again later".
        self.replies: dict[str, str] = {}
        sink = self

        class Handler:
            async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
                if "mail" in sink.replies:
                    return sink.replies["mail"]
                envelope.mail_from = address
                envelope.mail_options.extend(options)
                return "250 OK"

            async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
                if f"rcpt:{address.lower()}" in sink.replies:
                    return sink.replies[f"rcpt:{address.lower()}"]
                envelope.rcpt_tos.append(address)
                envelope.rcpt_options.extend(options)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
                from email import message_from_bytes, policy
                refusal = sink.replies.get(f"data:{envelope.rcpt_tos[0].lower()}" if envelope.rcpt_tos else "")
                if refusal:
                    return refusal
                msg = message_from_bytes(envelope.content, policy=policy.default)
                sink.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": msg,
                                      "raw": envelope.original_content or envelope.content})
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> int:
        self.controller.start()
        return self.port

    def stop(self) -> None:
        self.controller.stop()


class RedisServer:
    """A throw-away redis-server on a loopback port, no persistence."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise RuntimeError("redis-server not found (install Debian's redis-server package)")
        self.dir = Path(tempfile.mkdtemp(prefix="vault-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return f"redis://127.0.0.1:{self.port}/0"
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not listen on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
