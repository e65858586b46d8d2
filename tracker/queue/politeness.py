"""Per-host politeness shared by every worker through Redis: at most `per_host_concurrency`
requests in flight to one host and `per_host_gap` seconds between their starts, across machines.

One Lua script decides atomically on Redis's own clock: it drops expired slot leases, refuses
when the host's slots are full, else takes a slot (leased, so a killed worker's slot frees
itself) and reserves the next start time. The caller sleeps until its start, fetches, and frees
the slot.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_ACQUIRE = """
local slots, nextkey = KEYS[1], KEYS[2]
local limit, gap, lease, member = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
if redis.call('ZCARD', slots) >= limit then
  return -1
end
local start = math.max(now, tonumber(redis.call('GET', nextkey) or '0'))
redis.call('SET', nextkey, start + gap, 'PX', start - now + gap + 60000)
redis.call('ZADD', slots, now + lease, member)
redis.call('PEXPIRE', slots, lease + 60000)
return start - now
"""
POLL = 0.05  # seconds between tries while a host's slots are full


class RedisGate:
    """`gate(host, gap)`: a context manager holding one of the host's slots, shared in Redis."""

    def __init__(self, client: Any, limit: int, lease: float = 120.0) -> None:
        self.client = client
        self.limit = max(1, limit)
        self.lease_ms = int(lease * 1000)
        self._acquire = client.register_script(_ACQUIRE)
        self._prefix = f"storydiff:polite:{socket.gethostname()}:{os.getpid()}"
        self._count = 0
        self._lock = threading.Lock()

    def _member(self) -> str:
        with self._lock:
            self._count += 1
            return f"{self._prefix}:{self._count}:{uuid.uuid4().hex[:8]}"

    @contextmanager
    def __call__(self, host: str, gap: float) -> Iterator[None]:
        slots, nxt = f"storydiff:polite:{host}:slots", f"storydiff:polite:{host}:next"
        member = self._member()
        while True:
            wait = self._acquire(
                keys=[slots, nxt], args=[self.limit, int(gap * 1000), self.lease_ms, member]
            )
            if wait >= 0:
                break
            time.sleep(POLL)
        try:
            if wait:
                time.sleep(wait / 1000)
            yield
        finally:
            self.client.zrem(slots, member)
