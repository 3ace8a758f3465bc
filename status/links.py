"""Absolute links for mails, webhooks and feeds, also from CLI jobs (no request there).

Base: STATUS_PUBLIC_URL (e.g. "https://status.example.com"), else the current request's host, else
SERVER_NAME (with PREFERRED_URL_SCHEME).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request


def base_url() -> str:
    configured = current_app.config.get("STATUS_PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    server = current_app.config.get("SERVER_NAME")
    if not server:
        raise RuntimeError("Set STATUS_PUBLIC_URL (or SERVER_NAME) so that jobs can build links for mails.")
    return f"{current_app.config.get('PREFERRED_URL_SCHEME', 'http')}://{server}"


def external_url(endpoint: str, **values) -> str:
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)
