"""Issue #15 item 7: the reminder digest's footer does not end "Example Cloud Ltd.." (a company name that
ends in a full stop), in English or Chinese."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.expiry.conftest import TODAY, at, body, deliver, document, mails_to, run, user
from vault import db


def test_footer_has_no_double_full_stop(app, tmp_path, smtp_sink):
    assert app.config["COMPANY_NAME"].endswith(".")
    with app.app_context():
        sess = db.session()
        user(sess, "security", email="owner@example.com", name="Olivia Owner")
        zh = user(sess, "security", email="zhang@example.com", name="张伟")
        zh.locale = "zh"
        sess.commit()
        from vault.auth.models import User
        for email in ("owner@example.com", "zhang@example.com"):
            owner = sess.scalar(select(User).where(User.email == email))
            document(app, sess, owner, tmp_path, f"Certificate of {email}", expiry=TODAY + timedelta(days=30))
    run(app, at(TODAY))
    deliver(app)
    for email in ("owner@example.com", "zhang@example.com"):
        msg = mails_to(smtp_sink, email)[0]
        assert "Ltd.." not in body(msg) and "Ltd.." not in msg.get_body(("html",)).get_content(), email
        assert "Example Cloud Ltd." in body(msg)
