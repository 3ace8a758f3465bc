"""What the CRM channels (HubSpot, Salesforce) share: the sealed API token, the JSON calls, the answer.

A CRM token is a long-lived credential, so no outbox row holds it in clear: the row's `secret` is the
token sealed (AES-256-GCM, `Keyring.seal`) for the purpose "notify-credential" and bound to the row's
channel and base URL, so a sealed value copied onto a row for another host does not open. The channel
opens it with the application's keyring at send time (deliveries always run inside the app: the
after-commit hook, `vault notify deliver`, the jobs). Once sent, the outbox clears `secret` as usual.

Both CRM deliveries are two calls: find the company/account by the requester's email domain, then
write the activity. Each call goes through `post_json` (the SSRF guard pins the address, no redirect,
bounded answer), so 429/5xx come back as retryable errors and other 4xx as permanent ones that keep
the API's own message.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from vault.notify.channels.base import DeliveryContext, DeliveryError, Envelope
from vault.notify.channels.http import HttpAnswer, encode_json, post_json

PURPOSE = "notify-credential"
MAX_TOKEN = 512


def token_context(channel: str, base_url: str) -> str:
    return f"{channel}\0{base_url.rstrip('/')}"


def seal_token(keyring, channel: str, base_url: str, token: str) -> str:
    return keyring.seal(token, purpose=PURPOSE, context=token_context(channel, base_url))


def open_token(env: Envelope, keyring=None) -> str:
    """The clear token of an outbox row; DeliveryError (permanent) when it cannot be opened."""
    if not env.secret:
        raise DeliveryError(f"the {env.channel} delivery has no API token", permanent=True)
    from vault.crypto import IntegrityError, KeyringError
    try:
        if keyring is None:
            from vault.storage import get_keyring  # the app's keyring: deliveries run inside the app
            keyring = get_keyring()
        return keyring.unseal(env.secret, purpose=PURPOSE, context=token_context(env.channel, env.target))
    except (IntegrityError, KeyringError, RuntimeError, ValueError) as exc:
        raise DeliveryError(f"the {env.channel} API token cannot be opened ({type(exc).__name__}); "
                            "enter it again on the integrations page", permanent=True) from exc


def api_url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def call(ctx: DeliveryContext, url: str, token: str, *, what: str, body: dict | None = None,
         method: str = "POST") -> dict:
    """One authorised JSON call; its answer, which must be a JSON object."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    try:
        answer: HttpAnswer = post_json(url, encode_json(body) if body is not None else None, guard=ctx.guard,
                                       timeout=ctx.timeout, max_bytes=ctx.settings.max_response_bytes,
                                       headers=headers, method=method)
    except DeliveryError as exc:  # say which step failed; the API's own message stays in the text
        raise DeliveryError(f"{what}: {exc}", permanent=exc.permanent, retry_after=exc.retry_after) from exc
    value = answer.json()
    if value is None:
        raise DeliveryError(f"{what}: the answer is not a JSON object: {answer.snippet()}")
    return value


def crm_data(env: Envelope) -> dict:
    data = (env.message.data or {}).get("crm")
    if not isinstance(data, dict) or not data.get("domain"):
        raise DeliveryError(f"the {env.channel} delivery names no email domain", permanent=True)
    return data


def no_match(kind: str, domain: str) -> DeliveryError:
    """No company/account for the domain and no fallback configured: nothing is written in the CRM and
    the row is dead with this sentence (an admin who adds the company can press "Retry now")."""
    return DeliveryError(f"no {kind} for {domain}", permanent=True)


def website_host(website: str) -> str:
    """'https://www.Example.com/about' -> 'example.com' (Salesforce keeps Website as typed)."""
    value = (website or "").strip().lower()
    if "://" not in value:
        value = "http://" + value
    host = urlsplit(value).hostname or ""
    return host[4:] if host.startswith("www.") else host
