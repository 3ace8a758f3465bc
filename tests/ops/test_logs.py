"""Structured logs: JSON lines with a request id carried through the request and into its jobs; no secret
of a URL (grant links, feed tokens) ever reaches a line."""
from __future__ import annotations

import logging
import re
import threading

import pytest

from tests.access.builders import access_link, approve, journey_to_review, request_uid, seed, trust_app
from tests.conftest import make_app
from tests.ops.conftest import read

FIELDS = {"time", "level", "logger", "message", "request_id"}


def test_a_request_logs_one_json_line_with_the_id_it_was_given(client, json_logs):
    resp = client.get("/trust/", headers={"X-Request-ID": "lb-7f3a9c2e-0001"})
    read(resp)
    assert resp.headers["X-Request-ID"] == "lb-7f3a9c2e-0001"
    lines = json_logs.lines()
    assert lines and all(FIELDS <= set(line) for line in lines)
    [line] = [r for r in json_logs.requests() if r["route"] == "trust.index"]
    assert line["request_id"] == "lb-7f3a9c2e-0001"
    assert (line["method"], line["status"], line["level"]) == ("GET", 200, "INFO")
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert "user_id" not in line  # a visitor
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


UNSAFE_IDS = ["short", "x" * 65, "id with spaces", "abc\r\nInjected: yes", "<script>alert(1)</script>",
              "alice@buyer.example"]


def test_an_unsafe_or_missing_request_id_is_replaced(client, json_logs):
    given = []
    for offered in ["", *UNSAFE_IDS]:
        # as the raw header value reaches the app (the test client itself refuses a newline in a header)
        resp = client.get("/healthz", environ_overrides={"HTTP_X_REQUEST_ID": offered} if offered else {})
        read(resp)
        given.append(resp.headers["X-Request-ID"])
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in given) and len(set(given)) == len(given)
    assert not [offered for offered in UNSAFE_IDS if offered in json_logs.text]
    assert [r["request_id"] for r in json_logs.requests()] == given


def test_every_line_of_a_request_carries_its_id(app, json_logs):
    def noisy():
        logging.getLogger("vault.some.module").warning("first")
        app.logger.info("second")
        return "ok"
    app.add_url_rule("/ops-test/noisy", "ops_noisy", noisy)
    resp = app.test_client().get("/ops-test/noisy")
    read(resp)
    rid = resp.headers["X-Request-ID"]
    mine = [line for line in json_logs.lines() if line["message"] in ("first", "second")]
    assert [(m["logger"], m["request_id"]) for m in mine] == [("vault.some.module", rid), ("vault", rid)]
    assert json_logs.requests()[-1]["route"] == "ops_noisy"


def test_the_signed_in_user_is_logged_by_id_never_by_email(client_as, json_logs):
    staff = client_as("legal")
    read(staff.get("/documents/"))
    [line] = json_logs.requests()
    assert line["user_id"] == staff.user.id and line["status"] == 200
    assert staff.user.email not in json_logs.text


def test_a_grant_link_token_never_reaches_the_log(tmp_path, smtp_sink, json_logs):
    """The real journey: the prospect's personal link carries a bearer token in its path."""
    app = trust_app(tmp_path, smtp_sink)
    seeded = seed(app, tmp_path)
    visitor = app.test_client()
    journey_to_review(visitor, smtp_sink, seeded)
    from flask_login import FlaskLoginClient

    from tests.conftest import TEST_PASSWORD
    from vault import db
    from vault.auth import service
    with app.app_context():
        sess = db.session()
        staff = service.create_user(sess, email="boss@vault.test", password=TEST_PASSWORD, role="admin",
                                    name="Boss", actor="test")
        sess.commit()
        sess.expunge(staff)
    app.test_client_class = FlaskLoginClient
    assert approve(app, app.test_client(user=staff), request_uid(app, "alice@buyer.example"),
                   [seeded.soc2]).status_code == 302
    link = access_link(smtp_sink, "alice@buyer.example")
    token = link.rstrip("/").split("/")[-1]
    assert len(token) >= 20
    fresh = app.test_client()
    resp = fresh.get(link, headers={"X-Request-ID": "grant-visit-0001"})
    read(resp)
    assert resp.status_code == 200
    read(fresh.get(link + "?lang=zh"))
    read(fresh.get(f"/trust/access/{token}x"))  # a wrong token: 404, also not logged
    lines = [line for line in json_logs.requests() if line["route"] == "access.grant_page"]
    assert {line["status"] for line in lines} == {200, 404}
    assert token not in json_logs.text
    assert "alice@buyer.example" not in json_logs.text


def test_an_exception_in_a_view_logs_the_route_not_the_secret_path(app, json_logs):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: Flask logs it and answers 500

    def boom(token):
        raise RuntimeError("the view broke")
    app.add_url_rule("/ops-test/boom/<token>", "ops_boom", boom)
    secret = "S3cretT0kenValue-do-not-log"
    resp = app.test_client().get(f"/ops-test/boom/{secret}?feed={secret}")
    read(resp)
    assert resp.status_code == 500
    assert secret not in json_logs.text
    errors = [line for line in json_logs.lines() if line["level"] == "ERROR"]
    assert any("/ops-test/boom/<token>" in line["message"] and "RuntimeError" in line.get("exception", "")
               for line in errors)
    assert [r["status"] for r in json_logs.requests()] == [500]


def test_the_calendar_feed_token_never_reaches_the_log(client, json_logs):
    secret = "feedtoken" + "Q" * 30
    read(client.get(f"/expiry/calendar/{secret}.ics"))
    assert secret not in json_logs.text
    assert json_logs.requests()[0]["route"] == "expiry.calendar_feed"


