"""/readyz with the real Redis: ready while it answers, 503 naming redis once it is down; the queue's table."""
from __future__ import annotations

import pytest

from tests.conftest import make_app
from tests.ops.conftest import read
from tests.services import RedisServer, free_port


@pytest.fixture
def dead_redis_afterwards(tmp_path):
    """The limiter is one module-level object bound to the last app's storage (Redis with REDIS_URL): bind
    it back to memory before the shared fixture resets its counters, since this test's Redis is gone."""
    yield
    (tmp_path / "after").mkdir()
    make_app(tmp_path / "after")


def test_readyz_checks_redis_and_the_queue_when_redis_is_configured(tmp_path, redis_server):
    client = make_app(tmp_path, REDIS_URL=redis_server).test_client()
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.json
    assert resp.json["checks"] == {"database": "ok", "object_store": "ok", "rate_limits": "ok", "redis": "ok",
                                   "queue": "ok"}


def test_readyz_is_503_naming_redis_when_redis_goes_down(tmp_path, json_logs, dead_redis_afterwards):
    own = RedisServer()  # a server of this test's own: stopping it leaves the session's Redis alone
    url = own.start()
    try:
        client = make_app(tmp_path, REDIS_URL=url).test_client()
        assert client.get("/readyz").status_code == 200
    finally:
        own.stop()
    resp = client.get("/readyz")
    read(resp)
    assert resp.status_code == 503
    checks = resp.json["checks"]
    assert resp.json["status"] == "not ready" and checks["redis"] == "failed"
    assert (checks["database"], checks["object_store"], checks["queue"]) == ("ok", "ok", "ok")
    assert any(line["message"].startswith("readiness check redis failed") for line in json_logs.lines())
    assert [r["level"] for r in json_logs.requests() if r["route"] == "home.readyz"][-1] == "WARNING"


def test_readyz_is_503_when_nothing_listens_at_redis_url(tmp_path, dead_redis_afterwards):
    client = make_app(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.json["checks"]["redis"] == "failed"


def test_readyz_is_503_naming_the_queue_when_its_table_is_gone(app, client):
    from sqlalchemy import text
    with app.extensions["vault.engine"].begin() as conn:
        conn.execute(text("DROP TABLE jobs"))
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.json["checks"]["queue"] == "failed"
    assert resp.json["checks"]["database"] == "ok"
