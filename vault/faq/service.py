"""The FAQ page as data: the library's published answers (answers.library.public) grouped by category.

No tables of its own: what is public, reviewed and current is the library's rule, asked through its named
interface, so the FAQ can never show an entry the library would not publish.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from answers.library import public
from answers.library.public import PublicEntry

MAX_QUERY = public.MAX_QUERY
MAX_TAG = 100


@dataclass
class FaqPage:
    groups: list[tuple[str, list[PublicEntry]]]  # (category, its questions) in page order; "" = no category
    total: int  # questions shown
    published: int  # questions published at all (0: the FAQ is empty, not just the search)
    tags: list[str] = field(default_factory=list)  # every tag on a published question, for the topic links
    query: str = ""
    tag: str = ""


def clean_query(text: str | None, limit: int = MAX_QUERY) -> str:
    """A search as typed, without control or format characters (never an error: it is only a search)."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    return " ".join(text.split())[:limit]


def faq_page(session: Session, *, today: date, locale: str, query: str = "", tag: str = "") -> FaqPage:
    query, tag = clean_query(query), clean_query(tag, MAX_TAG)
    everything = public.public_entries(session, today=today, locale=locale)
    shown = (public.public_entries(session, today=today, locale=locale, query=query, tag=tag)
             if query or tag else everything)
    groups: dict[str, list[PublicEntry]] = {}
    for entry in shown:  # already in page order: the reader's language first, then by category
        groups.setdefault(entry.category, []).append(entry)
    tags = sorted({t for e in everything for t in e.tags}, key=str.casefold)
    return FaqPage(groups=list(groups.items()), total=len(shown), published=len(everything), tags=tags,
                   query=query, tag=tag)
