"""Revocations and sessions across two app servers: what host A ends, host B refuses at its next request."""
from __future__ import annotations

import pytest
from flask_login import FlaskLoginClient
from sqlalchemy import select

from tests.access.builders import access_link, approve, journey_to_review, request_uid, seed
from tests.conftest import TEST_PASSWORD
from vault import db

pytestmark = pytest.mark.postgres


def _version_uid(app, document_uid: str) -> str:
    from vault.documents.service import current_version, get_document
    with app.app_context():
        return current_version(get_document(db.session(), document_uid)).uid


def test_a_grant_revoked_on_host_a_is_dead_on_host_b_at_the_next_request(hosts, tmp_path, smtp_sink, make_pg_user):
    a, b = hosts
    seeded = seed(a, tmp_path)  # the documents go to the shared bucket through host A
    a.test_client_class = FlaskLoginClient
    staff_a = a.test_client(user=make_pg_user(a, "sales"))
    journey_to_review(a.test_client(), smtp_sink, seeded)
    assert approve(a, staff_a, request_uid(a, "alice@buyer.example"), [seeded.soc2]).status_code == 302
    link = access_link(smtp_sink, "alice@buyer.example")
    download = f"{link}/documents/{seeded.soc2}/{_version_uid(a, seeded.soc2)}"
    on_b = b.test_client()  # the load balancer sends the prospect to host B
    assert on_b.get(link).status_code == 200
    got = on_b.get(download)
    assert got.status_code == 200 and got.data.startswith(b"%PDF")  # watermarked on B from the shared store

    from vault.access.models import Grant
    with a.app_context():
        grant_uid = db.session().scalar(select(Grant.uid))
    assert staff_a.post(f"/admin/access/grants/{grant_uid}/revoke", data={"reason": "Deal lost"}).status_code == 302
    assert on_b.get(link).status_code == 410
    assert on_b.get(download).status_code == 410


def _sign_in(app, email: str, password: str = TEST_PASSWORD):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": password}).status_code == 302
    return client


def _same_browser(src, dst):
    """The load balancer sends the browser's next request to the other host, cookies and all."""
    for (domain, path, key), cookie in src._cookies.items():
        dst.set_cookie(key, cookie.value, domain=domain, path=path)
    return dst


@pytest.mark.parametrize("change", ["password reset", "disabled"])
def test_a_user_whose_sessions_end_on_host_a_is_signed_out_on_host_b(hosts, make_pg_user, change):
    a, b = hosts
    user = make_pg_user(a, "security")
    make_pg_user(a, "admin")  # so the security user is not the last anything
    browser_b = _same_browser(_sign_in(a, user.email), b.test_client())
    assert browser_b.get("/library/").status_code == 200  # the session made on A works on B
    from vault.auth import service
    with a.app_context():
        sess = db.session()
        account = service.get_user(sess, user.id)
        if change == "password reset":
            service.set_password(sess, account, new="another long passphrase 99", actor="admin@example.com")
        else:
            service.set_active(sess, account, False, actor="admin@example.com")
        sess.commit()
    page = browser_b.get("/library/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
