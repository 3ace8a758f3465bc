"""Master key rotation: rewrap every data key, objects untouched, running workers follow, retire safely."""
import json
import stat
import threading

import pytest
from sqlalchemy import select, update

from tests.conftest import make_app
from vault import audit, db
from vault.crypto import Keyring
from vault.storage import get_keyring, service
from vault.storage.models import StoredBlob

from .test_service import raw_object, read, save

CONTEXTS = [f"document:d{i}/version:v1" for i in range(5)]


def key_file(app):
    return app.config["MASTER_KEY_FILE"]


def all_rows(app) -> list[StoredBlob]:
    with app.app_context():
        return db.session().scalars(select(StoredBlob).order_by(StoredBlob.id)).all()


def payload(ctx: str) -> bytes:
    return (ctx.encode() + b" ") * 20_000


@pytest.fixture
def filled(any_db_app):
    blobs = [save(any_db_app, data=payload(c), context=c) for c in CONTEXTS]
    return any_db_app, blobs


def test_rotate_rewraps_every_file_and_leaves_objects_alone(filled):
    app, blobs = filled
    before_objects = [raw_object(app, b) for b in blobs]
    before_wraps = [b.wrapped_key for b in blobs]

    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Active master key is now k2 (was k1)" in result.output and "Rewrapped 5" in result.output

    rows = all_rows(app)
    assert {r.master_key_id for r in rows} == {"k2"}
    assert all(r.rewrapped_at is not None for r in rows)
    assert all(r.wrapped_key != w for r, w in zip(rows, before_wraps))
    assert [raw_object(app, r) for r in rows] == before_objects  # envelope: only 60-byte keys changed
    assert [read(app, r, r.context) for r in rows] == [payload(c) for c in CONTEXTS]

    ring = Keyring.load(key_file(app))
    assert ring.active == "k2" and set(ring.keys) == {"k1", "k2"}
    assert stat.S_IMODE(__import__("os").stat(key_file(app)).st_mode) == 0o600
    with app.app_context():
        sess = db.session()
        actions = [e.action for e in audit.query_events(sess, action="keys.")]
        assert actions == ["keys.rewrap", "keys.rotate"]
        assert audit.verify_chain(sess).ok


def test_new_files_after_rotation_use_the_new_key(filled):
    app, _ = filled
    with app.app_context():
        assert get_keyring().active == "k1"  # cached before the rotation
    assert app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0
    assert save(app, context="document:new/version:v1").master_key_id == "k2"


def test_a_running_worker_follows_the_rotation(tmp_path):
    """Another process's app loaded k1 only; after the CLI rotates and rewraps, it still reads every file."""
    worker = make_app(tmp_path)
    old = save(worker, data=payload(CONTEXTS[0]), context=CONTEXTS[0])
    assert read(worker, old, CONTEXTS[0])  # keyring now cached in the worker
    cli_app = make_app(tmp_path)  # same instance folder, database and key file
    assert cli_app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0
    rewrapped = all_rows(worker)[0]
    assert rewrapped.master_key_id == "k2"
    assert read(worker, rewrapped, CONTEXTS[0]) == payload(CONTEXTS[0])
    for a in (worker, cli_app):
        a.extensions["vault.engine"].dispose()


def test_retire_is_refused_while_files_use_the_key(filled):
    app, blobs = filled
    service.rotate_master_key(key_file(app))  # rotated, but not yet rewrapped (interrupted run)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["keys", "retire", "k1", "--yes"])
    assert refused.exit_code == 1 and "5 stored files are still wrapped by k1" in refused.output
    assert "k1" in Keyring.load(key_file(app)).keys

    resumed = runner.invoke(args=["keys", "rewrap"])
    assert resumed.exit_code == 0 and "Rewrapped 5" in resumed.output
    retired = runner.invoke(args=["keys", "retire", "k1", "--yes"])
    assert retired.exit_code == 0, retired.output
    assert set(Keyring.load(key_file(app)).keys) == {"k2"}
    assert [read(app, r, r.context) for r in all_rows(app)] == [payload(c) for c in CONTEXTS]
    with app.app_context():
        assert [e.action for e in audit.query_events(db.session(), action="keys.retire")] == ["keys.retire"]


def test_retire_refuses_active_and_unknown_keys_and_asks_first(app):
    runner = app.test_cli_runner()
    active = runner.invoke(args=["keys", "retire", "k1", "--yes"])
    assert active.exit_code == 1 and "active key" in active.output
    unknown = runner.invoke(args=["keys", "retire", "k9", "--yes"])
    assert unknown.exit_code == 1 and "no key 'k9'" in unknown.output
    service.rotate_master_key(key_file(app))
    declined = runner.invoke(args=["keys", "retire", "k1"], input="n\n")
    assert declined.exit_code == 1 and "k1" in Keyring.load(key_file(app)).keys


