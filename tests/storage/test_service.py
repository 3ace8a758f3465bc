"""save_blob / open_blob / discard_blob on real databases and both backends, and the attacks on them."""
import hashlib
import random
import re

import pytest
from sqlalchemy import func, select, update

from vault import crypto, db
from vault.auth.models import User
from vault.crypto import IntegrityError
from vault.storage import get_store, service
from vault.storage.base import ObjectMissing, StorageError
from vault.storage.models import StoredBlob
from vault.storage.service import EmptyFile, TooLarge

from .conftest import s3_settings

CTX_A = "document:d1/version:v1"
CTX_B = "document:d2/version:v1"
DATA = random.Random(7).randbytes(300_000)  # several 64 KiB segments


def chunked(data: bytes, size: int = 50_000):
    return (data[i:i + size] for i in range(0, len(data), size))


def save(app, data=DATA, context=CTX_A, **kw) -> StoredBlob:
    with app.app_context():
        sess = db.session()
        blob = service.save_blob(sess, chunked(data), context=context, **kw)
        sess.commit()
        return blob


def read(app, blob, context=CTX_A) -> bytes:
    with app.app_context():
        return b"".join(service.open_blob(blob, context=context))


def raw_object(app, blob) -> bytes:
    with app.app_context():
        return b"".join(get_store(blob.backend).get(blob.key))


def replace_object(app, blob, data: bytes) -> None:
    with app.app_context():
        get_store(blob.backend).put(blob.key, [data])


def counts(app) -> tuple[int, int]:
    with app.app_context():
        rows = db.session().scalar(select(func.count()).select_from(StoredBlob))
        return rows, len(list(get_store().keys()))


def test_roundtrip_and_row_on_both_databases(any_db_app):
    blob = save(any_db_app)
    assert read(any_db_app, blob) == DATA
    with any_db_app.app_context():
        row = db.session().get(StoredBlob, blob.id)
        assert (row.backend, row.size, row.sha256, row.context, row.master_key_id) == (
            "local", len(DATA), hashlib.sha256(DATA).hexdigest(), CTX_A, "k1")
        assert re.fullmatch(r"[0-9a-f]{32}", row.uid)
        assert row.key == f"{row.uid[:2]}/{row.uid[2:4]}/{row.uid}"  # random: says nothing of the content


def test_roundtrip_on_both_backends(backend_app):
    blob = save(backend_app)
    assert blob.backend == backend_app.config["STORAGE"]
    assert read(backend_app, blob) == DATA
    stored = raw_object(backend_app, blob)
    assert len(stored) == crypto.ciphertext_size(len(DATA))
    assert DATA[:32] not in stored and DATA[-32:] not in stored  # encrypted at rest


def test_accepts_bytearray_and_memoryview_chunks(app):
    with app.app_context():
        sess = db.session()
        blob = service.save_blob(sess, [bytearray(b"abc"), memoryview(b"def"), b""], context=CTX_A)
        sess.commit()
        assert b"".join(service.open_blob(blob, context=CTX_A)) == b"abcdef"


@pytest.mark.parametrize("limit,ok", [(len(DATA), True), (len(DATA) - 1, False), (1000, False)])
def test_size_limit(backend_app, limit, ok):
    if ok:
        assert read(backend_app, save(backend_app, max_bytes=limit)) == DATA
        return
    with pytest.raises(TooLarge) as err:
        save(backend_app, max_bytes=limit)
    assert err.value.max_bytes == limit and str(limit) in str(err.value)
    assert counts(backend_app) == (0, 0)  # no row, no object


def test_too_large_in_s3_multipart_leaves_no_upload(s3_app, s3_bucket):
    client, bucket = s3_bucket
    big = b"z" * (20 * 1024 * 1024)
    with pytest.raises(TooLarge):
        save(s3_app, data=big, max_bytes=len(big) - 1)  # fails after two 8 MiB parts went up
    assert counts(s3_app) == (0, 0)
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


@pytest.mark.parametrize("chunks", [[], [b""], [b"", b"", b""]])
def test_empty_file_is_refused(backend_app, chunks):
    with backend_app.app_context():
        with pytest.raises(EmptyFile):
            service.save_blob(db.session(), chunks, context=CTX_A)
    assert counts(backend_app) == (0, 0)


