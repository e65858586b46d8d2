"""Full-text search over what each version introduced, one result per story.

`versions_search` is a contentless FTS5 table, one row per version (rowid = version id): the
sentences the version added (`changed_text.py`) and a `story` token. A query runs against
`added`, newest matching version first, and stops as soon as the page's stories are found (at
most SCAN_LIMIT matching versions are read, so a phrase in every story costs the same as a rare
one). For each story on the page, the versions that added matching text are where the query
entered; where it left is found by probing the whole text of the versions after each (a
temporary FTS5 table, so the query means exactly the same thing), bisecting each stretch.
A query with NOT has no such order as a whole, but each of its terms does: each term is
followed that way on its own and the expression is evaluated per version (`matches`).
FTS5 expands a prefix in every index query that names it, so a search names each once: the
scan's cursor is read on for the page's entries, and a query with NOT and a prefix reads each
term's rows once (`search_streams`). The query language itself is in `search_query`.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tracker.store import chains
from tracker.store.base import Row, StoreBase, StoreError
from tracker.store.search_query import fts_query, matches, negated, snippet, terms
from tracker.store.search_streams import TermRows, page_rows, scan, suits

SCAN_LIMIT = 5000
"""The most matching versions one search reads before it stops (bounded cost per request)."""
SITE_TOKENS = 500
"""A site with at most this many stories is searched through their `story` tokens."""
EVENT_LIMIT = 60
"""The most versions per story checked for entering/leaving (a story that flips more is cut)."""
PROBE_LIMIT = 300
"""The most version texts one search checks for where a query left; past it, the remaining
stories on the page say `complete: False` (their newest version is still checked)."""
TERM_SHARE = 4
"""A query with NOT asks each text it checks about every term, after one index query a term:
past TERM_SHARE terms it checks PROBE_LIMIT × TERM_SHARE / terms texts (60 for 20 terms), so a
long query costs about what a short one does."""
RANGE_ROWS = 4000
"""A page whose stories' version ids span fewer than this is kept by id range (`_among`)."""
FOLLOW_ROWS = 20_000
"""The most rows a scan's cursor is read on for its page's events (`_events_below`)."""


