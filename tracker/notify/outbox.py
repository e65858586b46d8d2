"""The outbox worker: send due deliveries with retries, record every attempt, never lose one.

Deliveries are written by the store in the same transaction as their change. `deliver_due`
claims due ones under a lease (so a worker that dies mid-send leaves them to be claimed again
once the lease runs out), sends them from a small thread pool, and records each attempt: sent,
pending again after an exponential backoff with jitter, or dead after
`settings.delivery_max_attempts` (a person can send a dead one again with `tracker deliveries
--retry ID`). Because a re-sent delivery carries the same idempotency key, a receiver that
honours it sees every (subscription, change) exactly once.

Only the calling thread touches the store; the pool threads only talk to the network.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from tracker import clock
from tracker.config import Settings
from tracker.notify.channel import Outcome, Outgoing
from tracker.notify.digest import DIGEST_MODES
from tracker.notify.message import Notice, build_notice
from tracker.store import NotFound, Row, Store, StoreError

BACKOFF_BASE = 30.0
BACKOFF_CAP = 6 * 3600.0
# One module per channel, each with send(out, settings, *, fetcher, timeout) -> Outcome.
CHANNELS = {
    "webhook": "tracker.notify.webhook",
    "email": "tracker.notify.mail",
    "apprise": "tracker.notify.apprise_channel",
}


@dataclass
class Report:
    """What one run did, for logs, the CLI and tests."""

    claimed: int = 0
    messages: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "claimed": self.claimed,
            "messages": self.messages,
            "sent": self.sent,
            "retrying": self.retrying,
            "dead": self.dead,
            "errors": self.errors[:20],
        }


def backoff(attempt: int, *, rng: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds before retry number `attempt` (1-based): 30 s doubling to 6 h, "equal jitter"
    (half fixed, half random) so a crowd of failed deliveries does not come back at once."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempt - 1))
    return delay / 2 + rng(0, delay / 2)


def digest_key(subscription_id: int, keys: list[str]) -> str:
    """One idempotency key for a digest, the same whenever the same deliveries are re-sent."""
    if len(keys) == 1:
        return keys[0]
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:20]
    return f"storydiff-digest-{subscription_id}-{digest}"


def _send(out: Outgoing, settings: Settings, fetcher: Any, timeout: float) -> tuple[Outcome, float]:
    start = time.perf_counter()
    try:
        if out.channel not in CHANNELS:
            outcome = Outcome(False, error=f"unknown channel {out.channel!r}", permanent=True)
        else:
            module = importlib.import_module(CHANNELS[out.channel])
            outcome = module.send(out, settings, fetcher=fetcher, timeout=timeout)
    except Exception as exc:  # a channel bug fails this attempt only; it is retried and logged
        outcome = Outcome(False, error=f"{type(exc).__name__}: {exc}"[:500])
    return outcome, (time.perf_counter() - start) * 1000


def _webhook_fetcher(settings: Settings, workers: int) -> Any:
    """One guarded fetcher (and its connection pools) for the run's webhook posts.

    Crawl politeness (a gap between requests to one host, two at a time) is for news sites; a
    webhook receiver asked for our posts, and says so with 429/Retry-After when it has enough.
    """
    from tracker.fetch import Fetcher

    return Fetcher(
        settings.replace(
            per_host_gap=0.0, per_host_concurrency=max(workers, settings.per_host_concurrency)
        )
    )


class _Run:
    """One call of deliver_due: its clock, caches and tallies."""

    def __init__(self, store: Store, settings: Settings, now: str | None) -> None:
        self.store, self.settings, self.fixed_now = store, settings, now
        self.notices: dict[int, Notice] = {}
        self.report = Report()

    def now(self) -> str:
        return self.fixed_now or clock.iso()

    def notice(self, change_id: int) -> Notice:
        if change_id not in self.notices:
            self.notices[change_id] = build_notice(self.store, self.settings, change_id)
        return self.notices[change_id]

    def outgoing(self, rows: list[Row]) -> list[Outgoing]:
        """Instant deliveries one message each; digest deliveries one message per subscription."""
        groups: dict[Any, list[Row]] = {}
        for row in rows:
            digest = row["mode"] in DIGEST_MODES
            key = ("d", row["subscription_id"]) if digest else ("i", row["id"])
            groups.setdefault(key, []).append(row)
        result = []
        for members in groups.values():
            good, notices = [], []
            for row in sorted(members, key=lambda r: r["change_id"]):
                try:
                    notices.append(self.notice(int(row["change_id"])))
                    good.append(row)
                except StoreError as exc:
                    self.finish([row], Outcome(False, error=str(exc), permanent=True), 0.0)
            if not good:
                continue
            first = good[0]
            result.append(
                Outgoing(
                    subscription_id=int(first["subscription_id"]),
                    channel=first["channel"],
                    target=first["target"],
                    secret=first.get("secret"),
                    mode=first["mode"],
                    key=digest_key(
                        int(first["subscription_id"]), [r["idempotency_key"] for r in good]
                    ),
                    notices=notices,
                    delivery_ids=[int(r["id"]) for r in good],
                )
            )
        return result

    def finish(self, rows: list[Row], outcome: Outcome, duration_ms: float) -> None:
        at = self.now()
        retry_at = None
        attempt = max(int(r["attempts"]) for r in rows) + 1
        retryable = not outcome.ok and not outcome.permanent
        if retryable and attempt < self.settings.delivery_max_attempts:
            delay = backoff(attempt)
            if outcome.retry_after:
                delay = max(delay, min(outcome.retry_after, BACKOFF_CAP))
            retry_at = clock.later(delay, clock.parse(at))
        for row in rows:
            try:
                self.store.finish_delivery(
                    int(row["id"]),
                    ok=outcome.ok,
                    at=at,
                    status=outcome.status,
                    error=outcome.error,
                    duration_ms=round(duration_ms, 1),
                    retry_at=retry_at,
                )
            except NotFound:
                continue  # the subscription was deleted while its message was in flight
            if outcome.ok:
                self.report.sent += 1
            elif retry_at:
                self.report.retrying += 1
            else:
                self.report.dead += 1
        if not outcome.ok:
            self.report.errors.append(f"deliveries {[r['id'] for r in rows]}: {outcome.error}")
        elif rows[0]["mode"] in DIGEST_MODES:
            with suppress(StoreError):
                self.store.update_subscription(int(rows[0]["subscription_id"]), last_digest_at=at)


def deliver_due(
    store: Store,
    settings: Settings,
    *,
    fetcher: Any = None,
    now: str | None = None,
    limit: int = 5000,
    workers: int = 8,
    timeout: float | None = None,
) -> Report:
    """Send every delivery due at `now` (default: the clock), at most `limit`; returns a Report.

    Safe to run from several processes at once: each delivery is claimed by one of them. Call
    from the thread that owns `store`.
    """
    run = _Run(store, settings, now)
    workers = max(1, int(workers))
    timeout = float(timeout or min(settings.read_timeout, settings.total_timeout))
    batch_size = max(1, workers * 4)
    lease = math.ceil(batch_size / workers) * (timeout + settings.connect_timeout + 5) + 30
    by_id: dict[int, Row] = {}
    own_fetcher = fetcher is None
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver") as pool:
            while run.report.claimed < limit:
                at = run.now()
                lease_until = clock.later(lease, clock.parse(at))
                rows = store.claim_deliveries(
                    at, lease_until, min(batch_size, limit - run.report.claimed)
                )
                if not rows:
                    break
                run.report.claimed += len(rows)
                by_id.update({int(r["id"]): r for r in rows})
                messages = run.outgoing(rows)
                run.report.messages += len(messages)
                if fetcher is None and any(out.channel == "webhook" for out in messages):
                    fetcher = _webhook_fetcher(settings, workers)
                futures = {
                    pool.submit(_send, out, settings, fetcher, timeout): out for out in messages
                }
                for future in as_completed(futures):
                    out = futures[future]
                    outcome, duration = future.result()
                    run.finish([by_id[i] for i in out.delivery_ids], outcome, duration)
    finally:
        if own_fetcher and fetcher is not None:
            fetcher.close()
    return run.report


def deliver_job(settings: Settings) -> Report:
    """One outbox run on a connection of its own: the scheduler calls it from any thread."""
    with Store(settings.db, timeout=settings.db_timeout) as store:
        return deliver_due(store, settings)
