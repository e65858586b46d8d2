"""Full-text search over versions."""

from __future__ import annotations

from tracker.store.base import (
    Row,
    StoreBase,
)


class SearchMixin(StoreBase):
    def search(self, query: str, *, limit: int = 50, offset: int = 0) -> list[Row]:
        """Stories whose any version matches `query` (FTS5), with the best matching version.

        `match_snippet` marks each match between SNIPPET_START and SNIPPET_END (control
        characters that page text cannot contain, so brackets in articles stay brackets).
        """
        fts = _fts_query(query)
        if not fts:
            return []
        return self._all(
            """
            WITH hits AS (
                SELECT v.story_id, v.number, bm25(versions_fts) AS rank,
                       snippet(versions_fts, 1, char(2), char(3), '…', 12) AS snippet
                FROM versions_fts JOIN versions v ON v.id = versions_fts.rowid
                WHERE versions_fts MATCH ?
            ), best AS (
                SELECT story_id, number, snippet, rank,
                       row_number() OVER (PARTITION BY story_id ORDER BY rank, number DESC) AS r
                FROM hits
            )
            SELECT s.*, best.number AS match_version, best.snippet AS match_snippet
            FROM best JOIN stories s ON s.id = best.story_id
            WHERE best.r = 1 ORDER BY best.rank LIMIT ? OFFSET ?
            """,
            [fts, int(limit), int(offset)],
        )


def _fts_query(query: str) -> str:
    """Turn what a person types into a safe FTS5 query: every word must match, as a phrase part."""
    printable = "".join(ch if ch.isprintable() else " " for ch in query)
    words = [w for w in printable.replace('"', " ").split() if w.strip()]
    return " ".join(f'"{w}"' for w in words[:20])
