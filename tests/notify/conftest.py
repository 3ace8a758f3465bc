import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import mail_config, make_app
from tests.notify.receiver import Receiver

MAIL_FROM = "信任中心 <noreply@example.com>"
# Rows are enqueued at the real time; the tests deliver "an hour later" and move the clock from there.
T0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)


def notify_config(smtp_port: int, **extra) -> dict:
    return mail_config(smtp_port, MAIL_FROM, **extra)


@pytest.fixture
def app(tmp_path, smtp_sink):
    app = make_app(tmp_path, **notify_config(smtp_sink.port))
    yield app
    app.extensions["vault.engine"].dispose()


@pytest.fixture
def notify_db_app(any_db_app, smtp_sink):
    """any_db_app (SQLite and PostgreSQL) with the notification settings of the tests."""
    any_db_app.config.update(notify_config(smtp_sink.port))
    return any_db_app


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def settings_of():
    """settings_of(app, **changes) -> Settings for deliver_pending(settings=...)."""
    from vault.notify import Settings

    def _make(app, **changes):
        return dataclasses.replace(Settings.from_config(app.config), **changes)

    return _make
