"""Full-text search over what each version introduced and removed, one result per story.

`versions_search` is a contentless FTS5 table, one row per version (rowid = version id): the
sentences the version added, the sentences it removed (`changed_text.py`), and a `story` token.
A query runs against `added` and `removed`, newest matching version first, and stops as soon as
the page's stories are found (at most SCAN_LIMIT matching versions are read, so a phrase in
every story costs the same as a rare one). For each story on the page, the versions where the
query matched are checked against their whole text (a temporary FTS5 table, so the query means
exactly the same thing), which gives the versions where it entered and where it left.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from tracker.store import chains
from tracker.store.base import Row, StoreBase, StoreError

SCAN_LIMIT = 5000
"""The most matching versions one search reads before it stops (bounded cost per request)."""
EVENT_LIMIT = 60
"""The most versions per story checked for entering/leaving (a story that flips more is cut)."""
MAX_TERMS = 20
_TERM = re.compile(r'"([^"]*)"?|(\S+)')


class SearchMixin(StoreBase):
    def search(
        self, query: str, *, site: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Row]:
        """Stories where `query` was ever present, newest match first, one row per story.

        Each row is the story with `entered` and `left` (version numbers where the query started
        and stopped matching the version's text, oldest first), `present` (it matches the
        newest version), `complete` (False when the story's history was cut at EVENT_LIMIT
        versions checked), `match_version` (the version shown) and `match_snippet`, whose matches
        sit between SNIPPET_START and SNIPPET_END (control characters page text cannot contain).
        `site` keeps stories of that site or its subdomains. A query is words (all must appear
        in one sentence or the headline), "quoted phrases", prefixes (`elect*`, 3+ letters) and
        OR / NOT between them.
        """
        fts = fts_query(query)
        if not fts:
            return []
        match = "{added removed} : (" + fts + ")"
        wanted = int(offset) + int(limit)
        order: list[int] = []
        sql = (
            "SELECT v.story_id FROM versions_search f JOIN versions v ON v.id = f.rowid "
            "JOIN stories s ON s.id = v.story_id WHERE versions_search MATCH ? "
        )
        params: list[Any] = [match]
        if site:
            sql += "AND (s.site = ? OR s.site LIKE ?) "
            params += [site.lower(), "%." + site.lower().replace("%", "").replace("_", "")]
        sql += "ORDER BY f.rowid DESC"
        try:
            cur = self.conn.execute(sql, params)
            for scanned, (story_id,) in enumerate(cur, 1):
                if story_id not in order:
                    order.append(story_id)
                if len(order) >= wanted or scanned >= SCAN_LIMIT:
                    break
            cur.close()
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc):
                return []
            raise StoreError(f"search failed: {exc}") from None
        out = []
        for story_id in order[int(offset) : wanted]:
            story = self._one("SELECT * FROM stories WHERE id = ?", [story_id])
            found = self._history(story_id, fts) if story else None
            if story and found:
                out.append({**story, **found})
        return out

    def _history(self, story_id: int, fts: str) -> dict[str, Any] | None:
        """When the query entered and left one story's versions (None: it never truly did).

        Presence changes only at versions whose added or removed text matches. Where the added
        text matches, the version holds the query; only versions where nothing matching was
        added (and every version, for a query with NOT) are checked against their whole text.
        """
        found: dict[str, dict[int, tuple[int, str | None]]] = {}
        for column in ("added", "removed"):
            found[column] = {
                int(n): (int(i), t)
                for i, n, t in self.conn.execute(
                    "SELECT f.rowid, v.number, v.title FROM versions_search f "
                    "JOIN versions v ON v.id = f.rowid "
                    "WHERE versions_search MATCH ? ORDER BY f.rowid LIMIT ?",
                    [f"{{{column}}} : ({fts}) AND story : s{story_id}", EVENT_LIMIT],
                )
            }
        events = sorted({**found["removed"], **found["added"]}.items())[:EVENT_LIMIT]
        newest = self.conn.execute(
            "SELECT number, id, title, text FROM versions WHERE story_id = ? "
            "ORDER BY number DESC LIMIT 1",
            [story_id],
        ).fetchone()
        certain = "NOT" not in fts.split()
        unsure = [e for e in events if not (certain and e[0] in found["added"])]
        present = self._probe(story_id, fts, [(n, i, t) for n, (i, t) in unsure], newest)
        entered, left, was = [], [], False
        for number, _ in events:
            now = number in present or (certain and number in found["added"])
            if now and not was:
                entered.append(number)
            elif was and not now:
                left.append(number)
            was = now
        if not entered:
            return None
        shown = (
            newest[0]
            if newest[0] in present
            else max(n for n, _ in events if n in present or (certain and n in found["added"]))
        )
        if shown not in present:
            version_id, title = dict(events)[shown]
            present.update(self._probe(story_id, fts, [(shown, version_id, title)], None))
        return {
            "entered": entered,
            "left": left,
            "present": newest[0] in present,
            "complete": len(events) < EVENT_LIMIT,
            "match_version": shown,
            "match_snippet": present.get(shown, ""),
        }

    def _probe(
        self,
        story_id: int,
        fts: str,
        versions: list[tuple[int, int, str | None]],
        newest: tuple[int, int, str | None, str] | None,
    ) -> dict[int, str]:
        """{number: snippet} for those of `versions` (number, id, title) and `newest` (number,
        id, title, plain text) whose whole text matches `fts`: a temporary FTS5 table, so the
        query means exactly what it means in the index."""
        decoded = chains.read_texts(self.conn, story_id, [i for n, i, _ in versions])
        rows = [(n, t, decoded[i]) for n, i, t in versions]
        if newest is not None:
            rows.append((newest[0], newest[2], newest[3] or ""))
        self.conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_probe USING fts5(title, text)"
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO temp.search_probe (rowid, title, text) VALUES (?, ?, ?)",
            [(n, t or "", x) for n, t, x in rows],
        )
        try:
            return {
                int(n): snippet
                for n, snippet in self.conn.execute(
                    "SELECT rowid, snippet(search_probe, -1, char(2), char(3), '…', 12) "
                    "FROM temp.search_probe WHERE search_probe MATCH ?",
                    [fts],
                )
            }
        finally:
            self.conn.execute("DELETE FROM temp.search_probe")


def fts_query(query: str) -> str:
    """What a person types as a safe FTS5 expression: words, "phrases", prefix*, OR, NOT.

    Every word becomes a quoted string, so FTS5 syntax in the input is never interpreted;
    operators only count between two terms. Empty when nothing searchable is left.
    """
    printable = "".join(ch if ch.isprintable() else " " for ch in query)
    parts: list[str] = []
    pending_op = ""
    for m in _TERM.finditer(printable):
        phrase, word = m.group(1), m.group(2)
        if word in ("OR", "NOT", "AND"):
            pending_op = word if parts else ""
            continue
        term = _term(phrase if phrase is not None else word, prefix_ok=phrase is None)
        if not term:
            continue
        if len(parts) >= MAX_TERMS * 2:
            break
        if parts:
            parts.append(pending_op or "AND")
        parts.append(term)
        pending_op = ""
    return " ".join(parts)


def _term(text: str, *, prefix_ok: bool) -> str:
    prefix = prefix_ok and text.endswith("*")
    words = re.findall(r"\w+", text.rstrip("*"))
    if not words:
        return ""
    quoted = '"' + " ".join(words) + '"'
    if prefix and len(words) == 1 and len(words[0]) >= 3:
        return quoted + " *"
    return quoted
