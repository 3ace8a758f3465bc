"""Queue settings, read once from the app config (defaults here)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

MODES = ("inline", "thread", "worker")


@dataclass(frozen=True)
class Settings:
    # inline: run right after the enqueueing transaction commits, in the same process (tests);
    # thread: one worker thread inside the web process (`vault run`, scripts/run: one command, one host);
    # worker: only `vault worker` processes run jobs (production, any number of hosts).
    run: str = "thread"
    lease_seconds: float = 60.0  # a runner's heartbeat renews it every third; a killed runner's job waits this long
    backoff_seconds: float = 30.0  # wait after the 1st failed attempt; doubles each time
    backoff_cap_seconds: float = 3600.0
    poll_seconds: float = 1.0  # an idle `vault worker` looks for due jobs this often
    scheduler_seconds: float = 15.0  # and for due periodic slots this often
    progress_interval: float = 0.5  # at most one progress write per job this often

    @classmethod
    def from_config(cls, config: Mapping, *, testing: bool = False) -> "Settings":
        get = config.get
        run = str(get("JOBS_RUN") or ("inline" if testing else "thread")).strip().lower()
        if run not in MODES:
            raise ValueError(f"JOBS_RUN must be one of {', '.join(MODES)}, not {run!r}")
        return cls(run=run, lease_seconds=float(get("JOBS_LEASE_SECONDS") or 60.0),
                   backoff_seconds=float(get("JOBS_BACKOFF_SECONDS") or 30.0),
                   backoff_cap_seconds=float(get("JOBS_BACKOFF_CAP_SECONDS") or 3600.0),
                   poll_seconds=float(get("JOBS_POLL_SECONDS") or 1.0),
                   scheduler_seconds=float(get("JOBS_SCHEDULER_SECONDS") or 15.0),
                   progress_interval=float(get("JOBS_PROGRESS_INTERVAL") or 0.5))
