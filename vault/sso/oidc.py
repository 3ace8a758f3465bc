"""OpenID Connect relying party: discovery, authorization code with PKCE, and the ID token checks.

No Flask and no database: the view keeps `Pending` in the signed session between `begin` and `finish`.
Authlib's requests client builds the authorization URL (S256 code challenge) and redeems the code;
joserfc (Authlib's own JOSE successor) verifies the ID token's signature against the provider's JWKS, and the
claims iss, aud (and azp), exp, iat and nonce are checked here, so nothing depends on a library default.
"""
from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlencode, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from flask_babel import lazy_gettext as _l

from vault.sso.errors import SsoRefused

TIMEOUT = 10  # seconds per call to the provider
LEEWAY = 60  # clock skew accepted on exp / iat
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")  # never "none"/HS*
PENDING_SECONDS = 600  # an unfinished sign-in is forgotten after ten minutes


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    auth_methods: tuple[str, ...]


@dataclass(frozen=True)
class Pending:
    state: str
    nonce: str
    verifier: str
    next: str
    at: int

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data) -> "Pending | None":
        try:
            return cls(**{k: data[k] for k in ("state", "nonce", "verifier", "next", "at")})
        except (KeyError, TypeError):
            return None


def check_url(url: str, *, allow_http: bool) -> str:
    """https only; plain http only when allowed (tests, a provider on loopback)."""
    parts = urlsplit(url or "")
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise SsoRefused("config", _l("The identity provider's address must start with https://."), url=url)
    if not parts.netloc:
        raise SsoRefused("config", _l("The identity provider's address has no host name."), url=url)
    return url


def _get_json(url: str, what: str) -> dict:
    try:
        response = requests.get(url, timeout=TIMEOUT, allow_redirects=False)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SsoRefused("provider_unreachable", _l("The identity provider could not be reached. Try again "
                                                    "later or tell your administrator."), what=what, error=str(exc))
    if not isinstance(data, dict):
        raise SsoRefused("provider_unreachable", _l("The identity provider sent an answer we cannot read."), what=what)
    return data


_discovered: dict[tuple[str, bool], tuple[float, Provider]] = {}
DISCOVERY_SECONDS = 300  # metadata kept this long per process: sign-in and sign-out need not ask every time


def discover(issuer: str, *, allow_http: bool = False) -> Provider:
    """The provider's metadata from `<issuer>/.well-known/openid-configuration`; its `issuer` must be ours."""
    key = (issuer, allow_http)
    cached = _discovered.get(key)
    if cached and time.monotonic() - cached[0] < DISCOVERY_SECONDS:
        return cached[1]
    provider = _discover(issuer, allow_http=allow_http)
    _discovered[key] = (time.monotonic(), provider)
    return provider


def _discover(issuer: str, *, allow_http: bool) -> Provider:
    issuer = check_url(issuer.rstrip("/"), allow_http=allow_http)
    data = _get_json(issuer + "/.well-known/openid-configuration", "discovery")
    if (data.get("issuer") or "").rstrip("/") != issuer:
        raise SsoRefused("issuer", _l("The identity provider names another issuer than the one configured."),
                         expected=issuer, got=str(data.get("issuer"))[:300])
    try:
        endpoints = {k: check_url(str(data[k]), allow_http=allow_http)
                     for k in ("authorization_endpoint", "token_endpoint", "jwks_uri")}
    except KeyError as exc:
        raise SsoRefused("provider_unreachable", _l("The identity provider's metadata lacks %(name)s.",
                                                    name=exc.args[0]))
    end = data.get("end_session_endpoint")
    return Provider(issuer=str(data["issuer"]),
                    end_session_endpoint=check_url(end, allow_http=allow_http) if end else None,
                    auth_methods=tuple(data.get("token_endpoint_auth_methods_supported") or ("client_secret_basic",)),
                    **endpoints)


def begin(provider: Provider, *, client_id: str, redirect_uri: str, next_path: str, scope: str = "openid email profile"
          ) -> tuple[str, Pending]:
    """The provider's authorization URL, and what to keep until the browser comes back."""
    pending = Pending(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
                      verifier=secrets.token_urlsafe(64), next=next_path, at=int(time.time()))
    client = OAuth2Session(client_id, redirect_uri=redirect_uri, scope=scope, code_challenge_method="S256")
    url, _state = client.create_authorization_url(provider.authorization_endpoint, state=pending.state,
                                                  code_verifier=pending.verifier, nonce=pending.nonce)
    return url, pending


