"""SAML 2.0 sign-in against a real IdP (pysaml2's Server) served over HTTP on loopback."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.auth.helpers import events
from tests.sso.conftest import configure
from tests.sso.flows import refusals, saml_post, saml_sign_in
from vault import db
from vault.auth.models import User
from vault.sso.models import SsoUsedAssertion


def _user(app, email):
    with app.app_context():
        return db.session().scalar(select(User).where(User.email == email))


def test_first_sign_in_makes_the_account_and_relay_state_cannot_redirect_away(sso_app, saml_idp):
    configure(sso_app, saml_idp=saml_idp)
    client = sso_app.test_client()
    answer = saml_sign_in(client, saml_idp, next_path="/library/", relay="//evil.example/phish")
    assert answer.status_code == 302
    assert urlsplit(answer.headers["Location"]).path == "/library/"
    assert urlsplit(answer.headers["Location"]).netloc in ("", "vault.test")
    user = _user(sso_app, "alice@example.com")
    assert (user.role, user.name) == ("sales", "Alice Example")
    assert client.get("/account").status_code == 200
    assert events(sso_app, "user.create")[-1].detail["via"] == "saml"
    assert events(sso_app, "auth.login")[-1].detail == {"method": "sso-saml", "role": "sales"}
    with sso_app.app_context():  # the assertion id is kept until it expires
        assert db.session().scalar(select(SsoUsedAssertion.expires_at)) is not None


def test_the_role_follows_the_groups_at_the_next_sign_in(sso_app, saml_idp):
    configure(sso_app, saml_idp=saml_idp)
    assert saml_sign_in(sso_app.test_client(), saml_idp).status_code == 302
    saml_idp.users["alice"]["groups"] = ["trust-admins", "sales"]  # the first mapping line that matches wins
    assert saml_sign_in(sso_app.test_client(), saml_idp).status_code == 302
    assert _user(sso_app, "alice@example.com").role == "admin"
    assert events(sso_app, "user.role_change")[-1].detail["new"] == "admin"


def test_a_user_in_no_mapped_group_is_refused(sso_app, saml_idp):
    configure(sso_app, saml_idp=saml_idp)
    saml_idp.users["alice"]["groups"] = ["contractors"]
    answer = saml_sign_in(sso_app.test_client(), saml_idp)
    assert answer.status_code == 403
    assert "no group that has a role here" in answer.get_data(as_text=True)
    assert refusals(sso_app) == ["unmapped"]
    assert _user(sso_app, "alice@example.com") is None


@pytest.mark.parametrize("mode, reason, words", [
    ("forged", "signature", "not signed by the certificate in its metadata"),
    ("tampered", "signature", "not signed by the certificate in its metadata"),
    ("unsigned", "signature", "not signed"),
    ("response_signed", "signature", "not signed"),  # the assertion itself must carry the signature
    ("expired", "expired", "has expired"),
    ("old", "expired", "has expired"),  # still "valid" by its own NotOnOrAfter, but older than we accept
    ("audience", "audience", "made for another application"),
])
def test_a_bad_assertion_is_refused_with_a_clear_page_and_audited(sso_app, saml_idp, mode, reason, words):
    configure(sso_app, saml_idp=saml_idp)
    saml_idp.mode = mode
    client = sso_app.test_client()
    answer = saml_sign_in(client, saml_idp)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 403 and words in page and "Back to sign-in" in page
    assert refusals(sso_app) == [reason]
    if mode == "old":  # our age limit refused it, not the assertion's own NotOnOrAfter
        assert "issued" in events(sso_app, "sso.refused")[-1].detail
    assert _user(sso_app, "alice@example.com") is None
    assert client.get("/account").status_code == 302


def test_an_answer_posted_again_from_another_browser_is_refused(sso_app, saml_idp):
    configure(sso_app, saml_idp=saml_idp)
    client = sso_app.test_client()
    form = saml_post(saml_idp, "alice", "alice-pw", client.get("/sso/saml/start").headers["Location"])
    assert client.post("/sso/saml/acs", data=form).status_code == 302
    other = sso_app.test_client()
    other.get("/sso/saml/start")  # a sign-in of its own is pending, but not the one this answer is for
    answer = other.post("/sso/saml/acs", data=form)
    assert answer.status_code == 403 and "does not belong to a sign-in started in this browser" in answer.get_data(
        as_text=True)
    assert refusals(sso_app) == ["unsolicited"]


def test_a_replay_is_refused_even_where_the_request_id_is_still_outstanding(sso_app, saml_idp):
    """An attacker who copied the victim's session cookie and the posted answer: the request id matches,
    only the used-assertion table stops it."""
    configure(sso_app, saml_idp=saml_idp)
    client = sso_app.test_client()
    start = client.get("/sso/saml/start")
    with client.session_transaction() as session:
        outstanding = dict(session["sso_saml"])
    form = saml_post(saml_idp, "alice", "alice-pw", start.headers["Location"])
    assert client.post("/sso/saml/acs", data=form).status_code == 302
    attacker = sso_app.test_client()
    with attacker.session_transaction() as session:
        session["sso_saml"] = outstanding
    answer = attacker.post("/sso/saml/acs", data=form)
    assert answer.status_code == 403 and "already used" in answer.get_data(as_text=True)
    assert refusals(sso_app) == ["replay"]
    assert attacker.get("/account").status_code == 302


def test_our_metadata_names_the_entity_the_acs_and_wants_signed_assertions(sso_app):
    answer = sso_app.test_client().get("/sso/saml/metadata")
    xml = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.mimetype == "application/samlmetadata+xml"
    assert 'entityID="http://vault.test/sso/saml/metadata"' in xml
    assert 'Location="http://vault.test/sso/saml/acs"' in xml and 'WantAssertionsSigned="true"' in xml


def test_a_post_without_our_cookie_is_posted_again_from_our_own_page(sso_app, saml_idp):
    """The IdP's page posts cross-site, so a SameSite=Lax session cookie stays behind: the ACS answers with
    a page of ours that posts the same answer again (same site, cookie included), and nothing is used up."""
    configure(sso_app, saml_idp=saml_idp)
    client = sso_app.test_client()
    form = saml_post(saml_idp, "alice", "alice-pw", client.get("/sso/saml/start").headers["Location"])
    bounce = sso_app.test_client().post("/sso/saml/acs", data=form)  # no cookie, as from the IdP's site
    page = bounce.get_data(as_text=True)
    assert bounce.status_code == 200 and 'id="sso-continue"' in page and 'name="continued" value="1"' in page
    assert form["SAMLResponse"] in page and refusals(sso_app) == []
    again = client.post("/sso/saml/acs", data={"SAMLResponse": form["SAMLResponse"], "continued": "1"})
    assert again.status_code == 302
    assert _user(sso_app, "alice@example.com").role == "sales"
