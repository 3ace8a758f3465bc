"""Sign-in journeys through the real providers, driven with the Flask test client on our side and plain
HTTP on the provider's side (the browser test does the same with Chromium)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests

from tests.auth.helpers import events


def local(url: str) -> str:
    """Path and query of an absolute URL of our app (the test client takes those)."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def oidc_sign_in(client, provider, sub: str, next_path: str = ""):
    start = client.get("/sso/oidc/start" + (f"?next={next_path}" if next_path else ""))
    assert start.status_code == 302, start.get_data(as_text=True)[:500]
    callback = provider.approve(start.headers["Location"], sub)
    return client.get(local(callback))


def saml_post(idp, user: str, password: str, start_location: str) -> dict:
    """The IdP's login page and its auto-posting answer: the form fields to post to our ACS."""
    page = requests.get(start_location, timeout=10)
    page.raise_for_status()
    fields = dict(re.findall(r"name=(\w+) value='([^']*)'", page.text))
    answer = requests.post(f"{idp.url}/login", data={**fields, "username": user, "password": password}, timeout=30)
    answer.raise_for_status()
    return dict(re.findall(r"name=(\w+) value='([^']*)'", answer.text))


def saml_sign_in(client, idp, user: str = "alice", password: str = "alice-pw", next_path: str = "",
                 relay: str | None = None):
    start = client.get("/sso/saml/start" + (f"?next={next_path}" if next_path else ""))
    assert start.status_code == 302, start.get_data(as_text=True)[:500]
    form = saml_post(idp, user, password, start.headers["Location"])
    if relay is not None:
        form["RelayState"] = relay
    return client.post("/sso/saml/acs", data=form)


def refusals(app) -> list[str]:
    return [e.detail["reason"] for e in events(app, "sso.refused")]
