"""Two-host benchmark: one app server, then two, behind nginx on PostgreSQL + S3 + Redis, under one mixed load.

    .venv/bin/python -m bench.twohost [--seconds 30] [--processes 2] [--threads 4] [--job-workers 2]

Starts PostgreSQL, Redis and moto's S3 server (real HTTP), runs `vault init` and loads the demo data plus
a staff member and a prospect's grant (bench/twohost/seed.py), then measures two phases with the same load:
  one host   gunicorn (deploy/gunicorn.conf.py) + `vault worker`, behind nginx rendered by deploy/render.py
             from deploy/nginx/trustvault.conf
  two hosts  the same twice (each host its own instance folder: caches only), nginx spreading over both
The load, all at once through nginx: --page-clients on the trust center page, --status-clients on the
status API (summary.json), --downloads (20) concurrent watermarked downloads on the grant, and one staff
member importing a library file through the web (signed in, CSRF) and having a questionnaire matched by the
workers, cycle after cycle. Clients run closed loop (the next request when the answer is in), so
requests/s is what the servers gave under this mix. Every answer is checked (status, a whole page / JSON /
PDF, each download watermarked with its own download id, recorded in the database; every import and
matching job finished; no job failed; no 5xx in nginx's log). Prints per path requests, requests/s, p50,
p99 and errors for each phase and the two-host/one-host ratio; writes bench/out/twohost.json; exits 1 if
anything failed. Every process and the temp folder are removed at the end, also on failure or Ctrl-C.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
import threading
import time
import urllib.request
from pathlib import Path

from pypdf import PdfReader

from bench.twohost import load
from bench.twohost.stack import BIN, REPO, Host, Stack

OUT = REPO / "bench" / "out" / "twohost.json"
ROWS = [("page", "trust center page"), ("status", "status API (JSON)"), ("download", "watermarked download"),
        ("staff", "staff requests"), ("import", "library import"), ("match", "matching job")]
NOTE = """\
Both "hosts" are processes on this one machine ({cpus} CPUs shared with PostgreSQL, Redis, S3, nginx and
the load generator): two hosts add processes, not CPUs. The ratio measures what the layout costs or gives
on the same hardware (shared database, object store and Redis, nginx spreading requests), not the gain
from a second machine; on two real machines each host has its own cores."""


def _caches() -> dict[str, str]:
    """Derived caches the caller already has (the tests share them): the font pre-cut and the integer
    copy of the sentence model. Without them each host builds its own, as a new machine would."""
    return {k: os.environ[k] for k in ("VAULT_FONT_CACHE_DIR", "TRUSTVAULT_MODEL_CACHE") if os.environ.get(k)}


def _questions() -> list[str]:
    data = json.loads((REPO / "bench" / "data" / "vsaq_library.json").read_text())
    return [e["question"] for e in data["entries"] if 20 <= len(e["question"]) <= 400]


def _db(dsn: str, sql: str, *params):
    import psycopg
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, params).fetchall()


def _wait_for_jobs(dsn: str, timeout: float = 300) -> None:
    """Until no index or matching job waits or runs (what the phase caused is finished)."""
    deadline = time.monotonic() + timeout
    while _db(dsn, "select count(*) from jobs where status in ('queued', 'running', 'retry') "
                   "and kind in ('library.index', 'questionnaires.match')")[0][0]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"index or matching jobs still waiting after {timeout:.0f} s")
        time.sleep(0.5)


def _warm(port: int, paths: list[str], rounds: int = 3) -> None:
    """Each path a few times, 4 at once (every gunicorn process imports and fills its caches) before measuring."""
    from concurrent.futures import ThreadPoolExecutor

    def get(path: str) -> None:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120) as resp:
            resp.read()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(get, paths * rounds))


def run_phase(name: str, port: int, seed: dict, args, stack: Stack, questions: list[str], hosts: list[Host]) -> dict:
    token = seed["grant_token"]
    downloads = [f"/trust/access/{token}/documents/{d['uid']}/{d['version']}" for d in seed["documents"]]
    _warm(port, ["/trust/", "/status/api/v2/summary.json", *downloads])
    started = _db(stack.pg_dsn, "select now()")[0][0]
    stats = {key: load.PathStats(label) for key, label in ROWS[:3]}
    check_downloads = load.DownloadCheck()
    staff = load.Staff(f"http://127.0.0.1:{port}", seed["staff_email"], seed["staff_password"],
                       questions, questions[: args.questions], tag=name[:1].upper())
    staff.sign_in()  # before the clock starts, as the warm-up requests
    staff.http.latencies.clear()
    access_log = stack.root / f"nginx-{name}" / "logs" / "access.log"
    access_log.write_bytes(b"")  # nginx appends: from here on the log holds this phase's requests only
    stop = threading.Event()
    groups = [(stats["page"], ["/trust/"], load.check_page, args.page_clients),
              (stats["status"], ["/status/api/v2/summary.json"], load.check_summary, args.status_clients),
              (stats["download"], downloads, check_downloads, args.downloads)]
    public = threading.Thread(target=load.run_public, args=(port, groups, stop), daemon=True)
    staff_thread = threading.Thread(target=staff.run, args=(stop,), daemon=True)
    try:
        public.start()
        staff_thread.start()
        stop.wait(args.seconds)
    finally:  # also on Ctrl-C: the clients stop before the servers do
        stop.set()
    public.join(180)
    staff_thread.join(600)  # its running cycle finishes, so each import and job it began is checked
    stats.update(staff=staff.http, **{"import": staff.imports}, match=staff.matches)
    _wait_for_jobs(stack.pg_dsn)
    problems = _verify(stack, seed, started, check_downloads, staff)
    spread = _spread(stack, access_log, started, hosts)
    problems += [f"nginx sent no request to {host}" for host, n in spread["requests"].items() if not n]
    return {"stats": stats, "problems": problems, "imports": len(staff.imports.latencies),
            "jobs": len(staff.job_uids), "downloads": len(check_downloads.ids), "spread": spread}


def _spread(stack: Stack, access_log: Path, started, hosts: list[Host]) -> dict:
    """Which host served the phase's requests (nginx's log: the upstream of each) and ran its index and
    matching jobs (each job row names its runner host:pid:thread)."""
    lines = [json.loads(line) for line in access_log.read_text().splitlines() if line.strip()]
    served = [line["upstream"].split(",")[-1].strip() for line in lines]
    pids = {str(stack.processes[f"{h.name}-worker"].pid): h.name for h in hosts}
    runners = [w.split(":")[1] if w.count(":") >= 1 else "" for (w,) in
               _db(stack.pg_dsn, "select worker from jobs where kind in ('library.index', 'questionnaires.match') "
                                 "and status = 'done' and finished_at >= %s", started)]
    return {"requests": {h.name: served.count(h.address) for h in hosts},
            "jobs": {h.name: sum(1 for pid in runners if pids.get(pid) == h.name) for h in hosts}}


def _verify(stack: Stack, seed: dict, started, downloads: load.DownloadCheck, staff: load.Staff) -> list[str]:
    """What the answers alone cannot show: the database agrees with what the clients received."""
    problems = []
    dsn = stack.pg_dsn
    ids = downloads.ids
    if len(set(ids)) != len(ids):
        problems.append(f"{len(ids) - len(set(ids))} downloads carried a download id already seen")
    recorded = {r[0] for r in _db(dsn, "select download_id from access_downloads where email = %s "
                                       "and downloaded_at >= %s", seed["prospect"]["email"], started)}
    missing = set(ids) - recorded
    if missing:
        problems.append(f"{len(missing)} delivered download ids have no download record")
    for body in downloads.samples:  # read as a person would: the mark is on the pages
        text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
        download_id = load.DOWNLOAD_ID.search(body).group(1).decode()
        if seed["prospect"]["email"] not in text or f"download ID {download_id}" not in text:
            problems.append(f"download {download_id}: the pages do not show the recipient and the id")
    if staff.job_uids:
        states = dict(_db(dsn, "select uid, status from jobs where uid = any(%s)", staff.job_uids))
        not_done = {uid: states.get(uid) for uid in staff.job_uids if states.get(uid) != "done"}
        if not_done:
            problems.append(f"matching jobs not done: {not_done}")
    if staff.imported_refs:
        stored = {r[0] for r in _db(dsn, "select ref from library_index_entries where ref = any(%s) "
                                         "and vectors is not null and embedder <> ''", staff.imported_refs)}
        if len(stored) != len(staff.imported_refs):
            problems.append(f"{len(staff.imported_refs) - len(stored)} imported entries have no stored index "
                            "state after the index jobs")
    failed = _db(dsn, "select kind, status, left(error, 200) from jobs where status in ('failed', 'dead') "
                      "and updated_at >= %s", started)
    problems += [f"job {kind} {status}: {error}" for kind, status, error in failed]
    for name in [n for n in stack.processes if n.startswith("nginx")]:
        log = stack.root / name / "logs" / "access.log"
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()] if log.exists() else []
        errors = [line for line in lines if line["status"] >= 500]
        if errors:
            problems.append(f"{name}: {len(errors)} answers with status >= 500 in nginx's log")
    if not ids:
        problems.append("no download was delivered")
    if not staff.imports.latencies or not staff.job_uids:
        problems.append("the staff member finished no import or no matching job")
    return problems


def _fmt(d: dict) -> str:
    return (f"{d['requests']:>6} {d['per_second']:>7.1f} {d['p50_ms']:>7.0f} {d['p99_ms']:>7.0f} "
            f"{d['errors']:>4}")


def report(results: dict, args) -> dict:
    one, two = results["one host"], results["two hosts"]
    print(f"\n{args.seconds:.0f} s per phase; {args.page_clients} + {args.status_clients} + {args.downloads} public "
          f"clients and 1 staff member at once; per host: gunicorn {args.processes} processes x {args.threads} "
          f"threads, `vault worker --concurrency {args.job_workers}`\n")
    head = f"{'requests':>6} {'per s':>7} {'p50 ms':>7} {'p99 ms':>7} {'err':>4}"
    print(f"{'':<22} {'one host':^37}   {'two hosts':^37}   {'ratio 2/1':>9}")
    print(f"{'path':<22} {head}   {head}   {'per s':>5} {'p99':>5}")
    out = {"seconds": args.seconds, "processes": args.processes, "threads": args.threads,
           "job_workers": args.job_workers, "clients": {"page": args.page_clients, "status": args.status_clients,
                                                         "download": args.downloads, "staff": 1},
           "cpus": os.cpu_count(), "paths": {}}
    for key, label in ROWS:
        a, b = one["stats"][key].as_dict(), two["stats"][key].as_dict()
        ratio = b["per_second"] / a["per_second"] if a["per_second"] else float("nan")
        p99 = b["p99_ms"] / a["p99_ms"] if a["p99_ms"] else float("nan")
        print(f"{label:<22} {_fmt(a)}   {_fmt(b)}   {ratio:>5.2f} {p99:>5.2f}")
        out["paths"][key] = {"label": label, "one_host": a, "two_hosts": b, "ratio_per_second": round(ratio, 3),
                             "ratio_p99": round(p99, 3)}
    totals = [sum(r["stats"][k].as_dict()["per_second"] for k in ("page", "status", "download")) for r in (one, two)]
    out["public_per_second"] = {"one_host": round(totals[0], 2), "two_hosts": round(totals[1], 2),
                                "ratio": round(totals[1] / totals[0], 3) if totals[0] else None}
    print(f"{'all public requests':<22} {'':>6} {totals[0]:>7.1f} {'':>26}   {'':>6} {totals[1]:>7.1f} {'':>26}   "
          f"{totals[1] / totals[0] if totals[0] else float('nan'):>5.2f}")
    print("(library import: upload, preview and confirm through the web until the library page says it is done;\n"
          " matching job: from asking for matching until the workers finished, as the progress page shows;\n"
          " clients send their next request when the answer is in, so the servers are saturated: p99 includes\n"
          " the wait behind the other clients' requests)")
    print()
    print(NOTE.format(cpus=os.cpu_count()))
    print()
    failures = []
    for phase, result in results.items():
        errors = sum(len(s.errors) for s in result["stats"].values())
        failures += [f"{phase}: {e}" for s in result["stats"].values() for e in s.errors[:3]]
        failures += [f"{phase}: {p}" for p in result["problems"]]
        print(f"{phase}: {result['downloads']} watermarked PDFs checked (each its own download id, recorded), "
              f"{result['imports']} imports done, {result['jobs']} matching jobs done, {errors} errors, "
              f"{len(result['problems'])} problems")
        spread = result["spread"]
        print("  requests through nginx: " + ", ".join(f"{h} {n}" for h, n in spread["requests"].items())
              + "; index and matching jobs run: " + ", ".join(f"{h} {n}" for h, n in spread["jobs"].items()))
        out.setdefault("spread", {})[phase] = spread
    out["failures"] = failures
    out["ok"] = not failures
    print("\nnothing failed" if not failures else "\nFAILED:\n  " + "\n  ".join(failures[:20]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.twohost", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30.0, help="load per phase (default 30)")
    ap.add_argument("--processes", type=int, default=2, help="gunicorn processes per host")
    ap.add_argument("--threads", type=int, default=4, help="threads per gunicorn process")
    ap.add_argument("--job-workers", type=int, default=2, help="jobs at once in each host's `vault worker`")
    ap.add_argument("--page-clients", type=int, default=4)
    ap.add_argument("--status-clients", type=int, default=4)
    ap.add_argument("--downloads", type=int, default=20, help="concurrent watermarked downloads")
    ap.add_argument("--questions", type=int, default=60, help="questions in each matched questionnaire")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    def on_term(signum, frame):  # systemd, timeout(1), a test runner: clean up as for Ctrl-C
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, on_term) if threading.current_thread() is threading.main_thread() else None
    stack = Stack()
    print(f"working in {stack.root} (removed at the end)", flush=True)
    try:
        t0 = time.perf_counter()

        def step(what: str) -> None:
            print(f"{time.perf_counter() - t0:5.0f} s  {what}", flush=True)
        shared = stack.start_services()
        shared.update(_caches())
        init_env = stack.env(shared, VAULT_INSTANCE_PATH=str(stack.root / "init"),
                             VAULT_ADMIN_PASSWORD="bench-" + shared["VAULT_SECRET_KEY"][-20:])
        stack.run("vault init", [str(BIN / "vault"), "init", "--no-input", "--admin-email", "admin@bench.example"],
                  init_env)
        step("`vault init` (PostgreSQL + S3 + Redis)")
        hosts = [stack.host(name, shared, processes=args.processes, threads=args.threads)
                 for name in ("host-a", "host-b")]
        for host in hosts:  # host B's web server idles (nginx does not send to it) until the second phase
            host.start_web()
        hosts[0].start_worker(args.job_workers, wait=False)
        seed = json.loads(stack.run("seed", [sys.executable, "-m", "bench.twohost.seed"], init_env).splitlines()[-1])
        step(f"demo data, a staff member, a grant on {len(seed['documents'])} PDFs")
        hosts[0].wait_worker()
        for host in hosts:
            host.wait_web()
        _wait_for_jobs(stack.pg_dsn)  # the demo library's index, before anything is measured
        step("both app servers answer /readyz; host A's worker indexed the demo library")
        questions = _questions()
        results = {}
        port = stack.nginx("nginx-one", [hosts[0].address])
        print(f"one host: measuring {args.seconds:.0f} s ...", flush=True)
        results["one host"] = run_phase("one", port, seed, args, stack, questions, hosts[:1])
        step("one host measured and checked")
        stack.stop("nginx-one")
        hosts[1].start_worker(args.job_workers)
        port = stack.nginx("nginx-two", [h.address for h in hosts])
        print(f"two hosts: measuring {args.seconds:.0f} s ...", flush=True)
        results["two hosts"] = run_phase("two", port, seed, args, stack, questions, hosts)
        step("two hosts measured and checked")
        out = report(results, args)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=2))
        print(f"written {args.out}")
        return 0 if out["ok"] else 1
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every process", file=sys.stderr)
        return 130
    finally:
        problems = stack.close()
        for line in problems:
            print(f"cleanup: {line}", file=sys.stderr)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
