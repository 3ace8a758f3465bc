"""HubSpot: a timeline event on the company whose `domain` is the requester's email domain.

1. POST {base}/crm/v3/objects/companies/search with a filter on the `domain` property (EQ);
2. POST {base}/integrators/timeline/v3/events with `eventTemplateId`, `objectId` (the company id), `id`
   (our delivery id: HubSpot keeps one event per id, so a retry after a lost answer adds no second
   event), `timestamp`, `tokens` (the template's tokens, documented in docs/integrations.md) and
   `extraData` (the whole event). Authorization: Bearer (an OAuth access token or a private-app token).
https://developers.hubspot.com/docs/api-reference/crm-timeline-v3/events/post-integrators-timeline-v3-events
No company for the domain: the configured fallback company, else nothing is written (dead: "no company
for example.com"). A test send (data["crm"]["test"]) only searches: it proves the URL, token and scope.
"""
from __future__ import annotations

from vault.notify.channels.base import DeliveryContext, DeliveryError, Envelope
from vault.notify.channels.crm import api_url, call, crm_data, no_match, open_token

SEARCH_PATH = "/crm/v3/objects/companies/search"
EVENTS_PATH = "/integrators/timeline/v3/events"


def search_body(domain: str) -> dict:
    return {"filterGroups": [{"filters": [{"propertyName": "domain", "operator": "EQ", "value": domain}]}],
            "properties": ["domain", "name"], "limit": 1}


def find_company(ctx: DeliveryContext, base: str, token: str, domain: str) -> str | None:
    found = call(ctx, api_url(base, SEARCH_PATH), token, what="HubSpot company search", body=search_body(domain))
    results = found.get("results") or []
    if not results or not isinstance(results[0], dict) or not results[0].get("id"):
        return None
    return str(results[0]["id"])


def event_body(env: Envelope, data: dict, company_id: str) -> dict:
    return {"eventTemplateId": str(data.get("template_id") or ""), "objectId": company_id, "id": env.uid,
            "timestamp": data.get("occurred_at"), "tokens": dict(data.get("tokens") or {}),
            "extraData": dict(data.get("extra") or {})}


def deliver(env: Envelope, ctx: DeliveryContext) -> None:
    data = crm_data(env)
    token = open_token(env)
    company = find_company(ctx, env.target, token, data["domain"])
    if data.get("test"):
        return
    if not data.get("template_id"):
        raise DeliveryError("no HubSpot event template id is configured", permanent=True)
    company = company or (str(data["fallback"]) if data.get("fallback") else None)
    if company is None:
        raise no_match("company", data["domain"])
    call(ctx, api_url(env.target, EVENTS_PATH), token, what="HubSpot timeline event",
         body=event_body(env, data, company))
