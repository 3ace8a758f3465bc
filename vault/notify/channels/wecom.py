"""WeCom (企业微信) group robot: msgtype markdown, content at most 4096 UTF-8 bytes. WeCom answers
HTTP 200 with errcode != 0 on failure. https://developer.work.weixin.qq.com/document/path/91770"""
from __future__ import annotations

from vault.notify.channels.base import (DeliveryContext, Envelope, Message, check_errcode, clip_bytes,
                                        markdown_body)
from vault.notify.channels.http import encode_json, post_json

MAX_BYTES = 4096


def payload(message: Message) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": clip_bytes(markdown_body(message), MAX_BYTES)}}


def deliver(env: Envelope, ctx: DeliveryContext) -> None:
    answer = post_json(env.target, encode_json(payload(env.message)), guard=ctx.guard, timeout=ctx.timeout,
                       max_bytes=ctx.settings.max_response_bytes)
    check_errcode(answer, vendor="WeCom")
