"""A small HTTP/1.1 keep-alive load generator on asyncio: N clients, bounded in requests and time, 127.0.0.1 only."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass
class Result:
    path: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    bytes_per_response: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))]


# Like a browser: gzip accepted (servers that do not compress simply answer plain).
async def _one_client(port: int, path: str, deadline: float, budget: list[int], out: list[float], errors: list[int],
                      sizes: list[int], interval: float | None = None, offset: float = 0.0) -> None:
    """Closed loop (interval None: next request as soon as the answer is in), or paced: one request every
    `interval` seconds on a fixed schedule, latency counted from the scheduled time (no coordinated
    omission: a slow answer delays the next request, and that delay is counted)."""
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Language: en\r\nAccept-Encoding: gzip\r\n"
               "Connection: keep-alive\r\n\r\n").encode()
    reader = writer = None
    scheduled = time.perf_counter() + offset
    while time.perf_counter() < deadline and budget[0] > 0:
        budget[0] -= 1
        try:
            if interval is not None:
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            t0 = scheduled if interval is not None else time.perf_counter()
            if interval is not None:
                scheduled += interval
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            out.append(time.perf_counter() - t0)
            sizes.append(len(body))
            if status != 200:
                errors[0] += 1
            if headers.get("connection", "").lower() == "close":
                writer.close()
                reader = writer = None
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors[0] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _run(port: int, path: str, clients: int, max_requests: int, max_seconds: float,
               rate: float | None) -> Result:
    latencies: list[float] = []
    errors, sizes, budget = [0], [], [max_requests]
    start = time.perf_counter()
    deadline = start + max_seconds
    interval = clients / rate if rate else None
    await asyncio.gather(*(_one_client(port, path, deadline, budget, latencies, errors, sizes, interval,
                                       (i / clients) * interval if interval else 0.0) for i in range(clients)))
    elapsed = time.perf_counter() - start
    return Result(path, len(latencies), errors[0], elapsed, latencies, int(sum(sizes) / len(sizes)) if sizes else 0)


def hammer(port: int, path: str, *, clients: int = 50, max_requests: int = 6000, max_seconds: float = 15.0,
           rate: float | None = None) -> Result:
    """`rate` None: as fast as the server answers (saturation); else that many requests/s in all, paced."""
    return asyncio.run(_run(port, path, clients, max_requests, max_seconds, rate))