@pytest.mark.parametrize("context", ["", "x" * 201])
def test_context_must_be_given_and_short(app, context):
    with app.app_context(), pytest.raises(ValueError, match="context"):
        service.save_blob(db.session(), [b"x"], context=context)


def test_wrong_context_fails_before_streaming(backend_app):
    blob = save(backend_app)
    with backend_app.app_context(), pytest.raises(IntegrityError):
        service.open_blob(blob, context=CTX_B)  # raised by the call itself, not on first read


def test_blob_repointed_to_another_record_fails(any_db_app):
    """A version row edited to point at another version's blob: the other context refuses it."""
    secret = save(any_db_app, data=b"secret board minutes" * 100, context=CTX_B)
    with any_db_app.app_context(), pytest.raises(IntegrityError):
        service.open_blob(secret, context=CTX_A)


def test_swapped_objects_fail(backend_app):
    a = save(backend_app, data=b"public policy " * 10_000, context=CTX_A)
    b = save(backend_app, data=b"confidential pentest " * 10_000, context=CTX_B)
    replace_object(backend_app, a, raw_object(backend_app, b))
    with backend_app.app_context(), pytest.raises(IntegrityError):
        service.open_blob(a, context=CTX_A)


def test_swapped_wrapped_keys_fail(any_db_app):
    a = save(any_db_app, context=CTX_A)
    b = save(any_db_app, context=CTX_B)
    with any_db_app.app_context():
        sess = db.session()
        sess.execute(update(StoredBlob).where(StoredBlob.id == a.id).values(wrapped_key=b.wrapped_key))
        sess.commit()
        row = sess.get(StoredBlob, a.id)
        with pytest.raises(IntegrityError):
            service.open_blob(row, context=CTX_A)


def test_tampering_late_in_the_file_stops_the_stream(backend_app):
    blob = save(backend_app)
    stored = bytearray(raw_object(backend_app, blob))
    stored[-100] ^= 0xFF
    replace_object(backend_app, blob, bytes(stored))
    with backend_app.app_context():
        stream = service.open_blob(blob, context=CTX_A)  # the start is intact
        got = b""
        with pytest.raises(IntegrityError):
            for piece in stream:
                got += piece
        assert 0 < len(got) < len(DATA) and DATA.startswith(got)


def test_truncated_object_fails(backend_app):
    blob = save(backend_app)
    stored = raw_object(backend_app, blob)
    replace_object(backend_app, blob, stored[:crypto.HEADER.size + 2 * (crypto.DEFAULT_SEGMENT + 16)])
    with backend_app.app_context(), pytest.raises(IntegrityError):
        b"".join(service.open_blob(blob, context=CTX_A))


def test_recorded_size_is_always_checked_and_checksum_on_request(app):
    blob = save(app)
    blob.sha256 = "0" * 64
    with app.app_context():
        assert b"".join(service.open_blob(blob, context=CTX_A)) == DATA  # AES-GCM vouches for the bytes
        with pytest.raises(IntegrityError, match="checksum"):
            b"".join(service.open_blob(blob, context=CTX_A, verify_checksum=True))
        blob.size += 1
        with pytest.raises(IntegrityError, match="its record says"):
            b"".join(service.open_blob(blob, context=CTX_A))


def test_missing_object_is_reported_before_streaming(backend_app):
    blob = save(backend_app)
    with backend_app.app_context():
        service.discard_blob(blob)
        service.discard_blob(blob)  # idempotent
        with pytest.raises(ObjectMissing):
            service.open_blob(blob, context=CTX_A)


def test_failed_flush_removes_the_stored_object(any_db_app):
    """The DB refuses the transaction after the object went up: the object is deleted again."""
    with any_db_app.app_context():
        sess = db.session()
        sess.add(User(email=None, role="admin", password_hash="x"))  # NOT NULL violation on flush
        with pytest.raises(Exception) as err:
            service.save_blob(sess, [b"orphan?"], context=CTX_A)
        assert "null" in str(err.value).lower()
        sess.rollback()
        assert list(get_store().keys()) == []


def test_caller_rollback_then_discard(app):
    with app.app_context():
        sess = db.session()
        blob = service.save_blob(sess, [b"x" * 10], context=CTX_A)
        sess.rollback()  # e.g. the document insert failed
        service.discard_blob(blob)
        assert list(get_store().keys()) == []
        assert sess.scalar(select(func.count()).select_from(StoredBlob)) == 0


