"""OpenID Connect sign-in against a real provider (oidc-provider-mock, Authlib's server) on loopback."""
from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from tests.auth.helpers import events, login
from tests.sso.conftest import configure
from tests.sso.flows import local, oidc_sign_in, refusals
from vault import db
from vault.auth.models import User
from vault.sso.models import SsoIdentity


def _user(app, email):
    with app.app_context():
        return db.session().scalar(select(User).where(User.email == email))


def test_first_sign_in_makes_the_account_with_the_mapped_role_using_pkce(sso_app, oidc_provider):
    configure(sso_app, oidc_provider=oidc_provider)
    oidc_provider.set_user("u-1", email="dana@example.com", name="Dana", groups=["staff", "security-team"])
    client = sso_app.test_client()
    answer = oidc_sign_in(client, oidc_provider, "u-1", next_path="/library/")
    assert answer.status_code == 302 and urlsplit(answer.headers["Location"]).path == "/library/"
    user = _user(sso_app, "dana@example.com")
    assert user.role == "security" and user.name == "Dana"
    assert user.password_hash.startswith("$argon2")  # a real hash of a secret nobody knows
    assert "Wrong email or password" in login(sso_app.test_client(), "dana@example.com",
                                              password="any password at all").get_data(as_text=True)
    assert client.get("/account").status_code == 200  # signed in
    # PKCE and nonce went out, and the verifier sent with the code matches the challenge
    sent = oidc_provider.recorder.authorize[-1]
    assert sent["code_challenge_method"] == "S256" and sent["nonce"] and sent["state"]
    verifier = oidc_provider.recorder.token[-1]["code_verifier"]
    assert base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode() \
        == sent["code_challenge"]
    created = events(sso_app, "user.create")[-1]
    assert created.detail["via"] == "oidc" and created.detail["role"] == "security"
    assert events(sso_app, "auth.login")[-1].detail["method"] == "sso-oidc"
    with sso_app.app_context():
        link = db.session().scalar(select(SsoIdentity).where(SsoIdentity.user_id == user.id))
        assert (link.protocol, link.issuer, link.subject) == ("oidc", oidc_provider.issuer, "u-1")


def test_the_role_follows_the_groups_at_the_next_sign_in(sso_app, oidc_provider):
    configure(sso_app, oidc_provider=oidc_provider)
    oidc_provider.set_user("u-2", email="eve@example.com", groups=["sales"])
    assert oidc_sign_in(sso_app.test_client(), oidc_provider, "u-2").status_code == 302
    assert _user(sso_app, "eve@example.com").role == "sales"
    oidc_provider.set_user("u-2", email="eve@example.com", groups=["everyone"])
    assert oidc_sign_in(sso_app.test_client(), oidc_provider, "u-2").status_code == 302
    assert _user(sso_app, "eve@example.com").role == "viewer"
    change = events(sso_app, "user.role_change")[-1]
    assert (change.detail["old"], change.detail["new"], change.actor) == ("sales", "viewer", "sso:oidc")


def test_an_existing_account_is_linked_by_email(sso_app, oidc_provider, make_user):
    existing = make_user("legal", email="lee@example.com")
    configure(sso_app, oidc_provider=oidc_provider)
    oidc_provider.set_user("u-3", email="lee@example.com", email_verified=True, groups=["sales"])
    assert oidc_sign_in(sso_app.test_client(), oidc_provider, "u-3").status_code == 302
    assert _user(sso_app, "lee@example.com").id == existing.id
    assert events(sso_app, "sso.link")[-1].object_id == str(existing.id)


def test_a_user_in_no_mapped_group_is_refused_and_nothing_is_made(sso_app, oidc_provider):
    configure(sso_app, oidc_provider=oidc_provider)
    oidc_provider.set_user("u-4", email="mallory@example.com", groups=["contractors"])
    client = sso_app.test_client()
    answer = oidc_sign_in(client, oidc_provider, "u-4")
    assert answer.status_code == 403
    assert "no group that has a role here" in answer.get_data(as_text=True)
    assert _user(sso_app, "mallory@example.com") is None
    assert refusals(sso_app) == ["unmapped"]
    assert events(sso_app, "sso.refused")[-1].detail["groups"] == ["contractors"]
    assert client.get("/account").status_code == 302  # not signed in


def test_a_callback_with_another_state_is_refused(sso_app, oidc_provider):
    configure(sso_app, oidc_provider=oidc_provider)
    oidc_provider.set_user("u-5", email="sam@example.com", groups=["sales"])
    client = sso_app.test_client()
    start = client.get("/sso/oidc/start")
    callback = oidc_provider.approve(start.headers["Location"], "u-5")
    forged = callback.replace("state=", "state=x", 1)
    answer = client.get(local(forged))
    assert answer.status_code == 403 and "state mismatch" in answer.get_data(as_text=True)
    assert refusals(sso_app) == ["state"]
    # the sign-in is spent: the genuine callback no longer works either
    assert client.get(local(callback)).status_code == 403
    assert refusals(sso_app) == ["state", "no_pending"]


