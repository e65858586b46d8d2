"""What bench/checks.py and bench/queueing.py share: the environment of a `tracker` run against
the bench site, a database filled with its stories, and the processes a run leaves behind
(adopted as a subreaper, so their CPU time is counted, and reaped)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import time
from pathlib import Path

from benchsite import Site

from tracker.store import Store


def bench_env(db: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_DB=db,
        TRACKER_ALLOW_HOSTS="127.0.0.1",
        TRACKER_RESPECT_ROBOTS="0",
        TRACKER_PER_HOST_GAP="0",
        TRACKER_PER_HOST_CONCURRENCY="64",
    )
    env.update(extra or {})
    return env


def fill(db: str, site: Site, count: int) -> None:
    with Store(db) as store, store.write():
        for i in range(count):
            store.add_story(site.url(i))


def subreaper() -> None:
    """Become the parent of orphaned descendants (the extraction processes' forkserver outlives
    `tracker check` by a moment), so their CPU time reaches RUSAGE_CHILDREN when reaped."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def reap() -> None:
    """Wait for every orphan adopted so far (each within a few seconds; the site is left)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        kids = [p for p in children() if p not in KEEP]
        if not kids:
            return
        for pid in kids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        time.sleep(0.02)


def children() -> list[int]:
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                found.append(int(entry))
    return found


KEEP: set[int] = set()  # long-lived children (the site, redis-server): never waited for