class SearchMixin(StoreBase):
    def search(
        self, query: str, *, site: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Row]:
        """Stories where `query` was ever present, newest match first, one row per story.

        Each row is the story with `entered` and `left` (version numbers where the query started
        and stopped matching the version's text, oldest first), `present` (it matches the
        newest version), `complete` (False when the story's history was cut at EVENT_LIMIT
        versions, or when the request's PROBE_LIMIT texts were checked), `match_version` (the
        version shown) and `match_snippet`, whose matches sit between SNIPPET_START and
        SNIPPET_END (control characters page text cannot contain).
        `site` keeps stories of that site or its subdomains. A query is words (all must appear
        in one sentence or the headline), "quoted phrases", prefixes (`elect*`, 3+ letters) and
        OR / NOT between them.
        """
        fts = fts_query(query)
        if not fts:
            return []
        with self._snapshot():
            return self._search(fts, site, int(limit), int(offset))

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction (a savepoint) for a whole search: its reads see one state of
        the index, and the probe table's writes are not each committed (about 40% of a probe)."""
        self.conn.execute("SAVEPOINT search")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK TO search")
            self.conn.execute("RELEASE search")
            raise
        self.conn.execute("RELEASE search")

    def _search(self, fts: str, site: str | None, limit: int, offset: int) -> list[Row]:
        match = "{added} : (" + fts + ")"
        wanted = offset + limit
        expression = terms(fts)
        streams = cursor = None
        seen: list[tuple[int, int, int]] = []
        try:
            if site is None and suits(expression):
                streams = TermRows(self.conn, expression)
            order = scan(streams, wanted, SCAN_LIMIT) if streams else None
            if order is None:
                cursor = self._scan_cursor(match, site)
                order, seen = _scanned(cursor, wanted)
            page = order[offset:wanted]
            if not page:
                return []
            if negated(expression):
                rows = self._page_rows(page, expression, streams)
                events = self._events_of_terms(page, expression, rows)
            else:
                rows, events = {}, self._events_below(cursor, seen, page) or self._events(page, fts)
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc):
                return []
            raise StoreError(f"search failed: {exc}") from None
        finally:
            for reader in (streams, cursor):
                if reader:
                    reader.close()
        stories = {
            int(story["id"]): story
            for story in self._all(
                "SELECT * FROM stories WHERE id IN (SELECT value FROM json_each(?))",
                [json.dumps(page)],
            )
        }
        out = []
        budget = [probe_limit(len(expression)) if rows else PROBE_LIMIT]
        for story_id in page:
            story = stories.get(story_id)
            found = self._history(story_id, fts, *events[story_id], budget, rows) if story else None
            if story and found:
                out.append({**story, **found})
        return out

    def _scan_cursor(self, match: str, site: str | None) -> sqlite3.Cursor | None:
        """(story, number, version id) of the versions matching, newest first (None: the site
        has no stories). A site with few stories narrows the index query itself to their
        `story` tokens; a large one is filtered row by row."""
        sql = (
            "SELECT v.story_id, v.number, f.rowid FROM versions_search f "
            "JOIN version_rows v ON v.id = f.rowid "
        )
        params: list[Any] = []
        if site:
            site, under = site.lower(), "%." + re.sub(r"([%_\\])", r"\\\1", site.lower())
            ids = [
                r[0]
                for r in self.conn.execute(
                    "SELECT id FROM stories WHERE site = ? OR site LIKE ? ESCAPE '\\' LIMIT ?",
                    [site, under, SITE_TOKENS + 1],
                )
            ]
            if not ids:
                return None
            if len(ids) <= SITE_TOKENS:
                match += " AND story : (" + " OR ".join(f"s{i}" for i in ids) + ")"
            else:
                sql += (
                    "JOIN stories s ON s.id = v.story_id "
                    "AND (s.site = ? OR s.site LIKE ? ESCAPE '\\') "
                )
                params += [site, under]
        sql += "WHERE versions_search MATCH ? ORDER BY f.rowid DESC"
        return self.conn.execute(sql, [*params, match])

    def _events_below(
        self, cursor: sqlite3.Cursor | None, seen: list[tuple[int, int, int]], page: list[int]
    ) -> dict[int, tuple[dict[int, int], bool]] | None:
        """What `_events` answers, from the scan's own cursor: the page's rows it read, and
        those it reads on down to the page's oldest version, so that the index expands the
        query's prefixes once (an index query of 20 common prefixes costs ~20 ms at 50,000
        versions). None when that is more than FOLLOW_ROWS rows away (`_events` asks)."""
        wanted = set(page)
        (low,) = self.conn.execute(
            "SELECT min(id) FROM version_rows WHERE story_id IN (SELECT value FROM json_each(?))",
            [json.dumps(page)],
        ).fetchone()
        found = [row for row in seen if row[0] in wanted]
        if cursor and low is not None and seen and seen[-1][2] > low:
            for k, row in enumerate(cursor):
                if row[2] < low:
                    break
                if k >= FOLLOW_ROWS:
                    return None
                if row[0] in wanted:
                    found.append(row)
        return _first_events(page, found)

    def _events(self, stories: list[int], fts: str) -> dict[int, tuple[dict[int, int], bool]]:
        """For each story, {number: version id} of its first EVENT_LIMIT versions whose added
        text matches, and whether that is all of them. One index query for the whole page reads
        them in id order; a story it cut (the oldest matches of a long one can fill the page's
        share) or that has more is read again on its own, by number: a version placed among
        older ones (`tracker backfill`) has a newer id than those after it."""
        out: dict[int, tuple[dict[int, int], bool]] = {s: ({}, True) for s in stories}
        if not stories:
            return out
        cap = EVENT_LIMIT * len(stories)
        rows = self._event_rows(fts, stories, "f.rowid", cap + 1)
        _tally(out, rows[:cap])
        for story_id in [s for s, (_, complete) in out.items() if len(rows) > cap or not complete]:
            out[story_id] = ({}, True)
            _tally(out, self._event_rows(fts, [story_id], "v.number", EVENT_LIMIT + 1))
        return out

    def _event_rows(
        self, fts: str, stories: list[int], order: str, limit: int
    ) -> list[tuple[int, int, int]]:
        """(story, number, version id) of the stories' versions whose added text matches."""
        tokens, where, params = self._among(stories)
        return self.conn.execute(
            "SELECT v.story_id, v.number, f.rowid FROM versions_search f "
            "JOIN version_rows v ON v.id = f.rowid "
            f"WHERE versions_search MATCH ? {where} ORDER BY {order} LIMIT ?",
            [f"{{added}} : ({fts}){tokens}", *params, limit],
        ).fetchall()

    def _page_rows(
        self, page: list[int], expression: list[tuple[str, str]], streams: TermRows | None
    ) -> dict[str, set[int]]:
        """{term: the page's versions whose added text has it}, for a query with NOT: from the
        terms' cursors when the search read them (`search_streams`), else one index query a
        term."""
        if streams:
            versions = {
                int(i)
                for (i,) in self.conn.execute(
                    "SELECT id FROM version_rows "
                    "WHERE story_id IN (SELECT value FROM json_each(?))",
                    [json.dumps(page)],
                )
            }
            found = page_rows(streams, versions)
            if found is not None:
                return found
        return self._term_rows(page, expression)

    def _term_rows(
        self, stories: list[int], expression: list[tuple[str, str]]
    ) -> dict[str, set[int]]:
        """{term: ids of the stories' versions whose added text has it}, one query a term."""
        tokens, where, params = self._among(stories)
        return {
            term: {
                int(i)
                for (i,) in self.conn.execute(
                    "SELECT f.rowid FROM versions_search f JOIN version_rows v ON v.id = f.rowid "
                    f"WHERE versions_search MATCH ? {where}",
                    [f"{{added}} : ({term}){tokens}", *params],
                )
            }
            for term in dict.fromkeys(term for _, term in expression)
        }

    def _among(self, stories: list[int]) -> tuple[str, str, list[Any]]:
        """What keeps the versions of `stories`: (to add to the MATCH expression, SQL after
        `MATCH ?`, its parameters). The range of their version ids is free to
        seek to; a `story` token per story costs a lookup in each index segment (about 0.6 ms
        for a page of 51), so the tokens are only added when the range is wide (old stories
        among new ones), where reading every row of it that holds the term would cost more."""
        ids = json.dumps(stories)
        low, high = self.conn.execute(
            "SELECT min(id), max(id) FROM version_rows "
            "WHERE story_id IN (SELECT value FROM json_each(?))",
            [ids],
        ).fetchone()
        tokens = ""
        if low is None or high - low >= RANGE_ROWS:
            tokens = " AND story : (" + " OR ".join(f"s{s}" for s in stories) + ")"
        where = "AND f.rowid BETWEEN ? AND ? AND v.story_id IN (SELECT value FROM json_each(?))"
        return tokens, where, [low or 0, high or 0, ids]

    def _events_of_terms(
        self, stories: list[int], expression: list[tuple[str, str]], rows: dict[str, set[int]]
    ) -> dict[int, tuple[dict[int, int], bool]]:
        """What `_events` answers, worked out from the terms' rows instead of asking the index
        for the whole expression again (a query with NOT reads every term's rows anyway, and an
        index query of a few common prefixes costs milliseconds): a version's added text
        matches when the expression holds for the terms it has."""
        candidates = set().union(*rows.values()) if rows else set()
        hits = [
            i
            for i in candidates
            if matches(expression, {t: i in found for t, found in rows.items()})
        ]
        return _first_events(
            stories,
            self.conn.execute(
                "SELECT story_id, number, id FROM version_rows "
                "WHERE id IN (SELECT value FROM json_each(?))",
                [json.dumps(hits)],
            ).fetchall(),
        )

    def _history(
        self,
        story_id: int,
        fts: str,
        added: dict[int, int],
        full: bool,
        budget: list[int],
        rows: dict[str, set[int]],
    ) -> dict[str, Any] | None:
        """When the query entered and left one story's versions (None: it never truly did).

        A version whose added text matches holds the query. After it, the query stays until
        some version drops it, and only text added again brings it back: so each stretch up to
        the next such version is present, then absent, and is bisected with probes of whole
        texts. A query with NOT has no such order, but each of its terms has (`_probe_terms`,
        from `rows`, the versions whose added text has each term: `_term_rows`).
        `budget` ([texts left]) is shared by the stories of one search, so a page of long,
        flickering live stories costs what PROBE_LIMIT allows.
        """
        if not added:
            return None
        texts = chains.StoryTexts(self.conn, story_id)
        ids, numbers = texts.ids, texts.numbers
        if rows:
            present, complete = self._probe_terms(texts, terms(fts), rows, added, full, budget)
        else:
            present, complete = self._bisect(texts, fts, added, full, budget)
        entered, left, was, shown = [], [], False, None
        for number in numbers:
            now = present.get(number)
            if now is None:  # between known points nothing changed
                continue
            if now and not was:
                entered.append(number)
            elif was and not now:
                left.append(number)
            was = now
            if now:
                shown = number
        if not entered or shown is None:
            return None
        if not complete:  # the history was cut: whether it is there now, the newest says
            newest = numbers[-1]
            was = bool(self._probe(texts, fts, {newest: ids[newest]}, [1]))
        if was:
            shown = numbers[-1]
        version_id = ids[shown]
        title, text = texts.titles[version_id], texts.get([version_id])[version_id]
        return {
            "entered": entered,
            "left": left,
            "present": was,
            "complete": complete,
            "match_version": shown,
            "match_snippet": snippet(f"{title or ''}\n\n{text}", fts),
        }

    def _bisect(
        self,
        texts: chains.StoryTexts,
        fts: str,
        added: dict[int, int],
        full: bool,
        budget: list[int],
    ) -> tuple[dict[int, bool], bool]:
        """{number: present} at each version that added matching text and at the first version
        of each stretch after it that no longer holds the query; whether that is complete."""
        numbers, ids = texts.numbers, texts.ids
        hits = sorted(added)
        present: dict[int, bool] = {}
        for k, hit in enumerate(hits):
            present[hit] = True
            end = hits[k + 1] if k + 1 < len(hits) else None
            if end is None and not full:  # later matches were not read: see `_history`
                break
            stretch = [n for n in numbers if n > hit and (end is None or n < end)]
            low, high = 0, len(stretch)  # the first version without the query is in [low, high]
            if stretch and budget[0] <= 0:
                return present, False
            if stretch and self._probe(texts, fts, {stretch[-1]: ids[stretch[-1]]}, budget):
                low = high  # still there at the end of the stretch: there all along
            while low < high:
                if budget[0] <= 0:
                    return present, False
                mid = (low + high) // 2
                if self._probe(texts, fts, {stretch[mid]: ids[stretch[mid]]}, budget):
                    low = mid + 1
                else:
                    high = mid
            if low < len(stretch):
                present[stretch[low]] = False
        return present, full

    def _probe_terms(
        self,
        texts: chains.StoryTexts,
        expression: list[tuple[str, str]],
        rows: dict[str, set[int]],
        added: dict[int, int],
        full: bool,
        budget: list[int],
    ) -> tuple[dict[int, bool], bool]:
        """{number: present} for every version from the first match on (at most EVENT_LIMIT),
        for a query with NOT; whether that is complete.

        FTS5 decides whether a text matches from which of the query's terms it holds. Each
        term is a query without NOT, so it is where its own added text has it (the index)
        and, after that, there up to some version and not after, until added again: its
        stretches are bisected as `_bisect` does, in version order, each text probed once
        for all the terms. A term the story never added is absent throughout (no probe).
        """
        numbers, ids = texts.numbers, texts.ids
        words = list(dict.fromkeys(term for _, term in expression))
        after = [n for n in numbers if n >= min(added)]
        window = after[:EVENT_LIMIT]
        if not window:
            return {}, full
        known: dict[str, dict[int, bool]] = {term: {} for term in words}
        stretches: list[tuple[int, str, list[int]]] = []
        for term in words:
            hits = {n for n, i in ids.items() if i in rows[term]}
            entered, stretch = any(n < window[0] for n in hits), []
            for n in window + [None]:
                if n is None or n in hits:
                    if stretch:
                        stretches.append((stretch[0], term, stretch))
                    stretch = []
                    if n is not None:
                        known[term][n] = entered = True
                elif entered:
                    stretch.append(n)
                else:
                    known[term][n] = False
        probe = _TermProbe(self.conn, texts, known, budget)
        cut = not all(probe.settle(term, stretch) for _, term, stretch in sorted(stretches))
        present: dict[int, bool] = {}
        for n in window:
            if any(n not in known[term] for term in words):
                break
            present[n] = matches(expression, {term: known[term][n] for term in words})
        if not present:  # the first version is checked whatever is left of the budget
            probe.at(window[0], force=True)
            present[window[0]] = matches(
                expression, {term: known[term][window[0]] for term in words}
            )
        return present, full and not cut and len(window) == len(after)

    def _probe(
        self, texts: chains.StoryTexts, fts: str, versions: dict[int, int], budget: list[int]
    ) -> set[int]:
        """Those of `versions` ({number: id}) whose whole text matches `fts` (`_probe_table`).
        Each text checked is taken from `budget`."""
        if not versions:
            return set()
        budget[0] -= len(versions)
        with _probe_table(self.conn, texts, versions):
            return {
                int(n)
                for (n,) in self.conn.execute(
                    "SELECT rowid FROM temp.search_probe WHERE search_probe MATCH ?", [fts]
                )
            }