def _check_callback(pending: Pending | None, args) -> str:
    if pending is None or time.time() - pending.at > PENDING_SECONDS:
        raise SsoRefused("no_pending", _l("This sign-in was not started here or took too long. Start again."))
    if not hmac.compare_digest(str(args.get("state") or ""), pending.state):
        raise SsoRefused("state", _l("The identity provider's answer does not belong to the sign-in started in this "
                                     "browser (state mismatch). Start again."))
    if args.get("error"):
        raise SsoRefused("provider_error", _l("The identity provider refused the sign-in: %(error)s",
                                              error=str(args.get("error_description") or args.get("error"))[:300]))
    code = str(args.get("code") or "")
    if not code:
        raise SsoRefused("no_code", _l("The identity provider's answer carries no authorization code."))
    return code


def finish(provider: Provider, *, client_id: str, client_secret: str, redirect_uri: str, pending: Pending | None,
           args) -> tuple[dict, str]:
    """Check the callback, redeem the code (with the PKCE verifier) and return the verified ID token claims
    and the raw ID token (kept only as the logout hint)."""
    code = _check_callback(pending, args)
    method = "client_secret_basic" if "client_secret_basic" in provider.auth_methods else "client_secret_post"
    client = OAuth2Session(client_id, client_secret, redirect_uri=redirect_uri, token_endpoint_auth_method=method)
    try:
        token = client.fetch_token(provider.token_endpoint, grant_type="authorization_code", code=code,
                                   code_verifier=pending.verifier, timeout=TIMEOUT)
    except Exception as exc:  # authlib raises OAuthError, requests its own; both mean "no token"
        raise SsoRefused("token", _l("The identity provider did not accept the sign-in code. Start again."),
                         error=str(exc)[:300])
    id_token = token.get("id_token")
    if not id_token:
        raise SsoRefused("token", _l("The identity provider sent no ID token."))
    return verify_id_token(provider, id_token, client_id=client_id, nonce=pending.nonce), id_token


def verify_id_token(provider: Provider, id_token: str, *, client_id: str, nonce: str, now: float | None = None) -> dict:
    keys = KeySet.import_key_set(_get_json(provider.jwks_uri, "jwks"))
    try:
        claims = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS)).claims
    except (JoseError, ValueError) as exc:
        raise SsoRefused("id_token_signature", _l("The ID token's signature is not valid. Sign-in refused."),
                         error=str(exc)[:300])
    now = time.time() if now is None else now
    if claims.get("iss") != provider.issuer:
        raise SsoRefused("iss", _l("The ID token comes from another issuer. Sign-in refused."),
                         got=str(claims.get("iss"))[:300])
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences or (len(audiences) > 1 and claims.get("azp") != client_id):
        raise SsoRefused("aud", _l("The ID token was issued to another application. Sign-in refused."),
                         got=str(audience)[:300])
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, (int, float)) or exp + LEEWAY < now:
        raise SsoRefused("exp", _l("The ID token has expired. Start again."))
    if isinstance(iat, (int, float)) and iat - LEEWAY > now:
        raise SsoRefused("iat", _l("The ID token is dated in the future. Check the server clocks."))
    if not hmac.compare_digest(str(claims.get("nonce") or ""), nonce):
        raise SsoRefused("nonce", _l("The ID token was not issued for this sign-in (nonce mismatch). Start again."))
    if not claims.get("sub"):
        raise SsoRefused("sub", _l("The ID token names no user."))
    return dict(claims)


def logout_url(provider: Provider, *, id_token: str | None, client_id: str,
               post_logout_redirect_uri: str) -> str | None:
    """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), when the provider offers it."""
    if not provider.end_session_endpoint:
        return None
    params = {"client_id": client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
    if id_token:
        params["id_token_hint"] = id_token
    sep = "&" if "?" in provider.end_session_endpoint else "?"
    return provider.end_session_endpoint + sep + urlencode(params)
