"""Engagement rules: which requests count as a visit, the visitor cookie, the link from a visitor to a
company, and the figures of the dashboard. No Flask request here; services flush, the caller commits.

Requests, NDA acceptances, grants and downloads are not copied: they are read from vault.access (its
named interface, `vault.access.models`), so the dashboard can never disagree with the access pages.
A company is an email domain (what a request, a grant and a download all carry); its name is the one
typed on its latest request.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vault.access.models import AccessRequest, Download, Grant, NdaAcceptance, RequestStatus
from vault.engagement.models import PageVisit, VisitorCompany
from vault.inputs import normalise_email

COOKIE_DAYS = 180
RETENTION_DAYS = 400
PERIODS = (30, 90, 180, 365)
DEFAULT_PERIOD = 90
LINK_WINDOW = timedelta(minutes=10)  # a request created this recently by the same address is "this" request

# Automated clients by User-Agent: crawlers, link previewers, monitors, HTTP libraries, headless browsers.
_BOT = re.compile(r"bot|crawl|spider|slurp|scrape|preview|monitor|uptime|pingdom|lighthouse|headless|phantom|"
                  r"facebookexternalhit|embedly|curl|wget|python|httpx|aiohttp|go-http|java/|okhttp|libwww|"
                  r"scan|check|feed|fetch", re.I)
_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

# Endpoints under /trust that are not pages a person reads.
SKIPPED_ENDPOINTS = frozenset({"trust.logo", "trust.subprocessors_json", "static"})


# --- what is recorded ---------------------------------------------------------------------------

def is_bot(user_agent: str | None) -> bool:
    """No User-Agent, or one that names an automated client."""
    ua = (user_agent or "").strip()
    return not ua or bool(_BOT.search(ua))


def opted_out(dnt: str | None, gpc: str | None) -> bool:
    """`DNT: 1` or `Sec-GPC: 1`: the browser asks not to be tracked."""
    return (dnt or "").strip() == "1" or (gpc or "").strip() == "1"


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)  # 256 random bits, 43 characters


def visitor_key(cookie_value: str | None) -> str:
    """The stored form of a visitor cookie (its SHA-256), or "" when the value is not one of ours."""
    if not cookie_value or not _COOKIE_VALUE.match(cookie_value):
        return ""
    return hashlib.sha256(cookie_value.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Page:
    kind: str  # front, document, subprocessors, request, nda, access, download, other
    document_uid: str = ""


def classify(endpoint: str, view_args: dict | None) -> Page | None:
    """What a public trust endpoint shows, from its name and its URL arguments, never from its path
    (personal links carry tokens, which must not be stored). None: not a page (logo, JSON, static)."""
    if not endpoint or endpoint in SKIPPED_ENDPOINTS or endpoint.endswith(".static"):
        return None
    args = view_args or {}
    name = endpoint.rsplit(".", 1)[-1]
    about_document = "document" in name or "download" in name  # e.g. trust.public_download(uid)
    document = str(args.get("document_uid") or (args.get("uid") if about_document else "") or "")[:32]
    if endpoint == "trust.index":
        return Page("front")
    if "subprocessor" in name:
        return Page("subprocessors")
    if endpoint == "access.request_access":
        return Page("request")
    if name.startswith("nda"):
        return Page("nda")
    if "download" in name:
        return Page("download", document)
    if document:
        return Page("document", document)
    if endpoint == "access.grant_page":
        return Page("access")
    return Page("other")


def record_visit(session: Session, *, visitor: str, page: Page, endpoint: str, language: str,
                 now: datetime) -> PageVisit:
    """One row: no address, no path, no user agent; `visitor` is "" for an anonymous (DNT/GPC) visit."""
    visit = PageVisit(visited_at=now, visitor=visitor, page=page.kind, endpoint=endpoint[:64],
                      document_uid=page.document_uid, language=(language or "")[:8])
    session.add(visit)
    session.flush()
    return visit


def link_visitor(session: Session, *, visitor: str, email: str | None, now: datetime) -> VisitorCompany | None:
    """After an access request: the visitor's visits count for the request's email domain from now on
    (and the ones before it: they are the same person). The latest request decides the company."""
    address = normalise_email(email)
    if not visitor or not address:
        return None
    req = session.scalar(select(AccessRequest).where(AccessRequest.email == address,
                                                     AccessRequest.created_at >= now - LINK_WINDOW)
                         .order_by(AccessRequest.id.desc()).limit(1))
    if req is None:
        return None
    link = session.get(VisitorCompany, visitor)
    if link is None:
        link = VisitorCompany(visitor=visitor)
        session.add(link)
    link.domain, link.company, link.request_uid, link.linked_at = req.domain, req.company, req.uid, now
    session.flush()
    return link


def purge(session: Session, *, now: datetime, days: int = RETENTION_DAYS) -> tuple[int, int]:
    """Delete visits older than `days`, and company links of visitors with no visit left that were made
    before the same cut. Returns (visits, links) deleted."""
    if days < 1:
        raise ValueError("the retention must be at least one day")
    cutoff = now - timedelta(days=days)
    visits = session.execute(delete(PageVisit).where(PageVisit.visited_at < cutoff)
                             .execution_options(synchronize_session=False)).rowcount
    remaining = select(PageVisit.visitor).where(PageVisit.visitor == VisitorCompany.visitor).exists()
    links = session.execute(delete(VisitorCompany).where(VisitorCompany.linked_at < cutoff, ~remaining)
                            .execution_options(synchronize_session=False)).rowcount
    session.flush()
    return visits or 0, links or 0


# --- the dashboard's figures --------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @classmethod
    def last(cls, days: int, now: datetime) -> Period:
        return cls(now - timedelta(days=days), now)


def companies(session: Session) -> list[tuple[str, str]]:
    """(domain, name) of every company known from requests or visitor links, by name."""
    names: dict[str, str] = {}
    for domain, company in session.execute(select(AccessRequest.domain, AccessRequest.company)
                                           .order_by(AccessRequest.created_at)):
        names[domain] = company
    for domain, company in session.execute(select(VisitorCompany.domain, VisitorCompany.company)):
        names.setdefault(domain, company)
    return sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))


def _visits(session: Session, period: Period, domain: str | None):
    stmt = (select(PageVisit.visited_at, PageVisit.visitor, PageVisit.document_uid, VisitorCompany.domain)
            .outerjoin(VisitorCompany, VisitorCompany.visitor == PageVisit.visitor)
            .where(PageVisit.visited_at >= period.start, PageVisit.visited_at < period.end))
    if domain:
        stmt = stmt.where(VisitorCompany.domain == domain)
    return session.execute(stmt).all()


def _requests(session: Session, period: Period, domain: str | None) -> list[AccessRequest]:
    stmt = select(AccessRequest).where(AccessRequest.created_at >= period.start, AccessRequest.created_at < period.end)
    if domain:
        stmt = stmt.where(AccessRequest.domain == domain)
    return list(session.scalars(stmt))


def _downloads(session: Session, period: Period, domain: str | None):
    """(time, domain, request id) of downloads through a personal link in the period."""
    stmt = (select(Download.downloaded_at, Grant.domain, Grant.request_id).join(Grant, Download.grant_id == Grant.id)
            .where(Download.downloaded_at >= period.start, Download.downloaded_at < period.end))
    if domain:
        stmt = stmt.where(Grant.domain == domain)
    return session.execute(stmt).all()


@dataclass
class Funnel:
    visitors: int = 0
    requests: int = 0
    nda: int = 0
    approved: int = 0
    downloaded: int = 0

    def stages(self) -> list[tuple[str, int]]:
        return [("visitors", self.visitors), ("requests", self.requests), ("nda", self.nda),
                ("approved", self.approved), ("downloaded", self.downloaded)]


def funnel(session: Session, period: Period, domain: str | None = None) -> Funnel:
    """Visitors in the period (distinct cookies, plus each anonymous visit once: we cannot tell those
    apart), then the requests made in the period and how far each got: NDA on file, approved, and at
    least one download through its grant (at any time since)."""
    rows = _visits(session, period, domain)
    known = {r.visitor for r in rows if r.visitor}
    anonymous = sum(1 for r in rows if not r.visitor)
    reqs = _requests(session, period, domain)
    with_nda = [r for r in reqs if r.nda_acceptance_id is not None]
    approved = [r for r in with_nda if r.status == RequestStatus.APPROVED.value]
    downloaded = set()
    if approved:
        downloaded = set(session.scalars(select(Grant.request_id).join(Download, Download.grant_id == Grant.id)
                                         .where(Grant.request_id.in_([r.id for r in approved])).distinct()))
    return Funnel(visitors=len(known) + anonymous, requests=len(reqs), nda=len(with_nda), approved=len(approved),
                  downloaded=len(downloaded))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class Week:
    start: date
    visits: int = 0
    requests: int = 0
    downloads: int = 0


def weekly(session: Session, period: Period, domain: str | None = None) -> list[Week]:
    """Visits, requests and downloads per week (Monday to Sunday, UTC), every week of the period listed."""
    weeks: dict[date, Week] = {}
    day = week_start(period.start.date())
    while day <= period.end.date():
        weeks[day] = Week(day)
        day += timedelta(days=7)

    def bucket(moment: datetime) -> Week | None:
        return weeks.get(week_start(moment.date()))

    for row in _visits(session, period, domain):
        if (w := bucket(row.visited_at)) is not None:
            w.visits += 1
    for req in _requests(session, period, domain):
        if (w := bucket(req.created_at)) is not None:
            w.requests += 1
    for row in _downloads(session, period, domain):
        if (w := bucket(row.downloaded_at)) is not None:
            w.downloads += 1
    return list(weeks.values())


@dataclass
class CompanyRow:
    domain: str
    company: str = ""
    visits: int = 0
    visitors: int = 0
    documents_viewed: int = 0
    downloads: int = 0
    requests: int = 0
    nda_acceptances: int = 0
    approved: int = 0
    approval_hours: float | None = None  # median, request -> approval, for requests approved in the period
    last_activity: datetime | None = None
    _visitors: set = field(default_factory=set, repr=False)
    _documents: set = field(default_factory=set, repr=False)
    _approval: list = field(default_factory=list, repr=False)

    def touch(self, moment: datetime | None) -> None:
        if moment is not None and (self.last_activity is None or moment > self.last_activity):
            self.last_activity = moment


def company_rows(session: Session, period: Period, domain: str | None = None) -> list[CompanyRow]:
    """One row per company (email domain) with activity in the period, most active first."""
    rows: dict[str, CompanyRow] = {}
    names = dict(companies(session))

    def row(d: str) -> CompanyRow:
        if d not in rows:
            rows[d] = CompanyRow(domain=d, company=names.get(d, d))
        return rows[d]

    for visit in _visits(session, period, domain):
        if not visit.domain:
            continue
        r = row(visit.domain)
        r.visits += 1
        r._visitors.add(visit.visitor)
        if visit.document_uid:
            r._documents.add(visit.document_uid)
        r.touch(visit.visited_at)
    for req in _requests(session, period, domain):
        r = row(req.domain)
        r.requests += 1
        r.touch(req.created_at)
    stmt = select(NdaAcceptance.email, NdaAcceptance.accepted_at).where(NdaAcceptance.accepted_at >= period.start,
                                                                        NdaAcceptance.accepted_at < period.end)
    for email, accepted_at in session.execute(stmt):
        d = email.rpartition("@")[2].lower()
        if domain and d != domain:
            continue
        r = row(d)
        r.nda_acceptances += 1
        r.touch(accepted_at)
    stmt = select(AccessRequest).where(AccessRequest.status == RequestStatus.APPROVED.value,
                                       AccessRequest.decided_at >= period.start, AccessRequest.decided_at < period.end)
    if domain:
        stmt = stmt.where(AccessRequest.domain == domain)
    for req in session.scalars(stmt):
        r = row(req.domain)
        r.approved += 1
        r._approval.append((req.decided_at - req.created_at).total_seconds() / 3600)
        r.touch(req.decided_at)
    for downloaded_at, d, _request in _downloads(session, period, domain):
        r = row(d)
        r.downloads += 1
        r.touch(downloaded_at)
    for r in rows.values():
        r.visitors, r.documents_viewed = len(r._visitors), len(r._documents)
        r.approval_hours = statistics.median(r._approval) if r._approval else None
    return sorted(rows.values(), key=lambda r: (-(r.visits + r.requests + r.downloads), r.company.casefold()))


@dataclass
class VisitorRow:
    visitor: str  # the first characters of the stored hash: enough to tell rows apart, nothing more
    domain: str
    company: str
    visits: int
    documents_viewed: int
    pages: list[tuple[str, int]]
    first_seen: datetime
    last_seen: datetime


def visitor_rows(session: Session, period: Period, domain: str | None = None, limit: int = 25) -> list[VisitorRow]:
    """The most active (cookie) visitors of the period, with the company they are linked to if any."""
    stmt = (select(PageVisit.visitor, PageVisit.visited_at, PageVisit.page, PageVisit.document_uid,
                   VisitorCompany.domain, VisitorCompany.company)
            .outerjoin(VisitorCompany, VisitorCompany.visitor == PageVisit.visitor)
            .where(PageVisit.visitor != "", PageVisit.visited_at >= period.start, PageVisit.visited_at < period.end))
    if domain:
        stmt = stmt.where(VisitorCompany.domain == domain)
    grouped: dict[str, list] = defaultdict(list)
    for row in session.execute(stmt):
        grouped[row.visitor].append(row)
    out = []
    for visitor, visits in grouped.items():
        times = [v.visited_at for v in visits]
        out.append(VisitorRow(visitor=visitor[:8], domain=visits[0].domain or "", company=visits[0].company or "",
                              visits=len(visits), documents_viewed=len({v.document_uid for v in visits if v.document_uid}),
                              pages=Counter(v.page for v in visits).most_common(), first_seen=min(times),
                              last_seen=max(times)))
    out.sort(key=lambda r: (-r.visits, r.last_seen), reverse=False)
    return out[:limit]


@dataclass
class Totals:
    visits: int
    anonymous: int
    attributed: int


def totals(session: Session, period: Period, domain: str | None = None) -> Totals:
    rows = _visits(session, period, domain)
    return Totals(visits=len(rows), anonymous=sum(1 for r in rows if not r.visitor),
                  attributed=sum(1 for r in rows if r.domain))


def count_visits(session: Session) -> int:
    return session.scalar(select(func.count(PageVisit.id))) or 0
