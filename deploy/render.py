"""Fill deploy/nginx/trustvault.conf for a site, or wrap it in a stand-alone nginx.conf (tests, the benchmark).

    python -m deploy.render --upstream 10.0.0.11:8001 --upstream 10.0.0.12:8001 \\
        --server-name trust.example.com --tls-cert /etc/ssl/trust.pem --tls-key /etc/ssl/private/trust.key \\
        > /etc/nginx/conf.d/trustvault.conf

The template keeps @NAME@ fields (nginx's own `$variables` stay untouched); every field must be filled.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "nginx" / "trustvault.conf"
_FIELD = re.compile(r"@([A-Z_]+)@")


def _fill(template: str, fields: dict[str, str]) -> str:
    missing = sorted(set(_FIELD.findall(template)) - set(fields))
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")
    return _FIELD.sub(lambda m: fields[m.group(1)], template)


def nginx_site(upstreams: list[str], *, listen: str = "80", server_name: str = "_", access_log: str = "/var/log/nginx/trustvault.access.log",
               tls_cert: str | None = None, tls_key: str | None = None, max_fails: int = 3) -> str:
    """The site for these app servers (`host:port` each). With a certificate: HTTPS on `listen` (443), and
    a plain-HTTP server on 80 that only redirects."""
    if not upstreams:
        raise ValueError("at least one app server (host:port)")
    for address in upstreams:
        if not re.fullmatch(r"[\w.\-\[\]:]+:\d+", address):
            raise ValueError(f"not host:port: {address!r}")
    servers = "\n".join(f"    server {a} max_fails={max_fails} fail_timeout=10s;" for a in upstreams)
    if tls_cert and tls_key:
        listen_lines = (f"    listen {listen} ssl;\n"
                        f"    ssl_certificate {tls_cert};\n"
                        f"    ssl_certificate_key {tls_key};\n"
                        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
                        "    ssl_session_cache shared:trustvault_tls:10m;")
        redirect = ("server {\n    listen 80;\n    server_name " + server_name + ";\n"
                    "    server_tokens off;\n    return 301 https://$host$request_uri;\n}\n")
    elif tls_cert or tls_key:
        raise ValueError("TLS needs both the certificate and its key")
    else:
        listen_lines, redirect = f"    listen {listen};", ""
    return _fill(TEMPLATE.read_text(), {"UPSTREAM_SERVERS": servers, "LISTEN": listen_lines,
                                        "SERVER_NAME": server_name, "ACCESS_LOG": access_log,
                                        "REDIRECT_SERVER": redirect})


def nginx_standalone(site: str, workdir: Path) -> str:
    """A whole nginx.conf around `site` that runs unprivileged in `workdir` (pid, logs, temporary paths):
    `nginx -p WORKDIR -c WORKDIR/nginx.conf` for `nginx -t` and the benchmark on loopback."""
    workdir = Path(workdir)
    for sub in ("logs", "tmp"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    (workdir / "site.conf").write_text(site)
    tmp = workdir / "tmp"
    return (f"daemon off;\nworker_processes auto;\npid {workdir / 'nginx.pid'};\n"
            f"error_log {workdir / 'logs' / 'error.log'} warn;\n"
            "events {\n    worker_connections 1024;\n}\n"
            "http {\n"
            f"    client_body_temp_path {tmp / 'body'};\n    proxy_temp_path {tmp / 'proxy'};\n"
            f"    fastcgi_temp_path {tmp / 'fastcgi'};\n    uwsgi_temp_path {tmp / 'uwsgi'};\n"
            f"    scgi_temp_path {tmp / 'scgi'};\n"
            "    sendfile on;\n    tcp_nopush on;\n    keepalive_timeout 65;\n"
            f"    include {workdir / 'site.conf'};\n"
            "}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.render", description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", action="append", required=True, metavar="HOST:PORT",
                        help="an app server (repeat for each)")
    parser.add_argument("--listen", default=None, help="port or address:port (default 80, or 443 with TLS)")
    parser.add_argument("--server-name", default="_")
    parser.add_argument("--access-log", default="/var/log/nginx/trustvault.access.log")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args(argv)
    listen = args.listen or ("443" if args.tls_cert else "80")
    try:
        sys.stdout.write(nginx_site(args.upstream, listen=listen, server_name=args.server_name,
                                    access_log=args.access_log, tls_cert=args.tls_cert, tls_key=args.tls_key))
    except ValueError as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
