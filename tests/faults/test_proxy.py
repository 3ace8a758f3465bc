"""The fault proxy itself, in front of a small echo server: pass, delay, cut, refuse, recover."""
from __future__ import annotations

import socket
import socketserver
import threading

import pytest

from tests.faults.proxy import FaultProxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(4096):
            self.request.sendall(data)


@pytest.fixture
def echo():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    server.block_on_close = False
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(echo):
    with FaultProxy("127.0.0.1", echo.server_address[1]) as p:
        yield p


def _talk(proxy: FaultProxy, payload: bytes = b"hello", timeout: float = 2.0) -> bytes:
    with socket.create_connection(proxy.address, timeout=timeout) as s:
        s.sendall(payload)
        return s.recv(4096)


def _gone(sock: socket.socket) -> bool:
    """The peer reset or closed the connection."""
    try:
        return sock.recv(4096) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def test_passes_bytes_both_ways(proxy):
    assert _talk(proxy, b"ping") == b"ping"
    assert proxy.forwarded == 8 and proxy.accepted == 1


@pytest.mark.parametrize("delay", [{"chunk": 30}, {"connect": 30}], ids=["per chunk", "at connect"])
def test_delay_holds_data_until_recovered(proxy, delay):
    proxy.slow(**delay)
    with socket.create_connection(proxy.address, timeout=0.3) as s:
        s.sendall(b"late")
        with pytest.raises(socket.timeout):
            s.recv(4096)
    proxy.recover()
    assert _talk(proxy) == b"hello"


def test_cut_resets_live_connections(proxy):
    s = socket.create_connection(proxy.address, timeout=2)
    s.sendall(b"a")
    assert s.recv(10) == b"a"
    assert proxy.cut() == 1
    assert _gone(s)
    s.close()
    assert _talk(proxy) == b"hello"  # new connections still pass


@pytest.mark.parametrize("how", ["reset", "close"])
def test_refuse_then_recover_on_the_same_port(proxy, how):
    port = proxy.port
    proxy.refuse(how)
    if how == "close":
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(proxy.address, timeout=2)
    else:
        try:
            s = socket.create_connection(proxy.address, timeout=2)
        except ConnectionResetError:
            pass  # the reset can beat connect() back on loopback
        else:
            with s:
                assert _gone(s)
    proxy.recover()
    assert proxy.port == port and _talk(proxy) == b"hello"


def test_down_cuts_and_refuses(proxy):
    s = socket.create_connection(proxy.address, timeout=2)
    s.sendall(b"a")
    s.recv(10)
    assert proxy.down("close") == 1
    assert _gone(s)
    s.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(proxy.address, timeout=2)
    proxy.recover()
    assert _talk(proxy) == b"hello"


def test_upstream_down_resets_the_client(echo):
    port = echo.server_address[1]
    echo.shutdown()
    echo.server_close()
    with FaultProxy("127.0.0.1", port) as p, socket.create_connection(p.address, timeout=2) as s:
        assert _gone(s)


def test_stall_forwards_part_of_the_answer_then_holds(proxy):
    proxy.stall(after=3)
    with socket.create_connection(proxy.address, timeout=0.3) as s:
        s.sendall(b"abcdef")
        assert s.recv(4096) == b"abc"
        with pytest.raises(socket.timeout):
            s.recv(4096)
    proxy.cut()
    proxy.recover()
    assert _talk(proxy, b"abcdef") == b"abcdef"
