"""XSS payloads in every field a prospect can fill, rendered escaped on staff pages and in emails."""
from __future__ import annotations

import pytest

from tests.access.builders import (accept_nda, approve, confirm_link, last_mail_to, mail_html, mail_text,
                                   request_uid, submit_request)

NAME = '<img src=x onerror=alert("name")>'
COMPANY = '<script>alert("company")</script>'
REASON = '"><svg onload=alert("reason")>\n[x](javascript:alert("md"))'
SIGNER = '<iframe src="javascript:alert(\'signer\')">'
PAYLOADS = [NAME, COMPANY, '<svg onload=alert("reason")>', SIGNER]


def _assert_escaped(body: str) -> None:
    for raw in PAYLOADS:
        assert raw not in body, raw
    assert "<script>alert" not in body and "<img src=x" not in body and "<iframe" not in body


@pytest.fixture
def hostile(app, seeded, smtp_sink, client_as):
    staff = client_as("admin", email="admin@vault.test")
    client = app.test_client()
    r = submit_request(client, documents=[seeded.soc2], name=NAME, company=COMPANY, reason=REASON,
                       email="mallory@buyer.example")
    assert r.status_code == 200
    client.post(confirm_link(smtp_sink, "mallory@buyer.example"))
    assert accept_nda(client, seeded.nda_version, full_name=SIGNER).status_code == 200
    return staff


def test_staff_pages_escape_prospect_input(app, seeded, smtp_sink, hostile):
    uid = request_uid(app, "mallory@buyer.example")
    pages = ["/admin/access/requests", f"/admin/access/requests/{uid}", "/admin/access/ndas"]
    for url in pages:
        body = hostile.get(url).get_data(as_text=True)
        _assert_escaped(body)
    detail = hostile.get(f"/admin/access/requests/{uid}").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(&#34;name&#34;)&gt;" in detail
    assert "&lt;script&gt;alert(&#34;company&#34;)&lt;/script&gt;" in detail
    approve(app, hostile, uid, [seeded.soc2])
    link = last_mail_to(smtp_sink, "mallory@buyer.example")
    from tests.access.builders import access_link
    page = app.test_client().get(access_link(smtp_sink, "mallory@buyer.example"))
    _assert_escaped(page.get_data(as_text=True))
    with app.app_context():
        from vault import db
        from vault.access.service import list_downloads
        assert list_downloads(db.session()) == []
    for url in ("/admin/access/grants", "/admin/access/downloads", "/admin/audit"):
        _assert_escaped(hostile.get(url).get_data(as_text=True))
    assert link is not None


def test_emails_escape_prospect_input(app, seeded, smtp_sink, hostile):
    review = last_mail_to(smtp_sink, "admin@vault.test")
    html = mail_html(review)
    _assert_escaped(html)
    assert "&lt;script&gt;" in html
    assert COMPANY in mail_text(review)  # plain text is shown as text by mail clients, not markup
    received = last_mail_to(smtp_sink, "mallory@buyer.example")
    _assert_escaped(mail_html(received))
    for m in smtp_sink.messages:
        assert "\n" not in m["message"]["Subject"] and "<script" not in m["message"]["Subject"]
