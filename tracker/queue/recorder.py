"""The run process's side of the queue: leases and jobs out, results in, one writer.

`QueuePool` stands where the `CheckPool` stands for the dispatcher (`Scheduler(pool=...)`):
`submit_story` leases the story and enqueues its job, and its Future resolves when the result
is recorded (or the lease runs out), so the dispatcher's bound on stories in flight holds.
Feeds are polled here, in a small local pool. `record` is the idempotency rule.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import timedelta
from typing import Any

from tracker import clock
from tracker.check import Checker, CheckResult
from tracker.config import Settings
from tracker.feeds import FeedResult
from tracker.pool import CheckPool
from tracker.queue import broker as qb
from tracker.queue import wire
from tracker.store import NotFound, Store, Unwritable
from tracker.writegate import WriteGate

log = logging.getLogger("storydiff.recorder")

IN_FLIGHT = 500  # jobs out at once (the dispatcher's room is twice its `workers`)


def record(store: Store, checker: Checker, payload: dict[str, Any]) -> CheckResult | None:
    """Write one result, unless the story no longer waits for it: None when dropped.

    The story must still be leased to this very job (its next_check_at is the job's token), at
    the version the job started from, with the same URL and added time: a duplicate delivery
    (the first one moved next_check_at on), a job whose lease ran out and was leased again, a
    paused, removed or replaced story, all record nothing.
    """
    job = payload["job"]
    fetched_for = job["story"]
    try:
        story = store.get_story(int(fetched_for["id"]))
    except NotFound:
        log.info("result for removed story %s dropped", fetched_for["id"])
        return None
    if (
        story.get("next_check_at") != job["token"]
        or int(story.get("version_count") or 0) != int(job["base_version"])
        or (story["url"], story["added_at"]) != (fetched_for["url"], fetched_for["added_at"])
    ):
        log.info("stale or duplicate result for story %s dropped", story["id"])
        return None
    seen = wire.observation_from_wire(payload["seen"])
    started = time.monotonic() - float(payload.get("seconds") or 0)
    return checker.conclude(store, story, clock.now(), started, seen)


class QueuePool:
    """Check jobs through Redis for a Scheduler; results recorded by one thread here."""

    def __init__(
        self,
        settings: Settings,
        url: str,
        *,
        on_result: Callable[[CheckResult], None] | None = None,
    ) -> None:
        self.settings = settings
        self.on_result = on_result
        self.workers = IN_FLIGHT // 2
        self.gate = WriteGate()
        self.broker = qb.connect(url, settings)  # QueueUnavailable without the extra
        import dramatiq

        self.checker = Checker(settings)
        self.feeds = CheckPool(settings, workers=2, extract_processes=0)
        self._store = Store(settings.db, timeout=settings.db_timeout)  # the dispatcher's leases
        self._recorder_store: Store | None = None
        self._lock = threading.Lock()
        self._waiting: dict[int, tuple[Future[CheckResult], float]] = {}
        self._stopping = threading.Event()
        self.recorded = 0
        qb.declare(self.broker, qb.RESULT_ACTOR, qb.RESULTS, self._record, settings)
        self.recorder = dramatiq.Worker(
            self.broker, queues={qb.RESULTS}, worker_threads=1, worker_timeout=200
        )
        self.recorder.start()
        self._expiry = threading.Thread(target=self._expire_loop, name="lease-expiry", daemon=True)
        self._expiry.start()

    def submit_story(self, story_id: int) -> Future[CheckResult]:
        """Lease the story and enqueue its job; the Future resolves when its result is in."""
        future: Future[CheckResult] = Future()
        lease = self.settings.queue_lease
        with self._lock:
            store = self._store
            with store.write():
                try:
                    story = store.get_story(story_id)
                except NotFound:
                    future.set_result(CheckResult(story_id, "error", state="removed"))
                    return future
                token = clock.iso(clock.now() + timedelta(seconds=lease))
                store.update_story(story_id, next_check_at=token)
            self._waiting[story_id] = (future, time.monotonic() + lease)
        try:
            qb.send(
                self.broker,
                qb.CHECKS,
                qb.CHECK_ACTOR,
                wire.job(story, token),
            )
        except Exception as exc:  # Redis gone: the story is due again when its lease ends
            log.warning("could not enqueue story %s: %s", story_id, exc)
            self._resolve(story_id, CheckResult(story_id, "error", error=str(exc)))
        return future

    def submit_feed(self, feed_id: int) -> Future[FeedResult]:
        return self.feeds.submit_feed(feed_id)

    def _record(self, payload: dict[str, Any]) -> None:
        """The result actor (one thread): write it, then release the story's Future."""
        if self._recorder_store is None:
            self._recorder_store = Store(self.settings.db, timeout=self.settings.db_timeout)
        try:
            story_id = int(payload["job"]["story"]["id"])
            result = record(self._recorder_store, self.checker, payload)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("a result that is not one was dropped: %s", exc)
            return
        except Unwritable as exc:  # disk full, read-only: pause dispatching; Dramatiq retries
            self.gate.failed(exc)
            raise
        if result is None:
            return
        self.recorded += 1
        self.gate.succeeded()
        self._resolve(story_id, result)
        if self.on_result is not None:
            try:
                self.on_result(result)
            except Exception:
                log.exception("reporting the check of story %s failed", story_id)

    def _resolve(self, story_id: int, result: CheckResult) -> None:
        with self._lock:
            entry = self._waiting.pop(story_id, None)
        if entry is not None and not entry[0].done():
            entry[0].set_result(result)

    def _expire_loop(self) -> None:
        """Release the Futures of jobs whose lease ran out: their stories are due again."""
        while not self._stopping.wait(1.0):
            now = time.monotonic()
            with self._lock:
                late = [sid for sid, (_, until) in self._waiting.items() if until <= now]
            for story_id in late:
                reason = "no worker answered within the lease; the story is due again"
                self._resolve(story_id, CheckResult(story_id, "error", error=reason))

    def in_flight(self) -> int:
        with self._lock:
            return len(self._waiting)

    def close(self, wait: bool = True) -> None:
        """Stop recording (jobs out stay in Redis: their results are recorded by the next run,
        while their lease holds)."""
        self._stopping.set()
        self.recorder.stop(timeout=30_000 if wait else 1000)
        self.feeds.close(wait)
        self.checker.close()
        with self._lock:
            waiting, self._waiting = self._waiting, {}
        for future, _ in waiting.values():
            if not future.done():
                future.cancel()
        self._store.close()
        if self._recorder_store is not None:
            self._recorder_store.close()
        self.broker.close()
