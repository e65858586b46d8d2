"""What a page said about itself that rarely changes (headline, byline, publication date,
canonical URL, page type, extractor), stored once per story while it stays the same.

Consecutive versions of a story nearly always share all of these, and together they weigh about
as much as the delta that stores the version's text, so each version row points (`meta_id`)
at a row of `version_meta` instead of repeating them; the `versions` view joins them back.
Rows written before schema 17 carry their own values until `link_batch` moves them here (and
shortens their fingerprint to the 16 hex digits `Document.fingerprint` gives since then).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from tracker.document import FINGERPRINT_DIGITS
from tracker.store.schema import META_COLUMNS

Meta = tuple[str | None, ...]
"""Values in the order of META_COLUMNS."""

BATCH_VERSIONS = 2000
_MATCH = " AND ".join(f"{c} IS ?" for c in META_COLUMNS)


def meta_id(conn: sqlite3.Connection, story_id: int, values: Sequence[str | None]) -> int:
    """The id of the story's `version_meta` row holding exactly `values`, made if there is none.

    Any earlier row of the story is reused (a headline changed and changed back needs no third
    row); a story has a handful, found through the `version_meta_story` index.
    """
    values = tuple(values)
    row = conn.execute(
        f"SELECT id FROM version_meta WHERE story_id = ? AND {_MATCH} ORDER BY id DESC LIMIT 1",
        [story_id, *values],
    ).fetchone()
    if row:
        return int(row[0])
    cur = conn.execute(
        f"INSERT INTO version_meta (story_id, {', '.join(META_COLUMNS)}) "
        f"VALUES (?, {', '.join('?' * len(META_COLUMNS))})",
        [story_id, *values],
    )
    return int(cur.lastrowid or 0)


def unlinked(conn: sqlite3.Connection) -> int | None:
    """Version rows still holding their own values, or None when none are left to move."""
    if not owes_vacuum(conn):
        return None
    left = conn.execute("SELECT count(*) FROM version_rows WHERE meta_id IS NULL").fetchone()[0]
    return int(left) or None


def owes_vacuum(conn: sqlite3.Connection) -> bool:
    """Whether the move began and the VACUUM after it has not run yet (its index is there)."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'version_rows_unlinked'"
    ).fetchone()
    return found is not None


def link_batch(conn: sqlite3.Connection, budget: int = BATCH_VERSIONS) -> int:
    """Move up to `budget` rows' values to `version_meta`, in the caller's transaction; the
    number moved (0: all done). The index listing them stays, empty, until `vacuumed`: a
    process killed during the VACUUM after the move leaves it owed to the next open."""
    rows = conn.execute(
        f"SELECT id, story_id, {', '.join(META_COLUMNS)} FROM version_rows "
        "WHERE meta_id IS NULL ORDER BY id LIMIT ?",
        [budget],
    ).fetchall()
    if not rows:
        return 0
    cleared = ", ".join(f"{c} = NULL" for c in META_COLUMNS)
    for version_id, story_id, *values in rows:
        conn.execute(
            f"UPDATE version_rows SET meta_id = ?, {cleared}, "
            "fingerprint = substr(fingerprint, 1, ?) WHERE id = ?",
            [meta_id(conn, story_id, values), FINGERPRINT_DIGITS, version_id],
        )
    return len(rows)


def vacuumed(conn: sqlite3.Connection) -> None:
    """The VACUUM after the move ran (or failed outright): nothing is owed any more."""
    conn.execute("DROP INDEX IF EXISTS version_rows_unlinked")
