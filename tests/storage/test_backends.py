"""Both object stores against the one interface: local files and a real S3 server over HTTP."""
from datetime import datetime, timedelta, timezone

import pytest

from vault.storage.base import ObjectMissing, StorageError
from vault.storage.local import LocalStore
from vault.storage.s3 import S3Store

KEY_A = "aa/bb/" + "a" * 32
KEY_B = "cc/dd/" + "b" * 32
MiB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path / "objects")
    client, bucket = request.getfixturevalue("s3_bucket")
    return S3Store(client, bucket, prefix="pre", part_size=5 * MiB)  # S3's smallest part: multipart early


class Boom(Exception):
    pass


def failing_after(n_bytes: int, piece: bytes = b"x" * 65536):
    sent = 0
    while True:
        if sent >= n_bytes:
            raise Boom()
        yield piece
        sent += len(piece)


def pending_uploads(store) -> list:
    if isinstance(store, S3Store):
        return store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
    tmp = store.root / ".tmp"
    return list(tmp.iterdir()) if tmp.exists() else []


def test_put_get_delete(store):
    assert store.put(KEY_A, [b"hello ", b"", b"world"]) == 11
    assert store.exists(KEY_A) and not store.exists(KEY_B)
    assert b"".join(store.get(KEY_A)) == b"hello world"
    assert abs(store.modified(KEY_A) - datetime.now(timezone.utc)) < timedelta(minutes=1)
    store.put(KEY_B, [b"x"])
    assert sorted(store.keys()) == [KEY_A, KEY_B]
    store.delete(KEY_A)
    store.delete(KEY_A)  # absent is not an error
    assert list(store.keys()) == [KEY_B]
    with pytest.raises(ObjectMissing):
        store.get(KEY_A)
    with pytest.raises(ObjectMissing):
        store.modified(KEY_A)


def test_large_object_in_parts(store):
    data = bytes(range(256)) * (11 * MiB // 256) + b"tail"  # three parts on S3
    assert store.put(KEY_A, (data[i:i + 300_000] for i in range(0, len(data), 300_000))) == len(data)
    assert b"".join(store.get(KEY_A)) == data
    assert pending_uploads(store) == []


@pytest.mark.parametrize("fail_at", [10_000, 6 * MiB], ids=["before first part", "after first part"])
def test_failed_put_leaves_nothing(store, fail_at):
    store.put(KEY_B, [b"keep me"])
    with pytest.raises(Boom):
        store.put(KEY_A, failing_after(fail_at))
    assert not store.exists(KEY_A)
    assert list(store.keys()) == [KEY_B]
    assert pending_uploads(store) == []


def test_failed_overwrite_keeps_old_content(store):
    store.put(KEY_A, [b"old"])
    with pytest.raises(Boom):
        store.put(KEY_A, failing_after(6 * MiB))
    assert b"".join(store.get(KEY_A)) == b"old"


@pytest.mark.parametrize("key", ["../../etc/passwd", "aa/bb/../../x", "/abs", "aa/bb/" + "A" * 32, "", "aa/bb/c"])
def test_local_refuses_foreign_keys(tmp_path, key):
    store = LocalStore(tmp_path / "objects")
    with pytest.raises(StorageError, match="invalid object key"):
        store.put(key, [b"x"])
    with pytest.raises(StorageError):
        store.get(key)
    assert not (tmp_path / "etc").exists()


def test_local_files_are_private_and_listing_skips_partials(tmp_path):
    store = LocalStore(tmp_path / "objects")
    store.put(KEY_A, [b"x"])
    (tmp_path / "objects" / ".tmp" / "partial").write_bytes(b"half")
    (tmp_path / "objects" / "README").write_text("not an object")
    assert list(store.keys()) == [KEY_A]
    assert (tmp_path / "objects" / KEY_A).stat().st_mode & 0o077 == 0


def test_s3_prefix_keeps_other_objects_out(s3_bucket):
    client, bucket = s3_bucket
    client.put_object(Bucket=bucket, Key="someone-else/file", Body=b"x")
    store = S3Store(client, bucket, prefix="/vault/")
    store.put(KEY_A, [b"y"])
    assert list(store.keys()) == [KEY_A]
    assert client.get_object(Bucket=bucket, Key="vault/" + KEY_A)["Body"].read() == b"y"


def test_s3_unreachable_or_missing_bucket_is_a_storage_error(s3_endpoint):
    from vault.storage.s3 import make_client
    client = make_client(endpoint_url=s3_endpoint, access_key_id="test", secret_access_key="test")
    store = S3Store(client, "no-such-bucket-here")
    with pytest.raises(StorageError):
        list(store.keys())
    with pytest.raises(StorageError):
        store.put(KEY_A, [b"x"])
    with pytest.raises(StorageError, match="bucket"):
        S3Store(client, "")


def test_path_style_addressing_for_minio(tmp_path, s3_endpoint, s3_bucket):
    """VAULT_S3_ADDRESSING_STYLE=path: MinIO and other servers without per-bucket host names."""
    from tests.conftest import make_app
    from vault.storage import get_store

    from .conftest import s3_settings
    app = make_app(tmp_path, **s3_settings(s3_endpoint, s3_bucket[1]), S3_ADDRESSING_STYLE="path")
    with app.app_context():
        store = get_store()
        assert store.client.meta.config.s3["addressing_style"] == "path"
        store.put(KEY_A, [b"via path-style URL"])
        assert b"".join(store.get(KEY_A)) == b"via path-style URL"
    app.extensions["vault.engine"].dispose()
