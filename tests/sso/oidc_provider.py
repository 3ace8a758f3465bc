"""A real OpenID provider for the tests: `oidc-provider-mock` (Authlib's authorization server) on loopback,
behind a small WSGI layer that records what our client sent (to prove PKCE) and, when asked, tampers with
the ID token on its way back (a man in the middle, or a provider whose key we do not trust)."""
from __future__ import annotations

import base64
import io
import json
from urllib.parse import parse_qs

import requests
from oidc_provider_mock import app as provider_app
from werkzeug.wrappers import Request

from tests.services import free_port
from tests.sso.serve import Served


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def tamper(id_token: str) -> str:
    """Change a claim of the payload and keep the provider's signature: it no longer matches."""
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["groups"] = ["trust-admins"]
    return ".".join((header, _b64(json.dumps(claims).encode()), signature))


class Recorder:
    def __init__(self, app) -> None:
        self.app = app
        self.authorize: list[dict] = []
        self.token: list[dict] = []
        self.tamper_id_token = False

    def __call__(self, environ, start_response):
        req = Request(environ)
        if req.path == "/oauth2/authorize" and req.method == "GET":
            self.authorize.append({k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()})
        if req.path == "/oauth2/token":
            body = req.get_data(cache=True)
            environ["wsgi.input"] = io.BytesIO(body)  # the provider reads the body again
            self.token.append({k: v[0] for k, v in parse_qs(body.decode()).items()})
            if self.tamper_id_token:
                return self._tampered(environ, start_response)
        return self.app(environ, start_response)

    def _tampered(self, environ, start_response):
        captured = {}

        def keep(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
        body = b"".join(self.app(environ, keep))
        data = json.loads(body)
        data["id_token"] = tamper(data["id_token"])
        out = json.dumps(data).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], headers + [("Content-Length", str(len(out)))])
        return [out]


class OidcProvider:
    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://localhost:{self.port}"
        self.recorder = Recorder(provider_app(require_nonce=True))
        self.served = Served(self.recorder, self.port)

    def set_user(self, sub: str, **claims) -> None:
        """Create or change a user at the provider (its own API)."""
        requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10).raise_for_status()

    def approve(self, authorize_url: str, sub: str) -> str:
        """What a person does on the provider's page: pick the account and authorize. Returns where the
        provider sends the browser (our callback with code and state)."""
        page = requests.get(authorize_url, timeout=10)
        page.raise_for_status()
        answer = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text[:500]
        return answer.headers["Location"]

    def __enter__(self) -> "OidcProvider":
        self.served.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.served.__exit__(*exc)
