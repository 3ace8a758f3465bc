"""Integrations staff set up: add, switch on/off, remove, test. Services flush; the view commits.

Every URL is checked now through the notify guard (a private or metadata address is refused unless the
admin switch allows private targets), the API token or signing secret is sealed at once, and nothing
secret is ever read back out for a page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from vault import notify
from vault.crypto import IntegrityError, KeyringError, sealed_key_id
from vault.db import utcnow
from vault.inputs import InvalidInput, clean_text
from vault.integrations import secrets
from vault.integrations.catalogue import CHAT_KINDS, CRM_KINDS, KINDS, events_for
from vault.integrations.events import enqueue
from vault.integrations.models import IntegrationTarget, new_uid
from vault.notify.channels import crm
from vault.notify.ssrf import TargetRefused

LABEL_MAX = 200
SECRET_MAX = 400  # sealed, it must still fit the outbox's secret column (512)
DEFAULT_BASE = {"hubspot": "https://api.hubapi.com"}
SIGNED_CHAT = ("dingtalk", "feishu")  # chat tools whose bots may have a signing secret
_HUBSPOT_ID = re.compile(r"^[0-9]{1,20}$")
_SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
_API_VERSION = re.compile(r"^[0-9]{2,3}\.[0-9]$")


class IntegrationError(InvalidInput):
    """A refused setting, with the field it belongs to."""


def shown(url: str) -> str:
    """scheme://host[:port]/…: what a page may show of a URL that can carry a token."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"


def _check_url(kind: str, url: str, settings: notify.Settings) -> str:
    url = (url or DEFAULT_BASE.get(kind, "")).strip()
    if not url:
        raise IntegrationError("url", _l("Enter the URL."), "url")
    if len(url) > 2048:
        raise IntegrationError("url", _l("The URL is too long."), "url")
    try:
        if kind in CRM_KINDS:
            if urlsplit(url).scheme != "https" and not settings.allow_private:
                raise IntegrationError("url", _l("A CRM API is reached over https only."), "url")
            settings.guard().pin(url)
        else:
            notify.check_target(kind, url, settings)
    except (TargetRefused, notify.NotifyError) as exc:
        raise IntegrationError("url", _l("The URL is refused: %(why)s", why=str(exc)), "url") from exc
    return url.rstrip("/") if kind in CRM_KINDS else url


def _check_secret(kind: str, secret: str) -> str | None:
    secret = (secret or "").strip()
    if len(secret) > SECRET_MAX or any(c.isspace() for c in secret):
        raise IntegrationError("secret", _l("The token or secret is too long or holds spaces."), "secret")
    if kind in CRM_KINDS and not secret:
        raise IntegrationError("secret", _l("Enter the API access token."), "secret")
    if kind == "webhook" and not secret:
        raise IntegrationError("secret", _l("A generic webhook needs a signing secret."), "secret")
    if secret and kind not in (*CRM_KINDS, "webhook", *SIGNED_CHAT):
        raise IntegrationError("secret", _l("This channel takes no secret."), "secret")
    return secret or None


def _check_options(kind: str, template_id: str, fallback: str, api_version: str) -> dict:
    template_id, fallback, api_version = (template_id or "").strip(), (fallback or "").strip(), (api_version or "").strip()
    if kind == "hubspot":
        if not _HUBSPOT_ID.match(template_id):
            raise IntegrationError("template_id", _l("Enter the event template id HubSpot shows (digits)."),
                                   "template_id")
        if fallback and not _HUBSPOT_ID.match(fallback):
            raise IntegrationError("fallback", _l("A HubSpot company id is digits only."), "fallback")
        return {"template_id": template_id, "fallback": fallback}
    if kind == "salesforce":
        if fallback and not _SALESFORCE_ID.match(fallback):
            raise IntegrationError("fallback", _l("A Salesforce account id has 15 or 18 letters and digits."),
                                   "fallback")
        if api_version and not _API_VERSION.match(api_version):
            raise IntegrationError("api_version", _l("Write the API version like 60.0."), "api_version")
        return {"fallback": fallback, "api_version": api_version}
    return {}


def _check_common(kind: str, label: str, events: list[str], language: str, languages: list[str]
                  ) -> tuple[str, list[str]]:
    label = clean_text(label, field="label", max_len=LABEL_MAX, label=_l("Name"), multiline=False)
    chosen = [e for e in dict.fromkeys(events or []) if e in events_for(kind)]
    if not chosen or len(chosen) != len(set(events or [])):
        raise IntegrationError("events", _l("Choose at least one event this integration can receive."), "events")
    if language not in languages:
        raise IntegrationError("language", _l("Choose a language."), "language")
    return label, chosen


