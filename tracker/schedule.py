"""When each story is next checked (adaptive), and the dispatcher that runs the checks.

The interval follows how alive a story is. News stories change most in their first hours and then
settle, so the interval grows with the time since the story last changed (`TIERS`); a story that
still carries a developing marker ("(More to come)", "UPDATE:", live blogs; see markers.py) is
checked every few minutes; a change resets the clock. NewsDiffs' fixed ladder (`NEWSDIFFS`) is
the baseline: this ladder checks more often in the first hours, when edits happen, and less
after, for fewer requests in total (docs/SCHEDULING.md has the numbers). A per-story `interval`
wins over the ladder; failures back off exponentially; a story quiet for
`archive_after_days` is archived and no longer polled.

Each story's next check time lives in the store, so a restart resumes where it stopped; stories
found overdue on start are spread over a window with jitter instead of all firing at once.
"""

from __future__ import annotations

import logging
import multiprocessing
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from tracker import check, clock, feeds
from tracker.config import Settings
from tracker.document import Document
from tracker.extract import ExtractError, extract
from tracker.fetch import RETRY_AFTER_CAP, Fetcher
from tracker.store import Row, Store, StoreError, Unwritable
from tracker.writegate import WriteGate

log = logging.getLogger("storydiff.schedule")

MINUTE, HOUR, DAY = 60, 3600, 86400
# (quiet for less than this many seconds, check every this many seconds)
TIERS: tuple[tuple[float, int], ...] = (
    (15 * MINUTE, 5 * MINUTE),
    (HOUR, 10 * MINUTE),
    (3 * HOUR, 15 * MINUTE),
    (12 * HOUR, 45 * MINUTE),
    (DAY, 2 * HOUR),
    (3 * DAY, 6 * HOUR),
    (7 * DAY, 12 * HOUR),
    (30 * DAY, 2 * DAY),
    (float("inf"), 7 * DAY),
)
NEWSDIFFS: tuple[tuple[float, int], ...] = (
    (3 * HOUR, 15 * MINUTE),
    (DAY, HOUR),
    (7 * DAY, 3 * HOUR),
    (30 * DAY, 3 * DAY),
    (float("inf"), 30 * DAY),
)
DEVELOPING_INTERVAL = 10 * MINUTE
DEVELOPING_FOR = 2 * DAY  # a marker left on a page quiet for longer stops counting
FAILURE_CAP = DAY
JITTER = 0.1
SPREAD_MAX = 15 * MINUTE


@dataclass(frozen=True)
class Plan:
    """The next check: when (None once the story is no longer polled), in what state, and why."""

    next_check_at: str | None
    interval: int
    state: str
    reason: str


def ladder_interval(quiet_for: float, tiers: tuple[tuple[float, int], ...] = TIERS) -> int:
    """The ladder's interval for a story that has not changed for `quiet_for` seconds."""
    for limit, every in tiers:
        if quiet_for < limit:
            return every
    return tiers[-1][1]


def quiet_for(story: Mapping[str, Any], now: datetime, changed: bool) -> float:
    """Seconds since the story last changed (or was added, if it never has)."""
    if changed:
        return 0.0
    since = story.get("last_changed_at") or story.get("added_at")
    if not since:
        return 0.0
    try:
        return max(0.0, (now - clock.parse(since)).total_seconds())
    except ValueError:
        return 0.0


def next_interval(
    story: Mapping[str, Any],
    now: datetime,
    changed: bool,
    *,
    settings: Settings | None = None,
    developing: bool | None = None,
    failures: int = 0,
    retry_after: float | None = None,
) -> int:
    """Seconds until the next check, without jitter (see `plan` for the whole decision)."""
    seconds, _ = _decide(
        story, now, changed, settings or Settings(), developing, failures, retry_after
    )
    return seconds


def _decide(
    story: Mapping[str, Any],
    now: datetime,
    changed: bool,
    settings: Settings,
    developing: bool | None,
    failures: int,
    retry_after: float | None,
) -> tuple[int, str]:
    quiet = quiet_for(story, now, changed)
    live = bool(story.get("developing")) if developing is None else developing
    override = story.get("interval")
    if override:
        seconds, why = max(1, int(override)), f"set to every {human(int(override))}"
    else:
        seconds = ladder_interval(quiet)
        why = f"quiet for {human(quiet)}" if quiet else "just changed"
        if live and quiet < DEVELOPING_FOR and seconds > DEVELOPING_INTERVAL:
            seconds, why = DEVELOPING_INTERVAL, "developing story"
        seconds = min(max(seconds, settings.min_interval), settings.max_interval)
    if failures > 0:
        backed = seconds * 2 ** min(failures, 16)
        seconds = int(min(backed, max(seconds, FAILURE_CAP)))
        why = f"{failures} failed check{'s' if failures != 1 else ''} in a row"
    retry_after = _bounded(retry_after)
    if retry_after and retry_after > seconds:
        seconds, why = int(retry_after + 0.999), f"the server asked to wait {human(retry_after)}"
    return seconds, why


