"""Time-based one-time passwords (RFC 6238) with replay protection. No Flask, no database."""
from __future__ import annotations

import hmac
import time

import pyotp

STEP_SECONDS = 30
DRIFT_STEPS = 1  # accept the previous and next code too (clock drift)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg_data_uri(uri: str) -> str:
    """The otpauth:// URI as an SVG QR code in a data: URI (allowed by our CSP's img-src)."""
    import segno

    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def matching_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The time step the code belongs to, or None. A step at or before `last_step` is a replay."""
    code = "".join(code.split())
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = current_step(now)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
