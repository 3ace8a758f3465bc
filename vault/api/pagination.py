"""Keyset cursor pagination: the cursor names the last row a client saw (its sort key), not a position.

Every list is ordered by a key that never changes for a row and is unique, (created_at, uid) or a number,
so a row added or removed while a client pages shifts nothing: no row is skipped, none comes twice.
The cursor is opaque and signed with the app's secret (a client cannot forge or edit it) and carries the
list it belongs to (path, filters, order); a cursor of another list, or a tampered one, is refused (422)
instead of silently paging something else.

The features' services give whole lists (capped by the service), so the keyset is applied here in memory;
see docs/api.md "Pagination".
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Sequence, TypeVar

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from vault.api.problems import ApiProblem

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def micros(when: datetime) -> int:
    """A UTC time as whole microseconds: exact in JSON (a float would round) and comparable."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass(frozen=True)
class Order:
    """A list's order: `key` gives each row a tuple of ints and strings, unique and never changing."""
    name: str
    key: Callable[[Any], tuple]
    descending: bool = False


def by_created(*, newest_first: bool) -> Order:
    """(created_at, uid): the order rows were made in; uid breaks ties of the same microsecond."""
    return Order("created_at,id" + (" desc" if newest_first else ""),
                 lambda row: (micros(row.created_at), row.uid), descending=newest_first)


def by_number(*, descending: bool = False) -> Order:
    return Order("number" + (" desc" if descending else ""), lambda row: (row.number,), descending=descending)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api-cursor-keyset")


def _list_key(filters: dict, order: Order) -> str:
    body = json.dumps({"p": request.path, "o": order.name, **filters}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _refused() -> ApiProblem:
    return ApiProblem(422, "The cursor is not valid for this list: start again without it, keeping the "
                           "same filters.", field="cursor")


def _after(cursor: str, key: str, sample: tuple | None) -> tuple:
    try:
        data = _serializer().loads(cursor)
        after = tuple(data["a"])
        if data["k"] != key or not after:
            raise ValueError
    except (BadSignature, ValueError, KeyError, TypeError):
        raise _refused() from None
    if sample is not None and [type(v) for v in after] != [type(v) for v in sample]:
        raise _refused()  # signed by us, but for a key of another shape (an older release): not comparable
    return after


def page(items: Sequence[T], *, order: Order, cursor: str | None, limit: int | None,
         filters: dict) -> tuple[list[T], str | None]:
    """The rows after `cursor` in `order`, at most `limit`, and the cursor of the next page (None at the end)."""
    key = _list_key(filters, order)
    rows = sorted(items, key=order.key, reverse=order.descending)
    if cursor:
        after = _after(cursor, key, order.key(rows[0]) if rows else None)
        rows = [r for r in rows if (order.key(r) < after if order.descending else order.key(r) > after)]
    limit = limit or DEFAULT_LIMIT
    chunk = rows[:limit]
    nxt = _serializer().dumps({"a": list(order.key(chunk[-1])), "k": key}) if len(rows) > limit else None
    return chunk, nxt
