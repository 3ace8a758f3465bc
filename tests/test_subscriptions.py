"""The one double opt-in (`vault.subscriptions`): a platform module that knows no feature, used by the status
page and the subprocessor notices alike; the links already mailed keep working."""
from __future__ import annotations

import ast
import hashlib
import hmac
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from vault import db
from vault.db import utcnow
from vault.inputs import InvalidInput

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ("status", "answers", "vault.trust", "vault.access", "vault.documents", "vault.expiry", "vault.admin")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_platform_module_loads_no_feature():
    code = ("import sys, vault.subscriptions, vault.subscriptions.pages; bad = sorted(m for m in sys.modules "
            f"if m.split('.')[0] == 'status' or m.startswith({FEATURES!r})); print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for path in (ROOT / "vault" / "subscriptions").glob("*.py"):
        names = imported_modules(path)
        assert not [n for n in names if n == "status" or n.startswith(FEATURES)], path


def test_notices_do_not_import_the_status_feature():
    names = imported_modules(ROOT / "vault" / "trust" / "notices.py")
    assert not [n for n in names if n.split(".")[0] == "status"]


@pytest.fixture
def mail_app(tmp_path, smtp_sink):
    from tests.conftest import mail_config, make_app
    app = make_app(tmp_path, **mail_config(smtp_sink.port))
    yield app
    app.extensions["vault.engine"].dispose()


def _mac(app, purpose: str, uid: str) -> str:
    return hmac.new(app.config["SECRET_KEY"].encode(), f"{purpose}:{uid}".encode(), hashlib.sha256).hexdigest()


def test_unsubscribe_tokens_are_the_ones_already_mailed(mail_app):
    """Both lists keep their HMAC purpose, so every link in a mail sent before still works."""
    from status import subscriptions as status_subs
    from status.models import Subscriber
    from vault.trust import notices
    from vault.trust.models import SubprocessorSubscriber

    with mail_app.test_request_context():
        sess, now = db.session(), utcnow()
        a = Subscriber(channel="email", target="a@example.com", created_at=now, confirmed_at=now)
        b = SubprocessorSubscriber(uid="0" * 32, email="b@example.com", created_at=now, confirmed_at=now)
        sess.add_all([a, b])
        sess.flush()
        assert status_subs.unsubscribe_token(a) == _mac(mail_app, "status-unsubscribe", a.uid)
        assert notices.unsubscribe_url(b).endswith(f"/{b.uid}/{_mac(mail_app, 'trust-subprocessors-unsubscribe', b.uid)}")
        # a list's token opens only that list's row
        assert status_subs.EMAILS.by_unsubscribe_token(sess, b.uid, notices.SUBSCRIBERS.unsubscribe_token(b)) is None
        assert notices.SUBSCRIBERS.by_unsubscribe_token(sess, b.uid, notices.SUBSCRIBERS.unsubscribe_token(b)) is b


def test_one_pending_row_per_address_and_window_then_confirm_replaces_the_old(mail_app):
    from vault.trust.models import SubprocessorSubscriber
    from vault.trust.notices import SUBSCRIBERS

    with mail_app.test_request_context():
        sess, now = db.session(), utcnow()
        first, token = SUBSCRIBERS.start(sess, " Victim@Example.ORG ", now=now, uid="1" * 32)
        assert token and first.email == "victim@example.org"  # the one normal form (vault.inputs)
        again, none = SUBSCRIBERS.start(sess, "victim@example.org", now=now + timedelta(minutes=5), uid="2" * 32)
        assert again is first and none is None  # within the window: no row, no token, so no mail
        later, token2 = SUBSCRIBERS.start(sess, "VICTIM@example.org", now=now + timedelta(hours=2), uid="3" * 32)
        assert token2 and later is not first
        assert SUBSCRIBERS.pending_by_token(sess, token, now=now + timedelta(hours=2)) is None  # replaced
        assert SUBSCRIBERS.pending_by_token(sess, token2, now=now + timedelta(hours=50, minutes=1)) is None  # expired
        assert SUBSCRIBERS.pending_by_token(sess, token2, now=now + timedelta(hours=3)) is later
        SUBSCRIBERS.confirm(sess, later, now=now + timedelta(hours=3))
        assert later.confirm_hash is None and later.confirmed_at is not None
        assert SUBSCRIBERS.pending_by_token(sess, token2, now=now + timedelta(hours=3)) is None  # single use
        assert sess.query(SubprocessorSubscriber).count() == 1
        with pytest.raises(InvalidInput) as exc:
            SUBSCRIBERS.start(sess, "not an address", now=now, uid="4" * 32)
        assert exc.value.field == "email"


def test_purge_drops_only_expired_pending_rows(mail_app):
    from vault.trust.notices import SUBSCRIBERS

    with mail_app.test_request_context():
        sess, now = db.session(), utcnow()
        SUBSCRIBERS.start(sess, "old@example.org", now=now - timedelta(hours=49), uid="5" * 32)
        fresh, _ = SUBSCRIBERS.start(sess, "new@example.org", now=now, uid="6" * 32)
        assert SUBSCRIBERS.purge_expired(sess, now=now) == 1
        assert SUBSCRIBERS.purge_expired(sess, now=now) == 0


# --- the shared flow: the confirmation mail and the pages ------------------------------------------------

def test_start_and_mail_composes_in_the_subscribers_language_and_mails_once_per_window(mail_app):
    from flask_babel import get_locale
    from sqlalchemy import select
    from vault.notify.models import Outbox
    from vault.trust.notices import SUBSCRIBERS

    calls = []

    def compose(row, token):
        calls.append((row.email, token, str(get_locale())))
        return "Subject", f"link {token}"

    with mail_app.test_request_context():
        sess, now = db.session(), utcnow()
        row = SUBSCRIBERS.start_and_mail(sess, "Reader@Example.org", now=now, locale="zh", compose=compose,
                                         uid="7" * 32)
        again = SUBSCRIBERS.start_and_mail(sess, "reader@example.org", now=now + timedelta(minutes=5), locale="en",
                                           compose=compose, uid="8" * 32)
        assert again is row and len(calls) == 1  # within the window: no second mail, the same answer
        email, token, locale = calls[0]
        assert (email, locale) == ("reader@example.org", "zh")
        assert SUBSCRIBERS.pending_by_token(sess, token, now=now) is row
        mails = list(sess.scalars(select(Outbox).where(Outbox.target == "reader@example.org")))
        assert [(m.subject, m.body_text, m.sensitive) for m in mails] == [("Subject", f"link {token}", True)]
        with pytest.raises(InvalidInput):
            SUBSCRIBERS.start_and_mail(sess, "nope", now=now, locale="en", compose=compose, uid="9" * 32)
        assert len(calls) == 1


def _confirmed(sess, email="kept@example.org", uid="a" * 32):
    from vault.trust.models import SubprocessorSubscriber
    now = utcnow()
    row = SubprocessorSubscriber(uid=uid, email=email, locale="en", created_at=now, confirmed_at=now)
    sess.add(row)
    sess.flush()
    return row


def _audit(sess, action):
    from sqlalchemy import select
    from vault.audit import AuditEvent
    return list(sess.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _pages(**kw):
    from vault.subscriptions.pages import ListPages
    from vault.trust.notices import SUBSCRIBERS
    return ListPages(SUBSCRIBERS, object_type="t", message=lambda title, text, status=200: (f"{title}: {text}", status),
                     invalid=lambda: "bad link", confirmed=lambda email: f"hello {email}",
                     unsubscribed=lambda email: f"bye {email}", **kw)


def test_subscribe_page_turns_a_bad_address_or_a_refused_one_into_a_field_error(mail_app):
    from flask_wtf import FlaskForm
    from wtforms import StringField
    from vault.notify import NotifyError

    class Form(FlaskForm):
        email = StringField()

    def refuse(sess, email):
        raise NotifyError("refused")

    def bad(sess, email):
        raise InvalidInput("email", "Enter an address.", "email")

    for start, message in ((refuse, "We cannot send email to this address. Check it and try again."),
                           (bad, "Enter an address.")):
        with mail_app.test_request_context(method="POST", data={"email": "x@example.org"}):
            resp = _pages().subscribe(Form(), audit_action="t.subscribe", start=start,
                                      form_page=lambda form: ("form: " + form.email.errors[0], 200))
            assert (resp.status_code, resp.get_data(as_text=True)) == (400, "form: " + message)
    with mail_app.test_request_context(method="POST", data={"email": "x@example.org"}):
        title, status = _pages().subscribe(Form(), audit_action="t.subscribe", form_page=lambda form: "form",
                                           start=lambda s, email: _confirmed(s, email))
        assert title.startswith("Check your inbox: If x@example.org can receive mail") and status == 200
        assert [e.object_id for e in _audit(db.session(), "t.subscribe")] == ["a" * 32]


def test_confirm_page_shows_a_button_on_get_and_confirms_only_on_post(tmp_path):
    from flask_wtf import FlaskForm
    from werkzeug.exceptions import BadRequest
    from tests.conftest import make_app
    from vault.trust.notices import SUBSCRIBERS

    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    kw = dict(audit_action="t.confirm", button=lambda form, row: "button")
    try:
        with app.test_request_context():
            sess = db.session()
            row, token = SUBSCRIBERS.start(sess, "new@example.org", now=utcnow(), uid="b" * 32)
            sess.commit()
        with app.test_request_context():
            pages = _pages(invalid_title=lambda: "Gone")
            assert pages.confirm("wrong", FlaskForm(), now=utcnow(), **kw) == ("Gone: bad link", 404)
            assert pages.confirm(token, FlaskForm(), now=utcnow(), **kw) == "button"
        with app.test_request_context(method="POST", data={}):  # no CSRF token: refused, or the button again
            with pytest.raises(BadRequest):
                _pages().confirm(token, FlaskForm(), now=utcnow(), **kw)
            assert _pages().confirm(token, FlaskForm(), now=utcnow(), stale_form_shows_button=True, **kw) == "button"
        app.config["WTF_CSRF_ENABLED"] = False
        with app.test_request_context(method="POST", data={}):
            assert _pages().confirm(token, FlaskForm(), now=utcnow(), **kw) == (
                "Subscription confirmed: hello new@example.org", 200)
            assert [e.object_id for e in _audit(db.session(), "t.confirm")] == ["b" * 32]
            assert _pages().confirm(token, FlaskForm(), now=utcnow(), **kw) == ("This link is not valid: bad link", 404)
    finally:
        app.extensions["vault.engine"].dispose()


def test_unsubscribe_page_one_click_post_removes_the_row_and_says_so_in_the_audit(mail_app):
    from vault.trust.notices import SUBSCRIBERS

    kw = dict(audit_action="t.unsubscribe", button=lambda row: f"button {row.email}")
    with mail_app.test_request_context():
        sess = db.session()
        row = _confirmed(sess)
        sess.commit()
        uid, mac = row.uid, SUBSCRIBERS.unsubscribe_token(row)
        assert _pages().unsubscribe(uid, "0" * 64, **kw) == (
            "Not subscribed: This subscription does not exist (any more), or the link is not complete.", 404)
        assert _pages(unknown=lambda: "none").unsubscribe(uid, "0" * 64, **kw) == ("Not subscribed: none", 404)
        assert _pages().unsubscribe(uid, mac, **kw) == "button kept@example.org"
    with mail_app.test_request_context(method="POST", data={"List-Unsubscribe": "One-Click"}):
        assert _pages().unsubscribe(uid, mac, **kw) == ("Unsubscribed: bye kept@example.org", 200)
        assert [(e.object_id, e.detail) for e in _audit(db.session(), "t.unsubscribe")] == [(uid, {"one_click": True})]
        assert _pages().unsubscribe(uid, mac, **kw)[1] == 404
