"""One wall-clock deadline over a whole HTTP exchange: connect, TLS, status line, headers, body.

Socket timeouts bound each read, not their sum: a server that drips its status line or headers
one byte a second, just inside `read_timeout`, would otherwise hold a check or a webhook
delivery for as long as it likes. A single watchdog thread keeps the deadlines of the exchanges
in flight and shuts the socket of one that runs over; the blocked read then returns at once and
the fetcher reports a timeout. The connection classes register themselves when a request is
sent, in the calling thread, where `watching` has put the deadline.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection


class _Watch:
    __slots__ = ("deadline", "conns", "fired", "done")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.conns: list[Any] = []
        self.fired = False
        self.done = False


class _Watchdog:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Watch]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, watch: _Watch) -> None:
        with self._cond:
            heapq.heappush(self._heap, (watch.deadline, next(self._seq), watch))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="deadline", daemon=True)
                self._thread.start()
            self._cond.notify()

    def attach(self, watch: _Watch, conn: Any) -> None:
        with self._cond:
            if watch.fired:
                _shut(conn)
            else:
                watch.conns.append(conn)

    def finish(self, watch: _Watch) -> None:
        with self._cond:
            watch.done = True
            watch.conns.clear()

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                watch = heapq.heappop(self._heap)[2]
                watch.fired = True
                for conn in watch.conns:
                    _shut(conn)


def _shut(conn: Any) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


_dog = _Watchdog()
_local = threading.local()


@contextmanager
def watching(deadline: float) -> Iterator[_Watch]:
    """Every connection that sends a request in this block (this thread) is shut at
    `deadline` (time.monotonic); `.fired` then says the deadline ended the exchange."""
    watch = _Watch(deadline)
    _dog.add(watch)
    previous = getattr(_local, "watch", None)
    _local.watch = watch
    try:
        yield watch
    finally:
        _local.watch = previous
        _dog.finish(watch)


def _register(conn: Any) -> None:
    watch = getattr(_local, "watch", None)
    if watch is not None:
        _dog.attach(watch, conn)


def _opened(sock: socket.socket) -> socket.socket:
    """A socket connected after the deadline passed is shut before TLS or a byte is sent."""
    watch = getattr(_local, "watch", None)
    if watch is not None and watch.fired:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    return sock


class DeadlineHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _register(self)
        super().request(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        return _opened(super()._new_conn())


class DeadlineHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _register(self)
        super().request(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        return _opened(super()._new_conn())
