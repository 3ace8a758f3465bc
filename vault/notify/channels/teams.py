"""Microsoft Teams: an Adaptive Card in a message envelope, the payload both the Workflows
"When a Teams webhook request is received" trigger and the older incoming-webhook connectors accept.
https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook"""
from __future__ import annotations

from vault.notify.channels.base import (MAX_CHAT_TEXT, DeliveryContext, DeliveryError, Envelope, Message, clip,
                                        defang_links, link_label)
from vault.notify.channels.http import encode_json, post_json


def payload(message: Message) -> dict:
    body: list[dict] = [
        {"type": "TextBlock", "text": defang_links(message.subject), "weight": "Bolder", "size": "Medium",
         "wrap": True},
        {"type": "TextBlock", "text": clip(defang_links(message.text), MAX_CHAT_TEXT), "wrap": True},
    ]
    card: dict = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                  "version": "1.4", "body": body}
    if message.url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": link_label(message), "url": message.url}]
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def deliver(env: Envelope, ctx: DeliveryContext) -> None:
    answer = post_json(env.target, encode_json(payload(env.message)), guard=ctx.guard, timeout=ctx.timeout,
                       max_bytes=ctx.settings.max_response_bytes)
    # Legacy connectors answered HTTP 200 with an error sentence when Teams itself failed.
    text = answer.snippet()
    if "delivery failed" in text.lower() or "returned http error" in text.lower():
        raise DeliveryError(f"Teams refused the message: {text}")
