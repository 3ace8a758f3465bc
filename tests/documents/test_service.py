"""Service rules on SQLite and on the real PostgreSQL: numbering, current/pinned/withdrawn, immutability,
atomic uploads, blob binding."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.documents.builders import SMALL_PDF, VALID_PDF, XLSX, add_document, add_version, new_user, stored_keys
from vault import db
from vault.crypto import IntegrityError
from vault.documents import service
from vault.documents.models import DocumentVersion, ImmutableVersionError
from vault.documents.status import StatusKind
from vault.documents.validation import InvalidInput


@pytest.fixture
def ctx(any_db_app):
    with any_db_app.app_context():
        sess = db.session()
        yield any_db_app, sess, new_user(sess)


def test_versions_are_numbered_and_newest_is_current(ctx):
    app, sess, owner = ctx
    doc = add_document(app, sess, owner, title_zh="ISO 27001 证书")
    v2 = add_version(app, sess, doc, owner, XLSX)
    v3 = add_version(app, sess, doc, owner, VALID_PDF, filename="等级保护测评报告.pdf")
    sess.expire_all()
    doc = service.get_document(sess, doc.uid)
    assert [v.number for v in doc.versions] == [1, 2, 3]
    assert service.current_version(doc).uid == v3.uid
    assert doc.title_for("zh") == "ISO 27001 证书" and doc.title_for("en") == "ISO 27001 certificate"
    assert v2.media_type.endswith("spreadsheetml.sheet") and v3.page_count == 77
    assert v3.filename == "等级保护测评报告.pdf"
    assert len({v.uid for v in doc.versions}) == 3 and all(len(v.uid) == 32 for v in doc.versions)


def test_pin_withdraw_and_current(ctx):
    app, sess, owner = ctx
    doc = add_document(app, sess, owner)
    v1 = doc.versions[0]
    v2 = add_version(app, sess, doc, owner)
    service.pin_version(sess, v1)
    sess.commit()
    assert service.current_version(doc) is v1

    service.withdraw_version(sess, v1, by=owner, reason="Wrong certificate scope")
    sess.commit()
    assert doc.pinned_version is None, "withdrawing the pinned version unpins it"
    assert service.current_version(doc) is v2

    service.withdraw_version(sess, v2, by=owner, reason="Superseded")
    sess.commit()
    assert service.current_version(doc) is None
    assert service.document_status(doc, today=date.today(), warning_days=60).kind == StatusKind.NO_VERSION
    with pytest.raises(InvalidInput, match="already withdrawn"):
        service.withdraw_version(sess, v2, by=owner, reason="again")
    with pytest.raises(InvalidInput, match="cannot be pinned"):
        service.pin_version(sess, v2)


def test_unpin_returns_to_newest(ctx):
    app, sess, owner = ctx
    doc = add_document(app, sess, owner)
    v1, v2 = doc.versions[0], add_version(app, sess, doc, owner)
    service.pin_version(sess, v1)
    assert service.unpin(sess, doc) is v1
    sess.commit()
    assert service.current_version(doc) is v2


def test_status_uses_current_version(ctx):
    app, sess, owner = ctx
    today = date(2025, 6, 1)
    doc = add_document(app, sess, owner, meta=service.VersionMeta(expiry_date=today - timedelta(days=1)))
    assert service.document_status(doc, today=today, warning_days=60).kind == StatusKind.EXPIRED
    add_version(app, sess, doc, owner, meta=service.VersionMeta(expiry_date=today + timedelta(days=10)))
    status = service.document_status(doc, today=today, warning_days=60)
    assert (status.kind, status.days_left) == (StatusKind.EXPIRING, 10)


def test_versions_are_immutable(ctx):
    app, sess, owner = ctx
    doc = add_document(app, sess, owner)
    version = doc.versions[0]
    version.filename = "renamed.pdf"
    with pytest.raises(ImmutableVersionError, match="filename"):
        sess.flush()
    sess.rollback()
    version = sess.get(DocumentVersion, version.id)
    sess.delete(version)
    with pytest.raises(ImmutableVersionError, match="never deleted"):
        sess.flush()
    sess.rollback()
    version = sess.get(DocumentVersion, version.id)
    service.withdraw_version(sess, version, by=owner, reason="first reason")
    sess.commit()
    version.withdrawal_reason = "rewritten history"
    with pytest.raises(ImmutableVersionError, match="final"):
        sess.flush()
    sess.rollback()


def test_original_bytes_round_trip_and_blob_binding(ctx):
    app, sess, owner = ctx
    doc = add_document(app, sess, owner, path=VALID_PDF)
    version = doc.versions[0]
    data = b"".join(service.open_version(version))
    assert data == VALID_PDF.read_bytes()
    assert version.size == len(data) and version.sha256 == version.blob.sha256
    # The blob is bound to (document, version): opening it as another version fails.
    other = add_version(app, sess, doc, owner)
    from vault.storage.service import open_blob
    with pytest.raises(IntegrityError):
        b"".join(open_blob(version.blob, context=other.blob_context))


def test_refused_metadata_stores_nothing(ctx):
    app, sess, owner = ctx
    with pytest.raises(InvalidInput, match="before the effective date"):
        add_document(app, sess, owner, meta=service.VersionMeta(effective_date=date(2025, 2, 1),
                                                                   expiry_date=date(2025, 1, 1)))
    sess.rollback()
    assert stored_keys(app) == []
    assert sess.scalars(select(DocumentVersion)).all() == []


def test_failed_commit_leaves_no_object(ctx):
    """Atomic upload: a real DB failure at commit deletes the object that was already stored."""
    app, sess, owner = ctx
    doc = add_document(app, sess, owner)
    assert len(stored_keys(app)) == 1
    from vault import audit
    from vault.documents import validation
    with validation.checked_file(SMALL_PDF, max_bytes=10**9) as upload:
        version = service.add_version(sess, doc, upload, uploader=owner)
        assert len(stored_keys(app)) == 2
        # A row that violates a unique constraint only at commit time (a duplicate audit seq).
        event = audit.record(sess, "version.create", actor="test")
        sess.add(audit.AuditEvent(seq=event.seq, created_at=event.created_at, actor="x", action="x",
                                  prev_hash=event.prev_hash, hash=event.hash, detail={}))
        with pytest.raises(Exception):
            service.commit_upload(sess, version)
    assert len(stored_keys(app)) == 1
    sess.rollback()
    assert [v.number for v in service.get_document(sess, doc.uid).versions] == [1]


def test_update_document_reports_changes(ctx):
    app, sess, owner = ctx
    doc = add_document(app, sess, owner)
    changes = service.update_document(sess, doc, service.DocumentFields(
        doc_type="certification", visibility="nda", frameworks=["iso27001", "iso27701", "Cyber Essentials"],
        texts={"en": ("ISO 27001 certificate", ""), "zh": ("ISO 27001 证书", "")}))
    sess.commit()
    assert changes["visibility"] == ["public", "nda"]
    assert changes["title_zh"] == ["", "ISO 27001 证书"]
    assert set(doc.frameworks) == {"iso27001", "iso27701", "Cyber Essentials"}
    assert service.update_document(sess, doc, service.DocumentFields(
        doc_type="certification", visibility="nda", frameworks=["iso27001", "iso27701", "Cyber Essentials"],
        texts={"en": ("ISO 27001 certificate", ""), "zh": ("ISO 27001 证书", "")})) == {}
    rows = service.document_rows(sess, today=date.today(), warning_days=60, framework="Cyber Essentials")
    assert [r.document.uid for r in rows] == [doc.uid]
    assert service.document_rows(sess, today=date.today(), warning_days=60, visibility="public") == []


def test_get_version_is_scoped_to_its_document(ctx):
    app, sess, owner = ctx
    a = add_document(app, sess, owner, title="A")
    b = add_document(app, sess, owner, title="B")
    assert service.get_version(sess, a, b.versions[0].uid) is None
    assert service.get_version(sess, b, b.versions[0].uid) is b.versions[0]
    assert service.get_document(sess, "0" * 32) is None
    assert service.get_document(sess, "x" * 500) is None
