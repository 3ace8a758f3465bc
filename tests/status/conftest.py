"""Fixtures for the status tests: an app with real SMTP and a movable clock, a webhook receiver, builders."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import mail_config, make_app
from tests.notify.receiver import Receiver


class Clock:
    """What the app believes the time is; tests move it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture
def clock():
    # Close to the real time: notify's outbox rows use the real clock for their delivery schedule.
    return Clock(datetime.now(timezone.utc).replace(second=0, microsecond=0))


def status_config(smtp_port: int, clock: Clock, **extra) -> dict:
    return mail_config(smtp_port, "Status <status@example.com>", STATUS_CLOCK=clock, **extra)


@pytest.fixture
def app(tmp_path, smtp_sink, clock):
    app = make_app(tmp_path, **status_config(smtp_sink.port, clock))
    yield app
    app.extensions["vault.engine"].dispose()


@pytest.fixture
def status_db_app(any_db_app, smtp_sink, clock):
    """SQLite and the real PostgreSQL, with the status settings."""
    any_db_app.config.update(status_config(smtp_sink.port, clock))
    return any_db_app


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()
