"""After `vault init`: the demo data, a staff member for the import, and a prospect's grant for the downloads.

    python -m bench.twohost.seed     (with the instance's VAULT_* environment; prints one JSON line)

The demo data is what `vault demo` loads (documents with their PDFs, the trust center's content, the
answer library, status components) except the custom trust reports, which the benchmark never asks for:
one process instead of two saves a start of the application on a busy machine.

The grant is made as staff approving a request would make it (vault.access.service.create_grant, after an
accepted NDA), on every NDA or public document whose current version is a PDF, so each download is marked.
"""
from __future__ import annotations

import json
import secrets
from datetime import timedelta

STAFF_EMAIL = "bench.security@example.com"
PROSPECT = {"name": "Bea Buyer", "email": "bea.buyer@buyer-bench.example", "company": "Buyer Bench Ltd",
            "domain": "buyer-bench.example"}


def seed() -> dict:
    from datetime import date

    from sqlalchemy import select

    from answers.library.demo import load_demo_library
    from status.demo import load_demo_status
    from vault import create_app, db
    from vault.access import service as access
    from vault.access.models import (
        AccessRequest,
        AccessRequestDocument,
        NdaAcceptance,
        RequestStatus,
    )
    from vault.auth.service import create_user
    from vault.db import utcnow
    from vault.demo import load_demo
    from vault.documents.models import Document
    from vault.documents.service import current_version

    app = create_app()
    with app.app_context():
        sess = db.session()
        load_demo(sess)
        sess.commit()
        load_demo_library(sess, date.today())
        load_demo_status(sess, utcnow())
        sess.commit()
        password = secrets.token_urlsafe(18)
        staff = create_user(sess, email=STAFF_EMAIL, password=password, role="security", name="Bench Security",
                            actor="bench.twohost")
        nda = access.current_nda(sess)
        if nda is None:
            raise SystemExit("the demo data has no NDA template: run `vault demo` first")
        docs = []
        for doc in sess.scalars(select(Document).order_by(Document.id)):
            version = current_version(doc)
            if version is not None and version.media_type == "application/pdf" and doc.visibility in ("nda", "public"):
                docs.append((doc, version))
        now = utcnow()
        req = AccessRequest(name=PROSPECT["name"], email=PROSPECT["email"], domain=PROSPECT["domain"],
                            company=PROSPECT["company"], reason="Vendor security review (benchmark)",
                            status=RequestStatus.PENDING.value, created_at=now - timedelta(minutes=10),
                            confirmed_at=now - timedelta(minutes=9))
        req.documents = [AccessRequestDocument(document=d) for d, _ in docs]
        req.nda_acceptance = NdaAcceptance(email=PROSPECT["email"], full_name=PROSPECT["name"],
                                           company=PROSPECT["company"], nda_version=nda, nda_version_uid=nda.uid,
                                           nda_sha256=nda.sha256 or "", accepted_at=now - timedelta(minutes=8))
        sess.add(req)
        sess.flush()
        _grant, token = access.create_grant(sess, req, [d for d, _ in docs], days=30, by=staff, now=now)
        sess.commit()
        out = {"staff_email": STAFF_EMAIL, "staff_password": password, "grant_token": token,
               "prospect": PROSPECT, "documents": [{"uid": d.uid, "version": v.uid, "size": v.size,
                                                    "title": d.title_for("en")} for d, v in docs]}
    app.extensions["vault.engine"].dispose()
    return out


if __name__ == "__main__":
    print(json.dumps(seed()))
