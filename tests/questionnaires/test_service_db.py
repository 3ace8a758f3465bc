"""The service layer on SQLite and on a real PostgreSQL: upload (encrypted), match, review with the
revision check, export and the sent-answers ledger."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from answers.library.index import app_index, synced_index
from answers.questionnaires import export, service
from answers.questionnaires.models import SentAnswer
from tests.questionnaires.builders import add_library, workbook
from vault import db
from vault.audit import Actor
from vault.storage.models import StoredBlob
from vault.storage.service import get_store


def test_flow_on_both_databases(any_db_app):
    app = any_db_app
    add_library(app)
    actor = Actor(label="svc@example.com")
    src = workbook()
    with app.app_context():
        sess = db.session()
        qn = service.upload(sess, actor, customer="Hooli", filename="../../etc/q.xlsx", data=src)
        sess.commit()
        assert qn.filename == "q.xlsx" and qn.state == "detected" and qn.question_count == 4
        blob = sess.get(StoredBlob, qn.blob_id)
        raw = b"".join(get_store(blob.backend).get(blob.key))
        assert src[:200] not in raw and blob.context == f"questionnaire:{qn.uid}"  # stored encrypted
        with synced_index(sess) as index:
            assert service.start_review(sess, actor, qn, index, app_index().entries(sess)) == 4
        sess.commit()
        items, total = service.list_items(sess, qn, service.ItemFilter(status="suggested"))
        assert total == len(items) >= 2
        first = items[0]
        service.review_item(sess, actor, first, "accept", expected_revision=1)
        sess.commit()
        with pytest.raises(service.Conflict):
            service.review_item(sess, actor, first, "reject", expected_revision=1)
        sess.rollback()
        download = export.export_filled(sess, actor, qn)
        sess.commit()
        ws = load_workbook(io.BytesIO(download.data))["Security"]
        cell = first.locator["answer_at"]["cell"]
        assert ws[cell].value == first.final_answer
        sent = list(sess.scalars(select(SentAnswer)))
        assert [(s.customer, s.entry_ref) for s in sent] == [("Hooli", first.final_entry_ref)]
        assert service.progress(sess, qn)["accepted"] == 1


def test_ledger_queries_on_both_databases(any_db_app):
    """The ledger's filters (entry, customer, dates, superseded) and the material-change check (row-value
    IN over revision snapshots) on SQLite and PostgreSQL."""
    from datetime import timedelta
    from answers.library import service as library
    from answers.questionnaires import ledger
    app = any_db_app
    add_library(app)
    actor = Actor(label="svc@example.com")
    with app.app_context():
        sess = db.session()
        qn = service.upload(sess, actor, customer="Hooli", filename="q.xlsx", data=workbook())
        with synced_index(sess) as index:
            service.start_review(sess, actor, qn, index, app_index().entries(sess))
        service.bulk_accept(sess, actor, qn, 0.01)
        export.export_filled(sess, actor, qn)
        sess.commit()
        sent = list(sess.scalars(select(SentAnswer)))
        day = sent[0].sent_at.date()
        assert len(ledger.ledger_rows(sess, ledger.LedgerFilter(customer="hoo"))) == len(sent) >= 2
        assert [r.sent.entry_ref for r in ledger.ledger_rows(sess, ledger.LedgerFilter(entry="iam-01"))] == ["IAM-01"]
        assert ledger.ledger_rows(sess, ledger.LedgerFilter(entry="IAM-0_")) == []  # LIKE wildcards are literal
        assert len(ledger.ledger_rows(sess, ledger.LedgerFilter(since=day, until=day))) == len(sent)
        assert ledger.ledger_rows(sess, ledger.LedgerFilter(since=day + timedelta(days=1))) == []
        assert ledger.ledger_rows(sess, ledger.LedgerFilter(superseded=True)) == []

        iam = library.get_by_ref(sess, "IAM-01")
        library.update_entry(sess, iam, Actor(label="t"), tags=["mfa"])
        sess.commit()
        [row] = ledger.ledger_rows(sess, ledger.LedgerFilter(superseded=True))
        assert row.superseded and not row.answer_changed and ledger.holders_of_old_answer(sess, iam) == []
        library.update_entry(sess, iam, Actor(label="t"), answer_full="WebAuthn only.")
        sess.commit()
        [row] = ledger.ledger_rows(sess, ledger.LedgerFilter(superseded=True))
        assert row.answer_changed and row.current_revision == iam.revision
        [holder] = ledger.holders_of_old_answer(sess, iam)
        assert (holder.customer, holder.revision) == ("Hooli", row.sent.entry_revision)
