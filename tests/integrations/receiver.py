"""A real HTTP server thread on loopback standing in for HubSpot, Salesforce and the chat tools: it
records every request (method, path, query, headers, body) and answers from a script per path (a list
of answers used in turn, the last one repeated), or with 200 and an empty JSON object."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.notify.receiver import Answer, Recorded  # the same records as the webhook receiver's


class ApiReceiver:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.script: dict[str, list[Answer]] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                with receiver._lock:
                    receiver.requests.append(Recorded(self.command, parts.path, parse_qs(parts.query),
                                                      {k.lower(): v for k, v in self.headers.items()}, body))
                    queue = receiver.script.get(parts.path) or [Answer(200, b"{}")]
                    answer = queue.pop(0) if len(queue) > 1 else queue[0]
                self.send_response(answer.status)
                for k, v in {"Content-Type": "application/json", **answer.headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PATCH = _handle  # noqa: N815 (http.server API)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, path: str, *answers: tuple) -> None:
        """answer(path, (status, body[, headers]), ...): used in turn, the last one repeated."""
        out = []
        for status, body, *headers in answers:
            raw = json.dumps(body).encode() if isinstance(body, (dict, list)) else str(body).encode()
            out.append(Answer(status, raw, headers[0] if headers else {}))
        self.script[path] = out

    def on(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def start(self) -> "ApiReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
