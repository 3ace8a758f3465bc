"""Run a parser in a child process with an address-space limit and a wall-clock
timeout (THREATS.md "PDF DoS": crafted files that make a parser loop or allocate
without bound must not take the web worker down).

    result = run_bounded(module_function, args, memory_bytes=..., seconds=..., what="PDF")

The function must be importable (module-level) and return picklable data. The child
is started with the "forkserver" context where available (fast, and no copy of the
parent's state or threads), otherwise "spawn"; never a plain fork of a threaded web
server.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import traceback

_CTX = None


class SandboxError(Exception):
    """The child could not finish: kind is "timeout", "memory", "crash"."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind, self.detail = kind, detail


def _context():
    global _CTX
    if _CTX is None:
        methods = mp.get_all_start_methods()
        _CTX = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
    return _CTX


def _child(conn, func, args, memory_bytes: int | None, cpu_seconds: int | None) -> None:
    try:
        try:
            import resource
            if memory_bytes:
                resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
            if cpu_seconds:
                resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        except (ImportError, ValueError, OSError):  # not on this platform: the timeout still holds
            pass
        try:
            conn.send(("ok", func(*args)))
        except MemoryError:
            conn.send(("memory", "the parser needed more memory than allowed"))
        except RecursionError:
            conn.send(("crash", "the file is nested too deeply"))
        except BaseException as e:  # noqa: BLE001 - everything goes back to the parent
            conn.send(("crash", f"{type(e).__name__}: {e}"[:500] + "\n" + traceback.format_exc(limit=3)[-800:]))
    finally:
        conn.close()


def run_bounded(func, args: tuple, *, memory_bytes: int | None, seconds: float):
    """func(*args) in a child process; SandboxError if it times out, runs out of memory
    or dies. Exceptions raised by func come back as SandboxError("crash", text)."""
    ctx = _context()
    recv, send = ctx.Pipe(duplex=False)
    cpu = max(1, int(seconds) + 1)
    proc = ctx.Process(target=_child, args=(send, func, args, memory_bytes, cpu), daemon=True)
    proc.start()
    send.close()
    done = False
    try:
        if not recv.poll(seconds):
            raise SandboxError("timeout", f"no result after {seconds:g} seconds")
        try:
            status, payload = recv.recv()
            done = True
        except (EOFError, OSError):
            proc.join(5)
            code = proc.exitcode
            # RLIMIT_AS hits often end as SIGKILL/SIGSEGV/abort rather than MemoryError
            raise SandboxError("memory" if code in (-9, -6, -11, 1) else "crash",
                               f"the parser process ended unexpectedly (exit code {code})") from None
    finally:
        recv.close()
        if done:
            proc.join(2)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
    if status == "ok":
        return payload
    raise SandboxError(status, payload)


def pid() -> int:  # used by tests to show the work ran elsewhere
    return os.getpid()
