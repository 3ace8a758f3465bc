"""`vault storage check`: missing, corrupt, key-less and orphaned objects, on disk and in S3."""
import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from vault import audit, db
from vault.db import utcnow
from vault.storage import get_store, service
from vault.storage.models import StoredBlob

from .test_service import raw_object, replace_object, save

ORPHAN = "ee/ff/" + "e" * 32


def check(app, *args):
    return app.test_cli_runner().invoke(args=["storage", "check", *args])


def last_check_event(app):
    with app.app_context():
        return audit.query_events(db.session(), action="storage.check", limit=1)[0]


def make_old_local_orphan(app):
    with app.app_context():
        get_store().put(ORPHAN, [b"left over by a crash"])
    path = os.path.join(app.config["STORAGE_PATH"], ORPHAN)
    old = time.time() - 3 * 3600
    os.utime(path, (old, old))


def test_healthy_store_passes_and_is_audited(any_db_app):
    save(any_db_app, context="document:a/version:1")
    save(any_db_app, context="document:b/version:1")
    result = check(any_db_app, "--deep")
    assert result.exit_code == 0, result.output
    assert "Storage OK: 2 stored files, 0 missing, 0 without key, 2 decrypted and verified" in result.output
    ev = last_check_event(any_db_app)
    assert ev.outcome == "ok" and ev.detail["blobs"] == 2 and ev.detail["deep"] is True


def test_missing_object_fails_the_check(backend_app):
    blob = save(backend_app)
    with backend_app.app_context():
        get_store().delete(blob.key)
    result = check(backend_app)
    assert result.exit_code == 1
    assert f"MISSING  {blob.backend}:{blob.key}" in result.output
    assert last_check_event(backend_app).outcome == "failed"


def test_corruption_is_found_only_by_the_deep_check(backend_app):
    good = save(backend_app, context="document:a/version:1")
    bad = save(backend_app, context="document:b/version:1")
    stored = bytearray(raw_object(backend_app, bad))
    stored[len(stored) // 2] ^= 1
    replace_object(backend_app, bad, bytes(stored))
    assert check(backend_app).exit_code == 0
    deep = check(backend_app, "--deep")
    assert deep.exit_code == 1
    assert f"CORRUPT  blob {bad.id}" in deep.output and f"blob {good.id}" not in deep.output
    assert "1 decrypted and verified, 1 corrupt" in deep.output


def test_files_under_an_unknown_master_key_fail_the_check(app):
    blob = save(app)
    with app.app_context():
        sess = db.session()
        sess.execute(update(StoredBlob).where(StoredBlob.id == blob.id).values(master_key_id="k5"))
        sess.commit()
    result = check(app, "--deep")
    assert result.exit_code == 1
    assert "NOKEY    1 files are wrapped by master key k5" in result.output


def test_readable_key_file_fails_the_check(app):
    os.chmod(app.config["MASTER_KEY_FILE"], 0o644)
    result = check(app)
    assert result.exit_code == 1 and "chmod 600" in result.output


def test_orphans_are_reported_and_deleted_only_when_asked_and_old(app):
    save(app)
    make_old_local_orphan(app)
    with app.app_context():
        get_store().put("ab/cd/" + "f" * 32, [b"an upload in flight"])
    reported = check(app)
    assert reported.exit_code == 0  # wasted space, not data at risk
    assert f"ORPHAN   local:{ORPHAN}" in reported.output
    assert "1 recent objects without a record were left alone" in reported.output

    declined = app.test_cli_runner().invoke(args=["storage", "check", "--delete-orphans"], input="n\n")
    assert "Delete these 1 objects" in declined.output and "DELETED" not in declined.output
    cleaned = check(app, "--delete-orphans", "--yes")
    assert f"DELETED  local:{ORPHAN}" in cleaned.output
    with app.app_context():
        assert sorted(get_store().keys()) == sorted(
            list(db.session().scalars(select(StoredBlob.key))) + ["ab/cd/" + "f" * 32])
    assert last_check_event(app).detail["deleted_orphans"] == 1


def test_s3_orphans_respect_the_grace_period(s3_app):
    blob = save(s3_app)
    with s3_app.app_context():
        store = get_store()
        store.put(ORPHAN, [b"x"])
        sess = db.session()
        fresh = service.check_storage(sess, keyring_path=s3_app.config["MASTER_KEY_FILE"], delete_orphans=True)
        assert fresh.ok and fresh.recent_orphans == [f"s3:{ORPHAN}"] and fresh.deleted_orphans == []
        later = service.check_storage(sess, keyring_path=s3_app.config["MASTER_KEY_FILE"], delete_orphans=True,
                                      now=utcnow() + timedelta(hours=2))
        assert later.deleted_orphans == [f"s3:{ORPHAN}"]
        assert list(store.keys()) == [blob.key]


def test_files_on_an_unconfigured_backend_are_an_error(app):
    blob = save(app)
    with app.app_context():
        sess = db.session()
        sess.execute(update(StoredBlob).where(StoredBlob.id == blob.id).values(backend="s3"))
        sess.commit()
    result = check(app)
    assert result.exit_code == 1
    assert "ERROR    backend s3: files are stored on the 's3' backend, which is not configured here" in result.output


@pytest.mark.parametrize("args", [["--grace-minutes", "0"], ["--grace-minutes", "soon"]])
def test_bad_options_are_refused(app, args):
    result = check(app, *args)
    assert result.exit_code == 2 and "grace-minutes" in result.output


def test_deep_check_verifies_recorded_checksums(app):
    blob = save(app)
    with app.app_context():
        sess = db.session()
        sess.execute(update(StoredBlob).where(StoredBlob.id == blob.id).values(sha256="0" * 64))
        sess.commit()
    assert check(app).exit_code == 0
    deep = check(app, "--deep")
    assert deep.exit_code == 1 and "recorded checksum" in deep.output
