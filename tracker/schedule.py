"""The dispatcher: every tick, due stories and feeds go to a CheckPool.

Each story's next check time lives in the store (tracker/interval.py decides it), so a restart
resumes where it stopped; stories found overdue on start are spread over a window with jitter
instead of all firing at once.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from tracker import check, clock
from tracker.config import Settings
from tracker.interval import MINUTE
from tracker.pool import CheckPool
from tracker.store import Row, Store, StoreError, Unwritable

log = logging.getLogger("storydiff.schedule")

SPREAD_MAX = 15 * MINUTE


class Scheduler:
    """Dispatch due stories and feeds to a CheckPool every `tick` seconds (APScheduler 3.x).

    `start()` spreads overdue stories, then runs the dispatcher in a background thread;
    `add_periodic` hangs other recurring work (the notification outbox) on the same clock;
    `stop()` waits for running checks, so no check is cut in half.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        tick: float = 1.0,
        pool: CheckPool | None = None,
        extract_processes: int | None = None,
        on_result: Callable[[check.CheckResult], None] | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.tick = tick
        self.pool = pool or CheckPool(
            settings, extract_processes=extract_processes, on_result=on_result
        )
        self.rng = rng
        self._aps = BackgroundScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        )
        self._busy_stories: set[int] = set()
        self._busy_feeds: set[int] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.dispatched = 0

    def _open_store(self) -> Store:
        """A Store for one run of resume or dispatch: those run in different threads (the
        caller's and APScheduler's), and one sqlite connection must not serve both."""
        return Store(self.settings.db, timeout=self.settings.db_timeout)

    def start(self) -> int:
        """Spread overdue stories, then start dispatching; returns how many were spread."""
        spread = self.resume()
        self._aps.add_job(
            self._dispatch_safely,
            "interval",
            seconds=self.tick,
            id="dispatch",
            next_run_time=clock.now(),
        )
        self._aps.start()
        return spread

    def add_periodic(self, name: str, func: Callable[[], Any], seconds: float) -> None:
        """Run `func` every `seconds` in the scheduler's threads (never two at once)."""

        def run() -> None:
            if self._stopping.is_set() or self.pool.gate.shut:
                return
            try:
                func()
            except Unwritable as exc:
                self.pool.gate.failed(exc)
            except Exception:
                log.exception("periodic job %s failed", name)

        self._aps.add_job(run, "interval", seconds=seconds, id=name, replace_existing=True)

    def resume(self, now: datetime | None = None) -> int:
        """Spread stories found overdue over a window, in their order, with jitter.

        A burst the pool can take at once (two per worker) is left to run now; beyond that each
        overdue story gets a slot in a window sized to the pool (capped at SPREAD_MAX).
        """
        moment = now or clock.now()
        with self._open_store() as store:
            overdue = store.due_stories(clock.iso(moment), limit=1_000_000)
            burst = self.pool.workers * 2
            if len(overdue) <= burst:
                return 0
            window = min(SPREAD_MAX, max(30.0, len(overdue) / burst))
            step = window / len(overdue)
            with store.write():
                for i, row in enumerate(overdue):
                    at = moment + timedelta(seconds=step * (i + self.rng()))
                    store.update_story(row["id"], next_check_at=clock.iso(at))
        log.info("spread %d overdue stories over %.0f s", len(overdue), window)
        return len(overdue)

    def _dispatch_safely(self) -> None:
        try:
            self.dispatch()
        except Unwritable as exc:
            self.pool.gate.failed(exc)
        except StoreError as exc:  # a lock held past the timeout: one line, not a traceback
            log.warning("dispatch skipped: %s", exc)
        except Exception:
            log.exception("dispatch failed")

    def dispatch(self, now: datetime | None = None) -> int:
        """Submit due stories and feeds the pool has room for; returns how many were submitted."""
        if self._stopping.is_set():
            return 0
        at = clock.iso(now or clock.now())
        with self._open_store() as store:
            return self._dispatch(store, at)

    def _dispatch(self, store: Store, at: str) -> int:
        with self._lock:
            room = self.pool.workers * 2 - len(self._busy_stories) - len(self._busy_feeds)
        trial = self.pool.gate.shut
        room = self.pool.gate.room(room)
        if trial and room:  # one story tells whether writing works again
            sent = self._fill(
                lambda limit: store.due_stories(at, limit=limit),
                self._busy_stories,
                self.pool.submit_story,
                room,
            )
            if not sent:
                self.pool.gate.untried()
            return sent
        feeds_sent = self._fill(
            lambda limit: store.due_feeds(at, limit=limit),
            self._busy_feeds,
            self.pool.submit_feed,
            room,
        )
        stories_sent = self._fill(
            lambda limit: store.due_stories(at, limit=limit),
            self._busy_stories,
            self.pool.submit_story,
            room - feeds_sent,
        )
        self.dispatched += feeds_sent + stories_sent
        return feeds_sent + stories_sent

    def _fill(
        self,
        due: Callable[[int], list[Row]],
        busy: set[int],
        submit: Callable[[int], Future[Any]],
        room: int,
    ) -> int:
        """Hand up to `room` due items not already running to the pool; returns how many."""
        if room <= 0:
            return 0
        with self._lock:
            running = set(busy)
        sent = 0
        for row in due(room + len(running)):
            if sent >= room:
                break
            if row["id"] not in running:
                self._submit(row["id"], busy, submit)
                sent += 1
        return sent

    def _submit(self, item: int, busy: set[int], submit: Callable[[int], Future[Any]]) -> None:
        with self._lock:
            busy.add(item)
        try:
            future = submit(item)
        except RuntimeError:  # the pool is shutting down
            with self._lock:
                busy.discard(item)
            return

        def done(_: Future[Any]) -> None:
            with self._lock:
                busy.discard(item)

        future.add_done_callback(done)

    def busy(self) -> int:
        with self._lock:
            return len(self._busy_stories) + len(self._busy_feeds)

    def stop(self, wait: bool = True) -> None:
        """Stop dispatching, let running checks finish (when `wait`), close everything."""
        self._stopping.set()
        if self._aps.running:
            self._aps.shutdown(wait=wait)
        self.pool.close(wait=wait)
