"""Fault fixtures: a FaultProxy in front of each real server, and apps that talk to the proxies.

Timeouts are short here (the app's settings, not the defaults) so each fault shows within a second."""
from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest
from flask_login import FlaskLoginClient

from tests.conftest import TEST_PASSWORD
from tests.faults.proxy import FaultProxy
from tests.storage.conftest import s3_bucket, s3_settings  # noqa: F401 - s3_bucket is a fixture used here

PREFIX = s3_settings("", "")["S3_PREFIX"]

# The S3 client gives up on a dead or stalled store after one retry and a 1 s read timeout.
FAST_S3 = {"S3_CONNECT_TIMEOUT": 1, "S3_READ_TIMEOUT": 1, "S3_RETRIES": 1}


@pytest.fixture
def proxy_to():
    """proxy_to(port) or proxy_to("scheme://host:port/...") -> a started FaultProxy, stopped afterwards."""
    started: list[FaultProxy] = []

    def _make(target) -> FaultProxy:
        if isinstance(target, int):
            host, port = "127.0.0.1", target
        else:
            parts = urlsplit(target)
            host, port = parts.hostname, parts.port
        proxy = FaultProxy(host, port).start()
        started.append(proxy)
        return proxy

    yield _make
    for proxy in started:
        proxy.stop()


def proxied_url(url: str, proxy: FaultProxy) -> str:
    """`url` with its host:port replaced by the proxy's."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    hostport = f"127.0.0.1:{proxy.port}"
    return parts._replace(netloc=f"{netloc[0]}@{hostport}" if len(netloc) == 2 else hostport).geturl()


@pytest.fixture
def s3_direct(s3_bucket):  # noqa: F811 - the fixture imported above
    """(client, bucket) on the real S3 server, not through the proxy: what is really stored."""
    return s3_bucket


def bucket_keys(s3_direct) -> list[str]:
    client, bucket = s3_direct
    return [o["Key"].removeprefix(PREFIX) for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


@pytest.fixture
def s3_proxy(s3_endpoint, proxy_to):
    return proxy_to(s3_endpoint)


def s3_config(s3_proxy: FaultProxy, bucket: str) -> dict:
    return {**s3_settings(f"http://127.0.0.1:{s3_proxy.port}", bucket), **FAST_S3}


def close_app(app) -> None:
    app.extensions["vault.engine"].dispose()


def staff_client(app, role: str = "security", email: str | None = None):
    """A test client signed in as a new staff user (committed)."""
    from vault import db
    from vault.auth.service import create_user

    with app.app_context():
        sess = db.session()
        user = create_user(sess, email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.com", password=TEST_PASSWORD,
                           role=role, name=role.title(), actor="test")
        sess.commit()
        sess.refresh(user)
        sess.expunge(user)
    app.test_client_class = FlaskLoginClient
    client = app.test_client(user=user)
    client.user = user
    return client
