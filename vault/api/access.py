"""Access requests and grants: list, approve, deny, revoke (vault.access.service; mails as the pages send)."""
from __future__ import annotations

from vault import db
from vault.access import emails, events, service
from vault.api import schemas as s
from vault.api.auth import actor
from vault.api.blueprint import bp
from vault.api.common import listing, not_found, today, with_etag
from vault.api.pagination import Order, by_created, micros
from vault.api.problems import ApiProblem
from vault.api.spec import operation
from vault.audit import record
from vault.db import utcnow
from vault.trust import service as trust
from vault.web import current_staff

TAGS = ("access",)
# a grant's expiry is fixed when it is made, so it is a stable key
SOONEST_EXPIRY = Order("expires_at,id", lambda g: (micros(g.expires_at), g.uid))


def request_json(r) -> dict:
    return {"id": r.uid, "name": r.name, "email": r.email, "company": r.company, "domain": r.domain,
            "reason": r.reason, "language": r.language, "status": r.status, "rule": r.rule,
            "documents": [link.document.uid for link in r.documents], "created_at": r.created_at,
            "confirmed_at": r.confirmed_at, "decided_at": r.decided_at,
            "decided_by": r.decided_by.email if r.decided_by else None, "decision_reason": r.decision_reason,
            "nda_on_file": r.nda_acceptance_id is not None}


def grant_json(g) -> dict:
    now = utcnow()
    return {"id": g.uid, "email": g.email, "domain": g.domain, "request": g.request.uid if g.request else None,
            "documents": [link.document.uid for link in g.documents], "created_at": g.created_at,
            "expires_at": g.expires_at, "revoked_at": g.revoked_at, "revoke_reason": g.revoke_reason,
            "active": g.revoked_at is None and g.expires_at > now}


def _request(uid: str):
    req = service.get_request(db.session(), uid)
    if req is None:
        raise not_found("access request")
    return req


def _refused(exc: service.AccessError):
    return ApiProblem(409 if exc.code == "state" else 422, str(exc), field=exc.field, code=exc.code)


@bp.get("/access/requests")
@operation("access.view", tags=TAGS, query=s.RequestQuery, ok={200: s.RequestList})
def list_requests(query: s.RequestQuery):
    """Access requests, newest first (filter: status)."""
    rows = service.list_requests(db.session(), status=query.status)
    return listing(rows, request_json, query, {"status": query.status}, by_created(newest_first=True))


@bp.get("/access/requests/<uid>")
@operation("access.view", tags=TAGS, ok={200: s.AccessRequest}, etag=True)
def get_request(uid: str):
    """One access request (ETag)."""
    return with_etag(request_json(_request(uid)))


@bp.post("/access/requests/<uid>/approve")
@operation("access.decide", tags=TAGS, json=s.Approve, ok={201: s.Decision}, errors=(409,),
           headers={201: ("Location",)})
def approve(uid: str, json: s.Approve):
    """Approve: a grant for the documents (default: those asked for) is made and the requester is mailed
    their personal link, exactly as on the staff page. `Location` is the grant made."""
    req = _request(uid)
    sess = db.session()
    uids = json.documents or [link.document.uid for link in req.documents
                              if not service.is_expired(link.document, today())]
    days = json.days or trust.policy(sess).grant_days
    try:
        grant, token = service.approve(sess, req, document_uids=uids, days=days, by=current_staff(), now=utcnow())
    except service.AccessError as exc:
        raise _refused(exc) from None
    emails.approved(sess, req, grant, token)
    events.approved(sess, req, grant)  # CRMs, chat and webhooks hear of it as from the page
    record(sess, "access.request.approve", by=actor(), object_type="access_request", object_id=req.uid,
           detail={"email": req.email, "grant": grant.uid, "via": "api"})
    record(sess, "access.grant.create", by=actor(), object_type="grant", object_id=grant.uid,
           detail={"request": req.uid, "email": grant.email, "documents": [g.document.uid for g in grant.documents],
                   "expires_at": grant.expires_at.isoformat(), "via": "api"})
    sess.commit()
    return ({"request": request_json(req), "grant": grant_json(grant)}, 201,
            {"Location": f"{bp.url_prefix}/access/grants/{grant.uid}"})


@bp.post("/access/requests/<uid>/deny")
@operation("access.decide", tags=TAGS, json=s.Reason, ok={200: s.Decision}, errors=(409,))
def deny(uid: str, json: s.Reason):
    """Deny with a reason (mailed to the requester)."""
    req = _request(uid)
    sess = db.session()
    try:
        service.deny(sess, req, reason=json.reason, by=current_staff(), now=utcnow())
    except service.AccessError as exc:
        raise _refused(exc) from None
    emails.denied(sess, req)
    record(sess, "access.request.deny", by=actor(), object_type="access_request", object_id=req.uid,
           detail={"email": req.email, "reason": req.decision_reason, "via": "api"})
    sess.commit()
    return {"request": request_json(req), "grant": None}


@bp.get("/access/grants")
@operation("access.view", tags=TAGS, query=s.GrantQuery, ok={200: s.GrantList})
def list_grants(query: s.GrantQuery):
    """Grants, soonest expiry first (active=false: also expired and revoked ones)."""
    rows = service.list_grants(db.session(), active_only=query.active, now=utcnow())
    return listing(rows, grant_json, query, {"active": query.active}, SOONEST_EXPIRY)


@bp.get("/access/grants/<uid>")
@operation("access.view", tags=TAGS, ok={200: s.Grant}, etag=True)
def get_grant(uid: str):
    """One grant (ETag)."""
    grant = service.get_grant(db.session(), uid)
    if grant is None:
        raise not_found("grant")
    return with_etag(grant_json(grant))


@bp.post("/access/grants/<uid>/revoke")
@operation("access.decide", tags=TAGS, json=s.Reason, ok={200: s.Grant}, errors=(409,))
def revoke(uid: str, json: s.Reason):
    """Revoke: the personal link stops working at once."""
    sess = db.session()
    grant = service.get_grant(sess, uid)
    if grant is None:
        raise not_found("grant")
    try:
        service.revoke(sess, grant, reason=json.reason, by=current_staff(), now=utcnow())
    except service.AccessError as exc:
        raise _refused(exc) from None
    record(sess, "access.grant.revoke", by=actor(), object_type="grant", object_id=grant.uid,
           detail={"email": grant.email, "reason": grant.revoke_reason, "via": "api"})
    sess.commit()
    return grant_json(grant)
