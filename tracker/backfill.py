"""A story's past from web archives: the captures the Wayback Machine (or any archive with a
CDX API or a Memento TimeMap) holds of its URL, recorded as versions in time order.

1. Ask the index: the CDX API (`archive_cdx_url`, JSON output, status 200 only, adjacent
   duplicates collapsed) or, when `archive_timemap_url` is set, a Memento TimeMap in link format
   (RFC 7089). 2. Keep distinct captures: one per content digest, none already recorded, at most
   `backfill_limit`, spread evenly over time (always the first and the last). 3. Fetch each
   through the same guarded `Fetcher` as every check (SSRF guard, robots.txt, size caps, one
   request at a time per host with `per_host_gap` between them), the original bytes (`id_`).
4. Record each as a version at the time of its capture (`record`, so in time order, without
   notifying anyone), keep the page, and mark it with its archive URL (`archived_captures`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlencode

from tracker import clock
from tracker.config import Settings
from tracker.extract import ExtractError, extract
from tracker.fetch import Fetcher, FetchError
from tracker.record import record
from tracker.store import Row, Store

MAX_INDEX_ROWS = 100_000


class BackfillError(Exception):
    """The archive's index could not be read; the message says why."""


@dataclass(frozen=True)
class Capture:
    captured_at: str
    archive_url: str
    digest: str | None = None


@dataclass
class Result:
    story_id: int
    found: int = 0
    recorded: list[dict] = field(default_factory=list)
    unchanged: int = 0
    failed: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "story_id": self.story_id,
            "found": self.found,
            "recorded": self.recorded,
            "unchanged": self.unchanged,
            "failed": self.failed,
        }


def _stamp(text: str) -> str | None:
    """A CDX timestamp (YYYYMMDDhhmmss, possibly shorter) as a stored time, or None."""
    digits = text.strip()
    if not digits.isascii() or not digits.isdigit() or not 4 <= len(digits) <= 14:
        return None
    digits = digits.ljust(14, "0") if len(digits) > 4 else digits + "0101000000"
    try:
        return clock.iso(datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=UTC))
    except ValueError:
        return None


def replay_url(settings: Settings, timestamp: str, url: str) -> str:
    return settings.archive_replay_url.replace("{timestamp}", timestamp).replace("{url}", url)


def parse_cdx(body: bytes, settings: Settings) -> list[Capture]:
    """CDX API answers: JSON (a header row, then rows) or the plain space-separated lines,
    each with the fields asked for: timestamp, original, statuscode, digest."""
    text = body.decode("utf-8", "replace").strip()
    rows: list[list[str]]
    if text.startswith("["):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise BackfillError("the CDX answer is not valid JSON") from None
        if not isinstance(data, list):
            raise BackfillError("the CDX answer is not a list")
        rows = [r for r in data[1:] if isinstance(r, list) and all(isinstance(x, str) for x in r)]
    else:
        rows = [line.split() for line in text.splitlines() if line.strip()]
    captures = []
    for row in rows[:MAX_INDEX_ROWS]:
        if len(row) < 4 or row[2] not in ("200", "-"):
            continue
        at = _stamp(row[0])
        if at is None or not row[1].startswith(("http://", "https://")):
            continue
        captures.append(Capture(at, replay_url(settings, row[0], row[1]), row[3] or None))
    return captures


_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[\w-]+\s*=\s*(?:\"[^\"]*\"|[^;,<]*)\s*)*)")
_PARAM = re.compile(r";\s*([\w-]+)\s*=\s*(?:\"([^\"]*)\"|([^;,<]*))")


def parse_timemap(body: bytes) -> list[Capture]:
    """A Memento TimeMap in link format: every link whose rel has `memento`, with its datetime."""
    captures = []
    for match in _LINK.finditer(body.decode("utf-8", "replace")):
        params = {
            m.group(1).lower(): m.group(2) or m.group(3) or ""
            for m in _PARAM.finditer(match.group(2))
        }
        if "memento" not in params.get("rel", "").split():
            continue
        try:
            moment = parsedate_to_datetime(params.get("datetime", ""))
        except (TypeError, ValueError):
            continue
        if moment.tzinfo is None or not match.group(1).startswith(("http://", "https://")):
            continue
        captures.append(Capture(clock.iso(moment), match.group(1)))
        if len(captures) >= MAX_INDEX_ROWS:
            break
    return captures


def index_url(settings: Settings, url: str) -> str:
    if settings.archive_timemap_url:
        return settings.archive_timemap_url.replace("{url}", quote(url, safe=":/?=&%"))
    query = urlencode(
        {
            "url": url,
            "output": "json",
            "fl": "timestamp,original,statuscode,digest",
            "filter": "statuscode:200",
            "collapse": "digest",
        }
    )
    return f"{settings.archive_cdx_url}?{query}"


def list_captures(fetcher: Fetcher, settings: Settings, url: str) -> list[Capture]:
    where = index_url(settings, url)
    try:
        answer = fetcher.get(where)
    except FetchError as exc:
        raise BackfillError(f"the archive index could not be read: {exc.reason}") from None
    if settings.archive_timemap_url:
        return parse_timemap(answer.body)
    return parse_cdx(answer.body, settings)


def choose(captures: list[Capture], known: set[str], limit: int) -> list[Capture]:
    """Distinct captures not yet recorded, oldest first, at most `limit` spread over time."""
    seen: set[str] = set()
    fresh = []
    for capture in sorted(captures, key=lambda c: c.captured_at):
        key = capture.digest or capture.archive_url
        if key in seen or key in known or capture.archive_url in known:
            continue
        seen.add(key)
        fresh.append(capture)
    if len(fresh) <= limit:
        return fresh
    if limit == 1:
        return [fresh[-1]]
    step = (len(fresh) - 1) / (limit - 1)
    return [fresh[round(i * step)] for i in range(limit)]


def backfill(
    store: Store,
    fetcher: Fetcher,
    settings: Settings,
    story: Row,
    *,
    progress: Callable[[Capture], None] | None = None,
) -> Result:
    """Record the archived captures of `story` not yet recorded; see the module docstring."""
    result = Result(story_id=int(story["id"]))
    captures = list_captures(fetcher, settings, story["url"])
    result.found = len(captures)
    known = store.known_captures(story["id"])
    for capture in choose(captures, known, settings.backfill_limit):
        if progress:
            progress(capture)
        try:
            page = fetcher.get(capture.archive_url)
            doc = extract(page.body, page.content_type, story["url"])
        except (FetchError, ExtractError) as exc:
            reason = exc.reason if isinstance(exc, FetchError) else str(exc)
            result.failed.append({"archive_url": capture.archive_url, "reason": reason})
            continue
        digest = capture.digest or "sha1:" + hashlib.sha1(page.body).hexdigest()
        done = record(
            store,
            story["id"],
            doc,
            fetched_at=capture.captured_at,
            raw=page.body,
            raw_type=page.content_type or None,
            budget_ms=settings.diff_budget_ms,
            notify=False,
        )
        if not done.created:
            result.unchanged += 1
            continue
        store.mark_capture(
            story["id"], done.number, capture.archive_url, capture.captured_at, digest
        )
        result.recorded.append(
            {"captured_at": capture.captured_at, "archive_url": capture.archive_url}
        )
    return result
