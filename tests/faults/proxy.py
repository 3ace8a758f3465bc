"""A TCP proxy on loopback that the fault tests put between the app and a real server.

    proxy = FaultProxy("127.0.0.1", upstream_port).start()   # connect to proxy.port instead
    proxy.slow(chunk=0.2)          # every forwarded chunk waits 0.2 s (both directions)
    proxy.slow(connect=5)          # a new connection waits 5 s before the upstream is dialled
    proxy.stall(after=1000)        # each connection's answer stops after 1000 bytes (a server hanging mid-reply)
    proxy.cut()                    # reset every live connection (RST to both sides)
    proxy.refuse("reset")          # accept new connections and reset them at once
    proxy.refuse("close")          # close the listener: new connections are refused by the kernel
    proxy.recover()                # clear every fault (the listener is reopened on the same port)

One thread accepts; each connection has one thread that forwards both ways with `select` and checks
its kill flag every POLL seconds, so a cut takes effect within that time. Plain sockets and threads
only: what the proxy does is what the app's driver sees on the wire.
"""
from __future__ import annotations

import select
import socket
import struct
import threading
import time

POLL = 0.05
CHUNK = 64 * 1024


def _reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer gets a TCP RST, not an orderly FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class _Link:
    """One client connection and its upstream."""

    def __init__(self, proxy: "FaultProxy", client: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream: socket.socket | None = None
        self.killed = False
        self.answered = 0  # bytes forwarded from the upstream to the client
        self.thread = threading.Thread(target=self._run, name="fault-proxy-link", daemon=True)

    def _wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, returning False at once if the link is killed meanwhile."""
        end = time.monotonic() + seconds
        while not self.killed and time.monotonic() < end:
            time.sleep(min(POLL, max(0.0, end - time.monotonic())))
        return not self.killed

    def _send(self, dst: socket.socket, data: bytes) -> bool:
        with self.proxy._lock:
            self.proxy.forwarded += len(data)
        try:
            dst.sendall(data)
            return True
        except OSError:
            return False

    def _run(self) -> None:
        try:
            if not self._wait(self.proxy.connect_delay):
                return
            try:
                self.upstream = socket.create_connection(self.proxy.target, timeout=5)
            except OSError:
                return  # the server is down: the client sees its connection reset
            self.upstream.settimeout(None)
            pair = {self.client: self.upstream, self.upstream: self.client}
            while not self.killed:
                ready, _, _ = select.select(list(pair), [], [], POLL)
                for src in ready:
                    try:
                        data = src.recv(CHUNK)
                    except OSError:
                        return
                    if not data:
                        return
                    if self.proxy.chunk_delay and not self._wait(self.proxy.chunk_delay):
                        return
                    stall = self.proxy.stall_after
                    if src is self.upstream and stall is not None and self.answered + len(data) > stall:
                        data = data[:max(0, stall - self.answered)]
                        self._send(pair[src], data)
                        self._wait(float("inf"))  # hold the rest until the link is cut
                        return
                    if src is self.upstream:
                        self.answered += len(data)
                    if not self._send(pair[src], data):
                        return
        finally:
            _reset(self.client)
            if self.upstream is not None:
                _reset(self.upstream)
            self.proxy._forget(self)


class FaultProxy:
    def __init__(self, host: str, port: int, *, listen_host: str = "127.0.0.1") -> None:
        self.target = (host, port)
        self.listen_host = listen_host
        self.port = 0
        self.connect_delay = 0.0
        self.chunk_delay = 0.0
        self.stall_after: int | None = None
        self.refusing: str | None = None  # None | "reset" | "close"
        self.accepted = 0  # connections accepted since start (refused ones included)
        self.forwarded = 0  # bytes forwarded
        self.answered: list[int] = []  # per closed connection: bytes of the server's answer forwarded
        self._lock = threading.Lock()
        self._links: set[_Link] = set()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._stopped = False

    # --- life -------------------------------------------------------------------------------------

    def start(self) -> "FaultProxy":
        self._listen()
        return self

    def stop(self) -> None:
        self._stopped = True
        self._close_listener()
        self.cut()

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return self.listen_host, self.port

    @property
    def live(self) -> int:
        """Connections open through the proxy now."""
        with self._lock:
            return len(self._links)

    # --- faults -----------------------------------------------------------------------------------

    def slow(self, *, connect: float = 0.0, chunk: float = 0.0) -> None:
        """Delay the dialling of new connections by `connect` s and every forwarded chunk by `chunk` s."""
        self.connect_delay, self.chunk_delay = connect, chunk

    def stall(self, *, after: int) -> None:
        """New and live connections forward at most `after` bytes of the server's answer, then hang."""
        self.stall_after = after

    def cut(self) -> int:
        """Reset every live connection; returns how many were cut. New ones are still accepted."""
        with self._lock:
            links = list(self._links)
        for link in links:
            link.killed = True
        deadline = time.monotonic() + 2
        for link in links:
            link.thread.join(timeout=max(0.0, deadline - time.monotonic()))
        return len(links)

    def refuse(self, how: str = "reset") -> None:
        """New connections fail: "reset" (accepted, then reset at once) or "close" (nothing listens)."""
        if how not in ("reset", "close"):
            raise ValueError("refuse 'reset' or 'close'")
        self.refusing = how
        if how == "close":
            self._close_listener()

    def down(self, how: str = "reset") -> int:
        """The server as the app sees it when it dies: live connections cut and new ones refused."""
        self.refuse(how)
        return self.cut()

    def recover(self) -> None:
        """No delays, no refusals; the listener is back on the same port."""
        self.connect_delay = self.chunk_delay = 0.0
        self.stall_after = None
        self.refusing = None
        if self._listener is None and not self._stopped:
            self._listen()

    # --- internals --------------------------------------------------------------------------------

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.listen_host, self.port))  # port 0 the first time, the same port afterwards
        sock.listen(64)
        sock.settimeout(POLL)
        self.port = sock.getsockname()[1]
        self._listener = sock
        self._acceptor = threading.Thread(target=self._accept, args=(sock,), name="fault-proxy-accept", daemon=True)
        self._acceptor.start()

    def _close_listener(self) -> None:
        sock, self._listener = self._listener, None
        if sock is None:
            return
        acceptor = self._acceptor
        if acceptor is not None:
            acceptor.join(timeout=2)  # it stops within POLL once the listener is no longer current
        sock.close()

    def _accept(self, sock: socket.socket) -> None:
        while self._listener is sock:
            try:
                client, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
            if self.refusing or self._listener is not sock:
                _reset(client)
                continue
            client.settimeout(None)
            link = _Link(self, client)
            with self._lock:
                self._links.add(link)
            link.thread.start()

    def _forget(self, link: _Link) -> None:
        with self._lock:
            self._links.discard(link)
            self.answered.append(link.answered)
