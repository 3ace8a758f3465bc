"""Access requests, NDA acceptance, grants and downloads. Services flush; the view or CLI commits.

Every lookup from a public link goes through a token hash or a random uid and is scoped to the
grant it came with; every check (revoked, expired, blocked domain, document still published,
version still current) is made again on every request, so nothing cached outlives a revocation.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from vault import tokens
from vault.access import rules
from vault.access.models import (AccessRequest, AccessRequestDocument, Download, EmailConfirmation, Grant,
                                 GrantDocument, NdaAcceptance, NdaMethod, RequestStatus)
from vault.auth.models import User
from vault.db import utcnow
from vault.documents import service as documents, status as doc_status
from vault.documents.models import Document, DocumentType, DocumentVersion, Visibility, new_uid
from vault.inputs import InvalidInput, clean_text
from vault.inputs import check_email as check_address
from vault.trust import service as trust

NAME_MAX = 200
COMPANY_MAX = 200
REASON_MAX = 2000
USER_AGENT_MAX = 400
GRANT_DAYS_MAX = 365
# Statuses in which staff may still approve (email confirmed) or deny a request.
APPROVABLE = (RequestStatus.PENDING.value, RequestStatus.NEEDS_NDA.value)
OPEN = (RequestStatus.UNCONFIRMED.value, *APPROVABLE)


class AccessError(InvalidInput):
    """A refused action with a message for the person (and `code` for tests and the audit trail)."""


# --- input checks -------------------------------------------------------------------------------

def _text(value: str | None, field_name: str, max_len: int, *, required: bool, label, shown) -> str:
    """`value` through `clean_text` (`shown` names the field in its messages), then two rules of this
    public form on top: a required field must not be empty (`label`, lower case, goes in "Enter your …"),
    and every format character (Unicode Cf: soft hyphens, word joiners, tag characters) and C1 control is
    refused, not only the direction marks clean_text knows: what a visitor types here is shown to staff
    and copied into mails."""
    multiline = field_name == "reason"
    value = clean_text(value, field=field_name, max_len=max_len, label=shown, multiline=multiline,
                       error=AccessError)
    if required and not value:
        raise AccessError("required", _l("Enter your %(label)s.", label=label), field=field_name)
    allowed = "\n\r\t" if multiline else ""
    if any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in allowed for ch in value):
        raise AccessError("control", _l("This contains control or invisible characters; retype it."),
                          field=field_name)
    return value


def check_email(raw: str | None) -> str:
    """The address in its one normal form (`vault.inputs.check_email`), or an AccessError for the email
    field. Free-mail and blocked domains are a separate rule (`rules.refusal`, in create_request)."""
    return check_address(raw, field="email", error=AccessError)


@dataclass
class RequestInput:
    name: str
    email: str
    company: str
    reason: str = ""
    document_uids: list[str] = field(default_factory=list)
    all_nda: bool = False
    language: str = "en"
    ip: str = ""
    user_agent: str = ""


def nda_documents(session: Session) -> list[Document]:
    """Documents published under NDA with a current version, expired or not."""
    return [d for d in documents.list_documents(session, visibility=Visibility.NDA.value)
            if d.type != DocumentType.NDA_TEMPLATE.value and documents.current_version(d) is not None]


def is_expired(document: Document, today: date) -> bool:
    """The current version is past its expiry date (the documents' one date rule)."""
    current = documents.current_version(document)
    return current is not None and doc_status.is_expired(current.expiry_date, today)


def requestable_documents(session: Session, today: date) -> list[Document]:
    """What a prospect may ask for: the NDA documents the library shows, so never an expired one."""
    return [d for d in nda_documents(session) if not is_expired(d, today)]


def approvable_documents(session: Session, req: AccessRequest, today: date) -> list[tuple[Document, bool]]:
    """(document, expired) for staff's approve form: every NDA document plus the request's own; staff may
    still share an expired one knowingly, so it is listed, marked, and never pre-selected."""
    docs = {d.uid: d for d in nda_documents(session)}
    for link in req.documents:
        docs.setdefault(link.document.uid, link.document)
    return [(d, is_expired(d, today)) for d in docs.values()]


def refusal_message(code: str):
    if code == "blocked_domain":
        return _l("Requests from this email domain are not accepted. If you think this is a mistake, "
                  "contact your account manager.")
    return _l("Please use your work email address; addresses at free email providers are not accepted.")


def create_request(session: Session, inp: RequestInput, *, now: datetime,
                   confirm_minutes: int) -> tuple[AccessRequest, str]:
    """Check the form, refuse free-mail and blocked domains, store the request and its confirmation link.

    Returns the request and the raw confirmation token (only its hash is stored).
    """
    name = _text(inp.name, "name", NAME_MAX, required=True, label=_l("full name"), shown=_l("Full name"))
    email = check_email(inp.email)
    company = _text(inp.company, "company", COMPANY_MAX, required=True, label=_l("company"),
                    shown=_l("Company"))
    reason = _text(inp.reason, "reason", REASON_MAX, required=False, label=_l("reason"), shown=_l("Reason"))
    domain = rules.email_domain(email)
    pol = trust.policy(session)
    refused = rules.refusal(domain, blocked=pol.blocked, free_mail=pol.free_mail)
    if refused:
        raise AccessError(refused, refusal_message(refused), field="email")
    available = {d.uid: d for d in requestable_documents(session, now.date())}
    if inp.all_nda:
        chosen = list(available.values())
    else:
        wanted = list(dict.fromkeys(inp.document_uids or []))
        unknown = [u for u in wanted if u not in available]
        if unknown:
            raise AccessError("document", _l("One of the chosen documents is not available; reload the page "
                                             "and choose again."), field="documents")
        chosen = [available[u] for u in wanted]
    if not chosen:
        raise AccessError("no_documents", _l("Choose at least one document, or “All documents under NDA”."),
                          field="documents")
    req = AccessRequest(name=name, email=email, domain=domain, company=company, reason=reason,
                        language=inp.language if inp.language in ("en", "zh") else "en", all_nda=bool(inp.all_nda),
                        status=RequestStatus.UNCONFIRMED.value, created_at=now, ip=inp.ip[:64],
                        user_agent=(inp.user_agent or "")[:USER_AGENT_MAX])
    req.documents = [AccessRequestDocument(document=d) for d in chosen]
    session.add(req)
    token = tokens.new_token()
    session.add(EmailConfirmation(request=req, token_hash=tokens.hash_token(token), created_at=now,
                                  expires_at=now + timedelta(minutes=confirm_minutes)))
    session.flush()
    return req, token


# --- email confirmation -------------------------------------------------------------------------

def find_confirmation(session: Session, token: str, *, now: datetime) -> EmailConfirmation | None:
    """The link's confirmation if it is unused and unexpired; a GET never changes anything."""
    if not tokens.plausible(token):
        return None
    conf = session.scalar(select(EmailConfirmation).where(EmailConfirmation.token_hash == tokens.hash_token(token)))
    if conf is None or not tokens.matches(token, conf.token_hash):
        return None
    if conf.used_at is not None or now >= conf.expires_at:
        return None
    if conf.request.status != RequestStatus.UNCONFIRMED.value:
        return None
    return conf


def consume_confirmation(session: Session, token: str, *, now: datetime) -> AccessRequest | None:
    """Use the link once (POST only). Atomic: two racing POSTs cannot both consume it."""
    conf = find_confirmation(session, token, now=now)
    if conf is None:
        return None
    used = session.execute(update(EmailConfirmation)
                           .where(EmailConfirmation.id == conf.id, EmailConfirmation.used_at.is_(None))
                           .values(used_at=now).execution_options(synchronize_session=False))
    if used.rowcount != 1:
        return None
    session.refresh(conf)
    req = conf.request
    req.confirmed_at = now
    req.status = RequestStatus.NEEDS_NDA.value
    session.flush()
    return req


# --- NDA ----------------------------------------------------------------------------------------

def current_nda(session: Session) -> DocumentVersion | None:
    """The current version of the newest NDA template document that has one."""
    stmt = (select(Document).where(Document.type == DocumentType.NDA_TEMPLATE.value)
            .where(Document.visibility != Visibility.INTERNAL.value)
            .order_by(Document.created_at.desc(), Document.id.desc()))
    for doc in session.scalars(stmt):
        current = documents.current_version(doc)
        if current is not None:
            return current
    return None


def _nda_end(now: datetime) -> date:
    from flask import current_app
    return (now + timedelta(days=int(current_app.config.get("NDA_TERM_DAYS", 730)))).date()


def nda_on_file(session: Session, email: str, now: datetime | None = None) -> NdaAcceptance | None:
    """An NDA in its term that covers new grants for `email`: one signed outside the system, or a
    click-through acceptance of the *current* template version (a new version needs a new acceptance)."""
    today = (now or utcnow()).date()
    in_term = or_(NdaAcceptance.expires_on.is_(None), NdaAcceptance.expires_on >= today)
    offline = session.scalar(select(NdaAcceptance).where(NdaAcceptance.email == email, in_term,
                                                         NdaAcceptance.method == NdaMethod.SIGNED_OFFLINE.value)
                             .order_by(NdaAcceptance.accepted_at.desc()).limit(1))
    if offline is not None:
        return offline
    nda = current_nda(session)
    if nda is None:
        return None
    return session.scalar(select(NdaAcceptance).where(NdaAcceptance.email == email, in_term,
                                                      NdaAcceptance.method == NdaMethod.CLICK_THROUGH.value,
                                                      NdaAcceptance.nda_version_id == nda.id)
                          .order_by(NdaAcceptance.accepted_at.desc()).limit(1))


def get_request(session: Session, uid: str | None) -> AccessRequest | None:
    if not uid or len(uid) > 64:
        return None
    return session.scalar(select(AccessRequest).where(AccessRequest.uid == uid))


def accept_nda(session: Session, req: AccessRequest, *, full_name: str, accepted: bool, posted_version_uid: str,
               ip: str, user_agent: str, now: datetime) -> NdaAcceptance:
    """Record a click-through acceptance of exactly the current NDA version.

    A missing, old or forged version uid is refused: the person must accept the text shown now.
    """
    if req.status != RequestStatus.NEEDS_NDA.value:
        raise AccessError("state", _l("This request is not waiting for an NDA."))
    nda = current_nda(session)
    if nda is None:
        raise AccessError("no_nda", _l("The NDA is not available right now. Try again later."))
    if not posted_version_uid or not tokens.plausible(posted_version_uid) or posted_version_uid != nda.uid:
        raise AccessError("nda_version", _l("The NDA has changed since this page was opened. Read the current "
                                            "version below and accept it again."), field="nda_version")
    full_name = _text(full_name, "full_name", NAME_MAX, required=True, label=_l("full name"),
                      shown=_l("Full name"))
    if not accepted:
        raise AccessError("not_accepted", _l("Tick the box to accept the NDA."), field="accept")
    acceptance = NdaAcceptance(method=NdaMethod.CLICK_THROUGH.value, email=req.email, full_name=full_name,
                               company=req.company, nda_version=nda, nda_version_uid=nda.uid, nda_sha256=nda.sha256,
                               accepted_at=now, expires_on=_nda_end(now),
                               ip=ip[:64], user_agent=(user_agent or "")[:USER_AGENT_MAX])
    session.add(acceptance)
    req.nda_acceptance = acceptance
    session.flush()
    return acceptance


def record_offline_nda(session: Session, *, name: str, email: str, company: str, notes: str, upload,
                       by: User, now: datetime) -> NdaAcceptance:
    """Staff record an NDA signed outside the system, with the signed copy (a checked upload)."""
    from vault.access.models import signed_copy_context
    from vault.storage.service import discard_blob, save_blob

    name = _text(name, "name", NAME_MAX, required=True, label=_l("full name"), shown=_l("Full name"))
    email = check_email(email)
    company = _text(company, "company", COMPANY_MAX, required=True, label=_l("company"), shown=_l("Company"))
    notes = _text(notes, "reason", REASON_MAX, required=False, label=_l("notes"), shown=_l("Notes"))
    acceptance = NdaAcceptance(uid=new_uid(), method=NdaMethod.SIGNED_OFFLINE.value, email=email, full_name=name,
                               company=company, accepted_at=now, expires_on=_nda_end(now), recorded_by=by,
                               notes=notes, signed_copy_filename=upload.filename,
                               signed_copy_media_type=upload.media_type)
    blob = save_blob(session, upload.chunks(), context=signed_copy_context(acceptance.uid))
    return _attach_signed_copy(session, acceptance, blob, discard_blob)


def _attach_signed_copy(session, acceptance, blob, discard):
    try:
        acceptance.signed_copy_blob = blob
        session.add(acceptance)
        session.flush()
    except BaseException:
        discard(blob)
        raise
    return acceptance


# --- decisions ----------------------------------------------------------------------------------

@dataclass
class Evaluation:
    outcome: rules.Outcome
    rule: str
    grant: Grant | None = None
    token: str | None = None  # the raw access token of a new grant (only ever in the email)


def has_active_grant(session: Session, email: str, *, now: datetime) -> bool:
    return session.scalar(select(func.count(Grant.id)).where(Grant.email == email, Grant.revoked_at.is_(None),
                                                             Grant.expires_at > now)) > 0


def evaluate(session: Session, req: AccessRequest, *, now: datetime) -> Evaluation:
    """Apply the rules to a request whose email is confirmed and whose NDA is on file."""
    if req.nda_acceptance is None:
        raise AccessError("no_nda", _l("An NDA must be accepted before the request can be decided."))
    pol = trust.policy(session)
    decision = rules.decide(req.domain, blocked=pol.blocked, free_mail=pol.free_mail, allowed=pol.allowed,
                            has_active_grant=has_active_grant(session, req.email, now=now))
    req.rule = decision.rule
    if decision.outcome == rules.Outcome.DENY:
        req.status, req.decided_at = RequestStatus.DENIED.value, now
        req.decision_reason = str(refusal_message(decision.rule))
        session.flush()
        return Evaluation(decision.outcome, decision.rule)
    if decision.outcome == rules.Outcome.AUTO_APPROVE:
        docs = [link.document for link in req.documents]
        grant, token = create_grant(session, req, docs, days=pol.grant_days, by=None, now=now)
        return Evaluation(decision.outcome, decision.rule, grant, token)
    req.status = RequestStatus.PENDING.value
    session.flush()
    return Evaluation(decision.outcome, decision.rule)


def after_confirmation(session: Session, req: AccessRequest, *, now: datetime) -> Evaluation | None:
    """If an NDA is already on file for this email, attach it and decide now; else None (NDA step next)."""
    on_file = nda_on_file(session, req.email)
    if on_file is None:
        return None
    req.nda_acceptance = on_file
    session.flush()
    return evaluate(session, req, now=now)


def _grantable(session: Session, uids: list[str]) -> list[Document]:
    docs = []
    for uid in dict.fromkeys(uids):
        doc = documents.get_document(session, uid)
        if doc is None or doc.visibility not in (Visibility.NDA.value, Visibility.PUBLIC.value):
            raise AccessError("document", _l("One of the chosen documents cannot be shared."), field="documents")
        docs.append(doc)
    if not docs:
        raise AccessError("no_documents", _l("Choose at least one document."), field="documents")
    return docs


def create_grant(session: Session, req: AccessRequest, docs: list[Document], *, days: int, by: User | None,
                 now: datetime) -> tuple[Grant, str]:
    if not 1 <= int(days) <= GRANT_DAYS_MAX:
        raise AccessError("days", _l("Access lasts between 1 and %(max)d days.", max=GRANT_DAYS_MAX), field="days")
    if req.nda_acceptance is None:
        raise AccessError("no_nda", _l("No NDA is on file for this person: record a signed NDA first."))
    token = tokens.new_token()
    grant = Grant(token_hash=tokens.hash_token(token), request=req, nda_acceptance=req.nda_acceptance,
                  name=req.name, email=req.email, domain=req.domain, company=req.company, created_at=now,
                  created_by=by, expires_at=now + timedelta(days=int(days)))
    grant.documents = [GrantDocument(document=d) for d in docs]
    session.add(grant)
    req.status, req.decided_at, req.decided_by = RequestStatus.APPROVED.value, now, by
    session.flush()
    return grant, token


def approve(session: Session, req: AccessRequest, *, document_uids: list[str], days: int, by: User,
            now: datetime) -> tuple[Grant, str]:
    if req.status not in APPROVABLE:
        raise AccessError("state", _l("This request has already been decided, or its email is not confirmed yet."))
    if req.nda_acceptance is None:
        req.nda_acceptance = nda_on_file(session, req.email)  # e.g. signed outside the system since
    return create_grant(session, req, _grantable(session, document_uids), days=days, by=by, now=now)


def deny(session: Session, req: AccessRequest, *, reason: str, by: User, now: datetime) -> None:
    if req.status not in OPEN:
        raise AccessError("state", _l("This request has already been decided."))
    reason = _text(reason, "reason", REASON_MAX, required=True, label=_l("reason"), shown=_l("Reason"))
    req.status, req.decided_at, req.decided_by, req.decision_reason = RequestStatus.DENIED.value, now, by, reason
    req.rule = "staff"
    session.flush()


def revoke(session: Session, grant: Grant, *, reason: str, by: User, now: datetime) -> None:
    if grant.revoked_at is not None:
        raise AccessError("state", _l("This access was already revoked."))
    grant.revoked_at, grant.revoked_by = now, by
    grant.revoke_reason = _text(reason, "reason", REASON_MAX, required=False, label=_l("reason"),
                                shown=_l("Reason"))
    session.flush()


# --- the personal access link -------------------------------------------------------------------

@dataclass
class GrantCheck:
    grant: Grant | None
    refusal: str = ""  # unknown, revoked, expired, blocked_domain (for the audit trail only)


def check_grant(session: Session, token: str, *, now: datetime) -> GrantCheck:
    """The grant behind a personal link, checked in full on every request."""
    if not tokens.plausible(token):
        return GrantCheck(None, "unknown")
    grant = session.scalar(select(Grant).where(Grant.token_hash == tokens.hash_token(token))
                           .options(selectinload(Grant.documents)))
    if grant is None or not tokens.matches(token, grant.token_hash):
        return GrantCheck(None, "unknown")
    if grant.revoked_at is not None:
        return GrantCheck(None, "revoked")
    if now >= grant.expires_at:
        return GrantCheck(None, "expired")
    pol = trust.policy(session)
    if rules.domain_matches(grant.domain, pol.blocked):
        return GrantCheck(None, "blocked_domain")
    return GrantCheck(grant)


def grant_items(grant: Grant) -> list[tuple[Document, DocumentVersion]]:
    """The grant's documents that can be served now: still published (or made for this grant alone, such as a
    custom trust report, which stays internal everywhere else), with a current version."""
    items = []
    for link in grant.documents:
        doc = link.document
        current = documents.current_version(doc)
        shared = doc.visibility in (Visibility.NDA.value, Visibility.PUBLIC.value) or link.personal
        if shared and current is not None:
            items.append((doc, current))
    return sorted(items, key=lambda pair: (pair[0].type, pair[0].title_for("en").casefold()))


def granted_version(grant: Grant, document_uid: str, version_uid: str) -> tuple[Document, DocumentVersion] | None:
    """Only a document in this grant, and only its current version (withdrawn or old versions: None)."""
    for doc, current in grant_items(grant):
        if doc.uid == document_uid and current.uid == version_uid:
            return doc, current
    return None


# --- downloads ----------------------------------------------------------------------------------

def record_download(session: Session, *, grant: Grant | None, version: DocumentVersion, marking: str, ip: str,
                    user_agent: str, now: datetime) -> Download:
    dl = Download(download_id=tokens.new_download_id(), grant=grant, document=version.document, version=version,
                  name=grant.name if grant else "", email=grant.email if grant else "",
                  company=grant.company if grant else "", downloaded_at=now, ip=ip[:64],
                  user_agent=(user_agent or "")[:USER_AGENT_MAX], marking=marking)
    session.add(dl)
    session.flush()
    return dl


def find_download(session: Session, download_id: str | None) -> Download | None:
    if not download_id or len(download_id) > 32:
        return None
    return session.scalar(select(Download).where(Download.download_id == download_id.lower()))


# --- staff queries ------------------------------------------------------------------------------

def list_requests(session: Session, *, status: str | None = None) -> list[AccessRequest]:
    stmt = select(AccessRequest).options(selectinload(AccessRequest.documents)).order_by(AccessRequest.created_at.desc())
    if status:
        stmt = stmt.where(AccessRequest.status == status)
    return list(session.scalars(stmt.limit(500)))


@dataclass
class History:
    requests: list[AccessRequest]
    grants: list[Grant]
    downloads: list[Download]
    ndas: list[NdaAcceptance]


def history(session: Session, req: AccessRequest) -> History:
    """What else this person (by email) and their company (by domain) asked for and received."""
    others = list(session.scalars(select(AccessRequest).where(AccessRequest.domain == req.domain,
                                                              AccessRequest.id != req.id)
                                  .order_by(AccessRequest.created_at.desc()).limit(50)))
    grants = list(session.scalars(select(Grant).where(Grant.domain == req.domain)
                                  .order_by(Grant.created_at.desc()).limit(50)))
    downloads = list(session.scalars(select(Download).join(Grant).where(Grant.domain == req.domain)
                                     .order_by(Download.downloaded_at.desc()).limit(50)))
    ndas = list(session.scalars(select(NdaAcceptance).where(NdaAcceptance.email == req.email)
                                .order_by(NdaAcceptance.accepted_at.desc())))
    return History(others, grants, downloads, ndas)


def list_grants(session: Session, *, active_only: bool, now: datetime) -> list[Grant]:
    stmt = select(Grant).options(selectinload(Grant.documents)).order_by(Grant.expires_at)
    if active_only:
        stmt = stmt.where(Grant.revoked_at.is_(None), Grant.expires_at > now)
    return list(session.scalars(stmt.limit(1000)))


def get_grant(session: Session, uid: str) -> Grant | None:
    if not uid or len(uid) > 64:
        return None
    return session.scalar(select(Grant).where(Grant.uid == uid))


def list_downloads(session: Session, *, document_uid: str | None = None, company: str | None = None,
                   limit: int = 500) -> list[Download]:
    stmt = select(Download).order_by(Download.downloaded_at.desc())
    if document_uid:
        stmt = stmt.join(Document, Download.document_id == Document.id).where(Document.uid == document_uid)
    if company:
        stmt = stmt.where(func.lower(Download.company) == company.strip().lower())
    return list(session.scalars(stmt.limit(limit)))


def downloads_by_company(session: Session) -> list[tuple[str, int, datetime]]:
    rows = session.execute(select(Download.company, func.count(Download.id), func.max(Download.downloaded_at))
                           .where(Download.company != "").group_by(Download.company)
                           .order_by(func.max(Download.downloaded_at).desc()))
    return [(c, n, last) for c, n, last in rows]


def get_nda(session: Session, uid: str) -> NdaAcceptance | None:
    if not uid or len(uid) > 64:
        return None
    return session.scalar(select(NdaAcceptance).where(NdaAcceptance.uid == uid))


def list_ndas(session: Session) -> list[NdaAcceptance]:
    return list(session.scalars(select(NdaAcceptance).order_by(NdaAcceptance.accepted_at.desc()).limit(500)))


def decision_makers(session: Session) -> list[User]:
    """Active staff who can decide requests: they get the "needs review" email."""
    return [u for u in session.scalars(select(User).where(User.active.is_(True))) if u.can("access.decide")]


# --- tracing a leaked copy ------------------------------------------------------------------------

@dataclass
class TraceReport:
    download_id: str | None
    method: str  # the watermark channel the id came from
    confidence: str  # high, medium, low, none (see vault/watermark/trace.py)
    notes: list[str]
    download: Download | None
    damaged: str | None = None  # why the file could not be read in full (truncated, encrypted, ...)


def trace(session: Session, data: bytes) -> TraceReport:
    """Whose download a leaked file was: the id the watermark carries, looked up in the downloads."""
    from vault.watermark import find_download_id

    result = find_download_id(data)
    return TraceReport(result.download_id, result.method, result.confidence, list(result.notes),
                       find_download(session, result.download_id), result.damaged)
