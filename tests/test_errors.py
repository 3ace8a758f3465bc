"""Error pages: HTML by default, JSON when asked for, clear messages, never a bare 500."""
import pytest
from sqlalchemy import text

from tests.conftest import make_app
from vault import db


def test_404_html_and_json(client):
    resp = client.get("/no/such/page")
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    assert b"404 \xc2\xb7 Not found" in resp.data and b"Back to the start page" in resp.data
    resp = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert resp.status_code == 404 and resp.get_json()["status"] == 404


def test_405_keeps_the_allow_header(client):
    resp = client.get("/logout")
    assert resp.status_code == 405 and "POST" in resp.headers["Allow"]
    assert b"does not accept that kind of request" in resp.data


def test_403_page(client_as):
    resp = client_as("viewer").get("/admin/users")
    assert resp.status_code == 403 and b"You do not have permission" in resp.data


def test_413_names_the_limit(tmp_path):
    app = make_app(tmp_path, MAX_UPLOAD_BYTES=1024 * 1024)  # MAX_CONTENT_LENGTH is 1 MB more
    resp = app.test_client().post("/login", data={"email": "x" * (3 * 1024 * 1024)})
    assert resp.status_code == 413
    assert b"The largest file accepted is 1 MB." in resp.data


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_500_is_a_page_and_rolls_back(tmp_path, accept):
    app = make_app(tmp_path, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        db.session().execute(text("SELECT no_such_column FROM audit_events"))

    resp = app.test_client().get("/boom", headers={"Accept": accept})
    assert resp.status_code == 500
    if accept == "application/json":
        assert "nothing was saved" in resp.get_json()["error"]
    else:
        assert b"An unexpected error happened and nothing was saved." in resp.data
