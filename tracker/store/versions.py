"""Versions and the changes between them, recorded in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tracker import clock
from tracker.document import Document
from tracker.store.base import (
    _VERSION,
    CHANGE_FIELDS,
    NotFound,
    Recorded,
    Row,
    StoreBase,
    _decode_change,
    _dumps,
    compress,
    decompress,
)


class VersionsMixin(StoreBase):
    # -- versions and changes

    def latest_version(self, story_id: int) -> Row | None:
        return self._one(
            f"SELECT {_VERSION} FROM versions WHERE story_id = ? ORDER BY number DESC LIMIT 1",
            [story_id],
        )

    def get_version(self, story_id: int, number: int) -> Row:
        row = self._one(
            f"SELECT {_VERSION} FROM versions WHERE story_id = ? AND number = ?",
            [story_id, number],
        )
        if row is None:
            raise NotFound(f"story {story_id} has no version {number}")
        return row

    def list_versions(self, story_id: int, *, with_text: bool = False) -> list[Row]:
        """Versions oldest first; without text unless asked (it is large)."""
        cols = (
            _VERSION
            if with_text
            else (
                "id, story_id, number, fetched_at, fingerprint, title, byline, published, updated, "
                "canonical_url, reverts_to, length(text) AS text_length, "
                "raw IS NOT NULL AS has_raw, extractor, note"
            )
        )
        return self._all(
            f"SELECT {cols} FROM versions WHERE story_id = ? ORDER BY number", [story_id]
        )

    def raw_page(self, story_id: int, number: int) -> tuple[bytes, str | None] | None:
        row = self._one(
            "SELECT raw, raw_type FROM versions WHERE story_id = ? AND number = ?",
            [story_id, number],
        )
        if row is None or row["raw"] is None:
            return None
        return decompress(row["raw"]), row["raw_type"]

    def record_version(
        self,
        story_id: int,
        doc: Document,
        *,
        fetched_at: str | None = None,
        make_change: Callable[[Row, int | None], dict[str, Any]] | None = None,
        pick_subscriptions: Callable[[Row, dict[str, Any], list[Row]], list[Any]] | None = None,
        raw: bytes | None = None,
        raw_type: str | None = None,
        developing: Callable[[], bool] | None = None,
        extractor: str | None = None,
        note: str | None = None,
    ) -> Recorded:
        """Store `doc` as the story's next version, atomically and idempotently.

        Inside one write transaction: if the latest version has the same fingerprint nothing is
        written; otherwise the version, its change row (built by `make_change(previous_version,
        reverts_to)`, so the diff is against the version actually current), the story's listing
        figures and the outbox rows for `pick_subscriptions` all land together. `developing` is
        asked only when a version is written: most checks find the same text again.
        `extractor` names the extraction that made `doc`; with a `note` the version is a silent
        re-baseline (after an extractor upgrade): no change row, no outbox rows.
        """
        fingerprint = doc.fingerprint()
        at = fetched_at or clock.iso()
        with self.write():
            story = self._one("SELECT * FROM stories WHERE id = ?", [story_id])
            if story is None:
                raise NotFound(f"no story with id {story_id}")
            latest = self.latest_version(story_id)
            if latest is not None and latest["fingerprint"] == fingerprint:
                return Recorded(number=int(latest["number"]), created=False)
            number = 1 if latest is None else int(latest["number"]) + 1
            earlier = self._one(
                "SELECT number FROM versions WHERE story_id = ? AND fingerprint = ? "
                "ORDER BY number DESC LIMIT 1",
                [story_id, fingerprint],
            )
            reverts_to = int(earlier["number"]) if earlier else None
            self.conn.execute(
                "INSERT INTO versions (story_id, number, fetched_at, fingerprint, title, byline, "
                "text, published, updated, canonical_url, reverts_to, raw, raw_type, extractor, "
                "note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    story_id,
                    number,
                    at,
                    fingerprint,
                    doc.title,
                    doc.byline,
                    doc.text,
                    doc.published,
                    doc.updated,
                    doc.canonical_url,
                    reverts_to,
                    compress(raw) if raw is not None else None,
                    raw_type,
                    extractor,
                    note,
                ],
            )
            story_updates: dict[str, Any] = {"version_count": number}
            if doc.title:
                story_updates["title"] = doc.title
            now_developing = developing() if developing is not None else None
            if now_developing is not None:
                story_updates["developing"] = int(now_developing)
            change_id, delivered = None, 0
            if latest is not None and note is None:
                change = dict(make_change(latest, reverts_to)) if make_change else {}
                change_id = self._insert_change(
                    story_id, int(latest["number"]), number, at, reverts_to, change
                )
                story_updates.update(
                    last_changed_at=at,
                    last_change_size=change.get("size"),
                    last_change_kind=change.get("kind", "edit"),
                )
                if pick_subscriptions is not None:
                    subs = self._subscriptions_for(story)
                    seen = {**story, "was_developing": story["developing"]}
                    if now_developing is not None:
                        seen["developing"] = int(now_developing)
                    chosen = (
                        pick_subscriptions(seen, {**change, "id": change_id}, subs) if subs else []
                    )
                    delivered = self._enqueue(change_id, chosen, at)
            sets = ", ".join(f"{k} = ?" for k in story_updates)
            self.conn.execute(
                f"UPDATE stories SET {sets} WHERE id = ?", [*story_updates.values(), story_id]
            )
        return Recorded(
            number=number,
            created=True,
            change_id=change_id,
            reverts_to=reverts_to,
            deliveries=delivered,
            developing=now_developing,
        )

    def _insert_change(
        self,
        story_id: int,
        old: int,
        new: int,
        at: str,
        reverts_to: int | None,
        change: dict[str, Any],
    ) -> int:
        values = {k: change.get(k) for k in CHANGE_FIELDS}
        values["kind"] = values["kind"] or "edit"
        values["words_added"] = values["words_added"] or 0
        values["words_removed"] = values["words_removed"] or 0
        for key in ("kinds", "details"):
            if values[key] is not None and not isinstance(values[key], str):
                values[key] = _dumps(values[key])
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cur = self.conn.execute(
            f"INSERT INTO changes (story_id, from_version, to_version, detected_at, reverts_to, "
            f"{cols}) VALUES (?, ?, ?, ?, ?, {marks})",
            [story_id, old, new, at, reverts_to, *values.values()],
        )
        return int(cur.lastrowid or 0)

    def list_changes(
        self,
        *,
        story_id: int | None = None,
        feed_id: int | None = None,
        kinds: Iterable[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Row]:
        """Changes newest first, with their story's title and URL."""
        where, params = ["1 = 1"], []
        if story_id is not None:
            where.append("c.story_id = ?")
            params.append(story_id)
        if feed_id is not None:
            where.append("s.feed_id = ?")
            params.append(feed_id)
        if kinds:
            kinds = list(kinds)
            where.append(f"c.kind IN ({', '.join('?' for _ in kinds)})")
            params.extend(kinds)
        return [
            _decode_change(r)
            for r in self._all(
                f"SELECT c.*, s.title AS story_title, s.url AS story_url FROM changes c "
                f"JOIN stories s ON s.id = c.story_id WHERE {' AND '.join(where)} "
                "ORDER BY c.detected_at DESC, c.id DESC LIMIT ? OFFSET ?",
                [*params, int(limit), int(offset)],
            )
        ]

    def get_change(self, change_id: int) -> Row:
        row = self._one(
            "SELECT c.*, s.title AS story_title, s.url AS story_url FROM changes c "
            "JOIN stories s ON s.id = c.story_id WHERE c.id = ?",
            [change_id],
        )
        if row is None:
            raise NotFound(f"no change with id {change_id}")
        return _decode_change(row)

    def get_change_between(self, story_id: int, to_version: int) -> Row | None:
        """The change that produced version `to_version` (None for version 1)."""
        row = self._one(
            "SELECT * FROM changes WHERE story_id = ? AND to_version = ?", [story_id, to_version]
        )
        return _decode_change(row) if row else None

    def changes_missing_stats(self, limit: int = 500) -> list[Row]:
        """Changes recorded before the diff statistics existed (for the backfill)."""
        return self._all("SELECT * FROM changes WHERE size IS NULL ORDER BY id LIMIT ?", [limit])

    def update_change(self, change_id: int, change: dict[str, Any]) -> None:
        values = {k: change[k] for k in CHANGE_FIELDS if k in change}
        for key in ("kinds", "details"):
            if key in values and values[key] is not None and not isinstance(values[key], str):
                values[key] = _dumps(values[key])
        if not values:
            return
        sets = ", ".join(f"{k} = ?" for k in values)
        with self.write():
            self.conn.execute(
                f"UPDATE changes SET {sets} WHERE id = ?", [*values.values(), change_id]
            )
