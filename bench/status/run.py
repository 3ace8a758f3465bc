"""Status page benchmark: the public page and summary.json under 50 concurrent clients, beside a static
file served by the same gunicorn in the same run.

    .venv/bin/python -m bench.status [--workers 3] [--threads 4] [--clients 50] [--requests 6000] [--seconds 15]

Builds a throw-away instance (100 components, 1,000 past incidents, 90 days of state changes), starts
gunicorn on 127.0.0.1 and loads each path with 50 keep-alive asyncio clients, twice:
  saturation  each client sends its next request as soon as the answer is in: the most requests/s.
              With 50 clients always waiting, mean latency is 50 / (requests/s) by Little's law, so
              this p99 measures the queue the benchmark builds, not the page.
  at rate     the 50 clients together send --rate requests/s (300: the target) on a fixed schedule;
              latency counts from the scheduled send time (no coordinated omission).
Targets: saturation >= 300 req/s, and p99 < 100 ms at 300 req/s. The load generator shares the
machine's two cores with the server, so the figures are a floor.
Writes bench/out/status.json.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.status.load import hammer
from bench.status.seed import build_instance

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "bench" / "out" / "status.json"
PATHS = [("public page", "/status/"), ("summary.json", "/status/api/v2/summary.json"),
         ("static file", "/status/static/status.css")]
TARGET_P99_MS, TARGET_RPS = 100.0, 300.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=6000, help="per path, at most")
    ap.add_argument("--seconds", type=float, default=15.0, help="per path, at most")
    ap.add_argument("--rate", type=float, default=TARGET_RPS, help="requests/s of the paced run")
    ap.add_argument("--components", type=int, default=100)
    ap.add_argument("--incidents", type=int, default=1000)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="vault-bench-status-") as tmp:
        instance = Path(tmp) / "instance"
        t0 = time.perf_counter()
        build_instance(instance, components=args.components, incidents=args.incidents)
        print(f"instance: {args.components} components, {args.incidents} past incidents "
              f"(built in {time.perf_counter() - t0:.1f} s)")
        port = _free_port()
        env = {**os.environ, "VAULT_INSTANCE_PATH": str(instance)}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        cmd = [str(gunicorn), "-w", str(args.workers), "-k", "gthread", "--threads", str(args.threads),
               "-b", f"127.0.0.1:{port}", "--keep-alive", "10", "--log-level", "warning", "vault:create_app()"]
        server = subprocess.Popen(cmd, cwd=REPO, env=env)
        try:
            _wait(port)
            results = []
            for label, path in PATHS:
                hammer(port, path, clients=args.clients, max_requests=200, max_seconds=5)  # warm every worker
                sat = hammer(port, path, clients=args.clients, max_requests=args.requests, max_seconds=args.seconds)
                paced = hammer(port, path, clients=args.clients, max_requests=args.requests, max_seconds=args.seconds,
                               rate=args.rate)
                results.append((label, sat, paced))
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()

    print(f"\ngunicorn gthread, {args.workers} workers x {args.threads} threads; {args.clients} concurrent "
          f"keep-alive clients; {os.cpu_count()} CPUs shared with the load generator\n")
    print(f"{'path':<14} {'run':<12} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'bytes':>7}")
    report = {"workers": args.workers, "threads": args.threads, "clients": args.clients, "rate": args.rate,
              "paths": {}}
    for label, sat, paced in results:
        report["paths"][label] = {}
        for run, r in (("saturation", sat), (f"at {args.rate:.0f}/s", paced)):
            p50, p99 = r.percentile(50) * 1000, r.percentile(99) * 1000
            print(f"{label:<14} {run:<12} {r.requests:>8} {r.errors:>6} {r.rps:>7.0f} {p50:>7.1f} {p99:>7.1f} "
                  f"{r.bytes_per_response:>7}")
            report["paths"][label]["saturation" if r is sat else "paced"] = {
                "path": r.path, "requests": r.requests, "errors": r.errors, "rps": round(r.rps, 1),
                "p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "bytes": r.bytes_per_response}
    static = report["paths"]["static file"]
    ok = True
    print()
    for label in ("public page", "summary.json"):
        sat, paced = report["paths"][label]["saturation"], report["paths"][label]["paced"]
        met = (sat["rps"] >= TARGET_RPS and paced["p99_ms"] < TARGET_P99_MS and paced["rps"] >= 0.95 * args.rate
               and not sat["errors"] and not paced["errors"])
        ok &= met
        print(f"{label}: {sat['rps']:.0f} req/s at saturation ({sat['rps'] / static['saturation']['rps']:.2f}x the "
              f"static file); p99 {paced['p99_ms']:.1f} ms at {paced['rps']:.0f} req/s (static file: "
              f"{static['paced']['p99_ms']:.1f} ms) -> targets: {'met' if met else 'MISSED'}")
    report["targets_met"] = ok
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2))
    print(f"\nwritten {OUT.relative_to(REPO)}")
    return 0
