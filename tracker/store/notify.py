"""Subscriptions and the outbox of deliveries."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from secrets import token_hex
from typing import Any

from tracker import clock
from tracker.store.base import (
    _SUBSCRIPTION_UPDATABLE,
    Conflict,
    NotFound,
    Row,
    StoreBase,
    _decode_subscription,
    _dumps,
)


class NotifyMixin(StoreBase):
    # -- subscriptions and the outbox

    def add_subscription(
        self,
        *,
        scope: str,
        channel: str,
        target: str,
        story_id: int | None = None,
        feed_id: int | None = None,
        secret: str | None = None,
        min_words: int = 0,
        kinds: Iterable[str] | None = None,
        developing_only: bool = False,
        mode: str = "instant",
    ) -> int:
        with self.write():
            if story_id is not None:
                self.get_story(story_id)
            if feed_id is not None:
                self.get_feed(feed_id)
            cur = self.conn.execute(
                "INSERT INTO subscriptions (scope, story_id, feed_id, channel, target, secret, "
                "min_words, kinds, developing_only, mode, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    scope,
                    story_id,
                    feed_id,
                    channel,
                    target,
                    secret,
                    int(min_words),
                    _dumps(sorted(kinds)) if kinds else None,
                    int(developing_only),
                    mode,
                    clock.iso(),
                ],
            )
            return int(cur.lastrowid or 0)

    def get_subscription(self, sub_id: int) -> Row:
        row = self._one("SELECT * FROM subscriptions WHERE id = ?", [sub_id])
        if row is None:
            raise NotFound(f"no subscription with id {sub_id}")
        return _decode_subscription(row)

    def list_subscriptions(self, *, story_id: int | None = None) -> list[Row]:
        if story_id is None:
            rows = self._all("SELECT * FROM subscriptions ORDER BY id")
        else:
            rows = self._all(
                "SELECT * FROM subscriptions WHERE story_id = ? ORDER BY id", [story_id]
            )
        return [_decode_subscription(r) for r in rows]

    def delete_subscription(self, sub_id: int) -> None:
        with self.write():
            if self.conn.execute("DELETE FROM subscriptions WHERE id = ?", [sub_id]).rowcount == 0:
                raise NotFound(f"no subscription with id {sub_id}")

    def update_subscription(self, sub_id: int, **fields: Any) -> None:
        self._update("subscriptions", "subscription", sub_id, _SUBSCRIPTION_UPDATABLE, fields)

    def _subscriptions_for(self, story: Row) -> list[Row]:
        rows = self._all(
            "SELECT * FROM subscriptions WHERE active = 1 AND (scope = 'all' "
            "OR (scope = 'story' AND story_id = ?) OR (scope = 'feed' AND feed_id = ?))",
            [story["id"], story.get("feed_id")],
        )
        return [_decode_subscription(r) for r in rows]

    def _enqueue(self, change_id: int, picked: Iterable[int | tuple[int, str]], at: str) -> int:
        """Queue deliveries; an item is a subscription id, or (id, send_at) for a digest."""
        count = 0
        for item in picked:
            sub_id, send_at = item if isinstance(item, tuple) else (item, at)
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO deliveries (subscription_id, change_id, created_at, "
                "next_attempt_at, idempotency_key) VALUES (?, ?, ?, ?, ?)",
                [sub_id, change_id, at, send_at, f"storydiff-{sub_id}-{change_id}-{token_hex(4)}"],
            )
            count += cur.rowcount
        return count

    def claim_deliveries(self, now: str, lease_until: str, limit: int = 50) -> list[Row]:
        """Take due deliveries for sending: pending ones, and 'sending' ones whose lease ran out
        (a worker that died mid-send), so a crash never loses one."""
        with self.write():
            rows = self._all(
                "SELECT d.id FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id "
                "WHERE s.active = 1 AND ((d.status = 'pending' AND d.next_attempt_at <= ?) "
                "OR (d.status = 'sending' AND d.claimed_until <= ?)) "
                "ORDER BY d.next_attempt_at, d.id LIMIT ?",
                [now, now, int(limit)],
            )
            ids = [r["id"] for r in rows]
            if not ids:
                return []
            marks = ", ".join("?" for _ in ids)
            self.conn.execute(
                "UPDATE deliveries SET status = 'sending', claimed_until = ? "
                f"WHERE id IN ({marks})",
                [lease_until, *ids],
            )
            return self._all(
                f"SELECT d.*, s.channel, s.target, s.secret, s.mode, s.scope "
                f"FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id "
                f"WHERE d.id IN ({marks}) ORDER BY d.id",
                ids,
            )

    def finish_delivery(
        self,
        delivery_id: int,
        *,
        ok: bool,
        at: str,
        status: int | None = None,
        error: str | None = None,
        duration_ms: float | None = None,
        retry_at: str | None = None,
    ) -> None:
        """Record one attempt; the delivery becomes sent, pending again (retry_at) or dead.

        NotFound when the delivery is gone (its subscription was deleted while it was sent).
        """
        with self.write():
            try:
                self.conn.execute(
                    "INSERT INTO delivery_attempts "
                    "(delivery_id, at, ok, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
                    [delivery_id, at, int(ok), status, error, duration_ms],
                )
            except sqlite3.IntegrityError:
                raise NotFound(f"no delivery with id {delivery_id}") from None
            if ok:
                self.conn.execute(
                    "UPDATE deliveries SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
                    "last_error = NULL, claimed_until = NULL WHERE id = ?",
                    [at, delivery_id],
                )
            else:
                self.conn.execute(
                    "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?, "
                    "next_attempt_at = coalesce(?, next_attempt_at), claimed_until = NULL "
                    "WHERE id = ?",
                    ["pending" if retry_at else "dead", error, retry_at, delivery_id],
                )

    def list_deliveries(self, *, failed: bool = False, limit: int = 100) -> list[Row]:
        where = "WHERE d.status = 'dead' OR d.last_error IS NOT NULL" if failed else ""
        return self._all(
            f"SELECT d.*, s.channel, s.target FROM deliveries d "
            f"JOIN subscriptions s ON s.id = d.subscription_id {where} "
            "ORDER BY d.id DESC LIMIT ?",
            [limit],
        )

    def get_delivery(self, delivery_id: int) -> Row:
        row = self._one(
            "SELECT d.*, s.channel, s.target FROM deliveries d "
            "JOIN subscriptions s ON s.id = d.subscription_id WHERE d.id = ?",
            [delivery_id],
        )
        if row is None:
            raise NotFound(f"no delivery with id {delivery_id}")
        return row

    def delivery_attempts(self, delivery_id: int) -> list[Row]:
        return self._all(
            "SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY id", [delivery_id]
        )

    def retry_delivery(self, delivery_id: int, now: str | None = None) -> None:
        """Send a dead (or failing) delivery again from scratch.

        Refused (Conflict) when it was sent, or while a worker holds it (a live lease): re-queuing
        then would send it twice.
        """
        at = now or clock.iso()
        with self.write():
            cur = self.conn.execute(
                "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, "
                "claimed_until = NULL WHERE id = ? AND status != 'sent' "
                "AND NOT (status = 'sending' AND claimed_until > ?)",
                [at, delivery_id, at],
            )
            if cur.rowcount == 0:
                row = self.get_delivery(delivery_id)
                if row["status"] == "sent":
                    raise Conflict(f"delivery {delivery_id} was already sent")
                raise Conflict(f"delivery {delivery_id} is being sent right now")
