"""Run a parser in a child process with an address-space limit and a wall-clock
timeout (THREATS.md "PDF DoS": crafted files that make a parser loop or allocate
without bound must not take the web worker down).

    result = run_bounded("importers.pdf_reader:extract", data, {"max_pages": 10},
                         memory_bytes=1 << 30, seconds=60)

The one memory-limited child process of the project: the importers' PDF reader, the exporters'
PDF form filler and the watermark's upload check (`vault.watermark.inspect_pdf`) all run here.

The child is a fresh interpreter (`sys.executable -I`), not a fork of a threaded web
worker and not multiprocessing's spawn/forkserver, which would re-import the caller's
`__main__` script in the child. The untrusted bytes go in on stdin; the child sets
`RLIMIT_AS`/`RLIMIT_CPU` on itself before it imports the parser, and answers with
**JSON** on stdout (never pickle: the child has parsed hostile input, so its output
is not trusted with code execution in the parent). The function is called as
`func(data, **kwargs)` and must return JSON-serialisable data.

`data` may also be an iterable of byte chunks (an open file read piece by piece, such as an
encrypted temporary file): a thread feeds them to the child, so the parent never holds the
whole file and the timeout covers the feeding too. `target` may name a file instead of a module
(`"/path/to/check.py:func"`): the file is loaded on its own, without importing the package it sits
in (`vault/__init__.py` would import Flask). The child loads this file by path too, so it
imports nothing of the project but the target.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterable

_ROOT = str(Path(__file__).resolve().parent.parent)  # the directory holding `importers/`
_SELF = str(Path(__file__).resolve())  # the child loads this file by path
_MAX_OUTPUT = 64 * 1024 * 1024


class SandboxError(Exception):
    """The child could not finish: kind is "timeout", "memory" or "crash"."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind, self.detail = kind, detail


_BOOT = ("import importlib.util, sys; "
         "spec = importlib.util.spec_from_file_location('_tv_sandbox', sys.argv[1]); "
         "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module); "
         "module._child_main()")
_CHUNK = 256 * 1024


def run_bounded(target: str, data: bytes | Iterable[bytes], kwargs: dict, *,
                memory_bytes: int | None, seconds: float):
    """Call `target` ("package.module:function" or "/path/file.py:function") as
    func(data, **kwargs) in a child process. Raises SandboxError on timeout, memory
    exhaustion or a crash; exceptions inside func come back as
    SandboxError("crash", "<type>: <message>")."""
    spec = json.dumps({"target": target, "kwargs": kwargs, "memory": memory_bytes,
                       "cpu": max(1, int(seconds) + 1)})
    if isinstance(data, (bytes, bytearray, memoryview)):
        view = memoryview(data)
        data = (view[i:i + _CHUNK] for i in range(0, len(view), _CHUNK))
    proc = subprocess.Popen([sys.executable, "-I", "-c", _BOOT, _SELF, _ROOT, spec],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pipe, proc.stdin = proc.stdin, None  # fed by a thread, so the timeout also covers the feeding
    feeder = threading.Thread(target=_feed, args=(pipe, data), daemon=True)
    feeder.start()
    try:
        stdout, stderr = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise SandboxError("timeout", f"no result after {seconds:g} seconds") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        feeder.join()  # the child has exited, so the feeder stops at once: `data` is the caller's again
    out = stdout[:_MAX_OUTPUT]
    if proc.returncode != 0 or not out:
        err = stderr.decode("utf-8", "replace")
        if "MemoryError" in err or proc.returncode in (-9, -6, -11) and not err.strip():
            raise SandboxError("memory", "the parser needed more memory than allowed")
        if proc.returncode == -24 or "RLIMIT_CPU" in err:  # SIGXCPU
            raise SandboxError("timeout", "the parser used up its CPU time")
        last = [ln for ln in err.strip().splitlines() if ln.strip()][-1:] or [f"exit code {proc.returncode}"]
        raise SandboxError("crash", last[0][:300])
    try:
        status, payload = json.loads(out)
    except (ValueError, TypeError):
        raise SandboxError("crash", "the parser process returned no usable result") from None
    if status == "ok":
        return payload
    raise SandboxError(status, str(payload))


def _feed(pipe, chunks: Iterable[bytes]) -> None:
    try:
        for chunk in chunks:
            pipe.write(chunk)
    except (BrokenPipeError, ValueError, OSError):
        pass  # the child stopped early (memory limit, timeout): its exit status says why
    finally:
        try:
            pipe.close()
        except OSError:
            pass


def _load_target(target: str, root: str):
    """The function named by `target`: "package.module:function" (imported with `root` on the path)
    or "/path/file.py:function" (that file alone)."""
    import importlib
    import importlib.util

    module, _, func = target.rpartition(":")
    if module.endswith(".py"):
        spec = importlib.util.spec_from_file_location("_tv_sandbox_target", module)
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
    else:
        sys.path.insert(0, root)
        loaded = importlib.import_module(module)
    return getattr(loaded, func)


def _child_main() -> None:  # pragma: no cover - runs in the child interpreter
    root, spec = sys.argv[2], json.loads(sys.argv[3])
    try:
        import resource
        if spec.get("memory"):
            resource.setrlimit(resource.RLIMIT_AS, (spec["memory"], spec["memory"]))
        resource.setrlimit(resource.RLIMIT_CPU, (spec["cpu"], spec["cpu"] + 2))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform: the parent's timeout still holds
    data = sys.stdin.buffer.read()
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing the parser prints may corrupt the result
    try:
        result = ("ok", _load_target(spec["target"], root)(data, **spec["kwargs"]))
    except MemoryError:
        result = ("memory", "the parser needed more memory than allowed")
    except RecursionError:
        result = ("crash", "the file is nested too deeply")
    except Exception as e:  # noqa: BLE001 - reported to the parent
        result = ("crash", f"{type(e).__name__}: {e}"[:500])
    try:
        text = json.dumps(result)
    except (TypeError, ValueError, MemoryError) as e:
        text = json.dumps(["crash", f"result not serialisable ({type(e).__name__})"])
    out.write(text)
    out.flush()
    os._exit(0)  # skip interpreter teardown (fast, and no atexit surprises)


def child_pid(data: bytes) -> int:
    """Test helper target: proves the work ran in another process."""
    return os.getpid()


def child_sleep(data: bytes, seconds: float) -> None:
    """Test helper target: never finishes in time."""
    import time
    time.sleep(seconds)


def child_allocate(data: bytes, mb: int) -> int:
    """Test helper target: allocates more than the memory limit."""
    block = bytearray(mb * 1024 * 1024)
    return len(block)
