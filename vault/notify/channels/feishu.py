"""Feishu / Lark (飞书) custom bot: msg_type post (rich text). With a sign secret, the body carries
timestamp (seconds) and sign = base64(HmacSHA256(key="timestamp\\nsecret", message="")). Feishu answers
HTTP 200 with code != 0 on failure (e.g. 19021 sign match fail).
https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot"""
from __future__ import annotations

import base64
import hashlib
import hmac

from vault.notify.channels.base import (MAX_CHAT_TEXT, DeliveryContext, Envelope, Message, check_errcode, clip,
                                        link_label)
from vault.notify.channels.http import encode_json, post_json

# From the custom-bot guide: 19021 sign match fail (or a timestamp more than an hour off), 19024 Key
# Words Not Found (the bot's keyword check). Both need the bot's settings or ours changed.
# 19022 (IP not allowed) is reported by users too, but we could not find it in the docs: transient.
PERMANENT_CODES = frozenset({19021, 19024})
# 11232 frequency limited: the guide allows 100 a minute and 5 a second per bot; the backoff's minute fits.
RATE_LIMITED_CODES = {11232: None}


def sign(secret: str, timestamp: str) -> str:
    key = f"{timestamp}\n{secret}".encode("utf-8")
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def payload(message: Message) -> dict:
    # "text" elements are shown as they are: no Markdown, so no injected links.
    lines: list[list[dict]] = [[{"tag": "text", "text": clip(message.text, MAX_CHAT_TEXT)}]]
    if message.url:
        label = link_label(message, "")
        lines.append([{"tag": "a", "text": f"{label}: {message.url}" if label else message.url, "href": message.url}])
    post = {"title": clip(message.subject, 200), "content": lines}
    return {"msg_type": "post", "content": {"post": {"zh_cn": post, "en_us": post}}}


def deliver(env: Envelope, ctx: DeliveryContext) -> None:
    body = payload(env.message)
    if env.secret:
        timestamp = str(int(ctx.now.timestamp()))
        body = {"timestamp": timestamp, "sign": sign(env.secret, timestamp), **body}
    answer = post_json(env.target, encode_json(body), guard=ctx.guard, timeout=ctx.timeout,
                       max_bytes=ctx.settings.max_response_bytes)
    check_errcode(answer, key="code", vendor="Feishu", permanent=PERMANENT_CODES,
                  rate_limited=RATE_LIMITED_CODES)