def test_an_id_token_with_another_nonce_is_refused(sso_app, oidc_provider):
    """Code injection: a code obtained for another authorization request (other nonce) is delivered to
    this browser's callback with its state."""
    configure(sso_app, oidc_provider=oidc_provider)
    oidc_provider.set_user("u-6", email="nina@example.com", groups=["sales"])
    client = sso_app.test_client()
    url = client.get("/sso/oidc/start").headers["Location"]
    query = parse_qs(urlsplit(url).query)
    other = url.replace("nonce=" + query["nonce"][0], "nonce=attacker-chosen-nonce")
    answer = client.get(local(oidc_provider.approve(other, "u-6")))
    assert answer.status_code == 403 and "nonce mismatch" in answer.get_data(as_text=True)
    assert refusals(sso_app) == ["nonce"]
    assert _user(sso_app, "nina@example.com") is None


def test_a_tampered_id_token_is_refused(sso_app, oidc_provider):
    configure(sso_app, oidc_provider=oidc_provider)
    oidc_provider.set_user("u-7", email="tom@example.com", groups=["sales"])
    oidc_provider.recorder.tamper_id_token = True
    answer = oidc_sign_in(sso_app.test_client(), oidc_provider, "u-7")
    assert answer.status_code == 403 and "signature is not valid" in answer.get_data(as_text=True)
    assert refusals(sso_app) == ["id_token_signature"]
    assert _user(sso_app, "tom@example.com") is None


def test_logout_ends_the_session_and_goes_to_the_providers_end_session_page(sso_app, oidc_provider):
    configure(sso_app, oidc_provider=oidc_provider)
    oidc_provider.set_user("u-8", email="uma@example.com", groups=["sales"])
    client = sso_app.test_client()
    assert oidc_sign_in(client, oidc_provider, "u-8").status_code == 302
    answer = client.post("/logout")
    assert urlsplit(answer.headers["Location"]).path == "/sso/signed-out"
    page = client.get(local(answer.headers["Location"]))
    refresh = page.headers["Refresh"].split("url=", 1)[1]
    assert page.status_code == 200 and 'id="provider-logout"' in page.get_data(as_text=True)
    target = urlsplit(refresh)
    assert f"{target.scheme}://{target.netloc}" == oidc_provider.issuer and target.path == "/oauth2/end_session"
    params = parse_qs(target.query)
    assert params["client_id"] == ["trustvault-test"] and params["id_token_hint"][0].count(".") == 2
    assert params["post_logout_redirect_uri"] == ["http://vault.test/login"]
    assert client.get("/account").status_code == 302  # the local session is gone
    assert events(sso_app, "auth.logout")
    # the hop page takes only a URL we signed: no open redirect
    forged = client.get("/sso/signed-out?to=https://evil.example/")
    assert forged.status_code == 302 and urlsplit(forged.headers["Location"]).path == "/login"


def test_a_disabled_account_is_refused(sso_app, oidc_provider):
    configure(sso_app, oidc_provider=oidc_provider)
    oidc_provider.set_user("u-9", email="vic@example.com", groups=["sales"])
    assert oidc_sign_in(sso_app.test_client(), oidc_provider, "u-9").status_code == 302
    with sso_app.app_context():
        sess = db.session()
        sess.scalar(select(User).where(User.email == "vic@example.com")).active = False
        sess.commit()
    assert oidc_sign_in(sso_app.test_client(), oidc_provider, "u-9").status_code == 403
    assert refusals(sso_app) == ["disabled"]


def test_a_large_id_token_is_not_kept_in_the_session_cookie(sso_app, oidc_provider):
    configure(sso_app, oidc_provider=oidc_provider)
    groups = [f"department-{n:04d}-members" for n in range(200)] + ["sales"]
    oidc_provider.set_user("u-10", email="wes@example.com", groups=groups)
    client = sso_app.test_client()
    assert oidc_sign_in(client, oidc_provider, "u-10").status_code == 302
    cookie = client.get_cookie("session", domain="vault.test")
    assert cookie is not None and len(cookie.value) < 4000
    assert _user(sso_app, "wes@example.com").role == "sales"
    hop = client.post("/logout").headers["Location"]
    refresh = client.get(local(hop)).headers["Refresh"].split("url=", 1)[1]
    params = parse_qs(urlsplit(refresh).query)
    assert "id_token_hint" not in params and params["client_id"] == ["trustvault-test"]
