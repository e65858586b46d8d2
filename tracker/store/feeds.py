"""Feeds that discover stories."""

from __future__ import annotations

from typing import Any

from tracker import clock
from tracker.store.base import (
    _FEED_UPDATABLE,
    NotFound,
    Row,
    StoreBase,
    _as_id,
)


class FeedsMixin(StoreBase):
    # -- feeds

    def add_feed(
        self,
        url: str,
        *,
        title: str | None = None,
        interval: int | None = None,
        now: str | None = None,
    ) -> tuple[int, bool]:
        with self.write():
            row = self._one("SELECT id FROM feeds WHERE url = ?", [url])
            if row:
                return int(row["id"]), False
            at = now or clock.iso()
            cur = self.conn.execute(
                "INSERT INTO feeds (url, title, added_at, interval, next_check_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [url, title, at, interval, at],
            )
            return int(cur.lastrowid or 0), True

    def get_feed(self, feed_id: int) -> Row:
        row = self._one("SELECT * FROM feeds WHERE id = ?", [feed_id])
        if row is None:
            raise NotFound(f"no feed with id {feed_id}")
        return row

    def find_feed(self, ref: str | int) -> Row:
        text = str(ref).strip()
        if text.isascii() and text.isdigit():
            number = _as_id(text)
            if number is None:
                raise NotFound(f"no feed with id {text[:30]}")
            return self.get_feed(number)
        row = self._one("SELECT id FROM feeds WHERE url = ?", [text])
        if row is None:
            raise NotFound(f"no feed with id or URL {text!r}")
        return self.get_feed(int(row["id"]))

    def list_feeds(self) -> list[Row]:
        return self._all(
            "SELECT f.*, (SELECT count(*) FROM stories s WHERE s.feed_id = f.id) AS stories "
            "FROM feeds f ORDER BY f.id"
        )

    def due_feeds(self, now: str, limit: int = 50) -> list[Row]:
        return self._all(
            "SELECT * FROM feeds WHERE state = 'active' AND next_check_at <= ? "
            "ORDER BY next_check_at LIMIT ?",
            [now, limit],
        )

    def update_feed(self, feed_id: int, **fields: Any) -> None:
        self._update("feeds", "feed", feed_id, _FEED_UPDATABLE, fields)

    def delete_feed(self, feed_id: int) -> None:
        with self.write():
            if self.conn.execute("DELETE FROM feeds WHERE id = ?", [feed_id]).rowcount == 0:
                raise NotFound(f"no feed with id {feed_id}")
