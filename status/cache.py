"""Per-process cache of the rendered public page, feed and JSON.

An entry is valid while the `StatusVersion` counter is unchanged (every change bumps it, in any worker
process) and for at most TTL seconds of clock time (uptime bars and "x minutes ago" move with time).
Checking costs one primary-key read per request.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Callable

from flask import current_app

TTL = timedelta(seconds=60)
MAX_ENTRIES = 512


class RenderCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple, tuple[int, datetime, object]] = {}
        self._building: dict[tuple, threading.Lock] = {}
        self.hits = self.misses = 0

    def get_or_build(self, key: tuple, *, version: int, now: datetime, build: Callable[[], object]):
        with self._lock:
            entry = self._entries.get(key)
            builder = self._building.setdefault(key, threading.Lock())
        if entry is not None and entry[0] == version and now - TTL < entry[1] <= now:
            self.hits += 1
            return entry[2]
        # One thread per process rebuilds a key; the others serve the previous body meanwhile (a few
        # milliseconds old) instead of piling up behind it, or wait if there is none yet.
        if entry is not None and not builder.acquire(blocking=False):
            self.hits += 1
            return entry[2]
        if entry is None:
            builder.acquire()
        try:
            with self._lock:
                fresh = self._entries.get(key)
            if fresh is not None and fresh[0] == version and now - TTL < fresh[1] <= now:
                return fresh[2]  # built by the thread we waited for
            self.misses += 1
            value = build()
            with self._lock:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (version, now, value)
            return value
        finally:
            builder.release()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def get() -> RenderCache:
    ext = current_app.extensions
    if "status.cache" not in ext:
        ext["status.cache"] = RenderCache()
    return ext["status.cache"]
