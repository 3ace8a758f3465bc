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
    code = ("import sys, vault.subscriptions; bad = sorted(m for m in sys.modules if m.split('.')[0] == 'status' "
            f"or m.startswith({FEATURES!r})); print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    names = imported_modules(ROOT / "vault" / "subscriptions.py")
    assert not [n for n in names if n == "status" or n.startswith(FEATURES)]


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
        assert status_subs.by_unsubscribe_token(sess, b.uid, notices.SUBSCRIBERS.unsubscribe_token(b)) is None
        assert notices.by_unsubscribe_token(sess, b.uid, notices.SUBSCRIBERS.unsubscribe_token(b)) is b


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
