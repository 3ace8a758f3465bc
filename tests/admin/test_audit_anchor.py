"""The audit chain's head kept outside the database (issue #18 item 3): cutting the newest entries and
rewriting `audit_head` leaves a consistent chain that plain `vault audit verify` accepts; a head anchored
earlier (a reminder digest, the anchor webhook, an earlier verify) catches it."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from tests.notify.receiver import Receiver
from vault import audit, db, notify
from vault.audit import Anchor, AuditEvent, AuditHead
from vault.notify.channels import webhook


def seed_audit(app, n):
    with app.app_context():
        sess = db.session()
        for i in range(n):
            audit.record(sess, "document.view", actor="user@example.com", object_type="document", object_id=i)
        sess.commit()


def _verify(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def _head(app) -> Anchor:
    with app.app_context():
        return audit.current_head(db.session())


def _truncate_and_rewrite_head(app, keep: int) -> None:
    """What an attacker with database access does: drop the newest rows, point audit_head at the new last."""
    with app.app_context():
        sess = db.session()
        sess.execute(delete(AuditEvent).where(AuditEvent.seq > keep))
        last = sess.scalar(select(AuditEvent).where(AuditEvent.seq == keep))
        sess.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=keep, hash=last.hash))
        sess.commit()


def test_truncation_with_a_rewritten_head_is_caught_by_the_anchor(any_db_app):
    seed_audit(any_db_app, 6)
    anchored = _head(any_db_app)
    assert anchored.seq == 6
    seed_audit(any_db_app, 2)  # the trail grows after the anchor was taken: still fine
    ok = _verify(any_db_app, "--expect-head", f"{anchored.seq}:{anchored.hash}")
    assert ok.exit_code == 0 and "anchored head #6" in ok.output and "the head is now #8" in ok.output
    assert _verify(any_db_app, "--expect-head", str(_head(any_db_app))).exit_code == 0  # '#8 <hash>' as printed

    _truncate_and_rewrite_head(any_db_app, keep=4)
    assert _verify(any_db_app).exit_code == 0  # without an anchor the cut is invisible: why anchors exist
    for given in (f"{anchored.seq}:{anchored.hash}", anchored.hash, f"#{anchored.seq} {anchored.hash}"):
        caught = _verify(any_db_app, "--expect-head", given)
        assert caught.exit_code == 1, given
        assert "the anchored head" in caught.output and "is not in the chain (log ends at #4)" in caught.output


def test_an_edited_anchored_entry_or_wrong_number_fails(app):
    seed_audit(app, 3)
    head = _head(app)
    assert _verify(app, "--expect-head", f"2:{head.hash}").exit_code == 1  # right hash, wrong position
    assert _verify(app, "--expect-head", "0" * 64).exit_code == 0  # the genesis is always in the chain
    bad = _verify(app, "--expect-head", "not-a-hash")
    assert bad.exit_code == 2 and "64 hex digits" in bad.output


@pytest.mark.parametrize("text,expected", [
    ("a" * 64, Anchor("a" * 64)), ("17:" + "B" * 64, Anchor("b" * 64, 17)), ("#17 " + "c" * 64, Anchor("c" * 64, 17)),
])
def test_anchor_forms(text, expected):
    assert Anchor.parse(text) == expected


def test_anchor_command_sends_the_head_through_notify_once_per_head(tmp_path, smtp_sink):
    from tests.conftest import _close, mail_config, make_app
    receiver = Receiver().start()
    app = make_app(tmp_path, **mail_config(smtp_sink.port), AUDIT_ANCHOR_WEBHOOK=receiver.url("/anchor"),
                   AUDIT_ANCHOR_SECRET="anchor-secret")
    try:
        seed_audit(app, 3)
        runner = app.test_cli_runner()
        first = runner.invoke(args=["audit", "anchor"])
        assert first.exit_code == 0, first.output
        assert runner.invoke(args=["audit", "anchor"]).exit_code == 0  # same head: nothing new queued
        with app.app_context():
            sess = db.session()
            rows = sess.scalars(select(notify.Outbox).where(notify.Outbox.channel == "webhook")).all()
            assert len(rows) == 1
            from datetime import datetime, timezone
            notify.deliver_pending(sess, now=datetime.now(timezone.utc) + timedelta(hours=1))
            sess.commit()
        got = receiver.on("/anchor")
        assert len(got) == 1
        req = got[0]
        payload = json.loads(req.body)
        head = _head(app)
        assert payload["data"]["type"] == "audit.head"
        assert (payload["data"]["seq"], payload["data"]["hash"]) == (head.seq, head.hash)
        assert webhook.verify("anchor-secret", req.headers[webhook.TIMESTAMP_HEADER.lower()], req.body,
                              req.headers[webhook.SIGNATURE_HEADER.lower()],
                              now=float(req.headers[webhook.TIMESTAMP_HEADER.lower()]))
        app.config["AUDIT_ANCHOR_WEBHOOK"] = None
        assert runner.invoke(args=["audit", "anchor"]).exit_code == 2
    finally:
        receiver.stop()
        _close(app)
