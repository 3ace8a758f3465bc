"""Status mails as a real SMTP server receives them (issue #15): List-Unsubscribe is the plain
`<https://...>` of RFC 2369 (never an RFC 2047 encoded word, which no mail client reads as a link), with
List-Unsubscribe-Post for one-click (RFC 8058)."""
from __future__ import annotations

import re

from status.models import Subscriber
from tests.status import builders
from vault import db


def _header_lines(raw: bytes) -> dict[str, str]:
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    unfolded = re.sub(rb"\r?\n[ \t]+", b" ", head).decode("ascii")
    return {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in unfolded.splitlines()}


def test_list_unsubscribe_arrives_as_a_plain_url(app, smtp_sink, clock):
    with app.app_context():
        sess = db.session()
        api = builders.component(sess, "api", now=clock.now)
        sess.add(Subscriber(channel="email", target="alice@example.com", locale="zh", confirmed_at=clock.now,
                            created_at=clock.now))
        sess.flush()
        builders.incident(sess, [api], now=clock.now, title="API 错误率升高", notify=True)
        sess.commit()
    builders.deliver(app)
    mails = [m for m in smtp_sink.messages if m["to"] == ["alice@example.com"]]
    assert mails
    raw = mails[-1]["raw"]
    assert b"=?utf-8?" not in raw.split(b"\r\n\r\n", 1)[0].split(b"List-Unsubscribe")[1][:20]
    headers = _header_lines(raw)
    assert re.fullmatch(r"<http://vault\.test/status/unsubscribe/[A-Za-z0-9_./-]+>", headers["list-unsubscribe"]), \
        headers["list-unsubscribe"]
    assert headers["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
    # The raw line itself is unfolded and unencoded.
    line = next(l for l in raw.decode("ascii").splitlines() if l.lower().startswith("list-unsubscribe:"))
    assert line == "List-Unsubscribe: " + headers["list-unsubscribe"]
