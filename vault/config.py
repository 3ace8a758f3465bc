"""Configuration: defaults, then the instance folder, then VAULT_-prefixed environment variables."""
from __future__ import annotations

import os
from pathlib import Path

DEFAULTS: dict = {
    "SECRET_KEY": None,  # read from <instance>/secret_key; never defaulted outside tests
    "DATABASE_URL": None,  # default: sqlite:///<instance>/vault.db
    "STORAGE": "local",  # "local" or "s3"
    "STORAGE_PATH": None,  # default: <instance>/objects
    "S3_BUCKET": None,
    "S3_ENDPOINT_URL": None,  # MinIO, Aliyun OSS, Tencent COS ...
    "S3_REGION": None,
    "S3_ACCESS_KEY_ID": None,
    "S3_SECRET_ACCESS_KEY": None,
    "S3_PREFIX": "",
    "MASTER_KEY_FILE": None,  # default: <instance>/master_keys.json
    # Master keys from a secret manager instead of the file (VAULT_MASTER_KEYS="k1:<base64>,k2:<base64>",
    # the first active unless VAULT_ACTIVE_KEY names one). from_prefixed_env's JSON step leaves such a
    # value a string (it only strips quotes an env file kept). vault.storage parses it at start-up and
    # then sets it to None, so the key material lives in the keyring object only.
    "MASTER_KEYS": None,
    "ACTIVE_KEY": None,
    "MAX_UPLOAD_BYTES": 512 * 1024 * 1024,
    "LANGUAGES": ["en", "zh"],
    "REQUIRE_ADMIN_2FA": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_LIMIT_PER_ADDRESS": "20 per 5 minutes",
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per 5 minutes",
    "API_RATE_LIMIT": "600 per minute",  # per REST API token (docs/api.md)
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "COMPANY_NAME": "Example Cloud Ltd.",
    "PUBLIC_BASE_URL": None,  # e.g. https://trust.example.com: links in emails never come from the Host header
    "ACCESS_CONFIRM_MINUTES": 30,
    "ACCESS_REQUEST_LIMIT": "10 per hour",
    "CONFIRM_MAIL_WINDOW_MINUTES": 60,  # one subscription confirmation per address per list in this window
    "NDA_TERM_DAYS": 730,  # an accepted NDA covers new grants for this long
    "EXPIRY_WARNING_DAYS": 60,
    # `vault audit anchor` sends the audit chain's head here (generic signed webhook, via vault.notify)
    "AUDIT_ANCHOR_WEBHOOK": None,
    "AUDIT_ANCHOR_SECRET": None,
    "WTF_CSRF_TIME_LIMIT": None,
    "ARGON2_PARAMETERS": None,  # None = argon2-cffi's recommended parameters
    "SESSION_COOKIE_SECURE": False,  # set True behind HTTPS (VAULT_SESSION_COOKIE_SECURE=true)
    # Strict-Transport-Security on HTTPS requests only (behind a proxy: VAULT_PROXY_HOPS + X-Forwarded-Proto)
    "HSTS_MAX_AGE": 365 * 86400,  # seconds; None switches the header off
    "HSTS_INCLUDE_SUBDOMAINS": True,
    "REMEMBER_COOKIE_DURATION": 14 * 86400,  # token lives as long as the session
    # Operations (docs/deployment.md): "text" logs for a terminal, "json" one object per line for journald;
    # /metrics needs `Authorization: Bearer <METRICS_TOKEN>` (>= 32 characters) and is off without one.
    "LOG_FORMAT": "text",
    "LOG_LEVEL": "INFO",
    "METRICS_TOKEN": None,
    "REDIS_URL": None,  # e.g. redis://10.0.0.5:6379/0: shared by every app server (/readyz checks it)
    # Background jobs (docs/jobs.md): "inline" (tests' default), "thread" (default: a worker thread in the
    # web process, one command) or "worker" (production: `vault worker` processes on any number of hosts).
    "JOBS_RUN": None,
}


def instance_path_from_env() -> str | None:
    path = os.environ.get("VAULT_INSTANCE_PATH")
    return str(Path(path).resolve()) if path else None


def apply_instance_defaults(config: dict, instance_path: str) -> None:
    """Fill in the settings whose default lives inside the instance folder."""
    inst = Path(instance_path)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{inst / 'vault.db'}"
    if not config.get("STORAGE_PATH"):
        config["STORAGE_PATH"] = str(inst / "objects")
    if not config.get("MASTER_KEY_FILE"):
        config["MASTER_KEY_FILE"] = str(inst / "master_keys.json")
    if not config.get("SECRET_KEY"):
        secret_file = inst / "secret_key"
        if secret_file.exists():
            config["SECRET_KEY"] = secret_file.read_text().strip()
