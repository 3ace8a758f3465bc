"""The one refusal of a single sign-on attempt: a stable reason for the audit trail and tests, and a
sentence for the person at the browser."""
from __future__ import annotations


class SsoRefused(Exception):
    def __init__(self, reason: str, message, **detail) -> None:
        super().__init__(str(message))
        self.reason = reason  # e.g. "signature", "expired", "audience", "replay", "nonce", "unmapped"
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return str(self.message)
