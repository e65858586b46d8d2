"""What a version introduced, as the search index (`versions_search`) holds it.

A version is cut into units: its headline and each sentence of its body. The index holds, per
version, the units it added (all of them for a first version), so the index grows with what
changed, not with versions x length, and every phrase that was ever present within one sentence
is still found after it is gone. Versions indexed before schema 18 (ids up to
`search_state.removed_until`) also hold the units they removed. The function is deterministic:
the index's rows are deleted by recomputing exactly what was inserted.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*\s+")

Text = tuple[str | None, str]  # (title, body text with paragraphs split by blank lines)


def units(version: Text | None) -> Counter[str]:
    if version is None:
        return Counter()
    title, text = version
    found: Counter[str] = Counter()
    if title:
        found[title.strip()] += 1
    for paragraph in text.split("\n\n"):
        for sentence in _SENTENCE_END.split(paragraph):
            if sentence.strip():
                found[sentence.strip()] += 1
    return found


def introduced(old: Text | None, new: Text) -> tuple[str, str]:
    """(added, removed): the units `new` has that `old` had not, and the other way round."""
    before, after = units(old), units(new)
    added = after - before
    removed = before - after
    return _join(added), _join(removed)


def _join(found: Counter[str]) -> str:
    return "\n".join(unit for unit, n in sorted(found.items()) for _ in range(n))


def index_version(
    conn: sqlite3.Connection,
    version_id: int,
    before: Text | None,
    mine: Text,
    story_id: int | None = None,
) -> None:
    """Index what version `version_id` added and removed relative to `before`."""
    conn.execute(
        "INSERT INTO versions_search (rowid, added, removed, story) VALUES (?, ?, ?, ?)",
        [version_id, *_row(conn, version_id, before, mine, story_id)],
    )


def unindex_version(
    conn: sqlite3.Connection, version_id: int, before: Text | None, mine: Text
) -> None:
    """Remove the row `index_version(conn, version_id, before, mine)` wrote (same arguments:
    the index is contentless, so FTS5 is told exactly which tokens to take out)."""
    conn.execute(
        "INSERT INTO versions_search (versions_search, rowid, added, removed, story) "
        "VALUES ('delete', ?, ?, ?, ?)",
        [version_id, *_row(conn, version_id, before, mine)],
    )


def _row(
    conn: sqlite3.Connection,
    version_id: int,
    before: Text | None,
    mine: Text,
    story_id: int | None = None,
) -> tuple[str, str, str]:
    if story_id is None:
        row = conn.execute(
            "SELECT story_id FROM version_rows WHERE id = ?", [version_id]
        ).fetchone()
        story_id = int(row[0])
    added, removed = introduced(before, mine)
    return added, removed if version_id <= _removed_until(conn) else "", f"s{story_id}"


def _removed_until(conn: sqlite3.Connection) -> int:
    """The last version id indexed with its removed units (0 on a new database)."""
    try:
        row = conn.execute("SELECT removed_until FROM search_state").fetchone()
    except sqlite3.OperationalError:  # before migration 18 (migration 16's move): all of them
        return 1 << 62
    return int(row[0]) if row else 0
