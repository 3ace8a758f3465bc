"""Issue #15 item 7, the access pages: expired documents are not offered to buyers and are marked (never
pre-selected) for staff; staff see human labels; the NDA step's wording and fingerprint; the access mail's
date carries its time zone. English and Chinese."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.access.builders import access_link, approve, journey_to_review, last_mail_to, mail_text, request_uid, \
    submit_request, confirm_link


@pytest.fixture
def staff(client_as):
    return client_as("admin", email="boss@vault.test")


def _expire(app, document_uid: str) -> None:
    """Its current version lapsed two days ago (versions are immutable: set in SQL, as time would)."""
    from sqlalchemy import update
    from vault import db
    from vault.documents.models import DocumentVersion
    from vault.documents.service import current_version, get_document
    with app.app_context():
        sess = db.session()
        vid = current_version(get_document(sess, document_uid)).id
        sess.execute(update(DocumentVersion).where(DocumentVersion.id == vid)
                     .values(expiry_date=date.today() - timedelta(days=2)))
        sess.commit()


def test_expired_document_is_not_offered_on_the_request_form(app, seeded):
    _expire(app, seeded.pentest)
    for lang in ("en", "zh"):
        page = app.test_client().get(f"/trust/request?lang={lang}").get_data(as_text=True)
        assert seeded.soc2 in page and seeded.pentest not in page, lang
    # Nor accepted when posted anyway, nor included in "all documents under NDA".
    client = app.test_client()
    r = submit_request(client, documents=[seeded.pentest])
    assert r.status_code == 400
    r = submit_request(app.test_client(), all_nda=True, email="bob@buyer.example")
    assert r.status_code == 200
    from vault import db
    from vault.access import service
    with app.app_context():
        req = service.get_request(db.session(), request_uid(app, "bob@buyer.example"))
        assert seeded.pentest not in {link.document.uid for link in req.documents}


def test_staff_approve_form_marks_an_expired_document_and_does_not_preselect_it(app, seeded, smtp_sink, staff):
    client = app.test_client()
    assert submit_request(client, documents=[seeded.soc2, seeded.pentest]).status_code == 200
    assert client.post(confirm_link(smtp_sink, "alice@buyer.example")).status_code == 302
    from tests.access.builders import accept_nda
    assert accept_nda(client, seeded.nda_version).status_code == 200
    _expire(app, seeded.pentest)  # lapsed while the request waited
    uid = request_uid(app, "alice@buyer.example")
    html = staff.get(f"/admin/access/requests/{uid}").get_data(as_text=True)
    items = {m.group(1): m.group(0) for m in re.finditer(r'<li><input[^>]*value="(\w+)"[^>]*>.*?</li>', html, re.S)}
    assert 'checked' in items[seeded.soc2].split(">")[1] and "badge-expired" not in items[seeded.soc2]
    assert 'checked' not in items[seeded.pentest].split(">")[1] and "badge-expired" in items[seeded.pentest]
    assert 'class="checklist"' in html
    zh = staff.get(f"/admin/access/requests/{uid}?lang=zh").get_data(as_text=True)
    assert "已过期" in zh
    # Human labels, not codes: the NDA method and version, no "· review".
    assert "Accepted online" in html and "click_through" not in html and "Mutual NDA, version 1" in html
    assert seeded.nda_version not in html and "· review<" not in html.replace("</span>", "<")
    assert "在线接受" in zh and "第 1 版" in zh


def test_nda_step_wording_matches_and_the_hash_is_a_fingerprint_detail(app, seeded, smtp_sink):
    client = app.test_client()
    submit_request(client, documents=[seeded.soc2])
    client.post(confirm_link(smtp_sink, "alice@buyer.example"))
    html = client.get("/trust/nda").get_data(as_text=True)
    assert "Read the agreement below" in html and 'class="nda-text"' in html
    assert "agreement above" not in html and "SHA-256 " + "0" * 0 not in html.split("<details")[0]
    details = html.split('<details class="fingerprint muted">')[1].split("</details>")[0]
    assert "fingerprint" in details and re.search(r"[0-9a-f]{64}", details)
    assert not re.search(r"[0-9a-f]{64}", html.split('<details class="fingerprint')[0])  # not the main text
    zh = client.get("/trust/nda?lang=zh").get_data(as_text=True)
    assert "请阅读下方的协议" in zh and "指纹" in zh


def test_access_mail_date_has_a_time_zone(app, seeded, smtp_sink, staff):
    journey_to_review(app.test_client(), smtp_sink, seeded)
    uid = request_uid(app, "alice@buyer.example")
    assert approve(app, staff, uid, [seeded.soc2]).status_code == 302
    text = mail_text(last_mail_to(smtp_sink, "alice@buyer.example"))
    assert re.search(r"works until [^.]*\d{1,2}:\d\d:\d\d\s?(AM|PM)? UTC\.", text), text
    assert access_link(smtp_sink, "alice@buyer.example")
