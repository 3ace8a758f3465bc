"""The worker loop: `vault worker` processes (production) and the one in-process thread (JOBS_RUN=thread).

Each loop thread claims and runs due jobs until none is due, then sleeps until the poll interval passes
or it is woken (a commit in this process enqueued something). The scheduler enqueues periodic slots
every JOBS_SCHEDULER_SECONDS. SIGTERM/SIGINT stop claiming; running jobs finish first (a second
signal, or kill -9, leaves them to other runners once their lease runs out).
"""
from __future__ import annotations

import logging
import signal
import threading
from typing import Iterable

from flask import Flask

from vault.jobs import runner

log = logging.getLogger("vault.jobs")


class Worker:
    def __init__(self, app: Flask, *, concurrency: int = 1, queues: Iterable[str] | None = None,
                 scheduler: bool = True):
        if concurrency < 1:
            raise ValueError("concurrency is at least 1")
        self.app, self.concurrency = app, concurrency
        self.queues = [q for q in (queues or ()) if q] or None
        self.scheduler = scheduler
        self.settings = runner.settings_of(app)
        self.stop = threading.Event()
        self.wake = threading.Event()

    def run_once(self) -> runner.RunReport:
        """One scheduler step, then run until nothing is due (with `concurrency` threads)."""
        if self.scheduler:
            runner.schedule_due(self.app)
        reports: list[runner.RunReport] = []

        def drain() -> None:
            reports.append(runner.run_pending(self.app, queues=self.queues, stop=self.stop))

        threads = [threading.Thread(target=drain, name=f"vault-worker-{i}") for i in range(self.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return runner.RunReport(done=sum(r.done for r in reports), retrying=sum(r.retrying for r in reports),
                                failed=sum(r.failed for r in reports))

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                runner.run_pending(self.app, queues=self.queues, stop=self.stop)
            except Exception:  # noqa: BLE001 - e.g. the database restarting: try again after the poll interval
                log.exception("worker loop: claiming failed; trying again")
            self.wake.wait(self.settings.poll_seconds)
            self.wake.clear()

    def _schedule_loop(self) -> None:
        while not self.stop.is_set():
            try:
                if runner.schedule_due(self.app):
                    self.wake.set()
            except Exception:  # noqa: BLE001
                log.exception("scheduler tick failed; trying again")
            self.stop.wait(self.settings.scheduler_seconds)

    def start_threads(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._loop, name=f"vault-worker-{i}", daemon=True)
                   for i in range(self.concurrency)]
        if self.scheduler:
            threads.append(threading.Thread(target=self._schedule_loop, name="vault-scheduler", daemon=True))
        for t in threads:
            t.start()
        return threads

    def run_forever(self) -> None:
        """The `vault worker` main loop: returns after SIGTERM/SIGINT once running jobs have finished."""
        def _stop(signum, _frame):
            if self.stop.is_set():
                raise SystemExit(1)  # second signal: leave now; leases hand the jobs to other runners
            log.info("worker: signal %s, finishing running jobs", signum)
            self.stop.set()
            self.wake.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        threads = self.start_threads()
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=0.5)
