"""A real SAML 2.0 identity provider for the tests: pysaml2's `saml2.server.Server` behind a small Flask app
served over HTTP on loopback, with a login page (user name and password) like a real IdP's.

`mode` makes it misbehave the way an attacker or a broken IdP would:
- "forged": signed with a key that is not in its metadata;
- "tampered": the signed assertion edited after signing;
- "expired": NotOnOrAfter has passed (written 20 minutes ago by a shifted clock);
- "old": written 20 minutes ago, claiming an hour's validity;
- "audience": addressed to another service provider;
- "unsigned": nothing signed; "response_signed": the response signed around an unsigned assertion.
"""
from __future__ import annotations

import base64
import datetime
import html
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask, request
from saml2 import BINDING_HTTP_REDIRECT, time_util
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

from tests.services import free_port
from tests.sso.serve import Served

PASSWORD_CLASS = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


_PEMS: dict[str, tuple[bytes, bytes]] = {}  # made once per test process: RSA key generation is slow


def self_signed(folder: Path, name: str) -> tuple[str, str]:
    if name not in _PEMS:
        _PEMS[name] = _new_pair(name)
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_bytes(_PEMS[name][0])
    cert_file.write_bytes(_PEMS[name][1])
    return str(key_file), str(cert_file)


def _new_pair(name: str) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()), cert.public_bytes(serialization.Encoding.PEM))


@contextmanager
def shifted_clock(seconds: int):
    """pysaml2's clock (saml2.time_util) moved by `seconds` while the IdP writes an answer. The IdP and our
    app share this process, but the flow is sequential: nothing of ours runs inside this block."""
    if not seconds:
        yield
        return
    real_time, real_datetime = time_util.time, time_util.datetime

    class Clock:
        def __getattr__(self, name):
            return getattr(real_time, name)

        @staticmethod
        def gmtime(stamp=None):
            return real_time.gmtime(real_time.time() + seconds if stamp is None else stamp)

    class Shifted(real_datetime):
        @classmethod
        def now(cls, tz=None):
            return real_datetime.now(tz) + datetime.timedelta(seconds=seconds)

    time_util.time, time_util.datetime = Clock(), Shifted
    try:
        yield
    finally:
        time_util.time, time_util.datetime = real_time, real_datetime


class SamlIdp:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.entity_id = f"{self.url}/idp"
        self.key_file, self.cert_file = self_signed(folder, "idp")
        self.evil_key, self.evil_cert = self_signed(folder, "attacker")
        self.users: dict[str, dict] = {}  # user name -> {"password", "email", "groups", "name"}
        self.sp_metadata = ""
        self.mode = "ok"
        self.last_response = ""  # the base64 SAMLResponse last issued (for replay tests)
        self.acs_url = ""
        self.served = Served(self._make_app(), self.port)

    # configuration --------------------------------------------------------------------------------
    def _config(self, *, key_file: str, cert_file: str, lifetime_minutes: int = 5) -> IdPConfig:
        config = IdPConfig()
        config.load({
            "entityid": self.entity_id, "key_file": key_file, "cert_file": cert_file,
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [(f"{self.url}/sso", BINDING_HTTP_REDIRECT)]},
                "policy": {"default": {"lifetime": {"minutes": lifetime_minutes}, "attribute_restrictions": None}},
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS]}},
            "metadata": {"inline": [self.sp_metadata]} if self.sp_metadata else {},
        })
        return config

    def metadata(self) -> str:
        return str(entity_descriptor(self._config(key_file=self.key_file, cert_file=self.cert_file)))

    def _server(self) -> Server:
        if self.mode == "forged":
            return Server(config=self._config(key_file=self.evil_key, cert_file=self.evil_cert))
        lifetime = 60 if self.mode == "old" else 5
        return Server(config=self._config(key_file=self.key_file, cert_file=self.cert_file, lifetime_minutes=lifetime))

    # the pages --------------------------------------------------------------------------------------
    def _make_app(self) -> Flask:
        app = Flask("test-saml-idp")

        @app.get("/sso")
        def sign_on_page():
            saml_request = request.args.get("SAMLRequest", "")
            relay = request.args.get("RelayState", "")
            return (f"<!doctype html><title>Test IdP</title><h1>Test identity provider</h1>"
                    f"<form method=post action='/login'>"
                    f"<input type=hidden name=SAMLRequest value='{html.escape(saml_request, quote=True)}'>"
                    f"<input type=hidden name=RelayState value='{html.escape(relay, quote=True)}'>"
                    f"<label>User <input name=username id=username></label>"
                    f"<label>Password <input type=password name=password id=password></label>"
                    f"<button type=submit id=signin>Sign in</button></form>")

        @app.post("/login")
        def login():
            user = self.users.get(request.form.get("username", ""))
            if user is None or user["password"] != request.form.get("password"):
                return "<p id=error>Wrong user name or password</p>", 401
            saml_response = self.respond(request.form["SAMLRequest"], user)
            relay = request.form.get("RelayState", "")
            acs = self.acs_url
            return (f"<!doctype html><title>Posting</title><body onload='document.forms[0].submit()'>"
                    f"<form method=post action='{html.escape(acs, quote=True)}'>"
                    f"<input type=hidden name=SAMLResponse value='{saml_response}'>"
                    f"<input type=hidden name=RelayState value='{html.escape(relay, quote=True)}'>"
                    f"<noscript><button type=submit>Continue</button></noscript></form>")

        return app

    def respond(self, saml_request: str, user: dict) -> str:
        """The base64 SAMLResponse answering `saml_request` for `user`, made according to `mode`."""
        server = self._server()
        message = server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT).message
        self.acs_url = message.assertion_consumer_service_url
        sp_entity_id = message.issuer.text
        audience = "https://someone-else.example/sp" if self.mode == "audience" else sp_entity_id
        identity = {"email": [user["email"]], "groups": list(user["groups"]), "displayName": [user["name"]]}
        signed = self.mode not in ("unsigned", "response_signed")
        with shifted_clock(-20 * 60 if self.mode in ("expired", "old") else 0):  # issued 20 min ago
            response = server.create_authn_response(
                identity, in_response_to=message.id, destination=self.acs_url, sp_entity_id=audience,
                name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=user["email"]), sign_assertion=signed,
                sign_response=self.mode == "response_signed", authn={"class_ref": PASSWORD_CLASS})
        xml = str(response)
        if self.mode == "tampered":  # after signing: the signature no longer covers what is there
            xml = xml.replace(user["groups"][0], "trust-admins", 1) if user["groups"] else xml.replace(
                user["email"], "boss@example.com")
        self.last_response = base64.b64encode(xml.encode()).decode()
        return self.last_response

    def __enter__(self) -> "SamlIdp":
        self.served.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.served.__exit__(*exc)