def test_backend_switch_orphans_nothing(tmp_path, s3_endpoint, s3_bucket):
    """Files saved on disk stay readable after the active backend becomes S3, and vice versa."""
    from tests.conftest import make_app
    local_app = make_app(tmp_path)
    old = save(local_app, data=b"kept on disk " * 1000)
    local_app.extensions["vault.engine"].dispose()

    s3_app = make_app(tmp_path, **s3_settings(s3_endpoint, s3_bucket[1]))
    new = save(s3_app, data=b"in the bucket " * 1000, context=CTX_B)
    assert (old.backend, new.backend) == ("local", "s3")
    with s3_app.app_context():
        rows = db.session().scalars(select(StoredBlob).order_by(StoredBlob.id)).all()
        assert [b"".join(service.open_blob(r, context=r.context)) for r in rows] == [
            b"kept on disk " * 1000, b"in the bucket " * 1000]
    s3_app.extensions["vault.engine"].dispose()


def test_unknown_storage_setting_fails_at_startup(tmp_path):
    from tests.conftest import make_app
    with pytest.raises(ValueError, match="STORAGE"):
        make_app(tmp_path, STORAGE="ftp")
    with pytest.raises(ValueError, match="S3_BUCKET"):
        make_app(tmp_path, STORAGE="s3")


def test_missing_key_file_is_a_clear_error(tmp_path):
    from tests.conftest import make_app
    app = make_app(tmp_path)
    (tmp_path / "instance" / "master_keys.json").unlink()
    with app.app_context(), pytest.raises(crypto.KeyringError, match="vault init"):
        service.save_blob(db.session(), [b"x"], context=CTX_A)
    app.extensions["vault.engine"].dispose()


def test_reading_from_an_unconfigured_backend_says_so(app):
    blob = save(app)
    blob.backend = "s3"  # as if saved by an S3 deployment, read where S3 is not configured
    with app.app_context(), pytest.raises(StorageError, match="VAULT_S3_BUCKET"):
        service.open_blob(blob, context=CTX_A)


def test_stored_blob_removes_the_object_when_the_commit_fails(any_db_app):
    with any_db_app.app_context():
        sess = db.session()
        sess.add(User(email="dup@example.com", role="admin", password_hash="x"))
        sess.commit()
        with pytest.raises(Exception, match="(?i)unique"):
            with service.stored_blob(sess, [b"evidence"], context=CTX_A):
                sess.add(User(email="dup@example.com", role="admin", password_hash="x"))
                sess.commit()  # the unique email fails the whole transaction, blob row included
        sess.rollback()
        assert list(get_store().keys()) == []
        assert sess.scalar(select(func.count()).select_from(StoredBlob)) == 0


def test_stored_blob_keeps_the_object_once_its_row_is_committed(any_db_app):
    with any_db_app.app_context():
        sess = db.session()
        with pytest.raises(RuntimeError):
            with service.stored_blob(sess, [b"evidence"], context=CTX_A) as blob:
                sess.commit()
                raise RuntimeError("a later step failed, e.g. sending a notification")
        assert list(get_store().keys()) == [blob.key]
        assert b"".join(service.open_blob(blob, context=CTX_A)) == b"evidence"


def test_stored_blob_too_large_stores_nothing(app):
    with app.app_context():
        with pytest.raises(TooLarge):
            with service.stored_blob(db.session(), [b"x" * 100], context=CTX_A, max_bytes=10):
                pytest.fail("the block must not run")
        assert list(get_store().keys()) == []


def test_memory_stays_bounded_for_a_large_file(app):
    """64 MB streamed in and out: peak Python memory is a few segments, not the file."""
    import tracemalloc
    size, block = 64 * 1024 * 1024, random.Random(3).randbytes(1024 * 1024)

    def upload():
        for _ in range(size // len(block)):
            yield block

    with app.app_context():
        sess = db.session()
        tracemalloc.start()
        try:
            blob = service.save_blob(sess, upload(), context=CTX_A)
            sess.commit()
            digest = hashlib.sha256()
            for piece in service.open_blob(blob, context=CTX_A):
                digest.update(piece)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert blob.size == size and digest.hexdigest() == blob.sha256
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
