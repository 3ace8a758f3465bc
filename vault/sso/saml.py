"""SAML 2.0 service provider on pysaml2 (signatures checked by the xmlsec1 program; XML read via defusedxml).

No Flask and no database. What is required of a response, beyond pysaml2's own checks of Destination,
InResponseTo, SubjectConfirmation Recipient and NotOnOrAfter, Conditions and AudienceRestriction:
- the assertion itself is signed by a key in the IdP's metadata (`want_assertions_signed`, metadata keys only);
- it answers a request this browser started (no IdP-initiated sign-in: `allow_unsolicited` off);
- the caller records its id until it expires (`Login.replay_key`, `Login.expires_at`): replay protection.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.response import StatusError, UnsolicitedResponse, VerificationError
from saml2.sigver import SignatureError
from saml2.time_util import str_to_time
from saml2.validate import ResponseLifetimeExceed, ToEarly

from vault.sso.errors import SsoRefused

log = logging.getLogger(__name__)
XMLSEC = shutil.which("xmlsec1") or "/usr/bin/xmlsec1"
CLOCK_SKEW = 60  # seconds accepted between our clock and the IdP's
MAX_AGE = timedelta(minutes=10)  # an assertion issued longer ago is refused, whatever its NotOnOrAfter says


@dataclass(frozen=True)
class ServiceProvider:
    entity_id: str  # our metadata URL, the usual choice
    acs_url: str
    idp_metadata: str


@dataclass(frozen=True)
class Login:
    issuer: str
    subject: str  # the NameID
    assertion_id: str
    expires_at: datetime
    attributes: dict[str, list[str]]  # by Name and by FriendlyName
    came_from: str  # what the caller stored with the request id this answers

    @property
    def replay_key(self) -> str:
        return hashlib.sha256(f"{self.issuer}\x00{self.assertion_id}".encode()).hexdigest()

    def values(self, name: str) -> list[str]:
        return self.attributes.get(name, [])


def _config(sp: ServiceProvider) -> SPConfig:
    config = SPConfig()
    config.load({
        "entityid": sp.entity_id,
        "xmlsec_binary": XMLSEC,
        "allow_unknown_attributes": True,
        "accepted_time_diff": CLOCK_SKEW,
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(sp.acs_url, BINDING_HTTP_POST)]},
            "want_assertions_signed": True,
            "want_response_signed": False,  # the assertion's own signature is what we demand
            "allow_unsolicited": False,
            "authn_requests_signed": False,  # no SP key: see docs/sso.md
            "only_use_keys_in_metadata": True,
        }},
        "metadata": {"inline": [sp.idp_metadata]} if sp.idp_metadata else {},
    })
    return config


@lru_cache(maxsize=8)
def _client(sp: ServiceProvider) -> Saml2Client:
    return Saml2Client(config=_config(sp))


def idp_entity_id(sp: ServiceProvider) -> str:
    """The one IdP described by the metadata, with a single sign-on endpoint and a signing certificate."""
    try:
        client = _client(sp)
    except Exception as exc:  # pysaml2 raises many kinds on bad XML
        log.info("IdP metadata refused: %s", exc)
        raise SsoRefused("metadata", _l("The identity provider's metadata cannot be read: %(error)s",
                                        error=str(exc)[:200]))
    idps = list(client.metadata.with_descriptor("idpsso"))
    if len(idps) != 1:
        raise SsoRefused("metadata", _l("The metadata must describe exactly one identity provider (it describes "
                                        "%(n)d).", n=len(idps)))
    entity = idps[0]
    if not client.metadata.single_sign_on_service(entity, BINDING_HTTP_REDIRECT):
        raise SsoRefused("metadata", _l("The identity provider's metadata has no HTTP-Redirect sign-on address."))
    if not client.metadata.certs(entity, "idpsso", "signing"):
        raise SsoRefused("metadata", _l("The identity provider's metadata has no signing certificate."))
    return entity


def begin(sp: ServiceProvider, relay_state: str) -> tuple[str, str]:
    """The IdP's sign-on URL (HTTP-Redirect binding) and the request id to expect in the answer."""
    entity = idp_entity_id(sp)
    request_id, info = _client(sp).prepare_for_authenticate(entityid=entity, relay_state=relay_state,
                                                            binding=BINDING_HTTP_REDIRECT)
    return dict(info["headers"])["Location"], request_id


