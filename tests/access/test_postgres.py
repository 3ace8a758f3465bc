"""The journey and the one-time link on a real PostgreSQL server (row counts, timestamps, JSON)."""
from __future__ import annotations

import pytest

from tests.access.builders import (access_link, approve, confirm_link, journey_to_review, request_uid, seed,
                                   submit_request, trust_app)

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(tmp_path, smtp_sink, postgres_url):
    app = trust_app(tmp_path, smtp_sink, database_url=postgres_url)
    yield app
    app.extensions["vault.engine"].dispose()


def test_journey_and_revocation_on_postgres(pg_app, tmp_path, smtp_sink, make_user):
    app = pg_app
    seeded = seed(app, tmp_path)
    from flask_login import FlaskLoginClient
    from vault import db
    from vault.auth.service import create_user
    with app.app_context():
        sess = db.session()
        user = create_user(sess, email="legal@vault.test", password="correct horse battery staple 42",
                           role="legal", actor="test")
        sess.commit()
        sess.expunge(user)
    app.test_client_class = FlaskLoginClient
    staff = app.test_client(user=user)
    client = app.test_client()
    journey_to_review(client, smtp_sink, seeded)
    assert approve(app, staff, request_uid(app, "alice@buyer.example"), [seeded.soc2]).status_code == 302
    link = access_link(smtp_sink, "alice@buyer.example")
    assert client.get(link).status_code == 200
    page = staff.get("/admin/access/grants").get_data(as_text=True)
    uid = page.split("/admin/access/grants/")[1].split("/revoke")[0]
    assert staff.post(f"/admin/access/grants/{uid}/revoke", data={}).status_code == 302
    assert client.get(link).status_code == 410  # revoked: a page with a way to ask again


def test_confirmation_link_is_consumed_once_on_postgres(pg_app, tmp_path, smtp_sink):
    seeded = seed(pg_app, tmp_path)
    client = pg_app.test_client()
    submit_request(client, documents=[seeded.soc2])
    link = confirm_link(smtp_sink, "alice@buyer.example")
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 302
    assert pg_app.test_client().post(link).status_code == 404
