"""The report form: a valid report (acknowledged by mail with a working private link), field errors, the
attachment checks of document uploads, the honeypot and the minimum fill time, the per-IP and per-address
throttles, and nothing the reporter wrote stored in plaintext."""
from __future__ import annotations

from pathlib import Path

from tests.access.builders import last_mail_to, mail_text
from tests.disclosure.builders import DESCRIPTION, file_report, only_report, private_link, report_data, stamp

POC = ("poc.txt", b"curl -s https://app.example.com/invoices/export?id=1002\n")


def test_valid_report_is_acknowledged_with_reference_and_private_link(client, app, smtp_sink, make_user):
    make_user("security", email="sec@vault.test")
    r = file_report(client, app, files=[POC], credit="y")
    assert r.status_code == 200, r.data
    [report] = only_report(app)
    assert report.reference.startswith("VR-") and report.reference in r.get_data(as_text=True)
    assert report.state == "new" and report.severity_guess == "high" and report.credit_name == "Mallory Finder"
    ack = last_mail_to(smtp_sink, "mallory@research.example")
    assert report.reference in ack["Subject"] and report.reference in mail_text(ack)
    link = private_link(smtp_sink)
    assert report.reference not in link  # the reference opens nothing
    page = client.get(link)
    assert page.status_code == 200 and "IDOR in invoice export" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    staff = last_mail_to(smtp_sink, "sec@vault.test")
    assert report.reference in staff["Subject"] and DESCRIPTION not in mail_text(staff)


def test_second_report_gets_the_next_reference(client, app):
    assert file_report(client, app).status_code == 200
    assert file_report(client, app, email="other@research.example").status_code == 200
    first, second = only_report(app)
    assert int(second.reference.rsplit("-", 1)[1]) == int(first.reference.rsplit("-", 1)[1]) + 1


def test_wrong_token_is_404(client, app, smtp_sink):
    file_report(client, app)
    link = private_link(smtp_sink)
    assert client.get(link[:-3] + "abc").status_code == 404
    assert client.get("/trust/security/report/" + "x" * 200).status_code == 404
    assert client.post(link[:-3] + "abc", data={"text": "more"}).status_code == 404


def test_followup_from_the_private_link_reaches_staff(client, app, smtp_sink, make_user):
    make_user("security", email="sec@vault.test")
    file_report(client, app)
    link = private_link(smtp_sink)
    r = client.post(link, data={"text": "It also works for credit notes."})
    assert r.status_code == 303
    assert "It also works for credit notes." in client.get(link).get_data(as_text=True)
    assert "added information" in mail_text(last_mail_to(smtp_sink, "sec@vault.test"))


def test_bad_email_is_refused_beside_the_field(client, app):
    r = file_report(client, app, email="not-an-address")
    assert r.status_code == 400
    assert 'id="email-errors"' in r.get_data(as_text=True)
    assert only_report(app) == []


def test_too_big_attachment_is_refused(client, app):
    app.config["DISCLOSURE_MAX_ATTACHMENT_BYTES"] = 1000
    r = file_report(client, app, files=[("big.txt", b"a" * 5000)])
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert 'id="attachments-errors"' in body and "larger than the limit" in body
    assert only_report(app) == []


def test_refused_file_types(client, app):
    for name, content, words in (("exploit.exe", b"MZ\x90\x00" + b"\x00" * 200, "program"),
                                 ("payload.html", b"<script>alert(1)</script>", "not accepted"),
                                 ("report.pdf", b"just text, not a PDF at all", "content looks like")):
        r = file_report(client, app, files=[name and (name, content)])
        assert r.status_code == 400, name
        assert words in r.get_data(as_text=True), name
    assert only_report(app) == []


def test_honeypot_and_too_fast_submissions_are_refused(client, app):
    r = file_report(client, app, website="https://spam.example")
    assert r.status_code == 400 and "hidden fields" in r.get_data(as_text=True)
    r = file_report(client, app, started=stamp(app, seconds_ago=0))
    assert r.status_code == 400 and "too quickly" in r.get_data(as_text=True)
    r = file_report(client, app, started="forged")
    assert r.status_code == 400 and "could not be checked" in r.get_data(as_text=True)
    assert only_report(app) == []
    from sqlalchemy import select
    from vault import db
    from vault.audit import AuditEvent
    with app.app_context():
        refused = db.session().scalars(select(AuditEvent.detail).where(AuditEvent.action == "disclosure.report.create",
                                                                       AuditEvent.outcome == "denied")).all()
    assert [d["refused"] for d in refused] == ["honeypot", "too_fast", "stamp"]


def test_rate_limited_per_address_and_per_ip(client, app):
    for _ in range(3):
        assert file_report(client, app).status_code == 200
    r = file_report(client, app)  # the fourth from the same address today
    assert r.status_code == 400 and "several reports from this address" in r.get_data(as_text=True)
    r = file_report(client, app, email="someone@else.example")
    assert r.status_code == 200
    r = file_report(client, app, email="third@else.example")  # the sixth POST from this IP within the hour
    assert r.status_code == 429
    assert len(only_report(app)) == 4


def test_report_is_encrypted_at_rest(client, app, smtp_sink):
    """Neither the database file nor the object store holds what the reporter wrote (credit not asked)."""
    assert file_report(client, app, files=[("notes.txt", b"secret-attachment-marker-5521\n")]).status_code == 200
    client.post(private_link(smtp_sink), data={"text": "followup-marker-8812 with more detail"})
    instance = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).parent
    # (The address itself is in the mail outbox: a mail needs its recipient; `vault notify purge` ages it out.)
    markers = [DESCRIPTION.split(": ")[1].encode(), b"IDOR in invoice export", b"Mallory Finder",
               b"secret-attachment-marker-5521", b"followup-marker-8812"]
    app.extensions["vault.engine"].dispose()
    for path in instance.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for marker in markers:
                assert marker not in data, (path, marker)


def test_an_oversized_request_is_refused_before_it_is_read(client, app):
    app.config["DISCLOSURE_MAX_ATTACHMENT_BYTES"] = 1000  # 3 files x 1000 bytes + 1 MB of text fields
    r = file_report(client, app, files=[("a.txt", b"a" * (1024 * 1024 + 5000))])
    assert r.status_code == 413
    assert only_report(app) == []


def test_reference_taken_meanwhile_goes_to_the_next_number(app, monkeypatch):
    """Another worker filed VR-…-0001 between our look-up and our insert: we get 0002, not an error."""
    from vault import db
    from vault.db import utcnow
    from vault.disclosure import service
    with app.test_request_context():
        sess = db.session()
        now = utcnow()
        first, _ = service.create_report(sess, service.ReportInput(email="a@research.example", title="One",
                                         description=DESCRIPTION), [], secret="k", settings=service.Settings(), now=now)
        sess.commit()
        real = service.next_reference
        calls = iter([first.reference])
        monkeypatch.setattr(service, "next_reference", lambda s, n: next(calls, None) or real(s, n))
        second, _ = service.create_report(sess, service.ReportInput(email="b@research.example", title="Two",
                                          description=DESCRIPTION), [], secret="k", settings=service.Settings(), now=now)
        sess.commit()
        assert second.reference != first.reference and second.reference.endswith("-0002")


def test_cross_site_post_without_csrf_token_is_refused(client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    assert file_report(client, app).status_code == 400
    assert only_report(app) == []
