"""Versions in time order: a version's place in a story is when its text was current.

`place_version` appends like `record_version` when the new version is the newest; when a later
version exists (an older snapshot ingested, imported or backfilled from a web archive) it is
inserted before it: later numbers move up by one, and the two changes around it are recomputed
(the one into it, new; the one out of it, the old change into the later version, rewritten), all
in one transaction. The timeline never runs backwards and the story's latest version, title and
state stay those of its newest text. Imported history is the past: it notifies nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tracker import clock
from tracker.document import Document
from tracker.store.base import (
    NotFound,
    Recorded,
    Row,
    StoreBase,
    change_values,
)

ChangeFor = Callable[[Row, Row, "int | None"], dict[str, Any]]


def _as_row(doc: Document, at: str) -> Row:
    return {
        "title": doc.title,
        "byline": doc.byline,
        "text": doc.text,
        "published": doc.published,
        "updated": doc.updated,
        "canonical_url": doc.canonical_url,
        "fetched_at": at,
    }


class TimelineMixin(StoreBase):
    def place_version(
        self,
        story_id: int,
        doc: Document,
        *,
        fetched_at: str,
        change_for: ChangeFor,
        raw: bytes | None = None,
        raw_type: str | None = None,
        extractor: str | None = None,
        **append: Any,
    ) -> Recorded:
        """Record `doc` as the version current from `fetched_at` on, in time order.

        `change_for(old_row, new_row, reverts_to)` gives a change row's columns; `append` is
        passed on to `record_version` when the version turns out to be the newest.
        """
        at = clock.normalize(fetched_at)
        fingerprint = doc.fingerprint()
        with self.write():
            later = self._one(
                "SELECT id, number, fingerprint, fetched_at FROM versions "
                "WHERE story_id = ? AND fetched_at > ? ORDER BY number LIMIT 1",
                [story_id, at],
            )
            if later is None:
                return self.record_version(  # type: ignore[attr-defined]
                    story_id,
                    doc,
                    fetched_at=at,
                    make_change=lambda prev, rt: change_for(prev, _as_row(doc, at), rt),
                    raw=raw,
                    raw_type=raw_type,
                    extractor=extractor,
                    **append,
                )
            number = int(later["number"])
            prev = self.get_version(story_id, number - 1) if number > 1 else None
            if prev is not None and prev["fingerprint"] == fingerprint:
                return Recorded(number=number - 1, created=False)
            if later["fingerprint"] == fingerprint:
                return self._seen_earlier(story_id, number, at)
            page = (raw, raw_type, extractor)
            return self._insert_before(story_id, number, prev, doc, at, change_for, page)

    def _seen_earlier(self, story_id: int, number: int, at: str) -> Recorded:
        """The later version's text was already current at `at`: it was first seen then."""
        self.conn.execute(
            "UPDATE version_rows SET fetched_at = ? WHERE story_id = ? AND number = ?",
            [at, story_id, number],
        )
        self.conn.execute(
            "UPDATE changes SET detected_at = ? WHERE story_id = ? AND to_version = ?",
            [at, story_id, number],
        )
        self._refresh_figures(story_id)
        return Recorded(number=number, created=False)

    def _shift(self, story_id: int, number: int) -> None:
        """Versions `number` and later, and every reference to them, move up by one (through
        negative numbers, so the unique (story, number) keys never collide midway)."""
        for table, column in (("version_rows", "number"), ("changes", "to_version")):
            self.conn.execute(
                f"UPDATE {table} SET {column} = -({column} + 1) "
                f"WHERE story_id = ? AND {column} >= ?",
                [story_id, number],
            )
            self.conn.execute(
                f"UPDATE {table} SET {column} = -{column} WHERE story_id = ? AND {column} < 0",
                [story_id],
            )
        for table, column in (
            ("changes", "from_version"),
            ("version_rows", "reverts_to"),
            ("changes", "reverts_to"),
        ):
            self.conn.execute(
                f"UPDATE {table} SET {column} = {column} + 1 WHERE story_id = ? AND {column} >= ?",
                [story_id, number],
            )

    def _insert_before(
        self,
        story_id: int,
        number: int,
        prev: Row | None,
        doc: Document,
        at: str,
        change_for: ChangeFor,
        page: tuple[bytes | None, str | None, str | None],
    ) -> Recorded:
        """Insert as version `number`, the way versions.py says a version is placed between two
        others: later numbers up, the row plain (text, page a whole frame), then `_placed`
        relinks the delta chains and the search index around it."""
        after = self.get_version(story_id, number)  # type: ignore[attr-defined]
        fingerprint = doc.fingerprint()
        earlier = self._one(
            "SELECT number FROM versions WHERE story_id = ? AND fingerprint = ? AND number < ? "
            "ORDER BY number DESC LIMIT 1",
            [story_id, fingerprint, number],
        )
        reverts_to = int(earlier["number"]) if earlier else None
        self._shift(story_id, number)
        self._insert_version_row(
            story_id, number, doc, at, reverts_to, *page, note=None, fingerprint=fingerprint
        )
        self._placed(  # type: ignore[attr-defined]
            story_id,
            number,
            (prev["title"], prev["text"]) if prev is not None else None,
            (doc.title, doc.text),
            (after["title"], after["text"]),
        )
        mine = _as_row(doc, at)
        change_id = None
        if prev is not None:
            change_id = self._insert_change(  # type: ignore[attr-defined]
                story_id, number - 1, number, at, reverts_to, change_for(prev, mine, reverts_to)
            )
        out_of = change_for(mine, after, after.get("reverts_to"))
        existing = self._one(
            "SELECT id FROM changes WHERE story_id = ? AND to_version = ?", [story_id, number + 1]
        )
        if existing is None:
            self._insert_change(  # type: ignore[attr-defined]
                story_id, number, number + 1, after["fetched_at"], after.get("reverts_to"), out_of
            )
        else:
            self._rewrite_change(int(existing["id"]), number, out_of)
        self._refresh_figures(story_id)
        return Recorded(number=number, created=True, change_id=change_id, reverts_to=reverts_to)

    def _rewrite_change(self, change_id: int, from_version: int, change: dict[str, Any]) -> None:
        values = change_values(change)
        sets = ", ".join(f"{k} = ?" for k in values)
        self.conn.execute(
            f"UPDATE changes SET from_version = ?, {sets} WHERE id = ?",
            [from_version, *values.values(), change_id],
        )

    def _refresh_figures(self, story_id: int) -> None:
        """The story's listing figures from its versions and its newest change."""
        count = self.conn.execute(
            "SELECT count(*) FROM versions WHERE story_id = ?", [story_id]
        ).fetchone()[0]
        newest = self._one(
            "SELECT detected_at, size, kind FROM changes WHERE story_id = ? "
            "ORDER BY to_version DESC LIMIT 1",
            [story_id],
        )
        cur = self.conn.execute(
            "UPDATE stories SET version_count = ?, last_changed_at = ?, last_change_size = ?, "
            "last_change_kind = ? WHERE id = ?",
            [
                count,
                newest["detected_at"] if newest else None,
                newest["size"] if newest else None,
                newest["kind"] if newest else None,
                story_id,
            ],
        )
        if cur.rowcount == 0:
            raise NotFound(f"no story with id {story_id}")
