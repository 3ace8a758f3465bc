"""Fixtures for the expiry tests: an app wired to the SMTP sink, builders, a moving clock."""
from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import TEST_PASSWORD, mail_config, make_app
from tests.notify.receiver import Receiver

MAIL_FROM = "Trust Vault <noreply@example.com>"
TODAY = datetime.now(timezone.utc).date()
_n = itertools.count(1)


def at(day: date, hour: int = 9) -> datetime:
    """The clock the tests inject: a UTC time on `day`."""
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def expiry_config(smtp_port: int, **extra) -> dict:
    return mail_config(smtp_port, MAIL_FROM, PUBLIC_BASE_URL="https://vault.example.com", **extra)


@pytest.fixture
def app(tmp_path, smtp_sink):
    app = make_app(tmp_path, **expiry_config(smtp_sink.port))
    yield app
    app.extensions["vault.engine"].dispose()


@pytest.fixture
def db_app(any_db_app, smtp_sink):
    """SQLite and PostgreSQL, with the notification settings of these tests."""
    any_db_app.config.update(expiry_config(smtp_sink.port))
    return any_db_app


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def user(sess, role: str = "security", email: str | None = None, name: str = "", locale: str | None = None):
    from vault.auth.service import create_user
    u = create_user(sess, email=email or f"{role}-{next(_n)}@example.com", password=TEST_PASSWORD, role=role,
                    name=name or role.title(), actor="test", locale=locale)
    sess.flush()
    return u


def document(app, sess, owner, tmp_path: Path, title: str, *, expiry: date | None = None,
             audit_end: date | None = None, frameworks=("iso27001",), doc_type: str = "certification"):
    """A document with one version (a small text file), committed."""
    from vault.documents import service, validation
    from tests.documents.builders import fields

    path = tmp_path / f"doc-{next(_n)}.txt"
    path.write_text(f"{title}\n", encoding="utf-8")
    meta = service.VersionMeta(expiry_date=expiry, audit_period_end=audit_end,
                               audit_period_start=audit_end - timedelta(days=365) if audit_end else None)
    with validation.checked_file(path, max_bytes=app.config["MAX_UPLOAD_BYTES"]) as upload:
        doc = service.create_document(sess, fields(title=title, doc_type=doc_type, frameworks=frameworks),
                                      owner=owner, first_upload=upload, meta=meta)
        service.commit_upload(sess, doc.versions[0])
    return doc


def new_version(app, sess, doc, uploader, tmp_path: Path, *, expiry: date | None = None):
    from vault.documents import service, validation

    path = tmp_path / f"doc-{next(_n)}.txt"
    path.write_text("renewed\n", encoding="utf-8")
    with validation.checked_file(path, max_bytes=app.config["MAX_UPLOAD_BYTES"]) as upload:
        version = service.add_version(sess, doc, upload, uploader=uploader,
                                      meta=service.VersionMeta(expiry_date=expiry))
        service.commit_upload(sess, version)
    return version


def entry(sess, *, question: str, answer: str = "Yes", owner=None, evidence=(), reviewed: date | None = None,
          interval: int = 365, ref: str | None = None, status: str = "approved"):
    from answers.library.service import Actor, create_entry
    e = create_entry(sess, Actor(label="test"), ref=ref or f"T-{next(_n):04d}", question=question, answer_short=answer, status=status,
                     owner_id=owner.id if owner else None, last_reviewed_on=reviewed, review_interval_days=interval,
                     evidence=list(evidence))
    sess.flush()
    return e


def run(app, now: datetime, **kw):
    """One committed reminder run at `now`; returns the report."""
    from vault import db
    from vault.expiry.reminders import remind_once
    with app.app_context():
        return remind_once(db.session(), now, **kw)


def deliver(app):
    from vault import db, notify
    with app.app_context():
        return notify.deliver_pending(db.session())


def mails_to(smtp_sink, email: str) -> list:
    return [m["message"] for m in smtp_sink.messages if email in m["to"]]


def body(message) -> str:
    return message.get_body(("plain",)).get_content()
