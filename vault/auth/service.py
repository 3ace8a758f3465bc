"""Staff accounts: creation, sign-in checks, passwords, two-factor, roles and disabling.

Functions take a `Session` and flush; the caller commits. Every change is audited here, in the
same transaction, so a change and its audit entry land together or not at all.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vault import audit
from vault.audit import Actor
from vault.auth import passwords, totp
from vault.auth import secrets as totp_secrets
from vault.auth.models import User, new_session_token
from vault.auth.roles import Role
from vault.crypto import IntegrityError, Keyring, KeyringError
from vault.db import utcnow
from vault.inputs import is_email, normalise_email
from vault.storage import get_keyring

log = logging.getLogger(__name__)



class AccountError(Exception):
    """A refused account change; the message is meant for the person who asked.

    Not an `InvalidInput`: it carries no code or field (most refusals are about the account's state, not
    about one field of a form), and every caller shows it above the form or prints it."""


def _as_actor(actor: Actor | str) -> Actor:
    return actor if isinstance(actor, Actor) else Actor(label=actor)


def _audit(session: Session, action: str, user: User, actor: Actor | str, **detail) -> None:
    who = _as_actor(actor)
    audit.record(session, action, by=who, object_type="user", object_id=user.id,
                 detail={"email": user.email, **detail})


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
    if not is_email(email):
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
    # Cut, not refused (unlike clean_text): the forms already limit it to 200; this only bounds the column.
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
    """A new secret waiting for confirmation (two-factor stays off until a code is confirmed).

    Stored sealed (vault/auth/secrets.py); the plaintext is returned once, for the set-up page.
    """
    if user.totp_enabled:
        raise AccountError(_("Two-factor sign-in is already on."))
    secret = totp.new_secret()
    try:
        user.totp_secret = totp_secrets.seal(get_keyring(), user.id, secret)
    except KeyringError:
        log.exception("cannot seal a two-factor secret")
        raise AccountError(_("Two-factor set-up is unavailable: the server cannot read its encryption keys. "
                             "Tell your administrator.")) from None
    user.totp_last_step = None
    session.flush()
    return secret


def _open_totp(user: User) -> str:
    """The plaintext seed; IntegrityError (tampered, moved) or KeyringError (key gone)."""
    if totp_secrets.is_legacy(user.totp_secret):
        return user.totp_secret  # written before sealing; readable even without the keyring
    return totp_secrets.open_secret(get_keyring(), user.id, user.totp_secret)


def _reseal_if_needed(user: User, secret: str) -> None:
    """After a good code: seal a legacy seed, or move it to the active key after a rotation."""
    try:
        keyring = get_keyring()
        if totp_secrets.needs_reseal(keyring, user.totp_secret):
            user.totp_secret = totp_secrets.seal(keyring, user.id, secret)
    except KeyringError as exc:  # sign-in still works; `vault keys rewrap` seals it later
        log.warning("two-factor secret of user %s not re-sealed: %s", user.id, exc)


def pending_totp_secret(user: User) -> str | None:
    """The seed of a set-up not yet confirmed (for the QR code); None if none or it cannot be opened."""
    if user.totp_enabled or not user.totp_secret:
        return None
    try:
        return _open_totp(user)
    except (IntegrityError, KeyringError) as exc:
        log.warning("pending two-factor secret of user %s cannot be opened: %s", user.id, exc)
        return None


def confirm_totp(session: Session, user: User, code: str, *, actor: Actor | str) -> None:
    if user.totp_enabled:
        raise AccountError(_("Two-factor sign-in is already on."))
    secret = pending_totp_secret(user)
    if not secret:
        raise AccountError(_("Start the set-up again: no pending two-factor secret."))
    step = totp.matching_step(secret, code or "", user.totp_last_step)
    if step is None:
        raise AccountError(_("That code is not valid. Check the time on your phone and try the current code."))
    user.totp_enabled = True
    user.totp_last_step = step
    _reseal_if_needed(user, secret)
    end_sessions(session, user)  # a session stolen before enrolment must not survive it
    _audit(session, "user.totp_enable", user, actor)


def check_totp(session: Session, user: User, code: str) -> bool:
    """Sign-in check of a code; a code (time step) already used is refused.

    A seed that cannot be opened (tampered or moved row, key removed) refuses the code and is audited.
    """
    if not (user.totp_enabled and user.totp_secret):
        return False
    try:
        secret = _open_totp(user)
    except (IntegrityError, KeyringError) as exc:
        log.warning("two-factor secret of user %s cannot be opened: %s", user.id, exc)
        audit.record(session, "user.totp_unreadable", object_type="user", object_id=user.id, outcome="failed",
                     detail={"email": user.email, "reason": str(exc)})
        return False
    step = totp.matching_step(secret, code or "", user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    _reseal_if_needed(user, secret)
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


@dataclass
class ResealReport:
    resealed: int = 0
    failures: list[str] = field(default_factory=list)


def reseal_totp_secrets(session: Session, keyring: Keyring) -> ResealReport:
    """Seal every legacy plaintext seed, and re-seal those under an older key with the active one.

    Part of `vault keys rewrap`/`rotate` and `vault init`; a row that cannot be opened is reported
    and left alone (its user can no longer sign in with it; an admin resets their two-factor).
    """
    report = ResealReport()
    for user in session.scalars(select(User).where(User.totp_secret.is_not(None)).order_by(User.id)):
        if not totp_secrets.needs_reseal(keyring, user.totp_secret):
            continue
        try:
            secret = totp_secrets.open_secret(keyring, user.id, user.totp_secret)
            user.totp_secret = totp_secrets.seal(keyring, user.id, secret)
        except (IntegrityError, KeyringError) as exc:
            report.failures.append(f"user {user.id} ({user.email}): {exc}")
            continue
        report.resealed += 1
    session.flush()
    return report


def totp_key_usage(session: Session) -> dict[str | None, int]:
    """Stored two-factor secrets per master key id; None counts seeds not sealed yet."""
    usage: dict[str | None, int] = {}
    for stored in session.scalars(select(User.totp_secret).where(User.totp_secret.is_not(None))):
        key_id = totp_secrets.sealed_by(stored)
        usage[key_id] = usage.get(key_id, 0) + 1
    return usage
