"""Fixtures for the advisory tests: the app with mail going to the real SMTP sink, staff clients, builders."""
from __future__ import annotations

import pytest
from flask_login import FlaskLoginClient

from tests.conftest import mail_config, make_app
from vault import db
from vault.audit import Actor

STAFF = Actor(label="security@example.com")
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"  # 9.1 critical


@pytest.fixture
def app(tmp_path, smtp_sink):
    app = make_app(tmp_path, **mail_config(smtp_sink.port, COMPANY_NAME="Example Cloud Ltd."))
    yield app
    app.extensions["vault.engine"].dispose()


@pytest.fixture
def staff(app, make_user):
    app.test_client_class = FlaskLoginClient
    return app.test_client(user=make_user("security"))


@pytest.fixture
def make_advisory(app):
    """make_advisory(publish=False, **fields) -> the advisory id (committed)."""
    from vault.advisories import service

    def _make(publish: bool = False, **fields):
        values = dict(title_en="Stored XSS in document titles", title_zh="文档标题中的存储型 XSS",
                      body_en="A crafted **title** could run script.", body_zh="精心构造的**标题**可执行脚本。",
                      cvss_vector=VECTOR, cve_ids="CVE-2026-12345", affected="TrustVault Server: < 4.2.1",
                      fixed_in="TrustVault Server: 4.2.1")
        values.update(fields)
        with app.app_context():
            sess = db.session()
            advisory = service.create_advisory(sess, actor=STAFF, publish=publish, **values)
            sess.commit()
            return advisory.advisory_id

    return _make
