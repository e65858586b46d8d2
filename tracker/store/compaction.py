"""Moving versions stored whole (schema 11 and before) to the compact layout, story by story.

Migration 16 creates `versions_new` in the compact layout; `move_batch` then packs a few
stories' versions (reverse deltas, `chains.pack_story`), indexes what each changed, writes them
to `versions_new` with their ids unchanged and deletes them from the old `versions`, all in the
caller's transaction (with foreign keys off, so nothing that references a version cascades). A
process killed at any moment leaves every version in exactly one of the two tables; the next
open carries on. The last batch drops the old table and renames `versions_new` to `versions`.
"""

from __future__ import annotations

import sqlite3
import zlib

from tracker.store import chains
from tracker.store.changed_text import index_version
from tracker.store.meta import meta_id
from tracker.store.schema import META_COLUMNS

OLD_TABLE = "versions"
NEW_TABLE = "versions_new"
BATCH_VERSIONS = 400
_PACKING = ("text_length", "packed", "base", "raw_base")
_COLUMNS = (
    "id, story_id, number, fetched_at, fingerprint, title, byline, text, published, updated, "
    "canonical_url, reverts_to, raw, raw_type, extractor, note"
)


def pending(conn: sqlite3.Connection) -> int | None:
    """Versions still to move, or None when there is no move in progress."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [NEW_TABLE]
    ).fetchone()
    if not found:
        return None
    return int(conn.execute(f"SELECT count(*) FROM {OLD_TABLE}").fetchone()[0])


def move_batch(conn: sqlite3.Connection, budget: int = BATCH_VERSIONS) -> int:
    """Move whole stories, about `budget` versions; the number moved (0: done, tables swapped)."""
    moved = 0
    while moved < budget:
        row = conn.execute(f"SELECT min(story_id) FROM {OLD_TABLE}").fetchone()
        if row is None or row[0] is None:
            break
        moved += _move_story(conn, int(row[0]))
    if moved == 0:
        conn.execute(f"DROP TABLE {OLD_TABLE}")
        conn.execute(f"ALTER TABLE {NEW_TABLE} RENAME TO {OLD_TABLE}")
    return moved


def _move_story(conn: sqlite3.Connection, story_id: int) -> int:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM {OLD_TABLE} WHERE story_id = ? ORDER BY number", [story_id]
    ).fetchall()
    write_story(conn, [(*r[:12], _page(r[12]), *r[13:16]) for r in rows], table=NEW_TABLE)
    conn.execute(f"DELETE FROM {OLD_TABLE} WHERE story_id = ?", [story_id])
    return len(rows)


def write_story(conn: sqlite3.Connection, rows: list[tuple], table: str = "version_rows") -> None:
    """Insert a whole story's versions at once, packed and indexed, oldest first.

    Each row is (id, story_id, number, fetched_at, fingerprint, title, byline, text, published,
    updated, canonical_url, reverts_to, page bytes or None, raw_type, extractor, note); the
    story must have no versions yet. The layout is the one appending them one by one would give.
    `version_rows` gets the page's own words through `version_meta`; the table migration 16
    fills (`versions_new`) holds them in its columns, as that schema did.
    """
    ids = [r[0] for r in rows]
    text_frames = chains.pack_story(chains.TEXT, ids, [(r[7] or "").encode() for r in rows])
    raw_frames = chains.pack_story(chains.RAW, ids, [r[12] for r in rows])
    previous = None
    for i, r in enumerate(rows):
        newest = i == len(rows) - 1
        packed, base = (None, None) if newest else text_frames[i]
        values = [
            *r[:7],
            r[7] if newest else None,
            *r[8:12],
            raw_frames[i][0],
            *r[13:16],
            len(r[7] or ""),
            packed,
            base,
            raw_frames[i][1],
        ]
        named = dict(zip([*_COLUMNS.split(", "), *_PACKING], values, strict=True))
        if table == "version_rows":
            named["meta_id"] = meta_id(conn, r[1], [named.pop(c) for c in META_COLUMNS])
        conn.execute(
            f"INSERT INTO {table} ({', '.join(named)}) VALUES ({', '.join('?' * len(named))})",
            list(named.values()),
        )
        mine = (r[5], r[7] or "")
        index_version(conn, r[0], previous, mine, story_id=r[1])
        previous = mine


def _page(blob: bytes | None) -> bytes | None:
    """An archived page as release 10 stored it (zlib); kept as it is if it does not inflate."""
    if blob is None:
        return None
    try:
        return zlib.decompress(blob)
    except zlib.error:
        return bytes(blob)
