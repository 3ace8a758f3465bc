"""Emit a business event: one outbox row per integration that takes it, in the caller's transaction.

    from vault import integrations
    integrations.emit(session, "access.requested", facts, key=req.uid)

`key` names the thing that happened (a request, a grant, a download id): with the integration's uid it
is the outbox dedupe key, so a double submit, a retried request or a re-run job delivers an event once
per integration. A rolled-back action rolls its rows back with it. A misconfigured integration (its
sealed values no longer open) is logged and skipped: it never stops the action or the others.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault import notify
from vault.crypto import IntegrityError, KeyringError
from vault.db import utcnow
from vault.integrations import secrets
from vault.integrations.catalogue import CRM_KINDS, EVENTS
from vault.integrations.messages import message_for
from vault.integrations.models import IntegrationTarget
from vault.notify.channels import crm

log = logging.getLogger(__name__)


class UnknownEvent(ValueError):
    pass


def _keyring():
    from vault.storage import get_keyring
    return get_keyring()


def targets_for(session: Session, name: str) -> list[IntegrationTarget]:
    rows = session.scalars(select(IntegrationTarget).where(IntegrationTarget.enabled.is_(True))
                           .order_by(IntegrationTarget.id))
    return [t for t in rows if name in (t.events or [])]


def enqueue(session: Session, target: IntegrationTarget, name: str, facts: dict, *, key: str,
            keyring=None, test_domain: str = "") -> notify.Outbox:
    """The outbox row of one event for one integration (NotifyError, IntegrityError, KeyringError)."""
    keyring = keyring or _keyring()
    endpoint = secrets.open_value(keyring, target.uid, "endpoint", target.endpoint_sealed)
    secret = (secrets.open_value(keyring, target.uid, "secret", target.secret_sealed)
              if target.secret_sealed else None)
    if target.kind in CRM_KINDS and secret:
        secret = crm.seal_token(keyring, target.kind, endpoint, secret)  # sealed in the outbox too
    now = utcnow()
    message = message_for(target.kind, target.language, name, facts, event_id=f"{name}:{key}",
                          occurred_at=now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                          options=dict(target.options or {}), test_domain=test_domain)
    dedupe = None if test_domain or name == "integration.test" else f"{name}:{key}:{target.uid}"
    return notify.send(session, channel=target.kind, target=endpoint, message=message, dedupe_key=dedupe,
                       secret=secret)


def emit(session: Session, name: str, facts: dict, *, key: str) -> int:
    """Fan `name` out to the integrations that take it; the number of outbox rows written."""
    event = EVENTS.get(name)
    if event is None:
        raise UnknownEvent(f"unknown event {name!r}")
    missing = [k for k in event.facts if k not in facts]
    if missing:
        raise UnknownEvent(f"{name} needs {', '.join(missing)}")
    targets = targets_for(session, name)
    if not targets:
        return 0
    keyring, written = _keyring(), 0
    for target in targets:
        if target.kind in CRM_KINDS and not event.crm:
            continue
        try:  # every refusal comes before the row is written: the action's own work is untouched
            enqueue(session, target, name, facts, key=key, keyring=keyring)
            written += 1
        except (notify.NotifyError, IntegrityError, KeyringError) as exc:
            log.error("integration %s (%s) skipped for %s: %s", target.uid, target.kind, name, exc)
    return written
