"""Library uploads kept between the import preview and the confirmation: a stored blob and a row, so
any app server can finish the import; private to the uploader, tamper-evident, gone after an hour."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from answers.library import pending
from vault import db
from vault.storage.models import StoredBlob


def _blobs() -> int:
    return db.session().scalar(select(func.count()).select_from(StoredBlob))


def test_pending_uploads_are_private_bound_to_the_user_and_expire(app, make_user):
    owner, other = make_user("security"), make_user("security")
    with app.app_context():
        sess = db.session()
        token = pending.save(sess, b"question,answer\n", filename="lib.csv", user_id=owner.id, default_status="draft")
        assert len(token) >= 22 and _blobs() == 1
        upload = pending.load(sess, token, owner.id)
        assert (upload.filename, upload.data, upload.default_status) == ("lib.csv", b"question,answer\n", "draft")
        assert pending.load(sess, token, other.id) is None
        for bad in ("../../etc/passwd", "", "a" * 100, token + "/x"):
            assert pending.load(sess, bad, owner.id) is None

        row = sess.get(pending.PendingRow, token)
        row.created_at -= pending.MAX_AGE + timedelta(seconds=5)
        sess.commit()
        assert pending.load(sess, token, owner.id) is None
        assert sess.get(pending.PendingRow, token) is None and _blobs() == 0  # deleted when asked for

        second = pending.save(sess, b"x", filename="b.csv", user_id=owner.id, default_status="approved")
        assert pending.sweep(sess, now=pending.utcnow() + pending.MAX_AGE + timedelta(seconds=5)) == 1
        assert _blobs() == 0
        pending.discard(sess, second)  # already gone: no error


def test_an_upload_pointed_at_another_users_file_does_not_open(app, make_user):
    first, second = make_user("security"), make_user("security")
    with app.app_context():
        sess = db.session()
        mine = pending.save(sess, b"mine\n", filename="a.csv", user_id=first.id, default_status="draft")
        theirs = pending.save(sess, b"theirs\n", filename="b.csv", user_id=second.id, default_status="draft")
        sess.get(pending.PendingRow, mine).blob_id = sess.get(pending.PendingRow, theirs).blob_id
        sess.commit()
        sess.expire_all()
        with pytest.raises(pending.UploadUnreadable):
            pending.load(sess, mine, first.id)
