"""Sending the audit trail's head to the external anchor (`vault audit anchor`).

Here, not in vault.audit: the notify path records audit events itself, so audit must not import it back.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from vault import audit, notify
from vault.db import utcnow


def send_anchor(session: Session, *, url: str, secret: str) -> object:
    """Queue the current head to the external anchor (a signed generic webhook, through the one notify
    path; the receiver keeps what it is sent, ideally append-only). Once per head: a run with no new
    entry queues nothing new. Returns the outbox row."""
    head = audit.current_head(session)
    message = notify.Message(subject=f"trustvault audit head #{head.seq}", text=str(head),
                             data={"type": "audit.head", "seq": head.seq, "hash": head.hash,
                                   "at": utcnow().isoformat()})
    return notify.send(session, channel="webhook", target=url, message=message, secret=secret,
                       dedupe_key=f"audit-head:{head.seq}:{head.hash}")
