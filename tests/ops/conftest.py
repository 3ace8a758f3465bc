"""Fixtures for the operations tests: log lines captured as JSON, a metrics token."""
from __future__ import annotations

import io
import json
import logging
import secrets

import pytest


class Captured:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        """Every line parsed as JSON (a line that is not JSON fails the test here)."""
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def requests(self) -> list[dict]:
        return [line for line in self.lines() if line["logger"] == "vault.request"]


@pytest.fixture
def json_logs():
    """The process's logs as JSON lines into a buffer, as `vault.logs.configure` sets them up in production."""
    from vault import logs
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    handler = logs.configure("json", "DEBUG", stream=stream)
    handler.addFilter(lambda record: not record.name.startswith("mail.log"))  # the test SMTP sink's own lines
    yield Captured(stream)
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def metrics_token() -> str:
    return secrets.token_urlsafe(32)


def read(response) -> bytes:
    """The body, then close: the request line and the latency are written when the response is closed."""
    data = response.get_data()
    response.close()
    return data
