"""Salesforce: a Task on the Account whose Website is on the requester's email domain.

1. GET {base}/services/data/v{version}/query?q=SELECT Id, Name, Website FROM Account WHERE Website LIKE
   '%example.com%' ... (SOQL; the candidates' Website hosts are then compared exactly, so
   "notexample.com" is no match);
2. POST {base}/services/data/v{version}/sobjects/Task with WhatId (the account), Subject, Description,
   ActivityDate (the event's date), Status "Completed" (a record of what happened) and Priority "Normal".
Authorization: Bearer (an OAuth access token of a connected app). Salesforce has no idempotency key
for sobject creation: the Description carries our delivery id, so the rare duplicate after a lost answer
is recognisable. https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/
No account for the domain: the configured fallback account, else nothing is written (dead).
"""
from __future__ import annotations

from urllib.parse import quote

from vault.notify.channels.base import DeliveryContext, Envelope, clip
from vault.notify.channels.crm import api_url, call, crm_data, no_match, open_token, website_host

DEFAULT_VERSION = "60.0"
SUBJECT_MAX = 255
DESCRIPTION_MAX = 32000


def soql_literal(value: str) -> str:
    """A LIKE pattern's inside, escaped for SOQL: quote and backslash, and the wildcards % and _."""
    out = value.replace("\\", "\\\\").replace("'", "\\'")
    return out.replace("%", "\\%").replace("_", "\\_")


def account_query(domain: str) -> str:
    return ("SELECT Id, Name, Website FROM Account WHERE Website LIKE "
            f"'%{soql_literal(domain)}%' ORDER BY CreatedDate LIMIT 20")


def _version(data: dict) -> str:
    version = str(data.get("api_version") or DEFAULT_VERSION).lstrip("vV")
    return version if version.replace(".", "").isdigit() else DEFAULT_VERSION


def find_account(ctx: DeliveryContext, base: str, token: str, domain: str, version: str) -> str | None:
    url = api_url(base, f"/services/data/v{version}/query?q={quote(account_query(domain), safe='')}")
    found = call(ctx, url, token, what="Salesforce account query", method="GET")
    for record in found.get("records") or []:
        if isinstance(record, dict) and record.get("Id") and website_host(record.get("Website") or "") == domain:
            return str(record["Id"])
    return None


def task_body(env: Envelope, data: dict, account_id: str) -> dict:
    m = env.message
    description = "\n\n".join(p for p in (m.text, m.url or "", f"trustvault delivery {env.uid}") if p)
    return {"WhatId": account_id, "Subject": clip(m.subject, SUBJECT_MAX),
            "Description": clip(description, DESCRIPTION_MAX),
            "ActivityDate": str(data.get("occurred_at") or "")[:10], "Status": "Completed", "Priority": "Normal"}


def deliver(env: Envelope, ctx: DeliveryContext) -> None:
    data = crm_data(env)
    token = open_token(env)
    version = _version(data)
    account = find_account(ctx, env.target, token, data["domain"], version)
    if data.get("test"):
        return
    account = account or (str(data["fallback"]) if data.get("fallback") else None)
    if account is None:
        raise no_match("account", data["domain"])
    call(ctx, api_url(env.target, f"/services/data/v{version}/sobjects/Task"), token,
         what="Salesforce task", body=task_body(env, data, account))
