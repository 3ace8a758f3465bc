"""Personal API tokens: scopes, create, check, revoke. Services flush; the caller commits.

A scope names a role (read-only mirrors the viewer but reads everything its owner may read). What a
token may do is decided on every call as the intersection of its scope and its owner's *current* role, so
a token never exceeds its owner: a changed role narrows it at once, a disabled owner stops it at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from vault import audit, tokens
from vault.api.models import ApiToken
from vault.auth.models import User
from vault.auth.roles import PERMISSIONS, Role, role_can
from vault.db import utcnow
from vault.inputs import InvalidInput, clean_text

PREFIX = "tvk_"  # lets secret scanners and people recognise a leaked token
DEFAULT_DAYS = 90
MAX_DAYS = 366
NAME_MAX = 100

# scope -> the role whose permissions it carries (read-only: every *.view permission instead)
SCOPES: dict[str, Role | None] = {"read-only": None, "library": Role.SECURITY, "sales": Role.SALES,
                                  "legal": Role.LEGAL, "admin": Role.ADMIN}
SCOPE_NAMES = {"read-only": _l("Read-only"), "library": _l("Answer library"), "sales": _l("Sales"),
               "legal": _l("Legal"), "admin": _l("Admin")}


def scope_permits(scope: str, permission: str) -> bool:
    role = SCOPES.get(scope, "missing")
    if role == "missing":
        return False
    if role is None:
        return permission.endswith(".view") and permission in PERMISSIONS
    return role_can(role, permission)


def token_can(token: ApiToken, permission: str) -> bool:
    """Scope ∩ the owner's current role, and the owner active."""
    return token.user.can(permission) and scope_permits(token.scope, permission)


def scopes_for(role: str) -> list[str]:
    """The scopes an account may give its own tokens: read-only, its own role's, and any for an admin."""
    if role == Role.ADMIN:
        return list(SCOPES)
    return [s for s, r in SCOPES.items() if r is None or r == role]


@dataclass
class NewToken:
    row: ApiToken
    secret: str  # shown once, never stored


def create_token(session: Session, user: User, *, scope: str, days: int = DEFAULT_DAYS, name: str = "",
                 by: audit.Actor, now: datetime | None = None) -> NewToken:
    if scope not in SCOPES:
        raise InvalidInput("scope", _l("Unknown scope “%(scope)s”. Choose one of: %(choices)s.",
                                       scope=scope, choices=", ".join(SCOPES)), field="scope")
    if scope not in scopes_for(user.role):
        raise InvalidInput("scope", _l("A token cannot do more than its owner: the scope “%(scope)s” is not "
                                       "open to the role of %(email)s.", scope=scope, email=user.email), field="scope")
    if not user.active:
        raise InvalidInput("user", _l("%(email)s is disabled.", email=user.email), field="email")
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidInput("days", _l("A token lives between 1 and %(max)d days.", max=MAX_DAYS), field="days")
    name = clean_text(name, field="name", max_len=NAME_MAX, label=_l("Name"), multiline=False)
    now = now or utcnow()
    secret = PREFIX + tokens.new_token()
    row = ApiToken(user=user, user_id=user.id, name=name, scope=scope, token_hash=tokens.hash_token(secret),
                   hint=secret[:len(PREFIX) + 4], created_at=now, expires_at=now + timedelta(days=days))
    session.add(row)
    session.flush()
    audit.record(session, "api_token.create", by=by, object_type="api_token", object_id=row.uid,
                 detail={"owner": user.email, "scope": scope, "expires_at": row.expires_at.isoformat(),
                         "name": name})
    return NewToken(row, secret)


def check(session: Session, secret: str | None, *, now: datetime | None = None) -> tuple[ApiToken | None, str]:
    """(the token, "") for a live token of an active owner; else (the row if known, why it is refused:
    malformed, unknown, revoked, expired, owner_disabled)."""
    if not tokens.plausible(secret) or not secret.startswith(PREFIX):
        return None, "malformed"
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.hash_token(secret)))
    if row is None or not tokens.matches(secret, row.token_hash):
        return None, "unknown"
    if row.revoked_at is not None:
        return row, "revoked"
    if not row.live(now or utcnow()):
        return row, "expired"
    if not row.user.active:
        return row, "owner_disabled"
    return row, ""


def authenticate(session: Session, secret: str | None, *, now: datetime | None = None) -> ApiToken | None:
    """The live token of an active owner, or None."""
    row, refused = check(session, secret, now=now)
    return None if refused else row


def mark_used(row: ApiToken, *, ip: str, now: datetime | None = None) -> None:
    row.last_used_at, row.last_used_ip = now or utcnow(), (ip or "")[:64]


def list_tokens(session: Session, user: User | None = None) -> list[ApiToken]:
    stmt = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user is not None:
        stmt = stmt.where(ApiToken.user_id == user.id)
    return list(session.scalars(stmt))


def get_token(session: Session, uid: str, *, user: User | None = None) -> ApiToken | None:
    """By public id; with `user`, only that user's own token (anyone else's is not found)."""
    if not uid or len(uid) > 64:
        return None
    stmt = select(ApiToken).where(ApiToken.uid == uid)
    if user is not None:
        stmt = stmt.where(ApiToken.user_id == user.id)
    return session.scalar(stmt)


def revoke_token(session: Session, row: ApiToken, *, by: audit.Actor, now: datetime | None = None) -> bool:
    """Revoke; False when it was revoked already (nothing recorded twice)."""
    if row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    audit.record(session, "api_token.revoke", by=by, object_type="api_token", object_id=row.uid,
                 detail={"owner": row.user.email, "scope": row.scope})
    session.flush()
    return True
