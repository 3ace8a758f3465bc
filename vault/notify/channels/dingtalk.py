"""DingTalk (钉钉) custom robot: msgtype markdown. With a sign secret, the URL gets
timestamp=<ms>&sign=urlencode(base64(HmacSHA256(key=secret, "timestamp\\nsecret"))). DingTalk answers
HTTP 200 with errcode != 0 on failure.
https://open.dingtalk.com/document/robots/customize-robot-security-settings"""
from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode

from vault.notify.channels.base import (DeliveryContext, Envelope, Message, check_errcode, clip,
                                        markdown_body)
from vault.notify.channels.http import encode_json, post_json


def sign(secret: str, timestamp_ms: str) -> str:
    string_to_sign = f"{timestamp_ms}\n{secret}".encode("utf-8")
    return base64.b64encode(hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()).decode()


def signed_url(url: str, secret: str, timestamp_ms: str) -> str:
    joiner = "&" if "?" in url else "?"
    return url + joiner + urlencode({"timestamp": timestamp_ms, "sign": sign(secret, timestamp_ms)})


def payload(message: Message) -> dict:
    return {"msgtype": "markdown",
            "markdown": {"title": clip(message.subject, 100) or "-", "text": markdown_body(message)}}


def deliver(env: Envelope, ctx: DeliveryContext) -> None:
    url = env.target
    if env.secret:
        url = signed_url(url, env.secret, str(int(ctx.now.timestamp() * 1000)))
    answer = post_json(url, encode_json(payload(env.message)), guard=ctx.guard, timeout=ctx.timeout,
                       max_bytes=ctx.settings.max_response_bytes)
    check_errcode(answer, vendor="DingTalk")
