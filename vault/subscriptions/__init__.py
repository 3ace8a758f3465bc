"""Double opt-in email subscriptions, one way for every list (status updates, subprocessor changes, and
later security advisories). Each list keeps its own table; an `OptInList` names the table and the column
that holds the address, and does the steps every list shares:

- `start`: check the address (`vault.inputs.check_email`), then a pending row holding only the SHA-256 of a
  one-time confirmation token and its expiry. While a confirmation to the address is younger than the
  window of `vault.confirmations`, nothing is added and no token is given, so no second mail goes; after
  it the new request replaces the pending row (rows never pile up).
- `start_and_mail`: `start`, then the confirmation mail in the subscriber's language, through `vault.notify`
  and `sensitive` (the one-time link is erased from the outbox once sent); the feature composes the mail.
- `pending_by_token`, `confirm` (the caller allows only POST: mail scanners follow GET links; older rows
  of the address go, so a confirmed choice is replaced only by another confirmed one), `purge_expired`.
- `unsubscribe_token`: an HMAC of the row's uid under the app secret (nothing stored, nothing to guess),
  `by_unsubscribe_token`, `unsubscribe`.

The address is compared case-insensitively (`Victim@` is the same mailbox). Time is always passed in.
Platform code: it knows no feature; the feature passes its model and writes its own mails. The public pages
around a list (subscribe, confirm, unsubscribe) are `vault.subscriptions.pages`.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Callable

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vault import notify
from vault.confirmations import confirm_mail_may_go
from vault.inputs import InvalidInput, check_email
from vault.tokens import hash_token

CONFIRM_TTL = timedelta(hours=48)
CONFIRM_HOURS = int(CONFIRM_TTL.total_seconds() // 3600)  # for the confirmation mails' "valid for N hours"
LANGUAGES = ("en", "zh")  # the subscriber's language, for the mails; any other becomes "en"
TOKEN_MAX = 100  # a confirmation token is 43 characters; anything much longer is not one of ours
UID_MAX = 64
MAC_MAX = 128


class OptInList:
    """One list's subscribers. `model` needs the columns uid, confirm_hash, confirm_expires_at,
    confirmed_at, created_at and the address column named by `address`; `purpose` separates the lists'
    unsubscribe tokens (changing it ends every link already mailed); `only` are conditions that make a row
    one of the list's email subscriptions when the table also holds other kinds (status: webhooks)."""

    def __init__(self, model, *, address: str, purpose: str, only: tuple = ()) -> None:
        self.model, self.purpose, self.only = model, purpose, tuple(only)
        self.address = getattr(model, address)
        self._address_key = address

    # --- subscribe and confirm ----------------------------------------------------------------

    def start(self, session: Session, email: str | None, *, now: datetime,
              error: type[InvalidInput] = InvalidInput, **fields):
        """(row, token): a new pending row and the token to mail, or (the pending row, None) when a
        confirmation went to the address within the window and nothing may be sent. `fields` are the
        list's own columns (locale, components ...). Raises `error` for a bad address."""
        email = check_email(email, error=error)
        pending = self._pending(session, email)
        if pending is not None and not confirm_mail_may_go(pending.created_at, now):
            return pending, None  # one pending confirmation per address per window, whoever asks
        if pending is not None:  # its mail went out a while ago: this request replaces it
            session.execute(delete(self.model).where(self.model.confirmed_at.is_(None), *self.only,
                                                     func.lower(self.address) == email))
        token = secrets.token_urlsafe(32)
        row = self.model(**fields, **{self._address_key: email}, confirm_hash=hash_token(token),
                         confirm_expires_at=now + CONFIRM_TTL, created_at=now)
        session.add(row)
        session.flush()
        return row, token

    def start_and_mail(self, session: Session, email: str | None, *, now: datetime, locale: str,
                       compose: Callable[[object, str], tuple[str, str]],
                       error: type[InvalidInput] = InvalidInput, **fields):
        """`start` (`locale` one of LANGUAGES, else "en"), and when a token was given, the confirmation
        mail: `compose(row, token)` returns its subject and text and runs under the subscriber's locale; the
        mail is `sensitive`. Returns the row, the same whether or not a mail went (the answer must not tell
        who is subscribed). A bad address raises `error`; one the mail channel refuses a `NotifyError`."""
        locale = locale if locale in LANGUAGES else "en"
        row, token = self.start(session, email, now=now, error=error, locale=locale, **fields)
        if token is None:
            return row  # one pending confirmation per address per window, whoever asks: no second mail
        with force_locale(row.locale):
            subject, text = compose(row, token)
        notify.send_email(session, to=self.address_of(row), subject=subject, text=text, sensitive=True)
        return row

    def address_of(self, row) -> str:
        return getattr(row, self._address_key)

    def _pending(self, session: Session, email: str):
        """The newest unconfirmed row of the address."""
        return session.scalars(select(self.model).where(
            self.model.confirmed_at.is_(None), *self.only, func.lower(self.address) == email.lower())
            .order_by(self.model.created_at.desc(), self.model.id.desc())).first()

    def pending_by_token(self, session: Session, token: str | None, *, now: datetime):
        """The pending row of a confirmation link, or None (unknown, used or expired)."""
        if not token or len(token) > TOKEN_MAX:
            return None
        row = session.scalar(select(self.model).where(self.model.confirm_hash == hash_token(token)))
        if row is None or row.confirm_expires_at is None or row.confirm_expires_at < now:
            return None
        return row

    def confirm(self, session: Session, row, *, now: datetime) -> None:
        """The link is used up; every other row of the address goes (one subscription per address)."""
        row.confirmed_at, row.confirm_hash, row.confirm_expires_at = now, None, None
        email = self.address_of(row)
        session.execute(delete(self.model).where(*self.only, func.lower(self.address) == email.lower(),
                                                 self.model.id != row.id))
        session.flush()

    def purge_expired(self, session: Session, *, now: datetime) -> int:
        """Pending rows whose link ran out hold an address for nothing: drop them; returns how many."""
        result = session.execute(delete(self.model).where(
            self.model.confirmed_at.is_(None), *self.only, self.model.confirm_expires_at < now))
        return result.rowcount or 0

    # --- unsubscribe --------------------------------------------------------------------------

    def unsubscribe_token(self, row) -> str:
        key = current_app.config["SECRET_KEY"].encode()
        return hmac.new(key, f"{self.purpose}:{row.uid}".encode(), hashlib.sha256).hexdigest()

    def by_unsubscribe_token(self, session: Session, uid: str | None, token: str | None):
        """The confirmed row the link names, or None (a pending row cannot be unsubscribed: it gets nothing)."""
        if not uid or len(uid) > UID_MAX or not token or len(token) > MAC_MAX:
            return None
        row = session.scalar(select(self.model).where(self.model.uid == uid, self.model.confirmed_at.is_not(None)))
        if row is None or not hmac.compare_digest(self.unsubscribe_token(row), token):
            return None
        return row

    def unsubscribe(self, session: Session, row) -> None:
        session.delete(row)
        session.flush()
