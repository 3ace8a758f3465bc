"""Two app servers on one PostgreSQL, one S3 bucket and one Redis, each with its own instance folder:
what a company runs behind a load balancer. Host A and host B share nothing but those servers and the
settings every host gets (secret key, master keys)."""
from __future__ import annotations

import uuid

import numpy as np
import pytest

from tests.conftest import _close, mail_config, make_app
from vault.storage.s3 import make_client

pytestmark = pytest.mark.postgres


class CountingEmbedder:
    """A small deterministic sentence model (hashed words) that counts what it embeds, so a test can
    tell "loaded from the store" from "computed here"."""

    name = "counting-hash-32"
    dim = 32

    def __init__(self) -> None:
        self.texts = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        self.texts += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, sum(map(ord, word.strip("?.,"))) % self.dim] += 1.0
            out[i] /= max(1e-9, float(np.linalg.norm(out[i])))
        return out


@pytest.fixture
def embedder(monkeypatch) -> CountingEmbedder:
    from answers.matching import embed
    fake = CountingEmbedder()
    monkeypatch.setattr(embed, "shared", lambda: fake)
    return fake


@pytest.fixture
def shared_settings(tmp_path, postgres_url, s3_endpoint, redis_server, smtp_sink) -> dict:
    """What every app server is given alike (a deployment's environment)."""
    bucket = f"vault-multihost-{uuid.uuid4().hex[:12]}"
    make_client(endpoint_url=s3_endpoint, access_key_id="test", secret_access_key="test").create_bucket(Bucket=bucket)
    (tmp_path / "shared").mkdir()
    return {"DATABASE_URL": postgres_url, "STORAGE": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": s3_endpoint,
            "S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test",
            "S3_PREFIX": "vault/", "MASTER_KEY_FILE": str(tmp_path / "shared" / "master_keys.json"),
            "REDIS_URL": redis_server,
            **mail_config(smtp_sink.port, "trust@vault.test")}


def host(tmp_path, name: str, settings: dict):
    folder = tmp_path / name
    folder.mkdir()
    return make_app(folder, settings["DATABASE_URL"], **{k: v for k, v in settings.items() if k != "DATABASE_URL"})


@pytest.fixture
def hosts(tmp_path, shared_settings):
    """(host A, host B): two create_app with their own instance folders on the same servers."""
    a, b = host(tmp_path, "a", shared_settings), host(tmp_path, "b", shared_settings)
    yield a, b
    _close(a)
    _close(b)


@pytest.fixture
def make_pg_user():
    """make_pg_user(app, role) -> a committed, detached staff user on that app's database."""
    import itertools

    from tests.conftest import TEST_PASSWORD
    from vault import db
    from vault.auth import service
    counter = itertools.count(1)

    def _make(app, role: str = "security", password: str = TEST_PASSWORD):
        with app.app_context():
            sess = db.session()
            user = service.create_user(sess, email=f"{role}{next(counter)}-{uuid.uuid4().hex[:6]}@example.com",
                                       password=password, role=role, name=role.title(), actor="test")
            sess.commit()
            sess.refresh(user)
            sess.expunge(user)
            return user
    return _make
