"""A backup is one point in time even while the instance keeps writing: entries appended and files uploaded
after the snapshot began are wholly absent, so the restored audit chain and stored files check out."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.backup.builders import close, copy_keys, instance, run
from tests.documents.builders import SMALL_PDF, add_document, new_user


def counts(app) -> tuple[int, int]:
    """(audit entries written during the backup, stored files)."""
    from vault import db
    from vault.audit import AuditEvent
    from vault.storage.models import StoredBlob
    with app.app_context():
        sess = db.session()
        return (sess.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.during")),
                sess.scalar(select(func.count()).select_from(StoredBlob)))


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_writes_during_a_backup_are_wholly_absent_from_it(tmp_path, request, engine):
    from vault import audit, db
    from vault.backup import dump
    from vault.backup.cli import _scripts
    from vault.storage import get_keyring, get_store

    url = request.getfixturevalue("postgres_url") if engine == "postgresql" else None
    source = instance(tmp_path / "source", database_url=url)
    with source.app_context():
        sess = db.session()
        owner = new_user(sess, "legal")
        add_document(source, sess, owner, SMALL_PDF, title="Before the backup")
        for i in range(3):
            audit.record(sess, "test.before", detail={"i": i})
        sess.commit()
        owner_id = owner.id
    wrote = []

    def write_meanwhile(what: str, name: str, count: int) -> None:
        # audit_head is read before audit_events: a backup reading each table at its own moment would
        # hold entries past the head it saved, and the chain would not verify
        if what == "table" and name == "audit_head" and not wrote:
            with source.app_context():  # another session and connection, committing for real
                sess = db.session()
                for i in range(5):
                    audit.record(sess, "test.during", detail={"i": i})
                sess.commit()
                from vault.auth.models import User
                add_document(source, sess, sess.get(User, owner_id), SMALL_PDF, title="Uploaded during the backup")
            wrote.append(name)

    out = tmp_path / "during.tvbackup"
    with source.app_context():
        dump.write_backup(out, engine=db.engine(), metadata=db.Base.metadata, heads=set(_scripts().get_heads()),
                          store_for=get_store, keyring=get_keyring(), secret_key=source.config["SECRET_KEY"],
                          progress=write_meanwhile)
    assert wrote and counts(source) == (5, 2)  # the writes happened, while the backup ran

    target = instance(tmp_path / "target")  # as after `vault init`, with the source's key file put in place
    copy_keys(source, target)
    restored = run(target, "restore", str(out))
    assert restored.exit_code == 0, restored.output
    assert counts(target) == (0, 1)
    assert run(target, "audit", "verify").exit_code == 0
    check = run(target, "storage", "check", "--deep")
    assert check.exit_code == 0 and "1 decrypted and verified" in check.output, check.output
    close(source, target)
