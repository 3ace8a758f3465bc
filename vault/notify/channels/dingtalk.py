"""DingTalk (钉钉) custom robot: msgtype markdown. With a sign secret, the URL gets
timestamp=<ms>&sign=urlencode(base64(HmacSHA256(key=secret, "timestamp\\nsecret"))). DingTalk answers
HTTP 200 with errcode != 0 on failure.
https://open.dingtalk.com/document/robots/customize-robot-security-settings"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from urllib.parse import urlencode

from vault.notify.channels.base import (DeliveryContext, Envelope, Message, check_errcode, clip,
                                        markdown_body)
from vault.notify.channels.http import encode_json, post_json

# 310000: the robot's security settings refused the message (keyword missing, sign not match, invalid
# timestamp, IP not in the whitelist); the security-settings page lists all four under this one code.
# Someone must change the robot or our settings, so retrying is pointless.
PERMANENT_CODES = frozenset({310000})
# 130101 "send too fast, exceed 20 times per minute": DingTalk documents 20 messages a minute per robot,
# then a 10-minute block. Other codes (e.g. 300001, seen for an unknown token but not in the pages we
# could check) stay transient: the backoff still ends in dead after the last attempt.
RATE_LIMITED_CODES = {130101: timedelta(minutes=10)}


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
    check_errcode(answer, vendor="DingTalk", permanent=PERMANENT_CODES, rate_limited=RATE_LIMITED_CODES)