def _classify(exc: Exception) -> SsoRefused:
    text = str(exc)
    if isinstance(exc, SignatureError) or "signature" in text.lower():
        return SsoRefused("signature", _l("The identity provider's answer is not signed by the certificate in its "
                                          "metadata. Sign-in refused."), error=text[:300])
    if isinstance(exc, (ResponseLifetimeExceed, ToEarly)) or "too old" in text or "too early" in text.lower():
        return SsoRefused("expired", _l("The identity provider's answer has expired or is not valid yet. Start "
                                        "again; if it keeps happening, check the server clocks."), error=text[:300])
    if "AudienceRestrictions" in text:
        return SsoRefused("audience", _l("The identity provider's answer was made for another application "
                                         "(audience). Sign-in refused."), error=text[:300])
    if isinstance(exc, UnsolicitedResponse):
        return SsoRefused("unsolicited", _l("The identity provider's answer does not belong to a sign-in started "
                                            "in this browser. Start again from the sign-in page."), error=text[:300])
    if isinstance(exc, VerificationError) or "destination" in text.lower():
        return SsoRefused("recipient", _l("The identity provider's answer was addressed to another place "
                                          "(recipient or destination). Sign-in refused."), error=text[:300])
    if isinstance(exc, StatusError):
        return SsoRefused("provider_error", _l("The identity provider refused the sign-in."), error=text[:300])
    return SsoRefused("invalid_response", _l("The identity provider's answer is not valid. Sign-in refused."),
                      error=f"{type(exc).__name__}: {text[:300]}")


def _moment(text: str) -> datetime:
    return datetime(*str_to_time(text)[:6], tzinfo=timezone.utc)


def _expiry(assertion) -> datetime:
    """Until when its id must be remembered: its latest NotOnOrAfter, and never less than MAX_AGE after it
    was issued (the age limit below refuses it from then on, so the row may go)."""
    moments = [_moment(assertion.issue_instant) + MAX_AGE - timedelta(seconds=CLOCK_SKEW)]
    conditions = assertion.conditions
    if conditions is not None and conditions.not_on_or_after:
        moments.append(conditions.not_on_or_after)
    for confirmation in (assertion.subject.subject_confirmation if assertion.subject else []) or []:
        data = confirmation.subject_confirmation_data
        if data is not None and data.not_on_or_after:
            moments.append(data.not_on_or_after)
    return max(_moment(m) if isinstance(m, str) else m for m in moments) + timedelta(seconds=CLOCK_SKEW)


def finish(sp: ServiceProvider, saml_response: str, outstanding: dict[str, str]) -> Login:
    """The verified assertion of a SAMLResponse posted to our ACS, answering one of `outstanding`."""
    if not saml_response:
        raise SsoRefused("invalid_response", _l("No SAML response was posted."))
    try:
        base64.b64decode(saml_response, validate=True)
    except ValueError:
        raise SsoRefused("invalid_response", _l("The SAML response is not base64."))
    try:
        response = _client(sp).parse_authn_request_response(saml_response, BINDING_HTTP_POST, outstanding=outstanding)
    except Exception as exc:  # pysaml2 signals every refusal by an exception, many of them plain Exception
        raise _classify(exc) from None
    if response is None or response.assertion is None:
        raise SsoRefused("invalid_response", _l("The identity provider's answer holds no assertion."))
    assertion = response.assertion
    if assertion.signature is None:  # belt and braces over want_assertions_signed
        raise SsoRefused("signature", _l("The assertion is not signed. Sign-in refused."))
    issued = _moment(assertion.issue_instant)
    if issued + MAX_AGE + timedelta(seconds=CLOCK_SKEW) < datetime.now(timezone.utc):
        # An IdP may leave NotOnOrAfter out; this age limit is what keeps the replay table finite.
        raise SsoRefused("expired", _l("The identity provider's answer has expired or is not valid yet. Start "
                                       "again; if it keeps happening, check the server clocks."), issued=str(issued))
    attributes: dict[str, list[str]] = {}
    for statement in assertion.attribute_statement or []:
        for attribute in statement.attribute:
            values = [str(v.text).strip() for v in attribute.attribute_value if v.text]
            for name in {attribute.name, attribute.friendly_name} - {None, ""}:
                attributes.setdefault(name, []).extend(values)
    name_id = response.name_id
    return Login(issuer=response.issuer(), subject=(name_id.text or "").strip() if name_id else "",
                 assertion_id=assertion.id, expires_at=_expiry(assertion), attributes=attributes,
                 came_from=str(getattr(response, "came_from", "") or ""))


def metadata_xml(sp: ServiceProvider) -> str:
    """Our SP metadata for the IdP administrator (entity id, ACS, wants signed assertions)."""
    return str(entity_descriptor(_config(ServiceProvider(sp.entity_id, sp.acs_url, ""))))
