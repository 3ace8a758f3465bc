"""Cursor pagination: an opaque cursor, signed with the app's secret so a client cannot forge or edit it.

The cursor carries the position in the list and the list it belongs to (its filters); a cursor of another
list, or a tampered one, is refused (422) instead of silently paging something else.
"""
from __future__ import annotations

import hashlib
import json
from typing import Sequence, TypeVar

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from vault.api.problems import ApiProblem

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api-cursor")


def _list_key(filters: dict) -> str:
    body = json.dumps({"p": request.path, **filters}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def page(items: Sequence[T], *, cursor: str | None, limit: int | None, filters: dict) -> tuple[list[T], str | None]:
    """The slice after `cursor` and the cursor of the next slice (None at the end)."""
    key = _list_key(filters)
    offset = 0
    if cursor:
        try:
            data = _serializer().loads(cursor)
            offset = int(data["o"])
            if data["k"] != key or offset < 0:
                raise ValueError
        except (BadSignature, ValueError, KeyError, TypeError):
            raise ApiProblem(422, "The cursor is not valid for this list: start again without it, keeping the "
                                  "same filters.", field="cursor") from None
    limit = limit or DEFAULT_LIMIT
    chunk = list(items[offset:offset + limit])
    after = offset + len(chunk)
    nxt = _serializer().dumps({"o": after, "k": key}) if after < len(items) else None
    return chunk, nxt
