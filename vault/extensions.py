"""Flask extensions, created once and bound in create_app."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def configure_limiter_storage(config) -> None:
    """Where the rate-limit counters live. With REDIS_URL set (and RATELIMIT_STORAGE_URI left at its
    default, memory://) they go to that Redis, so a limit counts the requests of every app server; if
    Redis stops answering, each process counts in memory until it is back (flask-limiter's fallback)
    rather than failing the request. Without Redis every process counts on its own (docs/deployment.md)."""
    if config.get("REDIS_URL") and config.get("RATELIMIT_STORAGE_URI") in (None, "", "memory://"):
        config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"]
    if not str(config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://"):
        config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
        config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 2, "socket_connect_timeout": 2})
