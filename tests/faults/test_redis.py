"""Redis (the real server, behind the fault proxy) down while it holds the rate-limit counters.

What the app does, and why: it neither fails open (no limit at all: sign-in open to password guessing
while Redis is down) nor closed (every limited page, sign-in included, refused: Redis becomes a single
point of failure for the whole site). Each process keeps counting in its own memory (flask-limiter's
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED, set by vault.extensions.configure_limiter_storage) until Redis
answers again, so the limit still holds per process, the pages work, and /readyz says Redis failed."""
from __future__ import annotations

import time

import pytest
import redis as redis_lib

from tests.conftest import make_app
from tests.faults.conftest import close_app
from tests.faults.proxy import FaultProxy

ADDRESS = "198.51.100.7"  # the sign-in limit is per client address: this test's own counter
LIMITS = {"LOGIN_LIMIT_PER_ADDRESS": "3 per 5 minutes", "LOGIN_LIMIT_PER_ACCOUNT": "50 per 5 minutes"}


@pytest.fixture(scope="module")
def redis_proxy(redis_server):
    """Module-wide, so it outlives the shared fixture that resets the limiter's counters after each test."""
    port = int(redis_server.rsplit(":", 1)[1].split("/")[0])
    with FaultProxy("127.0.0.1", port) as proxy:
        yield proxy


@pytest.fixture
def redis_app(tmp_path, redis_proxy):
    app = make_app(tmp_path, REDIS_URL=f"redis://127.0.0.1:{redis_proxy.port}/0", **LIMITS,
                   RATELIMIT_STORAGE_OPTIONS={"socket_timeout": 0.5, "socket_connect_timeout": 0.5})
    yield app
    redis_proxy.recover()
    close_app(app)


def _failed_login(client) -> int:
    return client.post("/login", data={"email": "nobody@example.com", "password": "wrong"},
                       environ_base={"REMOTE_ADDR": ADDRESS}).status_code


def _counted_in_redis(redis_server) -> bool:
    client = redis_lib.Redis.from_url(redis_server)
    return any(ADDRESS.encode() in key for key in client.scan_iter(match="LIMITS:*"))


def test_rate_limits_with_redis_down_count_per_process_then_return_to_redis(redis_app, redis_proxy, redis_server):
    from vault.extensions import limiter
    client = redis_app.test_client()
    assert _failed_login(client) == 200
    assert _counted_in_redis(redis_server)
    redis_proxy.cut()  # Redis restarts between requests: the client reconnects, nothing falls back
    assert _failed_login(client) == 200 and not limiter._storage_dead
    limiter.reset()

    redis_proxy.down("close")
    assert [_failed_login(client) for _ in range(4)] == [200, 200, 200, 429]  # no 500; the limit holds
    assert limiter._storage_dead
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["redis"] == "failed"
    assert client.get("/login").status_code == 200

    redis_proxy.recover()
    deadline = time.monotonic() + 10  # flask-limiter retries Redis after 1, 2, 4 ... s
    while limiter._storage_dead and time.monotonic() < deadline:
        client.get("/login")
        time.sleep(0.2)
    assert not limiter._storage_dead
    assert _failed_login(client) == 200 and _counted_in_redis(redis_server)
    assert client.get("/readyz").status_code == 200
