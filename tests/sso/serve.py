"""Serve a WSGI app on a loopback port in a thread, for the test providers. They listen on "localhost",
not 127.0.0.1 where the browser tests' app lives: cookies ignore ports, so the providers' own session
cookies would otherwise overwrite ours."""
from __future__ import annotations

import threading

from werkzeug.serving import make_server


class Served:
    def __init__(self, app, port: int) -> None:
        self.server = make_server("localhost", port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
