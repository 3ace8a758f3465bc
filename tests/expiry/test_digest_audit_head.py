"""Every reminder digest prints the audit chain's head (issue #18 item 3): copies of it end up in
mailboxes and chat rooms, outside the database, for `vault audit verify --expect-head`."""
from datetime import timedelta

from tests.expiry.conftest import TODAY, at, body, deliver, document, mails_to, run, user
from vault import audit, db, notify
from vault.expiry import service


def test_email_and_chat_digests_carry_the_audit_head(app, tmp_path, smtp_sink, receiver):
    receiver.answer("/hook", 200, b"ok")
    with app.app_context():
        sess = db.session()
        owner = user(sess, "security", email="owner@example.com", locale="zh")
        legal = user(sess, "legal", email="legal@example.com")
        service.add_destination(sess, channel="webhook", target=receiver.url("/hook"), secret="whsec-1",
                                label="room", notify_settings=notify.Settings.from_config(app.config))
        sess.commit()
        document(app, sess, owner, tmp_path, "ISO 27001 certificate", expiry=TODAY + timedelta(days=30))
        head = audit.current_head(db.session())  # the head when the digest is written
    assert head.seq > 0
    run(app, at(TODAY))
    deliver(app)
    english = body(mails_to(smtp_sink, "legal@example.com")[0])
    assert f"Audit trail head: #{head.seq} {head.hash}" in english
    chinese = body(mails_to(smtp_sink, "owner@example.com")[0])
    assert f"审计日志链头：#{head.seq} {head.hash}" in chinese
    html = mails_to(smtp_sink, "legal@example.com")[0].get_body(("html",)).get_content()
    assert head.hash in html
    hook = receiver.on("/hook")[0].json()
    assert hook["data"]["audit_head"] == {"seq": head.seq, "hash": head.hash}
    assert head.hash in hook["text"]
    # the printed form is what verify takes
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--expect-head", f"#{head.seq} {head.hash}"])
    assert result.exit_code == 0, result.output
