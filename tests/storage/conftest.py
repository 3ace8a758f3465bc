"""Storage fixtures: a fresh bucket on the real S3 server, apps on either backend."""
import uuid

import pytest

from tests.conftest import make_app
from vault.storage.s3 import make_client


def s3_settings(endpoint: str, bucket: str) -> dict:
    return {"STORAGE": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": endpoint, "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test", "S3_PREFIX": "vault/"}


@pytest.fixture
def s3_bucket(s3_endpoint):
    """(client, bucket name) of an empty bucket."""
    client = make_client(endpoint_url=s3_endpoint, access_key_id="test", secret_access_key="test")
    name = f"vault-test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return client, name


@pytest.fixture
def s3_app(tmp_path, s3_endpoint, s3_bucket):
    app = make_app(tmp_path, **s3_settings(s3_endpoint, s3_bucket[1]))
    yield app
    app.extensions["vault.engine"].dispose()


@pytest.fixture(params=["local", "s3"])
def backend_app(request, tmp_path):
    """The same test with files on disk and in S3."""
    if request.param == "local":
        app = make_app(tmp_path)
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        app = make_app(tmp_path, **s3_settings(endpoint, request.getfixturevalue("s3_bucket")[1]))
    yield app
    app.extensions["vault.engine"].dispose()
