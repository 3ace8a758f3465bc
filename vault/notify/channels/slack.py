"""Slack incoming webhooks: {"text": fallback, "blocks": [...]}; success is HTTP 200 "ok", errors are
4xx with a short reason (invalid_payload, channel_not_found, ...). https://api.slack.com/messaging/webhooks"""
from __future__ import annotations

from vault.notify.channels.base import (MAX_CHAT_TEXT, DeliveryContext, DeliveryError, Envelope, Message, clip,
                                        link_label)
from vault.notify.channels.http import encode_json, post_json


def escape(text: str) -> str:
    # Slack's mrkdwn control characters: escaped text cannot form <url|links> or mentions.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(message: Message) -> dict:
    text = clip(escape(message.text), MAX_CHAT_TEXT)
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(message.subject, 150) or "-"}},
    ]
    if text.strip():
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if message.url:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": link_label(message)}, "url": message.url}]})
    return {"text": clip(f"{escape(message.subject)}\n{text}", MAX_CHAT_TEXT), "blocks": blocks}


def deliver(env: Envelope, ctx: DeliveryContext) -> None:
    answer = post_json(env.target, encode_json(payload(env.message)), guard=ctx.guard, timeout=ctx.timeout,
                       max_bytes=ctx.settings.max_response_bytes)
    body = answer.json()
    if body is not None and body.get("ok") is False:  # Workflow Builder webhooks answer JSON
        raise DeliveryError(f"Slack refused the message: {body.get('error', '')}")
