"""Discover stories from RSS and Atom feeds (feedparser), and from sitemaps (`sitemaps`): each
poll tracks the entries not seen yet.

An entry's link is normalised (tracking parameters, case, default ports and fragments dropped) and
looked up by URL and by canonical URL before anything is added, so an article reached through the
feed with `?utm_source=rss`, or already tracked under its canonical address, is tracked once.
The feed itself is fetched like a page: conditionally, through the SSRF guard, politely.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import feedparser

from tracker import clock, sitemaps
from tracker.fetch import Fetcher, FetchError, FetchResult
from tracker.store import NotFound, Row, Store
from tracker.urls import BadURL, normalize, site

log = logging.getLogger("storydiff.feeds")

FEED_INTERVAL = 15 * 60
FAILURE_CAP = 24 * 3600
MAX_ENTRIES = 500


class FeedError(Exception):
    """The URL does not give a usable feed; the message says why in words."""


@dataclass(frozen=True)
class Entry:
    url: str
    title: str | None


@dataclass(frozen=True)
class Parsed:
    title: str | None
    entries: list[Entry]


@dataclass
class FeedResult:
    """What one poll did: the stories it added, how many entries it saw, or why it failed."""

    feed_id: int
    outcome: str  # polled / not_modified / error
    added: list[int] = field(default_factory=list)
    entries: int = 0
    error: str | None = None
    next_check_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse(body: bytes, base_url: str, content_type: str | None = None) -> Parsed:
    """Entries (normalised absolute links, in feed order) of an RSS or Atom document."""
    headers = {"content-type": content_type} if content_type else {}
    data = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    if not data.get("version") and not data.entries:
        why = data.get("bozo_exception")
        detail = f" ({why.__class__.__name__})" if why else ""
        raise FeedError(f"{base_url} is not an RSS or Atom feed{detail}")
    entries: list[Entry] = []
    seen: set[str] = set()
    for item in data.entries[:MAX_ENTRIES]:
        url = _entry_url(item, base_url)
        if url is None or url in seen:
            continue
        seen.add(url)
        title = str(item.get("title") or "").strip() or None
        entries.append(Entry(url, title[:500] if title else None))
    title = str(data.feed.get("title") or "").strip() or None
    return Parsed(title[:500] if title else None, entries)


def _entry_url(item: Any, base_url: str) -> str | None:
    """The article's address: FeedBurner's original link, the link, or a permalink guid."""
    candidates = [item.get("feedburner_origlink"), item.get("link")]
    if item.get("guidislink") or str(item.get("id") or "").startswith(("http://", "https://")):
        candidates.append(item.get("id"))
    for link in candidates:
        if not link or not isinstance(link, str):
            continue
        try:
            return normalize(urljoin(base_url, link.strip()))
        except (BadURL, ValueError):  # urljoin raises ValueError on e.g. http://[::1
            continue
    return None


def fetch(fetcher: Fetcher, url: str, feed: Row | None = None) -> tuple[FetchResult, Parsed | None]:
    """Fetch and parse a feed (conditionally when `feed` carries validators); raises FeedError."""
    try:
        page = fetcher.get(
            url,
            etag=feed.get("etag") if feed else None,
            last_modified=feed.get("last_modified") if feed else None,
        )
    except FetchError as exc:
        raise FeedError(exc.reason) from None
    if page.not_modified:
        return page, None
    if sitemaps.looks_like(page.body, page.final_url, page.content_type or None):
        try:
            found = sitemaps.read(fetcher, page.final_url, page.body)
        except sitemaps.SitemapError as exc:
            raise FeedError(str(exc)) from None
        entries = [Entry(link, title) for link, title in found.entries[:MAX_ENTRIES]]
        return page, Parsed(found.title, entries)
    return page, parse(page.body, page.final_url, page.content_type or None)


def add_entries(
    store: Store, feed_id: int, entries: list[Entry], now: str | None = None
) -> list[int]:
    """Track the entries not tracked yet (by URL or canonical URL); returns the new story ids."""
    added: list[int] = []
    at = now or clock.iso()
    with store.write():
        for entry in entries:  # add_story itself skips a URL tracked by URL or canonical URL
            story_id, created = store.add_story(
                entry.url,
                title=entry.title,
                feed_id=feed_id,
                site=site(entry.url),
                next_check_at=at,
                now=at,
            )
            if created:
                added.append(story_id)
    return added


def poll(
    store: Store,
    feed_id: int,
    fetcher: Fetcher,
    now: datetime | None = None,
) -> FeedResult:
    """Poll one feed: add its new entries as stories and plan the next poll."""
    moment = now or clock.now()
    at = clock.iso(moment)
    feed = store.get_feed(feed_id)
    every = int(feed.get("interval") or FEED_INTERVAL)
    try:
        page, parsed = fetch(fetcher, feed["url"], feed)
    except FeedError as exc:
        failures = int(feed.get("failures") or 0) + 1
        wait = min(every * 2 ** min(failures, 16), max(every, FAILURE_CAP))
        next_at = clock.iso(moment + timedelta(seconds=wait))
        store.update_feed(
            feed_id,
            last_checked_at=at,
            failures=failures,
            last_error=str(exc),
            next_check_at=next_at,
        )
        return FeedResult(feed_id, "error", error=str(exc), next_check_at=next_at)
    return _apply(store, feed, page, parsed, moment)


def _apply(
    store: Store, feed: Row, page: FetchResult, parsed: Parsed | None, moment: datetime
) -> FeedResult:
    """Record a successful fetch of the feed: new entries become stories, in one transaction."""
    at = clock.iso(moment)
    next_at = clock.iso(moment + timedelta(seconds=int(feed.get("interval") or FEED_INTERVAL)))
    fields: dict[str, Any] = {
        "last_checked_at": at,
        "failures": 0,
        "last_error": None,
        "next_check_at": next_at,
    }
    if parsed is None:
        store.update_feed(feed["id"], **fields)
        return FeedResult(feed["id"], "not_modified", next_check_at=next_at)
    fields.update(etag=page.etag, last_modified=page.last_modified)
    if parsed.title and not feed.get("title"):
        fields["title"] = parsed.title
    with store.write():
        added = add_entries(store, feed["id"], parsed.entries, at)
        store.update_feed(feed["id"], **fields)
    return FeedResult(
        feed["id"], "polled", added=added, entries=len(parsed.entries), next_check_at=next_at
    )


def follow(
    store: Store,
    url: str,
    fetcher: Fetcher,
    *,
    interval: int | None = None,
) -> tuple[int, bool, FeedResult]:
    """Start following the feed at `url` after checking it is one; returns (id, created, poll).

    The feed is fetched and parsed first, so a typo or a web page is refused without leaving a
    feed behind. Raises FeedError or BadURL with a readable reason.
    """
    clean = normalize(url)
    try:
        existing: Row | None = store.find_feed(clean)
    except NotFound:
        existing = None
    if existing is not None:
        return int(existing["id"]), False, poll(store, int(existing["id"]), fetcher)
    # fetched outside the except block: a failure there would carry the NotFound as its
    # context, and the reason read from it said "no feed with id or URL ..."
    page, parsed = fetch(fetcher, clean)
    feed_id, created = store.add_feed(clean, interval=interval)
    return feed_id, created, _apply(store, store.get_feed(feed_id), page, parsed, clock.now())


def record_internal_error(store: Store, feed_id: int, exc: BaseException) -> FeedResult:
    """A poll that crashed on a bug: noted on the feed and retried later, not every tick."""
    reason = f"internal error while polling: {exc.__class__.__name__}: {exc}"
    next_at = clock.later(FEED_INTERVAL)
    store.update_feed(feed_id, last_error=reason, next_check_at=next_at)
    return FeedResult(feed_id, "error", error=reason, next_check_at=next_at)