class _TermProbe:
    """Whole version texts of one story checked in the temporary FTS5 table (`_probe_table`),
    each once (one text of the budget) for every term not yet known there, in one statement."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        texts: chains.StoryTexts,
        known: dict[str, dict[int, bool]],
        budget: list[int],
    ) -> None:
        self.conn, self.texts, self.known, self.budget = conn, texts, known, budget

    def at(self, number: int, *, force: bool = False) -> bool:
        """Learn every term at version `number`; False when the budget is spent."""
        unknown = [term for term, found in self.known.items() if number not in found]
        if not unknown:
            return True
        if self.budget[0] <= 0 and not force:
            return False
        self.budget[0] -= 1
        ask = "EXISTS (SELECT 1 FROM temp.search_probe WHERE search_probe MATCH ?)"
        with _probe_table(self.conn, self.texts, {number: self.texts.ids[number]}):
            answers = self.conn.execute("SELECT " + ", ".join([ask] * len(unknown)), unknown)
            for term, there in zip(unknown, answers.fetchone(), strict=True):
                self.known[term][number] = bool(there)
        return True

    def settle(self, term: str, stretch: list[int]) -> bool:
        """Where `term`, there at the start of `stretch` or not, stops being there (it does not
        come back within it): bisected, starting from what other terms' probes found. False
        when the budget ran out first (what was found is kept)."""
        found = self.known[term]
        low, high = 0, len(stretch)  # the first version without the term is in [low, high]
        for i, n in enumerate(stretch):
            if n in found:
                low, high = (max(low, i + 1), high) if found[n] else (low, min(high, i))
        spent = False
        if high == len(stretch) and low < high:  # there at the end: there all along
            spent = stretch[-1] not in found and not self.at(stretch[-1])
            if not spent:
                low, high = (high, high) if found[stretch[-1]] else (low, high - 1)
        while low < high and not spent:
            mid = (low + high) // 2
            spent = stretch[mid] not in found and not self.at(stretch[mid])
            if not spent:
                low, high = (mid + 1, high) if found[stretch[mid]] else (low, mid)
        for i, n in enumerate(stretch):
            if i < low or i >= high:
                found.setdefault(n, i < low)
        return not spent


@contextmanager
def _probe_table(
    conn: sqlite3.Connection, texts: chains.StoryTexts, versions: dict[int, int]
) -> Iterator[None]:
    """The temporary FTS5 table holding the whole texts of `versions` ({number: id}), rowid =
    number, emptied afterwards: a query run on it means exactly what it means in the index.
    Emptied rather than dropped: each 'delete-all' leaves the table ready for the next probe."""
    bodies, titles = texts.get(list(versions.values())), texts.titles
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_probe USING fts5(title, text, content='')"
    )
    try:
        conn.executemany(
            "INSERT INTO temp.search_probe (rowid, title, text) VALUES (?, ?, ?)",
            [(n, titles[i] or "", bodies[i]) for n, i in versions.items()],
        )
        yield
    finally:
        conn.execute("INSERT INTO temp.search_probe (search_probe) VALUES ('delete-all')")


def probe_limit(term_count: int) -> int:
    """The texts a query with NOT and `term_count` terms may check (see TERM_SHARE)."""
    if term_count <= TERM_SHARE:
        return PROBE_LIMIT
    return max(1, PROBE_LIMIT * TERM_SHARE // term_count)


def _tally(out: dict[int, tuple[dict[int, int], bool]], rows: list[tuple[int, int, int]]) -> None:
    """Add index rows to each story's versions; a story past EVENT_LIMIT is incomplete."""
    for story_id, number, version_id in rows:
        found = out[story_id][0]
        if len(found) < EVENT_LIMIT:
            found[int(number)] = int(version_id)
        else:
            out[story_id] = (found, False)


def _scanned(
    cursor: sqlite3.Cursor | None, wanted: int
) -> tuple[list[int], list[tuple[int, int, int]]]:
    """The first `wanted` stories of a scan, reading at most SCAN_LIMIT of its rows, and the
    rows read."""
    order: dict[int, None] = {}
    seen: list[tuple[int, int, int]] = []
    for row in cursor or ():
        seen.append(row)
        order[row[0]] = None
        if len(order) >= wanted or len(seen) >= SCAN_LIMIT:
            break
    return list(order), seen


def _first_events(
    stories: list[int], rows: list[tuple[int, int, int]]
) -> dict[int, tuple[dict[int, int], bool]]:
    """{story: ({number: version id} of its first EVENT_LIMIT rows, whether that is all)}."""
    out: dict[int, tuple[dict[int, int], bool]] = {s: ({}, True) for s in stories}
    by_story: dict[int, list[tuple[int, int]]] = {}
    for story_id, number, version_id in rows:
        by_story.setdefault(int(story_id), []).append((int(number), int(version_id)))
    for story_id, found in by_story.items():
        found.sort()
        out[story_id] = (dict(found[:EVENT_LIMIT]), len(found) <= EVENT_LIMIT)
    return out
