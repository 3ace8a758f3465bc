"""Builders for the FAQ tests: library entries with every field the public page must or must not show."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timezone

from answers.library import service
from vault.audit import Actor

TODAY = datetime.now(timezone.utc).date()
ACTOR = Actor(label="test")
_n = itertools.count(1)


def entry(sess, *, question: str, answer: str = "", short: str = "Yes", public: bool = True, status: str = "approved",
          reviewed: date | None = TODAY, interval: int = 365, language: str = "en", category: str = "Security",
          tags=(), owner=None, evidence=(), translation_of=None, source=None, ref: str | None = None):
    e = service.create_entry(sess, ACTOR, ref=ref or f"FAQ-{next(_n):04d}", question=question, answer_short=short,
                             answer_full=answer, public=public, status=status, last_reviewed_on=reviewed,
                             review_interval_days=interval, language=language, category=category, tags=list(tags),
                             owner_id=owner.id if owner else None, evidence=list(evidence),
                             translation_of_id=translation_of.id if translation_of else None, source=source or {})
    sess.flush()
    return e
