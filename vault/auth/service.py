"""Staff accounts: creation, sign-in checks, passwords, two-factor, roles and disabling.

Functions take a `Session` and flush; the caller commits. Every change is audited here, in the
same transaction, so a change and its audit entry land together or not at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vault import audit
from vault.auth import passwords, totp
from vault.auth.models import User, new_session_token
from vault.auth.roles import Role
from vault.db import utcnow

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class AccountError(Exception):
    """A refused account change; the message is meant for the person who asked."""


@dataclass(frozen=True)
class Actor:
    """Who made a change, for the audit trail."""

    label: str = "system"
    id: int | None = None
    ip: str = ""


def _as_actor(actor: Actor | str) -> Actor:
    return actor if isinstance(actor, Actor) else Actor(label=actor)


def _audit(session: Session, action: str, user: User, actor: Actor | str, **detail) -> None:
    who = _as_actor(actor)
    audit.record(session, action, actor_id=who.id, actor=who.label, object_type="user", object_id=user.id,
                 ip=who.ip, detail={"email": user.email, **detail})


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def _check_role(role: str) -> str:
    if role not in {r.value for r in Role}:
        raise AccountError(_("Unknown role “%(role)s”. Choose one of: %(roles)s.", role=role,
                             roles=", ".join(r.value for r in Role)))
    return str(role)


def _check_password(password: str, email: str) -> None:
    problem = passwords.password_problem(password or "", email)
    if problem:
        raise AccountError(problem)


def create_user(session: Session, *, email: str, password: str, role: str, name: str = "",
                actor: Actor | str = "system", locale: str | None = None) -> User:
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise AccountError(_("“%(email)s” is not a valid email address.", email=email))
    role = _check_role(role)
    _check_password(password, email)
    if find_by_email(session, email) is not None:
        raise AccountError(_("An account with the email %(email)s already exists.", email=email))
    user = User(email=email, name=(name or "").strip()[:200], role=role,
                password_hash=passwords.hash_password(password), locale=locale, active=True)
    session.add(user)
    session.flush()
    _audit(session, "user.create", user, actor, role=role)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None.

    Unknown, disabled and wrong-password cases do the same hashing work, so neither the answer nor
    its timing tells whether an account exists. Hashes made with older parameters are upgraded.
    """
    user = find_by_email(session, email)
    ok = passwords.verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.active:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        session.flush()
    return user


def record_login(session: Session, user: User) -> None:
    user.last_login_at = utcnow()
    session.flush()


def end_sessions(session: Session, user: User) -> None:
    """Invalidate every session and remember-me cookie of this user (they carry the old token)."""
    user.session_token = new_session_token()
    session.flush()


def update_profile(session: Session, user: User, *, name: str, locale: str | None, actor: Actor | str) -> None:
    changes = {}
    name = (name or "").strip()[:200]
    if name != user.name:
        changes["name"] = name
        user.name = name
    if locale != user.locale:
        changes["locale"] = locale or ""
        user.locale = locale
    if changes:
        session.flush()
        _audit(session, "user.profile_change", user, actor, changes=changes)


def change_password(session: Session, user: User, *, current: str, new: str, actor: Actor | str) -> None:
    if not passwords.verify_password(user.password_hash, current or ""):
        raise AccountError(_("The current password is not correct."))
    _check_password(new, user.email)
    if new == current:
        raise AccountError(_("The new password must differ from the current one."))
    user.password_hash = passwords.hash_password(new)
    end_sessions(session, user)
    _audit(session, "user.password_change", user, actor)


def set_password(session: Session, user: User, *, new: str, actor: Actor | str) -> None:
    """An administrator's reset: no current password, every session ends."""
    _check_password(new, user.email)
    user.password_hash = passwords.hash_password(new)
    end_sessions(session, user)
    _audit(session, "user.password_reset", user, actor)


def _other_active_admins(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id)) or 0


def set_role(session: Session, user: User, role: str, *, actor: Actor | str) -> None:
    role = _check_role(role)
    if role == user.role:
        return
    if user.role == Role.ADMIN.value and user.active and not _other_active_admins(session, user):
        raise AccountError(_("%(email)s is the last active admin; make another admin first.", email=user.email))
    old = user.role
    user.role = role
    session.flush()
    _audit(session, "user.role_change", user, actor, old=old, new=role)


def set_active(session: Session, user: User, active: bool, *, actor: Actor | str) -> None:
    if active == user.active:
        return
    if not active and user.role == Role.ADMIN.value and not _other_active_admins(session, user):
        raise AccountError(_("%(email)s is the last active admin and cannot be disabled.", email=user.email))
    user.active = active
    if not active:
        end_sessions(session, user)  # their open sessions die at once
    session.flush()
    _audit(session, "user.enable" if active else "user.disable", user, actor)


# --- two-factor ---------------------------------------------------------------------------

def start_totp(session: Session, user: User) -> str:
    """A new secret waiting for confirmation (two-factor stays off until a code is confirmed)."""
    if user.totp_enabled:
        raise AccountError(_("Two-factor sign-in is already on."))
    user.totp_secret = totp.new_secret()
    user.totp_last_step = None
    session.flush()
    return user.totp_secret


def confirm_totp(session: Session, user: User, code: str, *, actor: Actor | str) -> None:
    if user.totp_enabled:
        raise AccountError(_("Two-factor sign-in is already on."))
    if not user.totp_secret:
        raise AccountError(_("Start the set-up again: no pending two-factor secret."))
    step = totp.matching_step(user.totp_secret, code or "", user.totp_last_step)
    if step is None:
        raise AccountError(_("That code is not valid. Check the time on your phone and try the current code."))
    user.totp_enabled = True
    user.totp_last_step = step
    end_sessions(session, user)  # a session stolen before enrolment must not survive it
    _audit(session, "user.totp_enable", user, actor)


def check_totp(session: Session, user: User, code: str) -> bool:
    """Sign-in check of a code; a code (time step) already used is refused."""
    if not (user.totp_enabled and user.totp_secret):
        return False
    step = totp.matching_step(user.totp_secret, code or "", user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    session.flush()
    return True


def disable_totp(session: Session, user: User, code: str, *, actor: Actor | str) -> None:
    if not user.totp_enabled:
        raise AccountError(_("Two-factor sign-in is not on."))
    if not check_totp(session, user, code):
        raise AccountError(_("That code is not valid. Enter the current code from your app."))
    _clear_totp(user)
    session.flush()
    _audit(session, "user.totp_disable", user, actor)


def reset_totp(session: Session, user: User, *, actor: Actor | str) -> None:
    """An administrator removes a user's second factor (lost phone); they enrol again."""
    _clear_totp(user)
    session.flush()
    _audit(session, "user.totp_reset", user, actor)


def _clear_totp(user: User) -> None:
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
