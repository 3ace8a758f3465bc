"""One more app server, in its own process, for the multi-host tests:

    python -m tests.multihost.server CONFIG_JSON PORT

prints "ready" once it listens on 127.0.0.1:PORT. Its memory is its own: what it shares with the test's
in-process host is only what goes through PostgreSQL, S3 and Redis.
"""
from __future__ import annotations

import json
import sys

from werkzeug.serving import make_server


def main() -> None:
    from vault import create_app
    config, port = json.loads(sys.argv[1]), int(sys.argv[2])
    app = create_app(config)
    server = make_server("127.0.0.1", port, app, threaded=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
