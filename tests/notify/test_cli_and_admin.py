"""`vault notify test|list|deliver` and the admin page of failed deliveries."""
from sqlalchemy import select, update

from vault import db, notify
from vault.audit import AuditEvent
from vault.notify.models import Outbox


def test_cli_test_sends_now(app, receiver, runner):
    result = runner.invoke(args=["notify", "test", "webhook", receiver.url("/t"), "--secret", "k"])
    assert result.exit_code == 0, result.output
    assert "Sent: notification" in result.output and "/t" not in result.output  # URL shown by host only
    body = receiver.on("/t")[0].json()
    assert body["data"] == {"type": "notify.test"}
    with app.app_context():
        assert db.session().scalars(select(AuditEvent.action).where(AuditEvent.action == "notify.test")).one()


def test_cli_test_email(app, runner, smtp_sink):
    result = runner.invoke(args=["notify", "test", "email", "ops@example.com"])
    assert result.exit_code == 0, result.output
    assert smtp_sink.messages[0]["to"] == ["ops@example.com"]


def test_cli_test_reports_failure_and_bad_input(app, receiver, runner):
    receiver.answer("/t", 200, {"errcode": 130101, "errmsg": "send too fast"})
    result = runner.invoke(args=["notify", "test", "dingtalk", receiver.url("/t")])
    assert result.exit_code == 1
    assert "FAILED" in result.output and "130101" in result.output and "stays queued" in result.output
    receiver.answer("/t", 200, {"errcode": 310000, "errmsg": "keywords not in content"})
    result = runner.invoke(args=["notify", "test", "dingtalk", receiver.url("/t")])
    assert result.exit_code == 1  # a permanent refusal is not queued again
    assert "FAILED" in result.output and "310000" in result.output and "stays queued" not in result.output
    bad = runner.invoke(args=["notify", "test", "slack", "ftp://example.com/x"])
    assert bad.exit_code == 2 and "only http and https" in bad.output
    bad = runner.invoke(args=["notify", "test", "sms", "x"])
    assert bad.exit_code == 2
    bad = runner.invoke(args=["notify", "test", "slack", receiver.url(), "--secret", "x"])
    assert bad.exit_code == 2 and "takes no --secret" in bad.output


def test_cli_list_failed_and_deliver(app, receiver, runner):
    receiver.answer("/bad", 404, "no_service")
    with app.app_context():
        sess = db.session()
        notify.send(sess, channel="wecom", target=receiver.url("/bad", "key=SECRETKEY"),
                    message=notify.Message(subject="Expiring soon", text="t"))
        notify.send_email(sess, to="ok@example.com", subject="fine", text="t")
        sess.commit()
    result = runner.invoke(args=["notify", "deliver"])
    assert result.exit_code == 1 and "sent 1, retrying 0, failed 1" in result.output
    listed = runner.invoke(args=["notify", "list", "--failed"])
    assert listed.exit_code == 0
    lines = listed.output.strip().splitlines()
    assert len(lines) == 1 and "dead" in lines[0] and "Expiring soon" in lines[0] and "404" in lines[0]
    assert "SECRETKEY" not in listed.output
    assert len(runner.invoke(args=["notify", "list"]).output.strip().splitlines()) == 2


def test_cli_list_empty(app, runner):
    assert "No failed deliveries." in runner.invoke(args=["notify", "list", "--failed"]).output


def _failed_row(app, url):
    with app.app_context():
        sess = db.session()
        row = notify.send(sess, channel="dingtalk", target=url, message=notify.Message(subject="证书到期", text="t"))
        sess.commit()
        sess.execute(update(Outbox).where(Outbox.id == row.id)
                     .values(status="dead", attempts=6, last_error="DingTalk refused the message: errcode 310000"))
        sess.commit()
        return row.id


def test_admin_page_lists_failures_without_tokens(app, client_as, receiver):
    row_id = _failed_row(app, receiver.url("/robot/send", "access_token=TOPSECRET"))
    admin = client_as("admin")
    page = admin.get("/admin/notifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "证书到期" in html and "errcode 310000" in html and "TOPSECRET" not in html
    assert f"/admin/notifications/{row_id}/retry" in html


def test_retry_button_resends_and_is_audited(app, client_as, receiver):
    receiver.answer("/robot/send", 200, {"errcode": 0, "errmsg": "ok"})
    row_id = _failed_row(app, receiver.url("/robot/send"))
    admin = client_as("admin")
    assert admin.get(f"/admin/notifications/{row_id}/retry").status_code == 405  # no change on GET
    resp = admin.post(f"/admin/notifications/{row_id}/retry")
    assert resp.status_code == 302
    assert len(receiver.on("/robot/send")) == 1  # sent by the after-commit hook
    with app.app_context():
        sess = db.session()
        assert sess.get(Outbox, row_id).status == "sent"
        event = sess.scalars(select(AuditEvent).where(AuditEvent.action == "notify.retry")).one()
        assert event.object_id == str(row_id) and "robot" not in str(event.detail)
    assert admin.post("/admin/notifications/999999/retry").status_code == 404


def test_retry_of_a_row_that_has_not_failed_is_refused(app, client_as, receiver):
    with app.app_context():
        sess = db.session()
        row = notify.send(sess, channel="slack", target=receiver.url(), message=notify.Message(subject="s", text="t"))
        sess.commit()
    resp = client_as("admin").post(f"/admin/notifications/{row.id}/retry", follow_redirects=True)
    assert "nothing to retry" in resp.get_data(as_text=True)


def test_only_admins_see_the_page(app, client_as):
    for role in ("security", "legal", "sales", "viewer"):
        c = client_as(role)
        assert c.get("/admin/notifications").status_code == 403
        assert c.post("/admin/notifications/1/retry").status_code == 403
    assert app.test_client().get("/admin/notifications").status_code in (302, 401)


def test_retry_needs_csrf(tmp_path, smtp_sink):
    from flask_login import FlaskLoginClient
    from tests.conftest import make_app
    from vault.auth import service as accounts
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    try:
        with app.app_context():
            sess = db.session()
            user = accounts.create_user(sess, email="root@example.com", password="correct horse battery 42",
                                        role="admin", actor="test")
            sess.commit()
            sess.refresh(user)
            sess.expunge(user)
        app.test_client_class = FlaskLoginClient
        assert app.test_client(user=user).post("/admin/notifications/1/retry").status_code == 400
    finally:
        app.extensions["vault.engine"].dispose()

