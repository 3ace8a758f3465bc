"""The response headers the OpenAPI document promises are sent, on answers the contract run cannot reach
(401, 304, 412, 429 need a missing token, a held ETag, a stale one, a spent limit)."""
from __future__ import annotations

from tests.api.builders import api_app, bearer, user_with_token


def _promised(doc: dict, path: str, method: str, status: int) -> dict:
    """Header name -> required, as the document describes this answer."""
    headers = doc["paths"][path][method]["responses"][str(status)].get("headers", {})
    return {name: h["required"] for name, h in headers.items()}


def _keeps_promise(doc, path, method, resp) -> None:
    promised = _promised(doc, path, method, resp.status_code)
    assert promised, (path, method, resp.status_code)  # the document says something about this answer
    missing = [name for name, required in promised.items() if required and name not in resp.headers]
    assert not missing, (path, method, resp.status_code, missing)


def test_etag_location_www_authenticate_and_retry_after_are_described_and_sent(tmp_path):
    app = api_app(tmp_path, API_RATE_LIMIT="8 per minute", PROPAGATE_EXCEPTIONS=False)
    admin = bearer(user_with_token(app, "admin")[2])
    c = app.test_client()
    doc = c.get("/api/v1/openapi.json").json
    entry = "/api/v1/library/entries/{uid}"

    made = c.post("/api/v1/library/entries", headers=admin, json={"question": "Do you log access?"})
    assert made.status_code == 201
    _keeps_promise(doc, "/api/v1/library/entries", "post", made)
    assert made.headers["Location"] == f"/api/v1/library/entries/{made.json['id']}"
    url = made.headers["Location"]
    got = c.get(url, headers=admin)
    _keeps_promise(doc, entry, "get", got)
    same = c.get(url, headers={**admin, "If-None-Match": got.headers["ETag"]})
    assert same.status_code == 304 and not same.data
    _keeps_promise(doc, entry, "get", same)
    changed = c.patch(url, headers={**admin, "If-Match": got.headers["ETag"]}, json={"answer_short": "Yes"})
    _keeps_promise(doc, entry, "patch", changed)
    stale = c.patch(url, headers={**admin, "If-Match": got.headers["ETag"]}, json={"answer_short": "No"})
    assert stale.status_code == 412 and stale.headers["ETag"] == changed.headers["ETag"]
    assert _promised(doc, entry, "patch", 412) == {"ETag": False}  # sent when the entry could be read again

    anonymous = c.get(url)
    assert anonymous.status_code == 401
    _keeps_promise(doc, entry, "get", anonymous)
    limited = [c.get(url, headers=admin) for _ in range(8)][-1]
    assert limited.status_code == 429
    _keeps_promise(doc, entry, "get", limited)
    assert int(limited.headers["Retry-After"]) >= 1
    app.extensions["vault.engine"].dispose()