def test_text_format_is_the_default_and_names_the_route(tmp_path):
    from vault import logs
    app = make_app(tmp_path)
    assert logs.log_format_from(app.config) == "text"
    with pytest.raises(ValueError):
        logs.log_format_from({"LOG_FORMAT": "xml"})
    import io
    stream = io.StringIO()
    handler = logs.configure("text", stream=stream)
    try:
        read(app.test_client().get("/", headers={"X-Request-ID": "text-mode-0001"}))
    finally:
        logging.getLogger().removeHandler(handler)
    assert "[text-mode-0001]" in stream.getvalue() and "route=home.index" in stream.getvalue()


# --- jobs carry the id of the request that enqueued them ------------------------------------------------

JOB_KIND = "ops.test.echo"


@pytest.fixture
def echo_handler():
    from vault import jobs
    from vault.jobs import policy

    @jobs.handler(JOB_KIND, max_attempts=1)
    def echo(ctx, payload):
        logging.getLogger("tests.ops.job").info("job body ran for %s", payload["n"])
        return {"n": payload["n"]}
    yield
    policy.HANDLERS.pop(JOB_KIND, None)


def test_a_job_enqueued_by_a_request_logs_with_that_request_id(app, json_logs, echo_handler):
    from vault import db, jobs

    def enqueue_view():
        job = jobs.enqueue(db.session(), JOB_KIND, {"n": 1})
        db.session().commit()
        return job.uid
    app.add_url_rule("/ops-test/enqueue", "ops_enqueue", enqueue_view, methods=["POST"])
    resp = app.test_client().post("/ops-test/enqueue", headers={"X-Request-ID": "req-to-job-0001"})
    uid = read(resp).decode()
    with app.app_context():
        job = jobs.get(db.session(), uid)
        assert (job.status, job.request_id) == ("done", "req-to-job-0001")
    body = [line for line in json_logs.lines() if line["message"] == "job body ran for 1"]
    assert [line["request_id"] for line in body] == ["req-to-job-0001"]


def test_a_worker_binds_the_stored_request_id_while_it_runs_the_job(tmp_path, json_logs, echo_handler):
    """A `vault worker`-style run in another thread, long after the request: the id comes from the row."""
    from vault import db, jobs, logs
    app = make_app(tmp_path, JOBS_RUN="worker")
    with app.app_context(), logs.bind_request_id(None):  # outside any request
        sess = db.session()
        with logs.bind_request_id("req-for-worker-02"):
            jobs.enqueue(sess, JOB_KIND, {"n": 2})
        jobs.enqueue(sess, JOB_KIND, {"n": 3})  # no id
        sess.commit()
    seen = []
    worker = threading.Thread(target=lambda: seen.append(jobs.run_pending(app)))
    worker.start()
    worker.join(60)
    assert seen and seen[0].done == 2
    ids = {line["message"]: line["request_id"] for line in json_logs.lines() if line["logger"] == "tests.ops.job"}
    # the second job runs in the same thread after the first: it must not inherit the first one's id
    assert ids == {"job body ran for 2": "req-for-worker-02", "job body ran for 3": None}


def test_bind_request_id_refuses_unsafe_values_and_restores_the_previous():
    from vault import logs
    before = logs.current_request_id()
    with logs.bind_request_id("outer-id-0001"):
        with logs.bind_request_id("bad id\n"):
            assert logs.current_request_id() is None
        assert logs.current_request_id() == "outer-id-0001"
    assert logs.current_request_id() == before


def test_a_database_error_logs_no_values_of_the_statement(app, json_logs):
    """An integrity error's message would quote the row's values (an email here) without hide_parameters."""
    from sqlalchemy.exc import IntegrityError

    from vault import db
    from vault.auth.models import User
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def duplicate():
        sess = db.session()
        for _ in range(2):
            sess.add(User(email="dup-owner@example.com", name="Dup", role="legal", password_hash="x"))
        sess.flush()
        return "unreachable"
    app.add_url_rule("/ops-test/duplicate", "ops_duplicate", duplicate)
    resp = app.test_client().get("/ops-test/duplicate")
    read(resp)
    assert resp.status_code == 500
    errors = [line for line in json_logs.lines() if line["level"] == "ERROR" and "exception" in line]
    assert errors and IntegrityError.__name__ in errors[0]["exception"]
    assert "dup-owner@example.com" not in json_logs.text


def test_werkzeug_request_lines_are_dropped_and_its_other_lines_kept(json_logs):
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.info('127.0.0.1 - - [06/Dec/2026 07:00:00] "%s" %s %s', "GET /trust/access/SecretTok HTTP/1.1", "200", "-")
    werkzeug.info(" * Running on %s", "http://127.0.0.1:5000")
    assert "SecretTok" not in json_logs.text and "Running on http://127.0.0.1:5000" in json_logs.text


def test_chatty_libraries_keep_their_info_lines_to_themselves(tmp_path):
    """`vault demo` printed ~300 fontTools subset steps and every migration step once logging went to stderr."""
    import io
    import logging

    from vault import logs

    out = io.StringIO()
    handler = logs.configure("text", "INFO", stream=out)
    try:
        logging.getLogger("fontTools.subset").info("glyf pruned")
        logging.getLogger("alembic.runtime.migration").info("Running upgrade a -> b")
        logging.getLogger("fontTools.subset").warning("a real problem")
        logging.getLogger("vault.jobs").info("job started")
    finally:
        logging.getLogger().removeHandler(handler)
    text = out.getvalue()
    assert "glyf pruned" not in text and "Running upgrade" not in text
    assert "a real problem" in text and "job started" in text
