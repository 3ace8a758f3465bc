"""Single sign-on rules: the settings (client secret sealed), who an identity provider's user is here
(just-in-time account, role from groups at every sign-in), the replay guard and the password policy.

Functions take a `Session` and flush; the view or command commits. Every change is audited here.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vault import audit
from vault.audit import Actor
from vault.auth import passwords
from vault.auth import service as accounts
from vault.auth.models import User
from vault.auth.roles import Role
from vault.crypto import IntegrityError as SealError, KeyringError
from vault.db import utcnow
from vault.inputs import InvalidInput, is_email, normalise_email
from vault.sso import mapping
from vault.sso.errors import SsoRefused
from vault.sso.models import SETTINGS_ID, SsoIdentity, SsoSettings, SsoUsedAssertion
from vault.storage import get_keyring

log = logging.getLogger(__name__)
SEAL_PURPOSE = "sso"
SEAL_CONTEXT = "oidc_client_secret"


# --- settings -----------------------------------------------------------------------------------

def get_settings(session: Session) -> SsoSettings:
    """The stored settings, or an unsaved row with the defaults (everything off)."""
    row = session.get(SsoSettings, SETTINGS_ID)
    if row is None:
        row = SsoSettings(id=SETTINGS_ID, oidc_enabled=False, oidc_issuer="", oidc_client_id="",
                          oidc_groups_claim="groups", saml_enabled=False, saml_idp_metadata="",
                          saml_email_attribute="email", saml_groups_attribute="groups", group_roles=[],
                          sso_only=False, break_glass_email=None)
    return row


def client_secret(settings: SsoSettings) -> str:
    if not settings.oidc_client_secret:
        return ""
    try:
        return get_keyring().unseal(settings.oidc_client_secret, purpose=SEAL_PURPOSE, context=SEAL_CONTEXT)
    except (SealError, KeyringError) as exc:
        log.error("the OIDC client secret cannot be opened: %s", exc)
        raise SsoRefused("config", _l("The single sign-on client secret cannot be read on this server. An "
                                      "administrator must enter it again."))


@dataclass
class SettingsInput:
    oidc_enabled: bool
    oidc_issuer: str
    oidc_client_id: str
    oidc_client_secret: str  # "" keeps the stored one
    oidc_groups_claim: str
    saml_enabled: bool
    saml_idp_metadata: str
    saml_email_attribute: str
    saml_groups_attribute: str
    group_roles: str
    sso_only: bool
    break_glass_email: str


def _break_glass_problem(session: Session, email: str) -> str | None:
    user = accounts.find_by_email(session, email)
    if user is None or not user.active or user.role != Role.ADMIN.value:
        return _l("The break-glass account must be an existing, active admin.")
    if not user.totp_enabled:
        return _l("The break-glass admin must have two-factor sign-in on before passwords are turned off.")
    return None


def save_settings(session: Session, data: SettingsInput, *, actor: Actor, check_saml=None) -> SsoSettings:
    """Validate and store; InvalidInput names the field. `check_saml(metadata)` raises SsoRefused when the
    IdP metadata cannot be used (the view passes the SAML module's check)."""
    row = get_settings(session)
    group_roles = mapping.parse(data.group_roles)
    issuer = (data.oidc_issuer or "").strip().rstrip("/")
    if data.oidc_enabled and not (issuer and data.oidc_client_id.strip()):
        raise InvalidInput("oidc", _l("Enter the issuer and the client id to turn OpenID Connect on."),
                           "oidc_issuer")
    if data.oidc_enabled and not (data.oidc_client_secret or row.oidc_client_secret):
        raise InvalidInput("oidc", _l("Enter the client secret to turn OpenID Connect on."), "oidc_client_secret")
    metadata = (data.saml_idp_metadata or "").strip()
    if data.saml_enabled and not metadata:
        raise InvalidInput("saml", _l("Paste the identity provider's SAML metadata to turn SAML on."),
                           "saml_idp_metadata")
    if metadata and check_saml is not None:
        try:
            check_saml(metadata)
        except SsoRefused as exc:
            raise InvalidInput("saml", exc.message, "saml_idp_metadata")
    if (data.oidc_enabled or data.saml_enabled) and not group_roles:
        raise InvalidInput("group_roles", _l("Map at least one group to a role: nobody could sign in otherwise."),
                           "group_roles")
    break_glass = normalise_email(data.break_glass_email) or None
    if break_glass and not is_email(break_glass):
        raise InvalidInput("break_glass", _l("“%(email)s” is not a valid email address.", email=break_glass),
                           "break_glass_email")
    if data.sso_only:
        if not (data.oidc_enabled or data.saml_enabled):
            raise InvalidInput("sso_only", _l("Turn on OpenID Connect or SAML before turning passwords off."),
                               "sso_only")
        if not break_glass:
            raise InvalidInput("break_glass", _l("Name the break-glass admin who keeps password sign-in."),
                               "break_glass_email")
        problem = _break_glass_problem(session, break_glass)
        if problem:
            raise InvalidInput("break_glass", problem, "break_glass_email")
    values = {
        "oidc_enabled": bool(data.oidc_enabled), "oidc_issuer": issuer[:500],
        "oidc_client_id": data.oidc_client_id.strip()[:255],
        "oidc_groups_claim": (data.oidc_groups_claim or "groups").strip()[:200],
        "saml_enabled": bool(data.saml_enabled), "saml_idp_metadata": metadata,
        "saml_email_attribute": (data.saml_email_attribute or "email").strip()[:300],
        "saml_groups_attribute": (data.saml_groups_attribute or "groups").strip()[:300],
        "group_roles": group_roles, "sso_only": bool(data.sso_only), "break_glass_email": break_glass,
    }
    changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
    for key, value in values.items():
        setattr(row, key, value)
    if data.oidc_client_secret:
        row.oidc_client_secret = get_keyring().seal(data.oidc_client_secret, purpose=SEAL_PURPOSE,
                                                    context=SEAL_CONTEXT)
        changed.append("oidc_client_secret")
    session.add(row)
    session.flush()
    if changed:  # names of what changed, never the secret; the mapping and switches are worth keeping whole
        audit.record(session, "sso.settings_change", by=actor, object_type="sso_settings", object_id=SETTINGS_ID,
                     detail={"changed": changed, "sso_only": row.sso_only, "break_glass": row.break_glass_email or "",
                             "group_roles": row.group_roles})
    return row


# --- who signs in ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    protocol: str  # "oidc" or "saml"
    issuer: str
    subject: str
    email: str
    name: str
    groups: list[str]
    email_verified: bool = True


def oidc_identity(claims: dict, *, issuer: str, groups_claim: str) -> Identity:
    """Who the verified ID token says this is. A groups claim may be a list or a single string."""
    groups = claims.get(groups_claim) or []
    return Identity(protocol="oidc", issuer=issuer, subject=str(claims["sub"]), email=str(claims.get("email") or ""),
                    name=str(claims.get("name") or ""),
                    groups=[str(g) for g in groups] if isinstance(groups, list) else [str(groups)],
                    email_verified=claims.get("email_verified") is not False)  # absent (Entra) counts as verified


def saml_identity(login, *, email_attribute: str, groups_attribute: str) -> Identity:
    """Who the verified assertion says this is; the NameID stands in for a missing email attribute."""
    email = next(iter(login.values(email_attribute)), "") or login.subject
    name = next(iter(login.values("displayName") or login.values("name")), "")
    return Identity(protocol="saml", issuer=login.issuer, subject=login.subject, email=email, name=name,
                    groups=login.values(groups_attribute))


def _link(session: Session, identity: Identity, user: User) -> SsoIdentity:
    link = SsoIdentity(protocol=identity.protocol, issuer=identity.issuer[:500], subject=identity.subject[:500],
                       user_id=user.id, groups=[])
    session.add(link)
    session.flush()
    return link


def sign_in(session: Session, settings: SsoSettings, identity: Identity, *, ip: str = "") -> User:
    """The staff account of this identity, created on first sign-in, its role set from the groups.

    SsoRefused when no group is mapped, the account is disabled, or the email cannot be trusted."""
    actor = Actor(label=f"sso:{identity.protocol}", ip=ip)
    if not identity.subject:
        raise SsoRefused("subject", _l("The identity provider did not say who you are (no subject)."))
    role = mapping.role_for(settings.group_roles, identity.groups)
    email = normalise_email(identity.email)
    if role is None:
        raise SsoRefused("unmapped", _l("Your account at the identity provider is in no group that has a role here. "
                                        "Ask an administrator to map one of your groups to a role."),
                         email=email, groups=identity.groups[:50])
    link = session.scalar(select(SsoIdentity).where(
        SsoIdentity.protocol == identity.protocol, SsoIdentity.issuer == identity.issuer[:500],
        SsoIdentity.subject == identity.subject[:500]))
    user = session.get(User, link.user_id) if link else None
    if user is None:
        if not is_email(email):
            raise SsoRefused("email", _l("The identity provider sent no usable email address for you."),
                             email=email)
        user = accounts.find_by_email(session, email)
        if user is not None and not identity.email_verified:
            raise SsoRefused("email_unverified", _l("Your email address is not verified at the identity provider, "
                                                    "so it cannot be matched to an existing account."), email=email)
        if user is None:
            # The hash of a secret nobody is told: no password opens it, and a password attempt takes as long
            # as for any other account (an unparseable marker would answer faster and tell SSO accounts apart).
            user = User(email=email, name=(identity.name or "").strip()[:200], role=role, active=True,
                        password_hash=passwords.hash_password(secrets.token_urlsafe(32)))
            session.add(user)
            session.flush()
            audit.record(session, "user.create", by=actor, object_type="user", object_id=user.id,
                         detail={"email": email, "role": role, "via": identity.protocol, "issuer": identity.issuer})
        else:
            audit.record(session, "sso.link", by=actor, object_type="user", object_id=user.id,
                         detail={"email": email, "protocol": identity.protocol, "issuer": identity.issuer})
        link = _link(session, identity, user)
    if not user.active:
        raise SsoRefused("disabled", _l("Your account here is disabled. Ask an administrator."), email=user.email)
    if user.role != role:
        try:
            accounts.set_role(session, user, role, actor=actor)
        except accounts.AccountError as exc:  # the last admin would lose the role: keep it, refuse sign-in
            raise SsoRefused("last_admin", exc, email=user.email, role=role)
    link.groups = list(identity.groups)[:100]
    link.last_login_at = utcnow()
    session.flush()
    return user


# --- replay and housekeeping --------------------------------------------------------------------

def remember_assertion(session: Session, key: str, expires_at: datetime) -> None:
    """Record a SAML assertion as used; SsoRefused("replay") if any host used it before. Rows past their
    expiry go first (such assertions are refused as expired anyway)."""
    purge_used_assertions(session)
    try:
        with session.begin_nested():
            session.add(SsoUsedAssertion(key=key, expires_at=expires_at))
    except IntegrityError:
        raise SsoRefused("replay", _l("This sign-in answer was already used. Start again from the sign-in page."),
                         key=key) from None


def purge_used_assertions(session: Session) -> int:
    """Forget assertion ids past their expiry (they would be refused as expired anyway)."""
    result = session.execute(delete(SsoUsedAssertion).where(SsoUsedAssertion.expires_at < utcnow()))
    return result.rowcount or 0


# --- the password policy (asked by the password sign-in page) ---------------------------------------

def password_policy(session: Session, email: str) -> str:
    """"allowed", "break_glass" (SSO only is on and this is the named admin) or "refused"."""
    settings = session.get(SsoSettings, SETTINGS_ID)
    if settings is None or not settings.sso_only or not (settings.oidc_enabled or settings.saml_enabled):
        return "allowed"
    if settings.break_glass_email and normalise_email(email) == settings.break_glass_email:
        return "break_glass"
    return "refused"
