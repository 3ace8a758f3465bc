"""The business events of the access flow, as plain facts for vault.integrations (CRMs, the sales chat,
signed webhooks); emitted in the action's own transaction, so a rolled-back action tells nobody.
The JSON of each event is documented in docs/integrations.md."""
from __future__ import annotations

from sqlalchemy.orm import Session

from vault import integrations
from vault.access.models import AccessRequest, Download, Grant, NdaAcceptance
from vault.web import external_url


def _requester(name: str, email: str, company: str) -> dict:
    return {"name": name, "email": email, "company": company, "domain": email.rpartition("@")[2].lower()}


def _request(req: AccessRequest | None) -> dict | None:
    if req is None:
        return None
    return {"uid": req.uid, "status": req.status, "url": external_url("access_staff.request_detail", uid=req.uid)}


def requested(session: Session, req: AccessRequest) -> None:
    """The requester confirmed their email address: the request is real (unconfirmed ones are not sent)."""
    integrations.emit(session, "access.requested", {
        "request": _request(req), "requester": _requester(req.name, req.email, req.company),
        "documents": [link.document.title_for("en") for link in req.documents]}, key=req.uid)


def nda_signed(session: Session, acceptance: NdaAcceptance, req: AccessRequest | None = None) -> None:
    integrations.emit(session, "nda.signed", {
        "request": _request(req), "requester": _requester(acceptance.full_name, acceptance.email, acceptance.company),
        "nda": {"uid": acceptance.uid, "method": acceptance.method, "version": acceptance.nda_version_uid,
                "sha256": acceptance.nda_sha256,
                "expires_on": acceptance.expires_on.isoformat() if acceptance.expires_on else None}},
        key=acceptance.uid)


def approved(session: Session, req: AccessRequest | None, grant: Grant) -> None:
    integrations.emit(session, "access.approved", {
        "request": _request(req), "requester": _requester(grant.name, grant.email, grant.company),
        "grant": {"uid": grant.uid, "by": "staff" if grant.created_by_id or grant.created_by else "rules",
                  "expires_at": grant.expires_at.isoformat(),
                  "documents": [link.document.title_for("en") for link in grant.documents]}}, key=grant.uid)


def downloaded(session: Session, grant: Grant, dl: Download) -> None:
    version = dl.version
    integrations.emit(session, "document.downloaded", {
        "requester": _requester(grant.name, grant.email, grant.company),
        "document": {"uid": version.document.uid, "title": version.document.title_for("en"), "version": version.uid},
        "download": {"id": dl.download_id, "grant": grant.uid, "marking": dl.marking,
                     "at": dl.downloaded_at.isoformat()}}, key=dl.download_id)
