"""The generic JSON webhook, signed like Stripe/GitHub webhooks: HMAC-SHA256 over "timestamp.body".

Headers: X-Trustvault-Timestamp (Unix seconds), X-Trustvault-Signature: sha256=<hex>,
X-Trustvault-Delivery (the same id on every retry of one message, for receivers to drop duplicates).
"""
from __future__ import annotations

import hashlib
import hmac

from vault.notify.channels.base import DeliveryContext, DeliveryError, Envelope
from vault.notify.channels.http import encode_json, post_json

SIGNATURE_HEADER = "X-Trustvault-Signature"
TIMESTAMP_HEADER = "X-Trustvault-Timestamp"
DELIVERY_HEADER = "X-Trustvault-Delivery"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, now: float, tolerance: int = 300) -> bool:
    """What a receiver does: recompute, compare in constant time, refuse stale timestamps (replays)."""
    try:
        age = abs(now - int(timestamp))
    except (TypeError, ValueError):
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def payload(env: Envelope) -> dict:
    m = env.message
    return {"id": env.uid, "subject": m.subject, "text": m.text, "url": m.url, "data": m.data}


def deliver(env: Envelope, ctx: DeliveryContext) -> None:
    if not env.secret:
        raise DeliveryError("the webhook has no signing secret", permanent=True)
    body = encode_json(payload(env))
    timestamp = str(int(ctx.now.timestamp()))
    headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(env.secret, timestamp, body),
               DELIVERY_HEADER: env.uid}
    post_json(env.target, body, guard=ctx.guard, timeout=ctx.timeout,
              max_bytes=ctx.settings.max_response_bytes, headers=headers)
