"""The CheckPool: check threads (I/O) over extraction processes (CPU), one Store per thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from tracker import check, feeds
from tracker.config import Settings
from tracker.extractors import Extractors, process_count
from tracker.fetch import Fetcher
from tracker.store import Store, StoreError, Unwritable
from tracker.writegate import WriteGate

log = logging.getLogger("storydiff.pool")


class CheckPool:
    """A bounded pool of check threads; each thread opens its own Store (one connection each).

    Pages are read in extraction processes sized to the machine (`extract_processes` setting,
    or the argument; see tracker/extractors.py), each within `extract_timeout`; with 0 they are
    read in the check's thread, which nothing can stop.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        workers: int | None = None,
        fetcher: Fetcher | None = None,
        extract_processes: int | None = None,
        conditional: bool = True,
        on_result: Callable[[check.CheckResult], None] | None = None,
    ) -> None:
        self.settings = settings
        self.on_result = on_result
        self.workers = max(1, int(workers or settings.workers))
        processes = process_count(settings, extract_processes)
        self.extractors = Extractors(settings, processes) if processes > 0 else None
        self.checker = check.Checker(
            settings, fetcher=fetcher, extractor=self.extractors, conditional=conditional
        )
        self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="check")
        self._local = threading.local()
        self._stores: list[Store] = []
        self._lock = threading.Lock()
        self.gate = WriteGate()

    def store(self) -> Store:
        """This thread's Store."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = Store(self.settings.db, timeout=self.settings.db_timeout)
            self._local.store = store
            with self._lock:
                self._stores.append(store)
        return store

    def check_story(self, story_id: int) -> check.CheckResult:
        """Run one check in the calling thread (a pool thread, normally)."""
        store = self.store()
        try:
            result = self.checker.check(store, story_id)
        except Unwritable as exc:  # disk full, read-only: the gate pauses checks and says so
            self.gate.failed(exc)
            return check.CheckResult(story_id, "error", error=str(exc))
        except StoreError as exc:  # damaged or locked: the story cannot be logged either
            log.error("check of story %s: %s", story_id, exc)
            result = check.CheckResult(story_id, "error", error=str(exc))
        except Exception as exc:  # a bug must not stop the pool nor refire every tick
            log.exception("check of story %s failed", story_id)
            try:
                result = check.record_internal_error(store, self.settings, story_id, exc)
            except StoreError as again:
                if isinstance(again, Unwritable):
                    self.gate.failed(again)
                result = check.CheckResult(story_id, "error", error=str(again))
        else:
            self.gate.succeeded()
        if self.on_result is not None:
            try:
                self.on_result(result)
            except Exception:
                log.exception("reporting the check of story %s failed", story_id)
        return result

    def poll_feed(self, feed_id: int) -> feeds.FeedResult:
        store = self.store()
        try:
            return feeds.poll(store, feed_id, self.checker.fetcher)
        except Unwritable as exc:
            self.gate.failed(exc)
            return feeds.FeedResult(feed_id, "error", error=str(exc))
        except Exception as exc:
            log.exception("poll of feed %s failed", feed_id)
            return feeds.record_internal_error(store, feed_id, exc)

    def submit_story(self, story_id: int) -> Future[check.CheckResult]:
        return self._threads.submit(self.check_story, story_id)

    def submit_feed(self, feed_id: int) -> Future[feeds.FeedResult]:
        return self._threads.submit(self.poll_feed, feed_id)

    def close(self, wait: bool = True) -> None:
        """Finish running checks (queued ones are dropped: they are still due in the store)."""
        self._threads.shutdown(wait=wait, cancel_futures=True)
        if self.extractors is not None:
            self.extractors.close(wait)
        self.checker.close()
        with self._lock:
            stores, self._stores = self._stores, []
        for store in stores:
            store.close()
