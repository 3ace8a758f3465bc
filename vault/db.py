"""Database engine and the one-session-per-request rule.

Services take a `Session` and flush; the view or CLI command commits.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

from flask import Flask, current_app, g
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every engine (SQLite drops tzinfo otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def make_engine(url: str) -> Engine:
    # hide_parameters: a database error's message would carry the statement's values (emails, token
    # hashes) into the logs; the statement and the error are enough to act on.
    kwargs: dict = {"future": True, "hide_parameters": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
        if url.startswith("postgresql") and "connect_timeout=" not in url:
            # libpq waits for ever on a server that accepts and never answers: give up after 10 s (a 503)
            kwargs["connect_args"] = {"connect_timeout": 10}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["vault.engine"] = engine
    app.extensions["vault.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(exc):
        sess = g.pop("db_session", None)
        if sess is not None:
            if exc is not None:
                sess.rollback()
            sess.close()


def session() -> Session:
    """The session of the current request or CLI command."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["vault.sessionmaker"]()
    return g.db_session


def engine() -> Engine:
    return current_app.extensions["vault.engine"]


@contextmanager
def side_write(bind: Engine) -> Iterator[Connection]:
    """A short transaction on a connection of its own, beside a transaction the caller may hold open
    (job progress, derived state written back). On SQLite it waits at most 200 ms for the database's one
    writer instead of 30 s, so it can fail fast where the caller itself holds the write lock."""
    with bind.begin() as conn:
        sqlite = bind.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA busy_timeout=200")
        try:
            yield conn
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA busy_timeout=30000")


def require_initialised(table: str = "library_entries") -> None:
    """For commands run before `vault init`: a clear ClickException instead of an SQL traceback."""
    import click
    from flask import current_app
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    try:
        ready = inspect(engine()).has_table(table)
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc.__class__.__name__
        raise click.ClickException(f"the database cannot be opened ({reason}); for a new instance, "
                                   "run `vault init` first") from exc
    if not ready:
        raise click.ClickException(f"the instance at {current_app.instance_path} has no database yet: "
                                   "run `vault init` first")
