"""Stories: adding, finding, listing and scheduling them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextlib import suppress
from typing import Any

from tracker import clock
from tracker.store.base import (
    _STORY_UPDATABLE,
    STORY_SORTS,
    STORY_STATES,
    NotFound,
    Row,
    StoreBase,
    StoreError,
    _as_id,
    _dumps,
)
from tracker.urls import BadURL, normalize


class StoriesMixin(StoreBase):
    # -- stories

    def add_story(
        self,
        url: str,
        *,
        title: str | None = None,
        interval: int | None = None,
        feed_id: int | None = None,
        canonical_url: str | None = None,
        site: str | None = None,
        next_check_at: str | None = None,
        options: dict[str, Any] | None = None,
        now: str | None = None,
    ) -> tuple[int, bool]:
        """Register a story; returns (id, created). A URL already tracked returns its id."""
        with self.write():
            existing = self._one(
                "SELECT id FROM stories WHERE url = ? OR (canonical_url IS NOT NULL AND "
                "canonical_url = ?)",
                [url, canonical_url or url],
            )
            if existing:
                return int(existing["id"]), False
            cur = self.conn.execute(
                "INSERT INTO stories (url, canonical_url, site, title, added_at, interval, "
                "feed_id, next_check_at, options) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    url,
                    canonical_url,
                    site,
                    title,
                    now or clock.iso(),
                    interval,
                    feed_id,
                    next_check_at or now or clock.iso(),
                    _dumps(options),
                ],
            )
            return int(cur.lastrowid or 0), True

    def get_story(self, story_id: int) -> Row:
        row = self._one(
            "SELECT s.*, f.url AS feed_url, f.title AS feed_title FROM stories s "
            "LEFT JOIN feeds f ON f.id = s.feed_id WHERE s.id = ?",
            [story_id],
        )
        if row is None:
            raise NotFound(f"no story with id {story_id}")
        row["options"] = json.loads(row["options"]) if row.get("options") else {}
        return row

    def find_story(self, ref: str | int) -> Row:
        """A story by numeric id or by URL (as registered or canonical), the URL as given or
        normalised like `tracker add` stores it (so `?utm_source=x` or an upper-case host finds
        the story too)."""
        text = str(ref).strip()
        if text.isascii() and text.isdigit():
            number = _as_id(text)
            if number is None:
                raise NotFound(f"no story with id {text[:30]}")
            return self.get_story(number)
        candidates = [text]
        with suppress(BadURL):
            candidates.append(normalize(text))
        found = self.find_story_by_urls(candidates)
        if found is None:
            raise NotFound(f"no story with id or URL {text!r}")
        return found

    def find_story_by_urls(self, urls: Iterable[str]) -> Row | None:
        for url in urls:
            row = self._one(
                "SELECT id FROM stories WHERE url = ? OR canonical_url = ? ORDER BY id LIMIT 1",
                [url, url],
            )
            if row:
                return self.get_story(int(row["id"]))
        return None

    def update_story(self, story_id: int, **fields: Any) -> None:
        if "options" in fields and not isinstance(fields["options"], (str, type(None))):
            fields["options"] = _dumps(fields["options"])
        if "state" in fields and fields["state"] not in STORY_STATES:
            raise StoreError(f"unknown story state {fields['state']!r}")
        self._update("stories", "story", story_id, _STORY_UPDATABLE, fields)

    def resume_story(self, story_id: int, now: str | None = None) -> None:
        """Check a paused, gone or archived story again, starting now, with a clean slate."""
        self.update_story(
            story_id, state="active", next_check_at=now or clock.iso(), failures=0, last_error=None
        )

    def delete_story(self, story_id: int) -> None:
        with self.write():
            self._unindex_story(story_id)
            cur = self.conn.execute("DELETE FROM stories WHERE id = ?", [story_id])
            if cur.rowcount == 0:
                raise NotFound(f"no story with id {story_id}")

    def _story_filters(
        self,
        *,
        site: str | None = None,
        feed_id: int | None = None,
        state: str | None = None,
        changed_since: str | None = None,
    ) -> tuple[str, list[Any]]:
        where, params = ["1 = 1"], []
        if site:
            where.append("s.site = ?")
            params.append(site)
        if feed_id is not None:
            where.append("s.feed_id = ?")
            params.append(feed_id)
        if state == "developing":
            where.append("s.developing = 1 AND s.state = 'active'")
        elif state == "quiet":
            where.append("s.developing = 0 AND s.state = 'active'")
        elif state == "failing":
            where.append("s.state = 'active' AND s.failures > 0")
        elif state == "never_checked":
            where.append("s.state = 'active' AND s.last_checked_at IS NULL AND s.version_count = 0")
        elif state:
            where.append("s.state = ?")
            params.append(state)
        if changed_since:
            where.append("s.last_changed_at >= ?")
            params.append(changed_since)
        return " AND ".join(where), params

    def list_stories(
        self,
        *,
        site: str | None = None,
        feed_id: int | None = None,
        state: str | None = None,
        changed_since: str | None = None,
        sort: str = "changed",
        limit: int = 50,
        offset: int = 0,
    ) -> list[Row]:
        """Stories with their listing figures, filtered, sorted and paged (indexed for 10k+)."""
        if sort not in STORY_SORTS:
            raise StoreError(f"unknown sort {sort!r}; use one of {', '.join(STORY_SORTS)}")
        where, params = self._story_filters(
            site=site, feed_id=feed_id, state=state, changed_since=changed_since
        )
        return self._all(
            f"SELECT s.* FROM stories s WHERE {where} ORDER BY {STORY_SORTS[sort]} "
            "LIMIT ? OFFSET ?",
            [*params, int(limit), int(offset)],
        )

    def count_stories(self, **filters: Any) -> int:
        where, params = self._story_filters(**filters)
        row = self._one(f"SELECT count(*) AS n FROM stories s WHERE {where}", params)
        return int(row["n"]) if row else 0

    def sites(self) -> list[str]:
        return [
            r["site"]
            for r in self._all(
                "SELECT DISTINCT site FROM stories WHERE site IS NOT NULL ORDER BY site"
            )
        ]

    def due_stories(self, now: str, limit: int = 100) -> list[Row]:
        """Active stories whose next check time has come, most overdue first."""
        return self._all(
            "SELECT * FROM stories WHERE state = 'active' AND next_check_at <= ? "
            "ORDER BY next_check_at, id LIMIT ?",
            [now, int(limit)],
        )
