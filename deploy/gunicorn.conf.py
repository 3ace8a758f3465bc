"""gunicorn settings for a trustvault app server: the systemd unit and the two-host benchmark both use this file.

Environment (all optional): TRUSTVAULT_BIND (host:port; the unit passes --bind instead), WEB_CONCURRENCY
(worker processes, gunicorn's own variable), TRUSTVAULT_THREADS (threads per worker), PROMETHEUS_MULTIPROC_DIR
(where each worker process writes its metrics; emptied here at start), VAULT_LOG_FORMAT (json: gunicorn's own
lines as JSON too). docs/deployment.md explains each choice.
"""
import os
import shutil
from pathlib import Path

wsgi_app = "vault:create_app()"
bind = [os.environ.get("TRUSTVAULT_BIND", "127.0.0.1:8001")]
# gthread: a slow client (a 100 MB watermarked download on a phone) holds a thread, not a whole process
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("TRUSTVAULT_THREADS", "8"))
timeout = 60  # the worker's own heartbeat (gthread); long requests run in threads and do not trip it
graceful_timeout = 30  # a stop lets running requests finish this long (systemd waits TimeoutStopSec > this)
keepalive = 5  # nginx keeps upstream connections open (keepalive 32)
max_requests = 2000  # recycle a worker now and then (memory of large watermark jobs); jitter spreads restarts
max_requests_jitter = 200
# No access log here: it would write the raw URL, and grant, confirmation and calendar links carry bearer
# tokens in their path. The app writes one line per request with the route name instead (vault/logs.py).
accesslog = None
errorlog = "-"
capture_output = False
# X-Forwarded-* are handled by the app (VAULT_PROXY_HOPS, werkzeug's ProxyFix), not by gunicorn.
forwarded_allow_ips = ""
proc_name = "trustvault-web"
# gunicorn >= 24's control socket lives in $HOME by default: two app servers on one host would share it, and
# the unit's ProtectHome forbids it. Not needed: systemd signals the master (older versions ignore this name).
control_socket_disable = True

if os.environ.get("VAULT_LOG_FORMAT", "").strip('"').lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "vault.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        # gunicorn merges this over its defaults key by key: name the root too (the app adds its own handler)
        "root": {"level": "INFO", "handlers": []},
        "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
                    "gunicorn.access": {"handlers": [], "level": "INFO", "propagate": False}},
    }


def on_starting(server):
    """Start from an empty metrics folder: files of processes from before a restart would be added in."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        if path.is_dir():
            for child in path.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        else:
            path.mkdir(parents=True)


def child_exit(server, worker):
    """A worker process ended (recycled or crashed): its live gauges no longer count; counters stay."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
