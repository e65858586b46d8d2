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

    def story_changes(self, story_id: int) -> list[Row]:
        """A story's changes in version order (for exports)."""
        return self.list_changes(story_id=story_id, limit=1_000_000)[::-1]  # type: ignore[attr-defined]

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
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
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
