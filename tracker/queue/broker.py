"""The Redis broker, the two queues and their actors' names, configured for storydiff.

Why Dramatiq over Celery (docs/SCALING.md says more): a small library whose Redis broker gives
at-least-once delivery by itself: a message a worker has fetched sits in that worker's ack set
until it is acknowledged after the job, every broker command refreshes the worker's heartbeat,
and queue maintenance puts the unacked messages of a worker whose heartbeat is older than
`heartbeat_timeout` back on the queue. Celery's Redis transport instead redelivers after a
visibility timeout (an hour by default) that must outlast the longest job, and with its default
early acknowledgement a killed worker loses its job.
"""

from __future__ import annotations

from typing import Any

from tracker.config import Settings

CHECKS = "storydiff-checks"
RESULTS = "storydiff-results"
CHECK_ACTOR = "storydiff_check"
RESULT_ACTOR = "storydiff_result"
# queue maintenance (which requeues dead workers' messages) on 5% of broker commands instead of
# Dramatiq's 0.1%: an idle worker polls about once a second, so a dead worker's jobs are back
# on the queue within seconds of its heartbeat timing out, not a quarter of an hour
MAINTENANCE_CHANCE = 50_000


class QueueUnavailable(Exception):
    """The queue cannot be used: the extra is not installed, or Redis is not there."""


def connect(url: str, settings: Settings) -> Any:
    """A RedisBroker for `url`, checked with a PING; QueueUnavailable with a sentence if not."""
    try:
        import redis
        from dramatiq.brokers.redis import RedisBroker
    except ImportError:
        raise QueueUnavailable(
            "the queue needs the queue extra: pip install 'storydiff[queue]'"
        ) from None
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise QueueUnavailable(f"not a Redis URL: {url[:80]!r} (redis://host:6379/0)")
    try:
        broker = RedisBroker(
            url=url,
            heartbeat_timeout=int(settings.queue_heartbeat * 1000),
            maintenance_chance=MAINTENANCE_CHANCE,
            namespace="storydiff",
        )
        broker.client.ping()
    except (ValueError, redis.RedisError) as exc:
        raise QueueUnavailable(f"cannot use the queue at {_safe(url)}: {exc}") from None
    return broker


def declare(broker: Any, name: str, queue: str, func: Any, settings: Settings) -> Any:
    """Register `func` as the actor `name` on `queue` (a few retries for a crash, a time limit
    that outlasts a fetch plus a read)."""
    import dramatiq

    limit = (settings.total_timeout + settings.extract_timeout + 60) * 1000
    return dramatiq.Actor(
        func,
        broker=broker,
        actor_name=name,
        queue_name=queue,
        priority=0,
        options={"max_retries": 3, "min_backoff": 1000, "time_limit": int(limit)},
    )


def send(broker: Any, queue: str, actor: str, payload: dict[str, Any]) -> None:
    from dramatiq import Message

    broker.enqueue(
        Message(queue_name=queue, actor_name=actor, args=(payload,), kwargs={}, options={})
    )


def _safe(url: str) -> str:
    """The URL without a password."""
    head, sep, tail = url.rpartition("@")
    if not sep:
        return url
    scheme, _, _ = head.partition("://")
    return f"{scheme}://***@{tail}"
