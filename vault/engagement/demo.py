"""Demo engagement: eight weeks of trust-center visits by four prospects, with the access requests,
NDA acceptances, grants and downloads their visits led to (created through vault.access, so the
access pages and the dashboard tell the same story), plus background traffic. Idempotent: nothing is
added once any visit exists."""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.access import service as access
from vault.access.models import AccessRequest, AccessRequestDocument, NdaAcceptance, RequestStatus
from vault.auth.models import User
from vault.documents.service import current_version
from vault.engagement.models import PageVisit, VisitorCompany
from vault.engagement.service import Page, count_visits, record_visit

WEEKS = 8


@dataclass(frozen=True)
class Prospect:
    company: str
    domain: str
    person: str
    visitors: int  # people of the company who browse
    first_day: int  # days ago of the first visit
    request_day: int | None  # days ago the request was made; None: browses only
    stage: str  # unconfirmed, pending, approved
    approval_hours: float = 0
    downloads: int = 0


PROSPECTS = (
    Prospect("Northwind Traders", "northwind.example", "Nora Lindqvist", 3, 54, 36, "approved", 5.5, 4),
    Prospect("Contoso Bank", "contoso-bank.example", "Chen Jing", 2, 40, 22, "approved", 52, 2),
    Prospect("Fabrikam Health", "fabrikam.example", "Farah Ahmed", 1, 20, 6, "pending"),
    Prospect("Globex Logistics", "globex.example", "Gus Oliveira", 1, 12, 3, "unconfirmed"),
)


def _at(today: date, days_ago: float, rng: random.Random) -> datetime:
    base = datetime.combine(today, time(0), tzinfo=timezone.utc) - timedelta(days=days_ago)
    return base + timedelta(hours=rng.randint(7, 18), minutes=rng.randint(0, 59))


def _visitor(seed: str) -> str:
    return hashlib.sha256(f"demo-visitor:{seed}".encode()).hexdigest()


def load_demo_engagement(session: Session, today: date, by: User | None = None) -> int:
    """Add the demo prospects and visits; returns how many visits were added (0 when already loaded)."""
    if count_visits(session):
        return 0
    documents = access.requestable_documents(session, today)
    nda = access.current_nda(session)
    if not documents or nda is None:
        return 0
    rng = random.Random(15)
    added = 0
    for p in PROSPECTS:
        request = _request(session, p, documents, nda, today, rng, by) if p.request_day is not None else None
        for n in range(p.visitors):
            visitor = _visitor(f"{p.domain}:{n}")
            if request is not None:
                session.add(VisitorCompany(visitor=visitor, domain=p.domain, company=p.company,
                                           request_uid=request.uid, linked_at=request.created_at))
            day = p.first_day - n * 3
            while day >= 0:
                for page in _session_pages(rng, documents):
                    record_visit(session, visitor=visitor, page=page, endpoint=_ENDPOINTS[page.kind],
                                 language="zh" if p.domain == "contoso-bank.example" else "en",
                                 now=_at(today, day, rng))
                    added += 1
                day -= rng.choice((2, 3, 5, 7, 9))
    # Background: people nobody knows (cookies), and browsers that sent DNT / GPC (anonymous).
    for day in range(WEEKS * 7):
        for _ in range(rng.randint(1, 6)):
            visitor = "" if rng.random() < 0.25 else _visitor(f"other:{rng.randint(1, 120)}")
            for page in _session_pages(rng, documents)[: rng.randint(1, 3)]:
                record_visit(session, visitor=visitor, page=page, endpoint=_ENDPOINTS[page.kind],
                             language=rng.choice(("en", "en", "zh")), now=_at(today, day, rng))
                added += 1
    session.flush()
    return added


_ENDPOINTS = {"front": "trust.index", "document": "trust.public_download", "subprocessors": "trust.subprocessors",
              "request": "access.request_access", "download": "access.download", "access": "access.grant_page",
              "nda": "access.nda"}


def _session_pages(rng: random.Random, documents) -> list[Page]:
    pages = [Page("front")]
    if rng.random() < 0.4:
        pages.append(Page("subprocessors"))
    if rng.random() < 0.5:
        pages.append(Page("document", rng.choice(documents).uid))
    if rng.random() < 0.3:
        pages.append(Page("request"))
    return pages


def _request(session: Session, p: Prospect, documents, nda, today: date, rng: random.Random,
             by: User | None) -> AccessRequest:
    """The prospect's access request as far as its stage, with the grant and downloads if approved."""
    email = f"{p.person.split()[0].lower()}@{p.domain}"
    existing = session.scalar(select(AccessRequest).where(AccessRequest.email == email))
    if existing is not None:
        return existing
    created = _at(today, p.request_day, rng)
    chosen = documents[: 2 if p.stage != "approved" else 3]
    req = AccessRequest(name=p.person, email=email, domain=p.domain, company=p.company,
                        reason="Vendor security review", status=RequestStatus.UNCONFIRMED.value, created_at=created)
    req.documents = [AccessRequestDocument(document=d) for d in chosen]
    session.add(req)
    if p.stage == "unconfirmed":
        session.flush()
        return req
    req.confirmed_at = created + timedelta(minutes=4)
    req.nda_acceptance = NdaAcceptance(email=email, full_name=p.person, company=p.company, nda_version=nda,
                                       nda_version_uid=nda.uid, nda_sha256=nda.sha256 or "",
                                       accepted_at=created + timedelta(minutes=7))
    req.status = RequestStatus.PENDING.value
    session.flush()
    if p.stage == "approved":
        decided = created + timedelta(hours=p.approval_hours)
        grant, _token = access.create_grant(session, req, chosen, days=90, by=by, now=decided)
        for i in range(p.downloads):
            doc = chosen[i % len(chosen)]
            access.record_download(session, grant=grant, version=current_version(doc),
                                   marking="pdf", ip="", user_agent="", now=decided + timedelta(hours=1 + 20 * i))
    return req
