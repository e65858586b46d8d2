"""robots.txt rules per origin, parsed once and cached for a while, so politeness costs one request.

The fetcher downloads robots.txt (through the same guard, pinning and limits as any page) and
hands the text here; this module only parses, answers "may this agent fetch this path?" and
remembers the answer per origin until its time-to-live runs out. RFC 9309 semantics: a missing
file (4xx) allows everything, a server error (5xx) disallows everything for a short while.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.robotparser import RobotFileParser

DEFAULT_TTL = 3600.0
ERROR_TTL = 600.0
MAX_BYTES = 512 * 1024
MAX_CRAWL_DELAY = 60.0


@dataclass(frozen=True)
class Rules:
    """The parsed robots.txt of one origin, or a blanket allow/deny when there is none."""

    parser: RobotFileParser | None
    allow_all: bool = True
    note: str = ""

    def allows(self, agent: str, target: str) -> bool:
        """May `agent` (a User-Agent string) fetch `target` (path and query)?"""
        if self.parser is None:
            return self.allow_all
        return self.parser.can_fetch(product_token(agent), target)

    def crawl_delay(self, agent: str) -> float:
        """The Crawl-delay asked of this agent, capped so one file cannot stall a host forever."""
        if self.parser is None:
            return 0.0
        try:
            delay = float(self.parser.crawl_delay(product_token(agent)) or 0.0)
        except (TypeError, ValueError):
            return 0.0
        return max(0.0, min(delay, MAX_CRAWL_DELAY))


ALLOW_ALL = Rules(None, True, "no robots.txt")


def parse(text: str) -> Rules:
    """Rules from the text of a robots.txt file."""
    parser = RobotFileParser()
    parser.parse([line for line in text.splitlines() if not _bad_number(line)])
    parser.modified()
    return Rules(parser)


def _bad_number(line: str) -> bool:
    """A Crawl-delay or Request-rate line with non-ASCII digits ('²'): the standard parser
    passes them to int(), which raises; such a line is dropped as unreadable."""
    name, _, value = line.partition(":")
    return name.strip().lower() in ("crawl-delay", "request-rate") and not value.isascii()


def product_token(agent: str) -> str:
    """The name robots.txt groups match against: `storydiff` from `storydiff/0.1 (+...)`."""
    return (agent.split("/", 1)[0].split() or ["*"])[0]


class RobotsCache:
    """Rules per origin with a time-to-live; one lock per origin so only one thread downloads."""

    def __init__(self, ttl: float = DEFAULT_TTL, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, Rules]] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, origin: str) -> Rules | None:
        with self._lock:
            entry = self._entries.get(origin)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._entries[origin]
                return None
            self._entries.move_to_end(origin)
            return entry[1]

    def put(self, origin: str, rules: Rules, ttl: float | None = None) -> None:
        expires = time.monotonic() + (self.ttl if ttl is None else ttl)
        with self._lock:
            self._entries[origin] = (expires, rules)
            self._entries.move_to_end(origin)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def lock_for(self, origin: str) -> threading.Lock:
        with self._lock:
            if len(self._locks) > self.max_entries:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(origin, threading.Lock())