def test_interrupted_rewrap_resumes_where_it_stopped(filled):
    app, _ = filled
    service.rotate_master_key(key_file(app))
    with app.app_context():
        sess = db.session()
        first = service.rewrap_batch(sess, get_keyring(), batch_size=2)
        sess.commit()
        assert first.rewrapped == 2
    assert [r.master_key_id for r in all_rows(app)] == ["k2", "k2", "k1", "k1", "k1"]
    result = app.test_cli_runner().invoke(args=["keys", "rewrap"])
    assert "Rewrapped 3" in result.output
    assert {r.master_key_id for r in all_rows(app)} == {"k2"}


def test_a_tampered_key_does_not_stop_the_rotation(filled):
    app, blobs = filled
    with app.app_context():
        sess = db.session()
        sess.execute(update(StoredBlob).where(StoredBlob.id == blobs[1].id).values(wrapped_key=b"\x00" * 60))
        sess.commit()
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 1
    assert f"blob {blobs[1].id}" in result.output and "1 stored files could not be rewrapped" in result.output
    assert [r.master_key_id for r in all_rows(app)] == ["k2", "k1", "k2", "k2", "k2"]
    with app.app_context():
        assert audit.query_events(db.session(), action="keys.rewrap")[0].outcome == "failed"


def test_concurrent_rotations_lose_no_key(app):
    path = key_file(app)
    threads = [threading.Thread(target=service.rotate_master_key, args=(path,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ring = Keyring.load(path)
    assert set(ring.keys) == {f"k{i}" for i in range(1, 10)} and ring.active == "k9"


def test_status_shows_keys_usage_and_missing_keys(filled):
    app, blobs = filled
    runner = app.test_cli_runner()
    runner.invoke(args=["keys", "rotate"])
    with app.app_context():
        sess = db.session()
        sess.execute(update(StoredBlob).where(StoredBlob.id == blobs[0].id).values(master_key_id="k7"))
        sess.commit()
    out = runner.invoke(args=["keys", "status"]).output
    assert "k1" in out and "wraps 0 files" in out
    assert "k2  active" in out and "wraps 4 files" in out
    assert "k7  MISSING from the key file, wraps 1 files" in out


def test_keys_commands_explain_a_missing_key_file(app):
    import os
    os.unlink(key_file(app))
    result = app.test_cli_runner().invoke(args=["keys", "status"])
    assert result.exit_code == 1 and "vault init" in result.output
    json.dumps(result.output)  # plain text, no traceback object
    assert "Traceback" not in result.output


def test_several_hosts_add_first_then_rotate_to_it(tmp_path):
    """Host B only learns k2 from the copied file; it can read every file at every step."""
    import shutil
    for host in ("a", "b"):
        (tmp_path / host).mkdir()
    host_a = make_app(tmp_path / "a")
    blob = save(host_a, data=payload(CONTEXTS[0]), context=CONTEXTS[0])
    runner = host_a.test_cli_runner()
    added = runner.invoke(args=["keys", "add"])
    assert added.exit_code == 0 and "Added master key k2 (not active)" in added.output
    assert Keyring.load(key_file(host_a)).active == "k1"

    host_b = make_app(tmp_path / "b", DATABASE_URL=host_a.config["DATABASE_URL"],
                      STORAGE_PATH=host_a.config["STORAGE_PATH"])
    shutil.copyfile(key_file(host_a), key_file(host_b))  # the operator copies the file
    rotated = runner.invoke(args=["keys", "rotate", "--to", "k2"])
    assert rotated.exit_code == 0 and "Active master key is now k2 (was k1)" in rotated.output
    row = all_rows(host_b)[0]
    assert row.master_key_id == "k2"
    assert read(host_b, row, CONTEXTS[0]) == payload(CONTEXTS[0])  # B has k2, though k1 is its active key
    assert save(host_b, context=CONTEXTS[1]).master_key_id == "k1"  # still readable by everyone
    assert runner.invoke(args=["keys", "rewrap"]).exit_code == 0
    assert {r.master_key_id for r in all_rows(host_a)} == {"k2"}
    with host_a.app_context():
        assert [e.action for e in audit.query_events(db.session(), action="keys.")][-2:] == ["keys.rotate", "keys.add"]
    bad = runner.invoke(args=["keys", "rotate", "--to", "k9"])
    assert bad.exit_code == 1 and "no key 'k9'" in bad.output
    for a in (host_a, host_b):
        a.extensions["vault.engine"].dispose()
