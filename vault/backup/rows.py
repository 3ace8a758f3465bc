"""Row values to JSON and back, by column kind, so one dump restores on SQLite and on PostgreSQL alike.

A logical dump rather than pg_dump: it must restore into the other engine (SQLite <-> PostgreSQL), it
needs no client binaries matching the server's version, and it reads through the same column types as
the application (aware UTC datetimes, JSON), so the audit chain's hashes come back byte for byte.
"""
from __future__ import annotations

import base64
import enum
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, Float, LargeBinary, Numeric, Table, Time
from sqlalchemy.types import TypeDecorator


def column_kind(column) -> str:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, JSON):
        return "json"
    if isinstance(kind, LargeBinary):
        return "bytes"
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Time):
        return "time"
    if isinstance(kind, Numeric) and not isinstance(kind, Float):
        return "decimal"
    return "plain"


def columns_of(table: Table) -> list[list[str]]:
    return [[c.name, column_kind(c)] for c in table.columns]


def encode(kind: str, value):
    if value is None:
        return None
    if kind in ("datetime", "date", "time"):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    if kind == "decimal":
        return str(value)
    if isinstance(value, enum.Enum):
        return value.name
    return value


def decode(kind: str, value):
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "time":
        return time.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value, validate=True)
    if kind == "decimal":
        return Decimal(value)
    return value
