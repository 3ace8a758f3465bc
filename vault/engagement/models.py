"""The only new data of engagement: page visits of the public trust pages and the link from a
visitor to a company. Requests, NDAs, grants and downloads are read from vault.access.

Neither table holds an IP address, a path (personal links carry tokens) or a raw cookie value: a visitor
is the SHA-256 of a random first-party cookie, and a visit without that cookie (DNT / GPC) has none.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from vault.db import Base, UTCDateTime, utcnow


class PageVisit(Base):
    """One page of the public trust center seen by a browser (bots and HEAD excluded)."""

    __tablename__ = "engagement_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    visitor: Mapped[str] = mapped_column(String(64), default="", index=True)  # sha256 of the cookie; "" anonymous
    page: Mapped[str] = mapped_column(String(24))  # front, document, subprocessors, request, nda, access, download, other
    endpoint: Mapped[str] = mapped_column(String(64), default="")
    document_uid: Mapped[str] = mapped_column(String(32), default="", index=True)
    language: Mapped[str] = mapped_column(String(8), default="")


class VisitorCompany(Base):
    """A visitor who made an access request: their visits count for the request's email domain."""

    __tablename__ = "engagement_visitor_companies"

    visitor: Mapped[str] = mapped_column(String(64), primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), index=True)
    company: Mapped[str] = mapped_column(String(200), default="")  # as typed on the latest request
    request_uid: Mapped[str] = mapped_column(String(32), default="")
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
