"""Data in and out: many stories added in one transaction, and streams for exports and backups.

Versions are read and written through the versions mixin's methods (never its tables), so the
way versions are stored can change without touching imports, exports or backups.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tracker import clock
from tracker.store.base import Row, StoreBase, StoreError, _dumps, _explain


@dataclass(frozen=True)
class NewStory:
    """One URL to add (already normalised), with what an import knows about it."""

    url: str
    title: str | None = None
    site: str | None = None
    interval: int | None = None
    options: dict | None = None


STORYDIFF_TABLES = frozenset({"stories", "versions", "changes", "checks"})


class DataMixin(StoreBase):
    def add_stories(
        self, items: Iterable[NewStory], *, now: str | None = None
    ) -> list[tuple[int, bool]]:
        """Add many stories in one transaction: (id, created) for each, in order.

        Idempotent like `add_story`: a URL already tracked (as URL or canonical URL), or named
        twice in the batch, gives the existing id with created False.
        """
        at = now or clock.iso()
        out: list[tuple[int, bool]] = []
        with self.write():
            for item in items:
                existing = self.conn.execute(
                    "SELECT id FROM stories WHERE url = ? UNION ALL "
                    "SELECT id FROM stories WHERE canonical_url = ? LIMIT 1",
                    [item.url, item.url],
                ).fetchone()
                if existing:
                    out.append((int(existing[0]), False))
                    continue
                cur = self.conn.execute(
                    "INSERT INTO stories (url, site, title, added_at, interval, next_check_at, "
                    "options) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [item.url, item.site, item.title, at, item.interval, at, _dumps(item.options)],
                )
                out.append((int(cur.lastrowid or 0), True))
        return out

    def iter_stories(self, batch: int = 500) -> Iterator[Row]:
        """Every story, oldest id first, read a page at a time (bounded memory)."""
        last = 0
        while True:
            rows = self._all(
                "SELECT * FROM stories WHERE id > ? ORDER BY id LIMIT ?", [last, int(batch)]
            )
            if not rows:
                return
            yield from rows
            last = int(rows[-1]["id"])

    def iter_version_keys(self, *, by_time: bool = False) -> Iterator[tuple[int, int, str]]:
        """(story_id, number, fetched_at) of every version, by story or by time seen.

        One cursor, so a 100k-version database streams (SQLite's sorter spills to disk); read
        each version's text with `get_version`, which knows how versions are stored.
        """
        order = "fetched_at, story_id, number" if by_time else "story_id, number"
        cur = self.conn.execute(
            f"SELECT story_id, number, fetched_at FROM versions ORDER BY {order}"
        )
        for story_id, number, at in cur:
            yield int(story_id), int(number), str(at)

    def story_changes(self, story_id: int) -> list[Row]:
        """A story's changes in version order (for exports)."""
        return self.list_changes(story_id=story_id, limit=1_000_000)[::-1]  # type: ignore[attr-defined]

    def capture_of(self, version: Row) -> Row | None:
        """The web-archive capture a version came from (`tracker backfill`), or None."""
        if not version.get("id"):
            return None
        return self._one(
            "SELECT archive_url, captured_at, digest FROM archived_captures WHERE version_id = ?",
            [version["id"]],
        )

    def known_captures(self, story_id: int) -> set[str]:
        """Digests and archive URLs of the captures already recorded for a story."""
        rows = self._all(
            "SELECT digest, archive_url FROM archived_captures WHERE story_id = ?", [story_id]
        )
        return {r["digest"] for r in rows if r["digest"]} | {r["archive_url"] for r in rows}

    def mark_capture(
        self, story_id: int, number: int, archive_url: str, captured_at: str, digest: str | None
    ) -> None:
        """Mark version `number` as an archived capture (its id survives renumbering)."""
        version = self.get_version(story_id, number)  # type: ignore[attr-defined]
        with self.write():
            self.conn.execute(
                "INSERT OR REPLACE INTO archived_captures (version_id, story_id, archive_url, "
                "captured_at, digest) VALUES (?, ?, ?, ?, ?)",
                [version["id"], story_id, archive_url, captured_at, digest],
            )

    def backup_to(self, target: str | Path, pages: int = 256) -> None:
        """Copy the database to `target` with SQLite's online backup API.

        The copy is a consistent snapshot even while `tracker run` writes: the backup restarts
        from the page that changed, and readers and writers are not blocked for long.
        """
        try:
            dest = sqlite3.connect(str(target))
        except sqlite3.DatabaseError as exc:
            raise StoreError(_explain(exc, str(target))) from None
        try:
            self.conn.backup(dest, pages=pages)
            dest.execute("PRAGMA journal_mode = DELETE")
        except sqlite3.DatabaseError as exc:
            raise StoreError(_explain(exc, str(target))) from None
        finally:
            dest.close()


def verify_database(path: str | Path) -> dict[str, int]:
    """Check that `path` is an intact storydiff database; its counts, or StoreError saying why."""
    try:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    except sqlite3.DatabaseError as exc:
        raise StoreError(_explain(exc, str(path))) from None
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
        if [r[0] for r in result] != ["ok"]:
            raise StoreError(f"{path} fails SQLite's integrity check: {result[0][0]}")
        tables = {  # `versions` is a view since schema 17
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
        }
        if not tables >= STORYDIFF_TABLES:
            raise StoreError(f"{path} is a SQLite file but not a storydiff database")
        counts = {
            t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            for t in ("stories", "versions", "changes")
        }
        counts["schema_version"] = int(conn.execute("PRAGMA user_version").fetchone()[0])
        return counts
    except sqlite3.DatabaseError as exc:
        raise StoreError(_explain(exc, str(path))) from None
    finally:
        conn.close()


def restore_database(source: str | Path, target: str | Path) -> None:
    """Copy the verified database `source` over `target` through SQLite's backup API, so
    `target`'s WAL and any reader see one consistent replacement, never a half-copied file."""
    try:
        src = sqlite3.connect(f"file:{Path(source).resolve()}?mode=ro", uri=True)
        dest = sqlite3.connect(str(target), timeout=10.0)
    except sqlite3.DatabaseError as exc:
        raise StoreError(_explain(exc, str(target))) from None
    try:
        src.backup(dest)
    except sqlite3.DatabaseError as exc:
        raise StoreError(_explain(exc, str(target))) from None
    finally:
        src.close()
        dest.close()
