"""Absolute links for mails, webhooks and feeds, also from CLI jobs (no request there).

Base: STATUS_PUBLIC_URL (e.g. "https://status.example.com") when the status page has its own host,
else the vault's public base (vault.web.public_base_url).
"""
from __future__ import annotations

from flask import current_app

from vault import web


def external_url(endpoint: str, **values) -> str:
    url = web.external_url(endpoint, base=current_app.config.get("STATUS_PUBLIC_URL"), **values)
    if url is None:
        raise RuntimeError("Set PUBLIC_BASE_URL (or STATUS_PUBLIC_URL) so that jobs can build links for mails.")
    return url
