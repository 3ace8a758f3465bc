"""After-commit delivery in the web app: a request that commits sends at its end; one that rolls back
sends nothing; NOTIFY_DELIVERY = "cli" leaves everything to `vault notify deliver`."""
from flask import abort
from sqlalchemy import select

from tests.conftest import make_app
from tests.notify.conftest import notify_config
from vault import db, notify
from vault.notify.models import Outbox


def _add_routes(app):
    def enqueue_and_commit():
        sess = db.session()
        notify.send_email(sess, to="prospect@example.com", subject="您的访问申请", text="已收到。")
        sess.commit()
        return "queued"

    def enqueue_and_roll_back():
        sess = db.session()
        notify.send_email(sess, to="prospect@example.com", subject="您的访问申请", text="已收到。")
        sess.rollback()
        return "rolled back"

    def enqueue_then_fail():
        db.session()
        notify.send_email(db.session(), to="prospect@example.com", subject="s", text="t")
        abort(500)  # never committed: the teardown rolls back

    def commit_then_fail():
        sess = db.session()
        notify.send_email(sess, to="prospect@example.com", subject="committed", text="t")
        sess.commit()
        abort(500)

    for name, view in (("commit", enqueue_and_commit), ("rollback", enqueue_and_roll_back),
                       ("fail", enqueue_then_fail), ("commit-fail", commit_then_fail)):
        app.add_url_rule(f"/_test/{name}", name, view, methods=["POST"])


def test_sends_right_after_the_request_commits(app, smtp_sink):
    _add_routes(app)
    resp = app.test_client().post("/_test/commit")
    assert resp.status_code == 200
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0]["message"]["Subject"] == "您的访问申请"
    with app.app_context():
        assert db.session().scalars(select(Outbox.status)).all() == ["sent"]


def test_rollback_sends_nothing(app, smtp_sink):
    _add_routes(app)
    assert app.test_client().post("/_test/rollback").status_code == 200
    assert app.test_client().post("/_test/fail").status_code == 500
    assert smtp_sink.messages == []
    with app.app_context():
        assert db.session().scalars(select(Outbox)).all() == []


def test_committed_rows_are_sent_even_if_the_request_fails_later(app, smtp_sink):
    _add_routes(app)
    assert app.test_client().post("/_test/commit-fail").status_code == 500
    assert [m["message"]["Subject"] for m in smtp_sink.messages] == ["committed"]


def test_a_failed_send_stays_queued_and_the_response_is_fine(tmp_path, smtp_sink):
    app = make_app(tmp_path, **notify_config(1))  # nothing listens on port 1
    try:
        _add_routes(app)
        assert app.test_client().post("/_test/commit").status_code == 200
        with app.app_context():
            row = db.session().scalars(select(Outbox)).one()
            assert row.status == "retry" and row.attempts == 1
    finally:
        app.extensions["vault.engine"].dispose()


def test_cli_mode_leaves_delivery_to_the_cron_job(tmp_path, smtp_sink):
    app = make_app(tmp_path, **notify_config(smtp_sink.port, NOTIFY_DELIVERY="cli"))
    try:
        _add_routes(app)
        assert app.test_client().post("/_test/commit").status_code == 200
        assert smtp_sink.messages == []
        result = app.test_cli_runner().invoke(args=["notify", "deliver"])
        assert result.exit_code == 0, result.output
        assert "sent 1, retrying 0, failed 0" in result.output
        assert len(smtp_sink.messages) == 1
    finally:
        app.extensions["vault.engine"].dispose()


def test_only_this_requests_rows_are_sent_inline(app, smtp_sink, receiver):
    """An old backlog is cron's job: a request never pays for other rows."""
    receiver.answer("/slow", 500, "down")
    with app.app_context():
        sess = db.session()
        notify.send(sess, channel="slack", target=receiver.url("/slow"),
                    message=notify.Message(subject="old", text="t"))
        sess.commit()  # outside a request: not delivered inline
    _add_routes(app)
    app.test_client().post("/_test/commit")
    assert receiver.requests == [] and len(smtp_sink.messages) == 1