def plan(
    story: Mapping[str, Any],
    now: datetime,
    *,
    changed: bool,
    settings: Settings,
    developing: bool | None = None,
    failures: int = 0,
    retry_after: float | None = None,
    rng: Callable[[], float] = random.random,
) -> Plan:
    """The next check for `story` after a check at `now`: interval with jitter, or archiving."""
    quiet = quiet_for(story, now, changed)
    archive_after = settings.archive_after_days * DAY
    if archive_after > 0 and quiet >= archive_after:
        return Plan(None, 0, "archived", f"no change for {human(quiet)}: archived")
    retry_after = _bounded(retry_after)
    seconds, why = _decide(story, now, changed, settings, developing, failures, retry_after)
    jittered = seconds * (1 + JITTER * (2 * rng() - 1))
    if retry_after:
        jittered = max(jittered, retry_after)
    state = str(story.get("state") or "active")
    return Plan(clock.iso(now + timedelta(seconds=jittered)), seconds, state, why)


def _bounded(retry_after: float | None) -> float | None:
    """A server's wait, at most RETRY_AFTER_CAP (NaN and negatives count as none)."""
    if retry_after is None or not retry_after > 0:
        return None
    return min(retry_after, RETRY_AFTER_CAP)


def human(seconds: float) -> str:
    """90 -> '1 min', 7200 -> '2 h', 172800 -> '2 d'."""
    seconds = float(seconds)
    if seconds < MINUTE:
        return f"{seconds:.0f} s"
    if seconds < HOUR:
        return f"{seconds / MINUTE:.0f} min"
    if seconds < DAY:
        return f"{seconds / HOUR:.0f} h"
    return f"{seconds / DAY:.0f} d"


# --------------------------------------------------------------------------- running checks


def _extract_remote(body: bytes, content_type: str | None, url: str | None) -> Document:
    return extract(body, content_type, url)


def _wait(future: Future[Document], budget: float) -> Document | BaseException:
    """The page's Document, or what stopped it: a timeout, or the loss of its process.
    (ExtractError and other errors from the page itself are raised.)"""
    try:
        return future.result(timeout=budget)
    except (FutureTimeout, BrokenProcessPool, CancelledError) as exc:
        return exc


def _kill(procs: ProcessPoolExecutor) -> None:
    """Stop an extraction pool now, pages half read included."""
    # no public way to stop a worker mid-task before Python 3.14's kill_workers()
    for proc in list((getattr(procs, "_processes", None) or {}).values()):
        proc.kill()
    procs.shutdown(wait=False, cancel_futures=True)


class CheckPool:
    """A bounded pool of check threads; each thread opens its own Store (one connection each).

    With `extract_processes` > 0, page extraction (CPU-bound) runs in that many processes, so
    checks use every core instead of one under the GIL, and a page that takes longer than
    `extract_timeout` to read (hostile markup: libxml2 is quadratic in one element's attributes)
    is stopped: its processes are replaced and the check fails with a reason.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        workers: int | None = None,
        fetcher: Fetcher | None = None,
        extract_processes: int = 0,
        conditional: bool = True,
        on_result: Callable[[check.CheckResult], None] | None = None,
    ) -> None:
        self.settings = settings
        self.on_result = on_result
        self.workers = max(1, int(workers or settings.workers))
        self._extract_processes = extract_processes
        self._procs: ProcessPoolExecutor | None = None
        self._procs_lock = threading.Lock()
        # as many pages in flight as there are processes: a page's budget then runs only while
        # a process is reading it, never while it waits behind another
        self._slots = threading.BoundedSemaphore(max(1, extract_processes))
        extractor = None
        if extract_processes > 0:
            self._procs = self._new_procs()
            extractor = self.extract_elsewhere
        self.checker = check.Checker(
            settings, fetcher=fetcher, extractor=extractor, conditional=conditional
        )
        self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="check")
        self._local = threading.local()
        self._stores: list[Store] = []
        self._lock = threading.Lock()
        self.gate = WriteGate()

    def _new_procs(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self._extract_processes, mp_context=multiprocessing.get_context("forkserver")
        )

    def extract_elsewhere(self, body: bytes, ctype: str | None, url: str | None) -> Document:
        """Extract in an extraction process, within the `extract_timeout` budget.

        A page being read beside one that ran over loses its process with it; it is sent again,
        once, to the fresh processes with a budget of its own.
        """
        budget = self.settings.extract_timeout
        for _attempt in range(2):
            with self._slots:
                procs = self._procs
                if procs is None:
                    raise ExtractError("the check pool is closed")
                try:
                    future = procs.submit(_extract_remote, body, ctype, url)
                except (RuntimeError, BrokenProcessPool):  # replaced by another thread just now
                    self._replace_procs(procs)
                    continue
                outcome = _wait(future, budget)
                if isinstance(outcome, Document):
                    return outcome
                if not self._replace_procs(procs):
                    continue  # another page's thread replaced the processes under this one
            if isinstance(outcome, FutureTimeout):
                raise ExtractError(
                    f"reading the page took longer than {budget:g} s, so it was stopped"
                )
            raise ExtractError("the process reading the page stopped")
        raise ExtractError("the page could not be read: its extraction processes were replaced")

    def _replace_procs(self, broken: ProcessPoolExecutor) -> bool:
        """Kill `broken`'s processes and start fresh ones; False if that was already done (or
        the pool is closed)."""
        with self._procs_lock:
            if self._procs is not broken:
                return False
            self._procs = self._new_procs()
        _kill(broken)
        log.warning("extraction processes replaced after a page ran over its time budget")
        return True

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
        with self._procs_lock:
            procs, self._procs = self._procs, None
        if procs is not None:
            if wait:
                procs.shutdown(wait=True, cancel_futures=True)
            else:
                _kill(procs)
        self.checker.close()
        with self._lock:
            stores, self._stores = self._stores, []
        for store in stores:
            store.close()


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
        extract_processes: int = 0,
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
