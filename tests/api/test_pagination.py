"""Keyset cursors: rows added or leaving a list while a client pages through it shift nothing (no row skipped,
none twice); a cursor is bound to its list, its filters and its order, and cannot be edited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from tests.api.builders import api_app, bearer, user_with_token
from tests.documents.builders import add_document, new_user
from vault import db
from vault.db import utcnow

PROBLEM = "application/problem+json"


@pytest.fixture
def app(tmp_path):
    app = api_app(tmp_path, PROPAGATE_EXCEPTIONS=False)
    yield app
    app.extensions["vault.engine"].dispose()


@pytest.fixture
def admin(app):
    return bearer(user_with_token(app, "admin")[2])


def _requests(app, n: int, first: int = 0) -> list[str]:
    from vault.access import service as access
    with app.app_context():
        sess = db.session()
        report = add_document(app, sess, new_user(sess, "legal"), title="SOC 2 report", doc_type="audit_report",
                              visibility="nda", frameworks=())
        made = []
        for i in range(first, first + n):
            req, _token = access.create_request(
                sess, access.RequestInput(name=f"Buyer {i}", email=f"buyer{i}@buyer{i}.example", company=f"B{i}",
                                          document_uids=[report.uid]),
                now=utcnow(), confirm_minutes=30)
            made.append(req)
        sess.commit()
        return [r.uid for r in made]


def _incidents(app, n: int) -> list[str]:
    from status import service as status_service
    with app.app_context():
        sess = db.session()
        made = [status_service.open_incident(sess, title_en=f"Incident {i}", impact="minor", now=utcnow(), author="t",
                                             update_=status_service.UpdateInput(status="investigating",
                                                                                body_en="Looking", notify=False))
                for i in range(n)]
        sess.commit()
        return [i.uid for i in made]


def _ids(resp) -> list[str]:
    assert resp.status_code == 200, resp.data[:300]
    return [item["id"] for item in resp.json["items"]]


def test_a_row_added_before_the_cursor_is_not_repeated_on_the_next_page(app, admin):
    """Newest first: a new request sorts before the page already read. An offset would now point one row
    earlier and answer the last row of page 1 again; the keyset goes on after the last row seen."""
    made = _requests(app, 5)
    c = app.test_client()
    first = c.get("/api/v1/access/requests?limit=2", headers=admin)
    _requests(app, 2, first=10)  # two requests arrive while the client pages
    seen = _ids(first)
    cursor = first.json["next_cursor"]
    while cursor:
        nxt = c.get(f"/api/v1/access/requests?limit=2&cursor={cursor}", headers=admin)
        seen += _ids(nxt)
        cursor = nxt.json["next_cursor"]
    assert seen == list(reversed(made))  # each once, newest first; the new ones are on a fresh first page
    assert len(_ids(c.get("/api/v1/access/requests?limit=50", headers=admin))) == 7


def test_a_row_added_after_the_cursor_is_listed_once_and_none_skipped(app, admin):
    """Oldest first: a document added while paging comes at the end, once."""
    with app.app_context():
        sess = db.session()
        owner = new_user(sess, "legal")
        made = [add_document(app, sess, owner, title=f"Policy {i}").uid for i in range(3)]
    c = app.test_client()
    first = c.get("/api/v1/documents?limit=2", headers=admin)
    with app.app_context():
        sess = db.session()
        late = add_document(app, sess, new_user(sess, "legal"), title="Late policy").uid
    second = c.get(f"/api/v1/documents?limit=2&cursor={first.json['next_cursor']}", headers=admin)
    assert _ids(first) + _ids(second) == [*made, late] and second.json["next_cursor"] is None


def test_a_row_leaving_the_filtered_list_skips_no_other_row(app, admin):
    """unresolved=true: resolving an incident of page 1 would move every later row one place up under an
    offset, and the first row of page 2 would never be shown."""
    from status import service as status_service
    made = _incidents(app, 4)
    c = app.test_client()
    first = c.get("/api/v1/status/incidents?unresolved=true&limit=2", headers=admin)
    with app.app_context():
        sess = db.session()
        gone = status_service.get_incident(sess, _ids(first)[0], public=False)
        status_service.post_update(sess, gone, status_service.UpdateInput(status="resolved", body_en="Fixed",
                                                                          notify=False),
                                   now=status_service.clock(), author="t")
        sess.commit()
    second = c.get(f"/api/v1/status/incidents?unresolved=true&limit=2&cursor={first.json['next_cursor']}",
                   headers=admin)
    assert _ids(first) + _ids(second) == list(reversed(made))


def test_a_cursor_belongs_to_its_list_its_filters_and_is_not_editable(app, admin):
    _requests(app, 3)
    c = app.test_client()
    cursor = c.get("/api/v1/access/requests?limit=1", headers=admin).json["next_cursor"]
    from itsdangerous import URLSafeSerializer
    readable = URLSafeSerializer("any")  # the payload is signed, not secret: anyone can read and rewrite it
    payload, _, signature = cursor.rpartition(".")
    data = readable.load_payload(payload.encode())
    data["a"][0] += 1  # move the position without the secret
    edited = readable.dump_payload(data).decode() + "." + signature
    forged = URLSafeSerializer("not-the-secret", salt="api-cursor-keyset").dumps(data)
    for url in (f"/api/v1/access/requests?limit=1&cursor={edited}", f"/api/v1/access/requests?limit=1&cursor={forged}",
                f"/api/v1/access/requests?limit=1&status=pending&cursor={cursor}",  # other filters
                f"/api/v1/questionnaires?limit=1&cursor={cursor}",  # another list
                "/api/v1/access/requests?limit=1&cursor=eyJvIjoxfQ.x"):  # garbage
        resp = c.get(url, headers=admin)
        assert resp.status_code == 422 and resp.content_type == PROBLEM and resp.json["field"] == "cursor", url
    assert c.get(f"/api/v1/access/requests?limit=1&cursor={cursor}", headers=admin).status_code == 200


@dataclass
class Row:
    uid: str
    created_at: datetime


@pytest.mark.parametrize("newest_first", [False, True])
def test_rows_of_the_same_microsecond_are_each_paged_once(app, newest_first):
    """Ties on created_at are broken by the uid: limit 1 walks every row exactly once."""
    from vault.api.pagination import by_created, page
    same = datetime(2026, 12, 6, 7, 0, tzinfo=timezone.utc)
    rows = [Row(uid, same) for uid in ("b", "a", "d", "c")] + [Row("z", same + timedelta(microseconds=1))]
    order = by_created(newest_first=newest_first)
    with app.test_request_context("/api/v1/anything"):
        seen, cursor = [], None
        for _ in range(len(rows) + 1):
            chunk, cursor = page(rows, order=order, cursor=cursor, limit=1, filters={})
            seen += [r.uid for r in chunk]
            if cursor is None:
                break
    expected = ["a", "b", "c", "d", "z"]
    assert seen == (list(reversed(expected)) if newest_first else expected)
