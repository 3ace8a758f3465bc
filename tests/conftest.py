"""Shared fixtures: the app on SQLite (and on a real PostgreSQL), real S3 and SMTP servers, users."""
from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

import pytest
from flask_login import FlaskLoginClient
from sqlalchemy import create_engine, text

from tests.services import PostgresServer, RedisServer, S3Server, SmtpSink

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
IN_CI = os.environ.get("CI") == "true"
# The watermark's font pre-cut is a cache: one per test session, not in the user's ~/.cache.
os.environ.setdefault("VAULT_FONT_CACHE_DIR", tempfile.mkdtemp(prefix="tv-font-cache-"))
os.environ.setdefault("TRUSTVAULT_MODEL_CACHE", tempfile.mkdtemp(prefix="tv-model-cache-"))  # the derived sentence model
TEST_PASSWORD = "correct horse battery staple 42"


def _skip_without_corpus(outcome) -> None:
    """A test (or its fixture) that reads the corpus beside the repository (../shared/data) skips with one
    line when a clone has no such folder; in CI, where it is present, a missing file stays a failure."""
    exc = outcome.excinfo[1] if outcome.excinfo else None
    # any error naming a file of the absent corpus (FileNotFoundError, an upload refused as "No such file")
    if exc is not None and not IN_CI and not SHARED_DATA.is_dir() and str(SHARED_DATA) in str(exc):
        outcome.force_exception(pytest.skip.Exception(f"needs {SHARED_DATA} (the shared corpus), absent here",
                                                      _use_item_location=True))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    _skip_without_corpus((yield))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    _skip_without_corpus((yield))


def _need_service(exc: Exception, what: str):
    if IN_CI:  # CI must exercise the real engines, never skip them
        raise exc
    pytest.skip(f"{what} unavailable here: {exc}")


@pytest.fixture(scope="session")
def postgres_server():
    url = os.environ.get("VAULT_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    try:
        server = PostgresServer()
        url = server.start()
    except Exception as exc:  # noqa: BLE001
        _need_service(exc, "PostgreSQL")
    yield url
    server.stop()


_pg_counter = itertools.count()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the real server for one test."""
    name = f"vault_test_{os.getpid()}_{next(_pg_counter)}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_server.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def s3_endpoint():
    try:
        server = S3Server()
        url = server.start()
    except Exception as exc:  # noqa: BLE001
        _need_service(exc, "S3 server")
    yield url
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    """A real Redis on loopback for the whole run; tests that share it use their own key prefix or db."""
    try:
        server = RedisServer()
        url = server.start()
    except Exception as exc:  # noqa: BLE001
        _need_service(exc, "Redis")
    yield url
    server.stop()


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def mail_config(smtp_port: int, mail_from: str = "Trust Vault <noreply@example.com>", **extra) -> dict:
    """Settings that send mail to the SMTP sink and let webhooks reach receivers on loopback."""
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_port, "MAIL_FROM": mail_from,
            "NOTIFY_ALLOW_PRIVATE_TARGETS": True, **extra}


def make_app(tmp_path: Path, database_url: str | None = None, **overrides):
    """An app on a fresh instance folder, schema created, keys generated."""
    from vault import create_app, crypto
    from vault.db import Base
    import vault.models  # noqa: F401

    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url or f"sqlite:///{instance / 'vault.db'}",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True,
        "SERVER_NAME": "vault.test",
        # Cheap hashing keeps builders fast; tests of the real parameters pass ARGON2_PARAMETERS=None.
        "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
    }
    config.update(overrides)
    crypto.create_keyring_file(Path(config.get("MASTER_KEY_FILE") or instance / "master_keys.json"))
    app = create_app(config)
    Base.metadata.create_all(app.extensions["vault.engine"])
    return app


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The limiter is one module-level object: clear its counters after every test."""
    yield
    from vault.extensions import limiter
    try:
        limiter.reset()
    except AssertionError:  # no app initialised the limiter in this test
        pass


@pytest.fixture(autouse=True)
def _process_logging_restored():
    """An app built outside testing (`create_app()` from the environment) sets up the process's logging
    (vault.logs.configure): put the root logger back so no later test logs through that handler."""
    import logging
    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if getattr(h, "_vault_log_handler", False)]:
        root.removeHandler(handler)
    root.setLevel(level)


def _close(app) -> None:
    app.extensions["vault.engine"].dispose()


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    _close(app)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_app(request, tmp_path):
    """The same test on SQLite and on the real PostgreSQL server."""
    if request.param == "sqlite":
        app = make_app(tmp_path)
    else:
        app = make_app(tmp_path, request.getfixturevalue("postgres_url"))
    yield app
    _close(app)


@pytest.fixture
def tmpdir_watched(tmp_path, monkeypatch):
    """Every temporary file of this process goes to a folder the test can scan."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Builder: make_user(role="security", email=None, password=TEST_PASSWORD) -> User (committed)."""
    from vault import db
    from vault.auth import service

    counter = itertools.count(1)

    def _make(role: str = "security", email: str | None = None, password: str = TEST_PASSWORD, **kw):
        with app.app_context():
            sess = db.session()
            user = service.create_user(sess, email=email or f"{role}{next(counter)}@example.com",
                                       password=password, role=role, name=kw.pop("name", role.title()),
                                       actor="test", **kw)
            sess.commit()
            sess.refresh(user)
            sess.expunge(user)
            return user

    return _make


@pytest.fixture
def client_as(app, make_user):
    """client_as("legal") -> a test client signed in as a new user with that role (user on .user)."""
    app.test_client_class = FlaskLoginClient

    def _client(role: str = "security", **kw):
        user = make_user(role, **kw)
        c = app.test_client(user=user)
        c.user = user
        return c

    return _client
