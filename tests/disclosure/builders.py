"""Builders for disclosure tests: an app mailing to the SMTP sink, a valid form post, the ack mail's link."""
from __future__ import annotations

import io
from datetime import timedelta

from tests.access.builders import LINK, mail_text, path_of
from tests.conftest import mail_config, make_app

BASE = "https://trust.example.com"
DESCRIPTION = "The export endpoint returns other tenants' invoices when the id is changed: zebra-7731-quokka."


def disclosure_app(tmp_path, smtp_sink, **overrides):
    config = mail_config(smtp_sink.port, "security@vault.test")
    config.update({"PUBLIC_BASE_URL": BASE, "DISCLOSURE_CONTACT_EMAIL": "security@example.com"})
    config.update(overrides)
    return make_app(tmp_path, **config)


def stamp(app, seconds_ago: int = 60) -> str:
    from vault.db import utcnow
    from vault.disclosure.service import form_stamp
    return form_stamp(app.config["SECRET_KEY"], utcnow() - timedelta(seconds=seconds_ago))


def report_data(app, **changes) -> dict:
    data = {"name": "Mallory Finder", "email": "mallory@research.example", "title": "IDOR in invoice export",
            "product": "https://app.example.com/invoices/export", "severity": "high", "description": DESCRIPTION,
            "website": "", "started": stamp(app)}
    data.update(changes)
    return data


def file_report(client, app, files=(), **changes):
    data = report_data(app, **changes)
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/trust/security/report", data=data, content_type="multipart/form-data")


def private_link(smtp_sink, email: str = "mallory@research.example") -> str:
    """From the acknowledgement (the one mail that carries it), however many updates came after it."""
    for m in reversed(smtp_sink.messages):
        if email in m["to"]:
            links = [u for u in LINK.findall(mail_text(m["message"])) if "/trust/security/report/" in u]
            if links:
                return path_of(links[0])
    raise AssertionError(f"no acknowledgement to {email}")


def only_report(app):
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload
    from vault import db
    from vault.disclosure.models import Report
    with app.app_context():
        rows = db.session().scalars(select(Report).options(selectinload(Report.attachments))
                                    .order_by(Report.id)).all()
        db.session().expunge_all()
        return rows
