"""The business events other systems hear about, and which kinds of integration take each.

Plain data (no Flask, no database). The JSON each event carries is documented in docs/integrations.md;
`facts` below names its top-level keys, which the tests hold the emitters to.
"""
from __future__ import annotations

from dataclasses import dataclass

CRM_KINDS = ("hubspot", "salesforce")
CHAT_KINDS = ("slack", "teams", "feishu", "dingtalk", "wecom")
KINDS = (*CRM_KINDS, "webhook", *CHAT_KINDS)


@dataclass(frozen=True)
class Event:
    name: str
    facts: tuple[str, ...]  # top-level keys of the event's JSON
    crm: bool  # about a requester with an email domain: a CRM can file it on the company


EVENTS = {e.name: e for e in (
    Event("access.requested", ("request", "requester", "documents"), crm=True),
    Event("nda.signed", ("request", "requester", "nda"), crm=True),
    Event("access.approved", ("request", "requester", "grant"), crm=True),
    Event("document.downloaded", ("requester", "document", "download"), crm=True),
    Event("questionnaire.matched", ("questionnaire", "counts"), crm=False),
)}
# What a new chat channel is set to receive: the two the sales channel acts on.
CHAT_DEFAULT = ("access.requested", "questionnaire.matched")


def events_for(kind: str) -> tuple[str, ...]:
    """The events an integration of `kind` can receive (a CRM only those about a requester)."""
    if kind in CRM_KINDS:
        return tuple(name for name, e in EVENTS.items() if e.crm)
    return tuple(EVENTS)


def default_events(kind: str) -> tuple[str, ...]:
    return CHAT_DEFAULT if kind in CHAT_KINDS else events_for(kind)
