"""Integrations: business events (access requested, NDA signed, access approved, document downloaded,
questionnaire matched) delivered to CRMs (HubSpot, Salesforce), chat channels and signed webhooks,
all through the notification outbox (vault.notify). docs/integrations.md says what each receives.

    from vault import integrations
    integrations.emit(session, "questionnaire.matched", facts, key=qn.uid)
"""
from vault.integrations.catalogue import EVENTS, KINDS
from vault.integrations.events import UnknownEvent, emit

__all__ = ["EVENTS", "KINDS", "UnknownEvent", "emit"]
