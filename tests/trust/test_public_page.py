"""The public trust center: certification cards from the vault's real status, the library, public
downloads, languages, and what makes it printable, phone-friendly and accessible."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

from sqlalchemy import select


def _profile(app, **values):
    from vault import db
    from vault.trust.service import get_profile
    with app.app_context():
        sess = db.session()
        profile = get_profile(sess)
        for k, v in values.items():
            setattr(profile, k, v)
        sess.commit()


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_cards_show_real_status_and_hide_expired_by_default(app, seeded):
    html = app.test_client().get("/trust/").get_data(as_text=True)
    cards = _section(html, "certs-title")
    assert "ISO 27001 certificate" in cards and "badge-valid" in cards and "Issued by BSI" in cards
    assert (date.today() + timedelta(days=300)).isoformat() in cards
    assert "PCI DSS attestation" not in html  # expired: hidden unless the profile shows it
    assert "SOC 2 Type II report" in cards  # audit reports are attestations: a card too


def test_expired_certificate_is_shown_as_expired_never_valid(app, seeded):
    _profile(app, show_expired=True)
    html = app.test_client().get("/trust/").get_data(as_text=True)
    cards = _section(html, "certs-title")
    card = cards[cards.index("PCI DSS attestation"):]
    card = card[:card.index("</li>")]
    assert "badge-expired" in card and "Expired" in card and "badge-valid" not in card and "Valid until" not in card


def test_expiring_soon_and_renewal_notes(app, seeded):
    from vault import db
    from vault.documents.service import get_document
    from tests.documents.builders import SMALL_PDF, add_version
    from vault.auth.models import User
    from vault.documents.service import VersionMeta
    with app.app_context():
        sess = db.session()
        add_version(app, sess, get_document(sess, seeded.iso), sess.get(User, seeded.owner_id), SMALL_PDF,
                    meta=VersionMeta(expiry_date=date.today() + timedelta(days=10)))
    _profile(app, renewal_notes={seeded.iso: {"en": "Recertification audit booked for May.", "zh": "再认证审核已安排在五月。"}})
    html = app.test_client().get("/trust/").get_data(as_text=True)
    assert "Expires in 10 days" in html and "badge-soon" in html
    assert "Recertification audit booked for May." in html
    zh = app.test_client().get("/trust/?lang=zh").get_data(as_text=True)
    assert "再认证审核已安排在五月。" in zh


def test_library_groups_by_type_and_marks_public_and_nda(app, seeded):
    html = app.test_client().get("/trust/").get_data(as_text=True)
    library = _section(html, "library-title")
    assert f'/trust/documents/{seeded.whitepaper}/download' in library
    assert f'/trust/request?document={seeded.soc2}' in library
    assert f'/trust/documents/{seeded.soc2}/download' not in library
    assert "Internal risk register" not in html and "Mutual NDA" not in library
    headings = re.findall(r"<h3>([^<]+)</h3>", library)
    assert headings == sorted(set(headings), key=headings.index) and len(headings) >= 3  # one heading per type


def test_public_download_is_logged_with_the_address(app, seeded):
    from vault import db
    from vault.access.models import Download
    from vault.audit import AuditEvent
    client = app.test_client()
    r = client.get(f"/trust/documents/{seeded.whitepaper}/download", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert r.headers["Cache-Control"] == "no-store" and int(r.headers["Content-Length"]) == len(r.data)
    assert 'filename="whitepaper.pdf"' in r.headers["Content-Disposition"]
    # HEAD promises the length GET sends (the file as uploaded), and is not counted as a download.
    head = client.head(f"/trust/documents/{seeded.whitepaper}/download")
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(r.data)
    with app.app_context():
        sess = db.session()
        dl = sess.scalar(select(Download))
        assert dl.ip == "198.51.100.7" and dl.marking == "public" and dl.grant is None
        event = sess.scalar(select(AuditEvent).where(AuditEvent.action == "trust.download"))
        assert event.ip == "198.51.100.7" and event.actor == "anonymous"


def test_nda_and_internal_documents_never_download_publicly(app, seeded):
    client = app.test_client()
    for uid in (seeded.soc2, seeded.internal, "nope", "..%2F..%2Fetc"):
        assert client.get(f"/trust/documents/{uid}/download").status_code == 404
    assert client.head(f"/trust/documents/{seeded.soc2}/download").status_code == 404


def test_english_and_chinese_switch(app, seeded):
    client = app.test_client()
    en = client.get("/trust/")
    assert b'<html lang="en">' in en.data
    switch = client.get("/lang/zh?next=/trust/")
    assert switch.status_code == 302 and switch.headers["Location"].endswith("/trust/")
    zh = client.get("/trust/")
    assert b'<html lang="zh-CN">' in zh.data and "English".encode() in zh.data
    for target in ("//evil.example", "https://evil.example", "/\\evil.example"):
        r = client.get("/lang/en", query_string={"next": target})
        assert "evil" not in r.headers["Location"]


def test_page_is_printable_phone_friendly_and_accessible(app, seeded):
    html = app.test_client().get("/trust/").get_data(as_text=True)
    assert 'name="viewport"' in html and "trust.css" in html
    assert 'href="#content"' in html and 'id="content"' in html
    assert "<h1" in html and "style=" not in html and "<script" not in html
    css = app.test_client().get("/static/trust.css").get_data(as_text=True)
    assert "@media print" in css and "@media (max-width" in css
    form = app.test_client().get("/trust/request").get_data(as_text=True)
    for field_id in ("name", "email", "company", "reason", "all_nda"):
        assert f'for="{field_id}"' in form and f'id="{field_id}"' in form


def test_settings_update_company_summary_logo_and_policy(app, seeded, client_as):
    from PIL import Image
    admin = client_as("admin")
    png = io.BytesIO()
    Image.new("RGB", (40, 20), (30, 90, 200)).save(png, "PNG")
    data = {"company_name": "Example Cloud 云", "summary_en": "We keep your data safe.", "summary_zh": "我们保护您的数据。",
            "free_mail_domains": "gmail.com\nqq.com", "blocked_domains": "@Rival.example", "allowed_domains": "",
            "default_grant_days": "45", "logo": (io.BytesIO(png.getvalue()), "logo.png"),
            f"note_en_{seeded.iso}": "Renewal in progress", f"note_zh_{seeded.iso}": ""}
    r = admin.post("/admin/trust", data=data, content_type="multipart/form-data")
    assert r.status_code == 302, r.data
    html = app.test_client().get("/trust/").get_data(as_text=True)
    assert "Example Cloud 云" in html and "We keep your data safe." in html and "Renewal in progress" in html
    assert '/trust/logo' in html
    logo = app.test_client().get("/trust/logo")
    assert logo.status_code == 200 and logo.data == png.getvalue() and logo.mimetype == "image/png"
    from vault import db
    from vault.trust.service import policy
    with app.app_context():
        pol = policy(db.session())
        assert pol.blocked == ["rival.example"] and pol.grant_days == 45


def test_settings_refuse_bad_input_with_messages(app, seeded, client_as):
    admin = client_as("admin")
    base = {"company_name": "X", "free_mail_domains": "", "blocked_domains": "", "allowed_domains": "",
            "default_grant_days": "30"}
    r = admin.post("/admin/trust", data={**base, "blocked_domains": "not a domain"})
    assert r.status_code == 400 and "is not a domain name" in r.get_data(as_text=True)
    r = admin.post("/admin/trust", data={**base, "default_grant_days": "0"})
    assert r.status_code == 400 and b"between 1 and 365 days" in r.data
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    r = admin.post("/admin/trust", data={**base, "logo": (io.BytesIO(svg), "logo.png")},
                   content_type="multipart/form-data")
    assert r.status_code == 400 and b"PNG or JPEG" in r.data
    assert app.test_client().get("/trust/logo").status_code == 404
