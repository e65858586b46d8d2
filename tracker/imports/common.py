"""What every import shares: entries, outcomes, and adding them in batched transactions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import Any

from tracker.extract import ExtractError, extract
from tracker.record import record
from tracker.responses import plain
from tracker.store import NewStory, Store
from tracker.urls import BadURL, normalize, site

BATCH = 500
"""URLs per write transaction: 10,000 URLs are 20 commits, and the write lock is never held for
long while `tracker run` also writes."""


@dataclass
class Snapshot:
    """One past text of a page, read only when it is recorded (snapshots can be large)."""

    at: str
    load: Callable[[], tuple[bytes, str]]


@dataclass
class Entry:
    url: str
    title: str | None = None
    interval: int | None = None
    history: list[Snapshot] = field(default_factory=list)
    note: str | None = None  # what of this entry was not carried over


@dataclass
class Outcome:
    """What happened to one input: added, exists, invalid or skipped, and why."""

    source: str
    status: str
    id: int | None = None
    kind: str = "story"
    url: str | None = None
    reason: str | None = None
    versions: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        where = f"{self.id}\t{self.url}" if self.id else plain(self.source, None)
        noun = "" if self.kind == "story" else f"{self.kind} "
        text = f"{self.status:8} {noun}{where}"
        if self.versions:
            text += f"\t({self.versions} versions)"
        if self.reason:
            text += f"\t{plain(self.reason, None)}"
        return text


@dataclass
class Parsed:
    entries: Iterable[Entry] = field(default_factory=list)  # a list, or a stream (JSON Lines)
    feeds: list[Entry] = field(default_factory=list)
    skipped: list[Outcome] = field(default_factory=list)
    closer: Callable[[], None] | None = None  # releases what the entries' snapshots read from

    def close(self) -> None:
        if self.closer is not None:
            self.closer()


MAX_INPUT_BYTES = 20 * 1024 * 1024
"""The largest list, OPML or urls.yaml read (a zip is bounded member by member instead)."""


class BadImport(ValueError):
    """The input cannot be imported at all; the message says why, for a person."""


def _chunks(items: Iterable[Entry], size: int) -> Iterator[list[Entry]]:
    """Batches taken lazily, so entries read from a stream are never all in memory."""
    source = iter(items)
    while chunk := list(islice(source, size)):
        yield chunk


def add_entries(
    store: Store,
    entries: Iterable[Entry],
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
    budget_ms: float | None = None,
) -> list[Outcome]:
    """Add every entry (one transaction per batch), then record any history it carries.

    Invalid URLs are reported, not fatal; a URL already tracked is `exists` (idempotent).
    """
    outcomes: list[Outcome] = []
    for chunk in _chunks(entries, batch):
        valid: list[tuple[Entry, NewStory]] = []
        results: list[Outcome | None] = []
        for entry in chunk:
            try:
                clean = normalize(entry.url)
            except BadURL as exc:
                results.append(Outcome(entry.url[:300], "invalid", reason=str(exc)))
                continue
            title = (entry.title or "").strip()[:300] or None
            valid.append((entry, NewStory(clean, title, site(clean), entry.interval)))
            results.append(None)
        added = iter(store.add_stories(item for _, item in valid))
        pending = iter(valid)
        for slot, result in enumerate(results):
            if result is not None:
                continue
            entry, item = next(pending)
            story_id, created = next(added)
            status = "added" if created else "exists"
            outcome = Outcome(entry.url[:300], status, story_id, url=item.url, reason=entry.note)
            if entry.history:
                _record_history(store, outcome, entry.history, created, budget_ms)
            results[slot] = outcome
        outcomes.extend(r for r in results if r is not None)
        if progress:
            progress(len(chunk))
    return outcomes


def _record_history(
    store: Store, outcome: Outcome, history: list[Snapshot], created: bool, budget_ms: float | None
) -> None:
    if not created:
        outcome.reason = "already tracked: its history was not merged"
        return
    problems = 0
    for snap in sorted(history, key=lambda s: s.at):
        try:
            body, kind = snap.load()
            doc = extract(body, kind)
        except (ExtractError, ValueError, OSError):
            problems += 1
            continue
        done = record(
            store, outcome.id or 0, doc, fetched_at=snap.at, budget_ms=budget_ms, notify=False
        )
        outcome.versions += int(done.created)
    if problems:
        note = f"{problems} snapshot(s) unreadable, not recorded"
        outcome.reason = f"{outcome.reason}; {note}" if outcome.reason else note


def add_feeds(store: Store, entries: Iterable[Entry]) -> list[Outcome]:
    """Follow each feed (its new articles become stories at the next poll)."""
    outcomes = []
    for entry in entries:
        try:
            clean = normalize(entry.url)
        except BadURL as exc:
            outcomes.append(Outcome(entry.url[:300], "invalid", kind="feed", reason=str(exc)))
            continue
        title = (entry.title or "").strip()[:300] or None
        feed_id, created = store.add_feed(clean, title=title)
        status = "added" if created else "exists"
        outcomes.append(Outcome(entry.url[:300], status, feed_id, "feed", clean))
    return outcomes