def add_target(session: Session, keyring, settings: notify.Settings, *, kind: str, label: str, url: str,
               secret: str, events: list[str], language: str, languages: list[str], template_id: str = "",
               fallback: str = "", api_version: str = "") -> IntegrationTarget:
    if kind not in KINDS:
        raise IntegrationError("kind", _l("Choose what to connect."), "kind")
    label, chosen = _check_common(kind, label, events, language, languages)
    options = _check_options(kind, template_id, fallback, api_version)
    secret_value = _check_secret(kind, secret)
    url = _check_url(kind, url, settings)
    row = IntegrationTarget(uid=new_uid(), kind=kind, label=label, events=chosen, language=language,
                            endpoint_shown=shown(url), options=options, enabled=True)
    row.endpoint_sealed = secrets.seal(keyring, row.uid, "endpoint", url)
    row.secret_sealed = secrets.seal(keyring, row.uid, "secret", secret_value) if secret_value else None
    session.add(row)
    session.flush()
    return row


def update_target(session: Session, keyring, row: IntegrationTarget, *, label: str, secret: str,
                  events: list[str], language: str, languages: list[str], template_id: str = "", fallback: str = "",
                  api_version: str = "") -> list[str]:
    """Change what it receives and how; an empty `secret` keeps the stored one. The URL is not edited
    (remove and connect again). Returns the names of the changed fields, for the audit trail."""
    label, chosen = _check_common(row.kind, label, events, language, languages)
    options = _check_options(row.kind, template_id, fallback, api_version)
    new_secret = (secret or "").strip()
    if new_secret:
        _check_secret(row.kind, new_secret)
    changed = [name for name, old, new in (("label", row.label, label), ("events", row.events, chosen),
                                           ("language", row.language, language),
                                           ("options", row.options or {}, options)) if old != new]
    row.label, row.events, row.language, row.options = label, chosen, language, options
    if new_secret:
        row.secret_sealed = secrets.seal(keyring, row.uid, "secret", new_secret)
        changed.append("secret")
    row.updated_at = utcnow()
    session.flush()
    return changed


def list_targets(session: Session) -> list[IntegrationTarget]:
    return list(session.scalars(select(IntegrationTarget).order_by(IntegrationTarget.id)))


def get_target(session: Session, uid: str) -> IntegrationTarget | None:
    if not uid or len(uid) > 64:
        return None
    return session.scalar(select(IntegrationTarget).where(IntegrationTarget.uid == uid))


def set_enabled(session: Session, row: IntegrationTarget, enabled: bool) -> None:
    row.enabled, row.updated_at = bool(enabled), utcnow()
    session.flush()


def delete_target(session: Session, row: IntegrationTarget) -> None:
    """Queued deliveries of it stay in the outbox (they hold their own sealed copy) and finish or fail."""
    session.delete(row)
    session.flush()


def send_test(session: Session, keyring, row: IntegrationTarget, *, domain: str) -> notify.Outbox:
    """A test through the outbox. CRMs only look `domain` up (no write in the CRM); chats and webhooks
    get a test message."""
    if row.kind in CRM_KINDS:
        return enqueue(session, row, "integration.test", {"requester": {"domain": domain}}, key=new_uid(),
                       keyring=keyring, test_domain=domain)
    return enqueue(session, row, "integration.test", {}, key=new_uid(), keyring=keyring)


def is_chat(kind: str) -> bool:
    return kind in CHAT_KINDS


# --- master key rotation (`vault keys rewrap` / `rotate` / `retire`) ------------------------------------

@dataclass
class Reseal:
    resealed: int = 0
    failures: list[str] = field(default_factory=list)


def _sealed_values(session: Session):
    """(row, attribute, field-or-None) for every sealed value: the integrations' endpoints and secrets, and
    the CRM tokens of outbox rows not sent yet (field None: bound to the row's channel and URL)."""
    for row in list_targets(session):
        yield row, "endpoint_sealed", "endpoint"
        if row.secret_sealed:
            yield row, "secret_sealed", "secret"
    for row in session.scalars(select(notify.Outbox).where(notify.Outbox.channel.in_(CRM_KINDS),
                                                           notify.Outbox.secret.is_not(None))):
        yield row, "secret", None


def key_usage(session: Session) -> dict[str | None, int]:
    usage: dict[str | None, int] = {}
    for row, attribute, _field in _sealed_values(session):
        key_id = sealed_key_id(getattr(row, attribute))
        usage[key_id] = usage.get(key_id, 0) + 1
    return usage


def reseal_all(session: Session, keyring) -> Reseal:
    """Re-seal every value still under an older master key with the active one; flushes. A value that
    no longer opens is reported and left (re-enter it on the integrations page)."""
    report = Reseal()
    for row, attribute, name in _sealed_values(session):
        sealed = getattr(row, attribute)
        if sealed_key_id(sealed) == keyring.active:
            continue
        try:
            if name is None:
                token = keyring.unseal(sealed, purpose=crm.PURPOSE, context=crm.token_context(row.channel, row.target))
                setattr(row, attribute, crm.seal_token(keyring, row.channel, row.target, token))
            else:
                value = secrets.open_value(keyring, row.uid, name, sealed)
                setattr(row, attribute, secrets.seal(keyring, row.uid, name, value))
        except (IntegrityError, KeyringError) as exc:
            report.failures.append(f"{'notification' if name is None else 'integration'} {row.uid}: {exc}")
            continue
        report.resealed += 1
    session.flush()
    return report
