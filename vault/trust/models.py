"""The trust center's profile and access policy: one row, edited by admins."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vault.db import Base, UTCDateTime, utcnow
from vault.storage.models import StoredBlob

# Consumer mailboxes: a work email is asked for, so these are refused by default (editable).
DEFAULT_FREE_MAIL = (
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.jp", "hotmail.com", "outlook.com", "live.com",
    "msn.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de",
    "mail.com", "yandex.ru", "mail.ru", "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net",
    "sina.com", "sina.cn", "sohu.com", "139.com", "aliyun.com",
)


class TrustProfile(Base):
    __tablename__ = "trust_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200), default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    summary_zh: Mapped[str] = mapped_column(Text, default="")
    logo_blob_id: Mapped[int | None] = mapped_column(ForeignKey("stored_blobs.id"), nullable=True)
    logo_uid: Mapped[str] = mapped_column(String(32), default="")  # part of the logo blob's context
    logo_media_type: Mapped[str] = mapped_column(String(64), default="")
    # Domains, one per line; a domain also covers its subdomains.
    free_mail_domains: Mapped[str] = mapped_column(Text, default="\n".join(DEFAULT_FREE_MAIL))
    blocked_domains: Mapped[str] = mapped_column(Text, default="")
    allowed_domains: Mapped[str] = mapped_column(Text, default="")  # auto-approved customers
    default_grant_days: Mapped[int] = mapped_column(Integer, default=30)
    show_expired: Mapped[bool] = mapped_column(Boolean, default=False)
    # {document uid: {"en": "...", "zh": "..."}}: "renewal audit in progress" notes on certification cards.
    renewal_notes: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    logo_blob: Mapped[StoredBlob | None] = relationship()

    def summary_for(self, language: str) -> str:
        preferred = self.summary_zh if language == "zh" else self.summary_en
        return preferred or self.summary_en or self.summary_zh

    def renewal_note_for(self, document_uid: str, language: str) -> str:
        notes = (self.renewal_notes or {}).get(document_uid) or {}
        return notes.get(language) or notes.get("en") or notes.get("zh") or ""


class Subprocessor(Base):
    """A third party that processes customer data on our behalf, as listed on the public page.

    Removed subprocessors keep their row (removed_on set) so the page can show recent changes.
    """

    __tablename__ = "subprocessors"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    purpose_en: Mapped[str] = mapped_column(Text, default="")
    purpose_zh: Mapped[str] = mapped_column(Text, default="")
    data_categories: Mapped[str] = mapped_column(Text, default="")  # what customer data it sees
    location: Mapped[str] = mapped_column(String(200), default="")  # where the data is processed
    # The two columns above are the English text; these are the Chinese (server_default: older rows).
    data_categories_zh: Mapped[str] = mapped_column(Text, default="", server_default="")
    location_zh: Mapped[str] = mapped_column(String(200), default="", server_default="")
    website: Mapped[str] = mapped_column(String(2048), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)  # display order
    effective_from: Mapped[date | None] = mapped_column(Date, nullable=True)  # announced ahead of use
    removed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def purpose_for(self, language: str) -> str:
        return _in_language(language, self.purpose_en, self.purpose_zh)

    def data_categories_for(self, language: str) -> str:
        return _in_language(language, self.data_categories, self.data_categories_zh)

    def location_for(self, language: str) -> str:
        return _in_language(language, self.location, self.location_zh)


def _in_language(language: str, en: str, zh: str) -> str:
    """The text in `language`, else in the other one (something rather than nothing)."""
    preferred = zh if language == "zh" else en
    return preferred or en or zh


def logo_context(logo_uid: str) -> str:
    return f"trust:logo:{logo_uid}"


def domain_list(text: str | None) -> list[str]:
    """Lines (or commas) -> lower-case domains without a leading "@" or dot."""
    out: list[str] = []
    for part in (text or "").replace(",", "\n").splitlines():
        d = part.strip().lower().lstrip("@").lstrip(".")
        if d and d not in out:
            out.append(d)
    return out


class SubprocessorSubscriber(Base):
    """An email address that follows the subprocessor list (double opt-in). Only the SHA-256 of the
    confirmation token is kept; the unsubscribe link is an HMAC of `uid`, so nothing else is stored."""

    __tablename__ = "trust_subprocessor_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="en")  # the language of every notice
    confirm_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    confirm_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
