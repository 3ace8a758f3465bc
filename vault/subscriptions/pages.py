"""The public pages around a double opt-in list (`vault.subscriptions.OptInList`), one flow for every list.
A feature makes one `ListPages` (its list, its message page, its own sentences) and keeps thin named routes
in its blueprint, with its URLs, rate limits, templates and audit actions, that call:

- `subscribe`: the POST of the subscribe form (a stale CSRF token is a 400); a bad address, or one the mail
  channel refuses, is an error on the email field (the form again, 400); else audited, and the same answer
  for a new and an already subscribed address (the page tells nobody who follows us).
- `confirm`: GET shows a button, only the POST confirms (mail scanners follow GET links); audited.
- `unsubscribe`: RFC 8058 one-click; the route is csrf-exempt (the URL's HMAC is the proof). GET shows a
  button, a POST unsubscribes; audited with `one_click` (the mail client's POST, not our button).

Each step commits on success. The sentences every list says alike are here; a feature passes the ones that
name what it sends. Platform code: it imports no feature.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from flask import abort, make_response, request
from flask_babel import gettext as _

from vault import db
from vault.inputs import InvalidInput
from vault.notify import NotifyError
from vault.subscriptions import OptInList
from vault.web import audit_event


class ListPages:
    """`message(title, text, status)` renders the feature's message page. The feature's sentences are
    functions, called in the request: `invalid()` (a confirmation link that is unknown, used or expired),
    `confirmed(address)`, `unsubscribed(address)`; `invalid_title()` and `unknown()` (no subscription for
    an unsubscribe link) replace the common ones."""

    def __init__(self, list_: OptInList, *, object_type: str, message: Callable, invalid: Callable,
                 confirmed: Callable, unsubscribed: Callable, invalid_title: Callable | None = None,
                 unknown: Callable | None = None) -> None:
        self.list, self.object_type, self.message = list_, object_type, message
        self.invalid, self.confirmed, self.unsubscribed = invalid, confirmed, unsubscribed
        self.invalid_title, self.unknown = invalid_title, unknown

    def subscribe(self, form, *, audit_action: str, start: Callable, form_page: Callable):
        """`start(session, email)` starts the subscription and returns its row (see
        `OptInList.start_and_mail`); `form_page(form)` shows the form again with its error."""
        if not form.validate_on_submit():
            abort(400)  # the CSRF token is missing or stale
        sess = db.session()
        try:
            row = start(sess, form.email.data)
        except (InvalidInput, NotifyError) as exc:
            sess.rollback()
            form.email.errors = [str(exc) if isinstance(exc, InvalidInput)
                                 else _("We cannot send email to this address. Check it and try again.")]
            resp = make_response(form_page(form))
            resp.status_code = 400
            return resp
        audit_event(audit_action, object_type=self.object_type, object_id=row.uid)
        sess.commit()
        return self.message(_("Check your inbox"),
                            _("If %(email)s can receive mail, a confirmation link is on its way. Your subscription "
                              "starts when you open it and press the button.", email=self.list.address_of(row)))

    def confirm(self, token: str, form, *, now: datetime, audit_action: str, button: Callable,
                stale_form_shows_button: bool = False):
        """`button(form, row)` is the GET page. A POST with a stale CSRF token is a 400, or shows the button
        again when `stale_form_shows_button`."""
        sess = db.session()
        row = self.list.pending_by_token(sess, token, now=now)
        if row is None:
            return self.message(self.invalid_title() if self.invalid_title else _("This link is not valid"),
                                self.invalid(), 404)
        if request.method == "POST":
            if form.validate_on_submit():
                self.list.confirm(sess, row, now=now)
                audit_event(audit_action, object_type=self.object_type, object_id=row.uid)
                sess.commit()
                return self.message(_("Subscription confirmed"), self.confirmed(self.list.address_of(row)))
            if not stale_form_shows_button:
                abort(400)
        return button(form, row)

    def unsubscribe(self, uid: str, token: str, *, audit_action: str, button: Callable):
        """`button(row)` is the GET page; a POST (ours or the mail client's one-click) unsubscribes."""
        sess = db.session()
        row = self.list.by_unsubscribe_token(sess, uid, token)
        if row is None:
            return self.message(_("Not subscribed"), self.unknown() if self.unknown else _(
                "This subscription does not exist (any more), or the link is not complete."), 404)
        if request.method != "POST":
            return button(row)
        address = self.list.address_of(row)
        self.list.unsubscribe(sess, row)
        audit_event(audit_action, object_type=self.object_type, object_id=uid,
                    detail={"one_click": request.form.get("List-Unsubscribe") == "One-Click"})
        sess.commit()
        return self.message(_("Unsubscribed"), self.unsubscribed(address))
