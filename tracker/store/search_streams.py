"""One pass over the index for a query with prefixes: each term read once, newest row first.

FTS5 (without a `prefix=` index, which would make the index ~60% larger) expands a prefix by
merging the rows of every token that starts with it, whatever else the query asks: 1-5 ms for
a common 3-letter prefix at 50,000 versions, paid again by each index query that names it.
A search asked the index for the page of stories (one expansion a prefix), then for the page's
rows of the query or of each of its terms (one more each). Here each term gets one cursor,
newest row first; the page is found by reading them down together, and the page's rows of
each term are the rows already read (read further when the page's stories are older). Which
rows match is worked out from the terms' rows (`select`, FTS5's precedence, as `matches`).
Reading is bounded (READ_LIMIT rows to find the page, as many for its rows): past it the
caller asks the index as before. A query of which a group needs 3 terms or more (AND) is
left to the index from the start: its matches are rare, so reading would go deep.
"""

from __future__ import annotations

import bisect
import json
import operator
import sqlite3

from tracker.store.search_query import groups

READ_LIMIT = 20_000
"""The most rows one search reads from its terms' cursors to find its page (about 6 ms), and
then to find the page's rows, before it gives up."""
SPARSE_ROWS = 4_000
"""Rows read before the scan judges from its rate of stories whether to go on (`scan`)."""
REQUIRED = 2
"""The most terms a group of the query may require (AND) for it to be read this way."""
FIRST_WINDOW = 512
"""Version ids read down at first; each window after is twice as deep (up to 64 times)."""


def suits(expression: list[tuple[str, str]]) -> bool:
    """Whether a query is read this way: it has NOT (a query without reads its page's entries
    from the scan's cursor) and a prefix, and no group requires more than REQUIRED terms."""
    return (
        any(op == "NOT" for op, _ in expression)
        and any(term.endswith("*") for _, term in expression)
        and all(len(required) <= REQUIRED for required, _ in groups(expression))
    )


class TermRows:
    """Each term's index rows (added text), read newest first from one cursor a term."""

    def __init__(self, conn: sqlite3.Connection, expression: list[tuple[str, str]]) -> None:
        self.conn = conn
        self.expression = expression
        self.terms = list(dict.fromkeys(term for _, term in expression))
        self.rows: dict[str, set[int]] = {term: set() for term in self.terms}
        self.floor: int | None = None  # every row at or above it has been read
        self.read = 0  # rows read against READ_LIMIT
        self.total = 0  # rows read in all
        self.start: int | None = None  # the newest row of any term
        self._cursors = {
            term: conn.execute(
                "SELECT rowid FROM versions_search WHERE versions_search MATCH ? "
                "ORDER BY rowid DESC",
                [f"{{added}} : ({term})"],
            )
            for term in self.terms
        }
        self._ahead: dict[str, list[int]] = {term: [] for term in self.terms}  # newest first
        self._at = {term: 0 for term in self.terms}  # the first of `_ahead` not yet taken
        self._batch = {term: 32 for term in self.terms}  # rows fetched at a time, doubling
        self._positive = list(
            dict.fromkeys(t for required, _ in groups(expression) for t in required)
        )

    def close(self) -> None:
        for cursor in self._cursors.values():
            cursor.close()

    def _next(self, term: str) -> int | None:
        """The newest row of `term` not yet taken (None: none left)."""
        ahead = self._ahead[term]
        if self._at[term] == len(ahead):  # a page of 51 needs ~100 rows a term: fetch few first
            self._batch[term] = batch = min(self._batch[term] * 2, 2048)
            ahead[:] = [i for (i,) in self._cursors[term].fetchmany(batch)]
            self._at[term] = 0
        return ahead[self._at[term]] if ahead else None

    def top(self) -> int | None:
        """The newest row not yet read of any term a match needs (None: nothing can match)."""
        found = [self._next(term) for term in self._positive]
        return max((i for i in found if i is not None), default=None)

    def down_to(self, floor: int) -> dict[str, set[int]] | None:
        """Read every term's rows down to `floor`: {term: the rows just read}, or None when
        that would pass READ_LIMIT (what was read is kept)."""
        if self.start is None:
            self.start = max((i for t in self.terms if (i := self._next(t)) is not None), default=0)
        new: dict[str, set[int]] = {}
        for term in self.terms:
            taken = new[term] = set()
            while self._next(term) is not None:
                ahead, at = self._ahead[term], self._at[term]
                end = bisect.bisect_right(ahead, -floor, lo=at, key=operator.neg)
                taken.update(ahead[at:end])
                self._at[term] = end
                self.read += end - at
                self.total += end - at
                if self.read > READ_LIMIT:
                    self.rows[term] |= taken
                    return None
                if end < len(ahead):
                    break
            self.rows[term] |= taken
        self.floor = floor
        return new


def scan(rows: TermRows, wanted: int, scan_limit: int) -> list[int] | None:
    """The first `wanted` stories with a version whose added text matches, newest match first,
    reading at most `scan_limit` matching versions: what the index query of the whole
    expression finds (`SearchMixin._scan`). None when READ_LIMIT was reached first, or when
    the stories found so far say it would be (the index finds sparse matches faster)."""
    order: dict[int, None] = {}
    scanned, window = 0, FIRST_WINDOW
    while (top := rows.top()) is not None:
        new = rows.down_to(top - window + 1)
        if new is None:
            return None
        hits = sorted(select(rows.expression, new), reverse=True)
        stories = dict(
            rows.conn.execute(
                "SELECT id, story_id FROM version_rows "
                "WHERE id IN (SELECT value FROM json_each(?))",
                [json.dumps(hits)],
            ).fetchall()
        )
        for version_id in hits:
            if version_id not in stories:
                continue
            scanned += 1
            order[int(stories[version_id])] = None
            if len(order) >= wanted or scanned >= scan_limit:
                return list(order)
        if rows.read > SPARSE_ROWS and rows.read * wanted > READ_LIMIT * max(len(order), 1):
            return None  # at this rate the page would take more than READ_LIMIT rows
        window = min(window * 2, FIRST_WINDOW * 64)
    return list(order)


def page_rows(rows: TermRows, versions: set[int]) -> dict[str, set[int]] | None:
    """{term: those of `versions` whose added text has it}, from the rows read, reading down
    to the oldest of them; None when that would read more than READ_LIMIT rows."""
    rows.read = 0
    floor = min(versions, default=None)
    below = floor is not None and (rows.floor is None or floor < rows.floor)
    if below and rows.floor is not None and rows.start is not None:
        density = rows.total / max(1, rows.start - rows.floor + 1)
        if density * (rows.floor - floor) > READ_LIMIT:
            return None  # as dense as what was read, that is more than READ_LIMIT rows
    if below and rows.down_to(floor) is None:
        return None
    return {term: found & versions for term, found in rows.rows.items()}


def select(expression: list[tuple[str, str]], rows: dict[str, set[int]]) -> set[int]:
    """The rows where `expression` holds, from each term's rows: a union of groups, each the
    rows holding all of its terms and none of those after NOT (see `matches`)."""
    out: set[int] = set()
    for required, excluded in groups(expression):
        found = set.intersection(*(rows[t] for t in required))
        for term in excluded:
            found -= rows[term]
        out |= found
    return out
