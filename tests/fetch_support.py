"""What the fetcher tests share: settings for 127.0.0.1, a fetcher factory that records the
waits it asks for, and handlers that answer in turn."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from servers import LocalSite, Request, Response

from tracker.config import Settings
from tracker.fetch import Fetcher


def local(**changes: object) -> Settings:
    """Settings for tests: 127.0.0.1 allowed, short timeouts, no gap, robots off unless asked."""
    base: dict[str, object] = {
        "allow_hosts": ("127.0.0.1",),
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "total_timeout": 10.0,
        "retries": 2,
        "per_host_gap": 0.0,
        "respect_robots": False,
    }
    base.update(changes)
    return Settings(**base)  # type: ignore[arg-type]


class Sleeps(list[float]):
    """Records every wait the fetcher asks for, and really waits."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture(name="make")
def make_fetcher(sleeps: Sleeps) -> Iterator[Callable[..., Fetcher]]:
    """`make(settings=None, **kwargs)`: a Fetcher for the test, closed after it."""
    made: list[Fetcher] = []

    def build(settings: Settings | None = None, **kwargs: object) -> Fetcher:
        kwargs.setdefault("backoff", 0.01)
        kwargs.setdefault("sleep", sleeps)
        fetcher = Fetcher(settings or local(), **kwargs)  # type: ignore[arg-type]
        made.append(fetcher)
        return fetcher

    yield build
    for fetcher in made:
        fetcher.close()


def quiet(site: LocalSite) -> None:
    """Drop the server's report of the reset a client causes by hanging up mid-body on purpose."""
    site.server.handle_error = lambda *_args: None  # type: ignore[method-assign]


def sequence(*responses: Response) -> Callable[[Request], Response]:
    """A handler answering with each response in turn, then repeating the last."""
    queue = list(responses)

    def handler(_req: Request) -> Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler
