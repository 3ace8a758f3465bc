"""Small helpers the resource modules share: the day, ETags, a not-found problem, pagination's answer."""
from __future__ import annotations

import hashlib
import json
from datetime import date

from flask import current_app, request

from vault.api.pagination import Order, page
from vault.api.problems import ApiProblem
from vault.db import utcnow


def today() -> date:
    return utcnow().date()


def warning_days() -> int:
    return int(current_app.config["EXPIRY_WARNING_DAYS"])


def not_found(what: str) -> ApiProblem:
    return ApiProblem(404, f"No {what} with this id, or it is not available to this token.")


def body_etag(body: dict) -> str:
    raw = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()
    return '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'


def with_etag(body: dict, etag: str | None = None, status: int = 200):
    """The answer of a GET of an updatable object, with its ETag (304 when If-None-Match has it)."""
    etag = etag or body_etag(body)
    if etag in [t.strip() for t in (request.headers.get("If-None-Match") or "").split(",")]:
        return current_app.response_class(status=304, headers={"ETag": etag})
    return body, status, {"ETag": etag}


def check_if_match(current: str, what: str, **extra) -> None:
    """A change needs If-Match naming the ETag the client read: missing is 428, another one 412 (with the
    current ETag), so a script never overwrites someone else's edit blindly."""
    given = request.headers.get("If-Match")
    if not given:
        raise ApiProblem(428, f"Send If-Match with the ETag of the {what} you read (GET it first): changes "
                              "without it could overwrite someone else's edit.")
    if current not in [t.strip() for t in given.split(",")]:
        raise ApiProblem(412, f"The {what} was changed since you read it; GET it again and apply your change to "
                              "the new version.", headers={"ETag": current}, **extra)


def listing(items: list, shape, query, filters: dict, order: Order) -> dict:
    chunk, nxt = page(items, order=order, cursor=query.cursor, limit=query.limit, filters=filters)
    return {"items": [shape(x) for x in chunk], "next_cursor": nxt}


def iso_or_none(value):
    return value.isoformat() if value is not None else None
