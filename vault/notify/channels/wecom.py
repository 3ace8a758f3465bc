"""WeCom (企业微信) group robot: msgtype markdown, content at most 4096 UTF-8 bytes. WeCom answers
HTTP 200 with errcode != 0 on failure. https://developer.work.weixin.qq.com/document/path/91770"""
from __future__ import annotations

from vault.notify.channels.base import (DeliveryContext, Envelope, Message, check_errcode, clip_bytes,
                                        markdown_body)
from vault.notify.channels.http import encode_json, post_json

MAX_BYTES = 4096
# WeCom's global error codes (document/path/90313): 93000 the webhook URL is invalid or the robot was
# removed from the group, 93004 the robot is disabled. 45009 is its call-frequency limit (lifted after
# the limit's own period, a minute for robots). -1 "system busy" and unknown codes stay transient.
PERMANENT_CODES = frozenset({93000, 93004})
RATE_LIMITED_CODES = {45009: None}


def payload(message: Message) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": clip_bytes(markdown_body(message), MAX_BYTES)}}


def deliver(env: Envelope, ctx: DeliveryContext) -> None:
    answer = post_json(env.target, encode_json(payload(env.message)), guard=ctx.guard, timeout=ctx.timeout,
                       max_bytes=ctx.settings.max_response_bytes)
    check_errcode(answer, vendor="WeCom", permanent=PERMANENT_CODES, rate_limited=RATE_LIMITED_CODES)
