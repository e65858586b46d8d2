"""The one SQLite file, and the only module that speaks SQL.

Schema, forward migrations (`PRAGMA user_version`), queries and transactions live here; every other
module asks the Store. The file is plain SQLite in WAL mode: open it with `sqlite3`, `sqlite-utils`
or Datasette while the tracker runs. docs/SCHEMA.md describes every table.

A Store object holds one connection and is meant for one thread; open one per thread (cheap).
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from secrets import token_hex
from typing import Any

import sqlite_utils

from tracker import clock
from tracker.document import Document

Row = dict[str, Any]


class StoreError(Exception):
    """The database cannot do what was asked; the message is meant for a person."""


class NotFound(StoreError):
    """No such story, version, change, feed, subscription or delivery."""


class Conflict(StoreError):
    """The row is in a state that does not allow this (e.g. a delivery already sent)."""


MAX_ID = 2**63 - 1


def _as_id(text: str) -> int | None:
    """An ASCII-digit id SQLite can hold, or None (so '²' or a 30-digit number is no id)."""
    if text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= MAX_ID:
        return int(text)
    return None


# --------------------------------------------------------------------------- schema


def _m1_core(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            canonical_url TEXT,
            site TEXT,
            title TEXT,
            added_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'active'
                CHECK (state IN ('active', 'paused', 'gone', 'archived')),
            developing INTEGER NOT NULL DEFAULT 0,
            interval INTEGER,
            next_check_at TEXT,
            last_checked_at TEXT,
            etag TEXT,
            last_modified TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE INDEX stories_canonical ON stories(canonical_url);
        CREATE TABLE versions (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            fetched_at TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            title TEXT,
            byline TEXT,
            text TEXT NOT NULL,
            published TEXT,
            updated TEXT,
            canonical_url TEXT,
            reverts_to INTEGER,
            UNIQUE (story_id, number)
        );
        CREATE INDEX versions_fingerprint ON versions(story_id, fingerprint);
        CREATE TABLE changes (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            from_version INTEGER NOT NULL,
            to_version INTEGER NOT NULL,
            detected_at TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'edit',
            words_added INTEGER NOT NULL DEFAULT 0,
            words_removed INTEGER NOT NULL DEFAULT 0,
            summary TEXT,
            reverts_to INTEGER,
            UNIQUE (story_id, to_version)
        );
        CREATE INDEX changes_detected ON changes(detected_at);
        CREATE TABLE checks (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            status INTEGER,
            outcome TEXT NOT NULL,
            duration_ms REAL,
            error TEXT
        );
        CREATE INDEX checks_story ON checks(story_id, id);
        """
    )


def _m2_change_stats(db: sqlite_utils.Database) -> None:
    """Diff statistics on changes, and per-story denormalised figures for fast listing."""
    db.executescript(
        """
        ALTER TABLE changes ADD COLUMN size INTEGER;
        ALTER TABLE changes ADD COLUMN kinds TEXT;
        ALTER TABLE changes ADD COLUMN words_changed INTEGER;
        ALTER TABLE changes ADD COLUMN paragraphs_added INTEGER;
        ALTER TABLE changes ADD COLUMN paragraphs_removed INTEGER;
        ALTER TABLE changes ADD COLUMN paragraphs_moved INTEGER;
        ALTER TABLE changes ADD COLUMN paragraphs_changed INTEGER;
        ALTER TABLE changes ADD COLUMN share_changed REAL;
        ALTER TABLE changes ADD COLUMN details TEXT;
        ALTER TABLE stories ADD COLUMN version_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE stories ADD COLUMN last_changed_at TEXT;
        ALTER TABLE stories ADD COLUMN last_change_size INTEGER;
        ALTER TABLE stories ADD COLUMN last_change_kind TEXT;
        UPDATE stories SET version_count = (
            SELECT count(*) FROM versions WHERE versions.story_id = stories.id);
        UPDATE stories SET last_changed_at = (
            SELECT max(detected_at) FROM changes WHERE changes.story_id = stories.id);
        CREATE INDEX stories_last_changed ON stories(last_changed_at);
        CREATE INDEX stories_due ON stories(state, next_check_at);
        CREATE INDEX changes_story ON changes(story_id, to_version);
        """
    )


def _m3_feeds_and_fetching(db: sqlite_utils.Database) -> None:
    """Feeds that discover stories, per-story fetch options, and the raw page archive."""
    db.executescript(
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            title TEXT,
            added_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'gone')),
            interval INTEGER,
            next_check_at TEXT,
            last_checked_at TEXT,
            etag TEXT,
            last_modified TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        ALTER TABLE stories ADD COLUMN feed_id INTEGER REFERENCES feeds(id) ON DELETE SET NULL;
        ALTER TABLE stories ADD COLUMN options TEXT;
        ALTER TABLE stories ADD COLUMN body_hash TEXT;
        ALTER TABLE versions ADD COLUMN raw BLOB;
        ALTER TABLE versions ADD COLUMN raw_type TEXT;
        CREATE INDEX stories_feed ON stories(feed_id);
        CREATE INDEX stories_site ON stories(site);
        """
    )


def _m4_notifications(db: sqlite_utils.Database) -> None:
    """Subscriptions and the delivery outbox (written in the same transaction as the change)."""
    db.executescript(
        """
        CREATE TABLE subscriptions (
            id INTEGER PRIMARY KEY,
            scope TEXT NOT NULL CHECK (scope IN ('story', 'feed', 'all')),
            story_id INTEGER REFERENCES stories(id) ON DELETE CASCADE,
            feed_id INTEGER REFERENCES feeds(id) ON DELETE CASCADE,
            channel TEXT NOT NULL,
            target TEXT NOT NULL,
            secret TEXT,
            min_words INTEGER NOT NULL DEFAULT 0,
            kinds TEXT,
            developing_only INTEGER NOT NULL DEFAULT 0,
            mode TEXT NOT NULL DEFAULT 'instant' CHECK (mode IN ('instant', 'hourly', 'daily')),
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            last_digest_at TEXT
        );
        CREATE INDEX subscriptions_story ON subscriptions(story_id);
        CREATE INDEX subscriptions_feed ON subscriptions(feed_id);
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
            change_id INTEGER NOT NULL REFERENCES changes(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'dead')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            claimed_until TEXT,
            sent_at TEXT,
            last_error TEXT,
            idempotency_key TEXT NOT NULL,
            UNIQUE (subscription_id, change_id)
        );
        CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
        CREATE TABLE delivery_attempts (
            id INTEGER PRIMARY KEY,
            delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            ok INTEGER NOT NULL,
            status INTEGER,
            error TEXT,
            duration_ms REAL
        );
        CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id);
        CREATE TABLE secrets (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """
    )


def _m5_search(db: sqlite_utils.Database) -> None:
    """Full-text search over every version's headline and body, including text later removed."""
    db.executescript(
        """
        CREATE VIRTUAL TABLE versions_fts USING fts5(
            title, text, content='versions', content_rowid='id', tokenize='unicode61'
        );
        INSERT INTO versions_fts(rowid, title, text) SELECT id, title, text FROM versions;
        CREATE TRIGGER versions_ai AFTER INSERT ON versions BEGIN
            INSERT INTO versions_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        CREATE TRIGGER versions_ad AFTER DELETE ON versions BEGIN
            INSERT INTO versions_fts(versions_fts, rowid, title, text)
                VALUES ('delete', old.id, old.title, old.text);
        END;
        CREATE TRIGGER versions_au AFTER UPDATE OF title, text ON versions BEGIN
            INSERT INTO versions_fts(versions_fts, rowid, title, text)
                VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO versions_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        """
    )


def _m6_listing_indexes(db: sqlite_utils.Database) -> None:
    """Indexes matching the story list's sort orders exactly, so a page of 10,000+ is instant."""
    db.executescript(
        """
        CREATE INDEX stories_sort_changed
            ON stories(coalesce(last_changed_at, added_at) DESC, id DESC);
        CREATE INDEX stories_sort_title ON stories(coalesce(title, url) COLLATE NOCASE, id);
        """
    )


def _m7_ids_never_reused(db: sqlite_utils.Database) -> None:
    """AUTOINCREMENT ids for changes, subscriptions and deliveries.

    A plain INTEGER PRIMARY KEY hands the id of a deleted newest row to the next one; then an
    old unsubscribe link or idempotency key would name a different subscription or change.
    Tables are rebuilt the way SQLite documents (new table, copy, drop, rename) with foreign
    keys off, which `_migrate` arranges for this step.
    """
    for table in ("changes", "subscriptions", "deliveries"):
        sql = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
        ).fetchone()[0]
        indexes = [
            row[0]
            for row in db.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                [table],
            ).fetchall()
        ]
        new_sql = sql.replace(f"CREATE TABLE {table}", f"CREATE TABLE {table}_new", 1).replace(
            "id INTEGER PRIMARY KEY,", "id INTEGER PRIMARY KEY AUTOINCREMENT,", 1
        )
        db.execute(new_sql)
        db.execute(f"INSERT INTO {table}_new SELECT * FROM {table}")
        db.execute(f"DROP TABLE {table}")
        db.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
        for index_sql in indexes:
            db.execute(index_sql)


def _m8_no_session_key(db: sqlite_utils.Database) -> None:
    """Earlier releases kept the web session key in `secrets`, readable by anyone who can read
    the file; it now lives beside the database in a 0600 file, so the stored copy goes."""
    db.execute("DELETE FROM secrets WHERE name = 'session_key'")


def _m9_missing_stats_index(db: sqlite_utils.Database) -> None:
    """A partial index over changes still without statistics: every CLI start asks whether a
    backfill is needed, and that question must not scan the whole change log."""
    db.execute("CREATE INDEX changes_missing_stats ON changes(id) WHERE size IS NULL")


def _m10_signin_failures(db: sqlite_utils.Database) -> None:
    """Failed admin sign-ins by client address, so that guessing the password is slowed to a
    few tries per address per window; rows older than the window go as new ones come."""
    db.executescript(
        """
        CREATE TABLE signin_failures (client TEXT NOT NULL, at TEXT NOT NULL);
        CREATE INDEX signin_failures_client ON signin_failures(client, at);
        CREATE INDEX signin_failures_at ON signin_failures(at);
        """
    )


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _m1_core,
    _m2_change_stats,
    _m3_feeds_and_fetching,
    _m4_notifications,
    _m5_search,
    _m6_listing_indexes,
    _m7_ids_never_reused,
    _m8_no_session_key,
    _m9_missing_stats_index,
    _m10_signin_failures,
)
SNIPPET_START, SNIPPET_END = "\x02", "\x03"
SCHEMA_VERSION = len(MIGRATIONS)

CHANGE_STATS = (
    "size",
    "words_added",
    "words_removed",
    "words_changed",
    "paragraphs_added",
    "paragraphs_removed",
    "paragraphs_moved",
    "paragraphs_changed",
    "share_changed",
)
"""The change row's figures: what the API, feeds and notifications report as `stats`."""
CHANGE_FIELDS = ("kind", "kinds", "summary", "details", *CHANGE_STATS)
STORY_SORTS = {
    "changed": "coalesce(s.last_changed_at, s.added_at) DESC, s.id DESC",
    "added": "s.added_at DESC, s.id DESC",
    "title": "coalesce(s.title, s.url) COLLATE NOCASE ASC, s.id ASC",
    "versions": "s.version_count DESC, s.id DESC",
}
STORY_STATES = ("active", "paused", "gone", "archived")
# A version as read back: every column but the archived raw page, which only `raw_page` loads
# (a compressed page per read would weigh on every diff, feed and notification).
_VERSION = (
    "id, story_id, number, fetched_at, fingerprint, title, byline, text, published, updated, "
    "canonical_url, reverts_to, raw_type, raw IS NOT NULL AS has_raw"
)
_STORY_UPDATABLE = frozenset(
    {
        "title",
        "canonical_url",
        "site",
        "state",
        "developing",
        "interval",
        "next_check_at",
        "last_checked_at",
        "etag",
        "last_modified",
        "failures",
        "last_error",
        "feed_id",
        "options",
        "body_hash",
    }
)
_FEED_UPDATABLE = frozenset(
    {
        "title",
        "state",
        "interval",
        "next_check_at",
        "last_checked_at",
        "etag",
        "last_modified",
        "failures",
        "last_error",
    }
)
_SUBSCRIPTION_UPDATABLE = frozenset(
    {"active", "last_digest_at", "min_words", "mode", "target", "secret"}
)


@dataclass(frozen=True)
class Recorded:
    """What `record_version` did: the version number now current, and whether it is new."""

    number: int
    created: bool
    change_id: int | None = None
    reverts_to: int | None = None
    deliveries: int = 0
    developing: bool | None = None  # the new version's verdict, when one was asked for


def _dumps(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def compress(raw: bytes) -> bytes:
    return zlib.compress(raw, 6)


def decompress(blob: bytes) -> bytes:
    return zlib.decompress(blob)


# --------------------------------------------------------------------------- the store


class Store:
    """A connection to one storydiff database, migrated to the current schema on open."""

    def __init__(
        self, path: str | Path, *, migrate_to: int = SCHEMA_VERSION, timeout: float = 10.0
    ):
        self.path = str(path)
        if self.path != ":memory:":
            parent = Path(self.path).expanduser().resolve().parent
            if not parent.is_dir():
                raise StoreError(
                    f"cannot open database {self.path}: folder {parent} does not exist"
                )
            if Path(self.path).is_dir():
                raise StoreError(f"cannot open database {self.path}: it is a folder")
        try:
            conn = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode != "wal" and self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise StoreError(_explain(exc, self.path)) from None
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        try:
            self._migrate(migrate_to)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(_explain(exc, self.path)) from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions and migrations

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE): all of it lands, or none of it."""
        if self.conn.in_transaction:
            yield self.conn
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise StoreError(_explain(exc, self.path)) from None
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, target: int) -> None:
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"database {self.path} has schema version {current}, newer than this storydiff "
                f"understands ({SCHEMA_VERSION}); upgrade storydiff"
            )
        if current >= target:
            return
        # Table rebuilds must not cascade deletes: foreign keys are off while migrating (it can
        # only be switched outside a transaction) and checked before the migration commits.
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            with self.write():
                current = self.schema_version  # another process may have migrated meanwhile
                for number in range(current + 1, target + 1):
                    MIGRATIONS[number - 1](self.db)
                    self.conn.execute(f"PRAGMA user_version = {number}")
                broken = self.conn.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise StoreError(f"migration would break {len(broken)} references; not applied")
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")

    def _one(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> Row | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def _all(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[Row]:
        try:
            return list(self.db.query(sql, params))
        except OverflowError:
            raise NotFound("no such row: the number is too large") from None
        except sqlite3.OperationalError as exc:
            raise StoreError(_explain(exc, self.path)) from None

    def _update(
        self, table: str, noun: str, row_id: int, allowed: frozenset[str], fields: dict[str, Any]
    ) -> None:
        """UPDATE one row's named columns; only columns in `allowed` may be named."""
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot update {noun} fields {sorted(unknown)}")
        if not fields:
            return
        sets = ", ".join(f"{name} = :{name}" for name in fields)
        with self.write():
            cur = self.conn.execute(
                f"UPDATE {table} SET {sets} WHERE id = :_id", {**fields, "_id": row_id}
            )
            if cur.rowcount == 0:
                raise NotFound(f"no {noun} with id {row_id}")

    # -- stories

    def add_story(
        self,
        url: str,
        *,
        title: str | None = None,
        interval: int | None = None,
        feed_id: int | None = None,
        canonical_url: str | None = None,
        site: str | None = None,
        next_check_at: str | None = None,
        options: dict[str, Any] | None = None,
        now: str | None = None,
    ) -> tuple[int, bool]:
        """Register a story; returns (id, created). A URL already tracked returns its id."""
        with self.write():
            existing = self._one(
                "SELECT id FROM stories WHERE url = ? OR (canonical_url IS NOT NULL AND "
                "canonical_url = ?)",
                [url, canonical_url or url],
            )
            if existing:
                return int(existing["id"]), False
            cur = self.conn.execute(
                "INSERT INTO stories (url, canonical_url, site, title, added_at, interval, "
                "feed_id, next_check_at, options) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    url,
                    canonical_url,
                    site,
                    title,
                    now or clock.iso(),
                    interval,
                    feed_id,
                    next_check_at or now or clock.iso(),
                    _dumps(options),
                ],
            )
            return int(cur.lastrowid or 0), True

    def get_story(self, story_id: int) -> Row:
        row = self._one(
            "SELECT s.*, f.url AS feed_url, f.title AS feed_title FROM stories s "
            "LEFT JOIN feeds f ON f.id = s.feed_id WHERE s.id = ?",
            [story_id],
        )
        if row is None:
            raise NotFound(f"no story with id {story_id}")
        row["options"] = json.loads(row["options"]) if row.get("options") else {}
        return row

    def find_story(self, ref: str | int) -> Row:
        """A story by numeric id or by URL (as registered or canonical)."""
        text = str(ref).strip()
        if text.isascii() and text.isdigit():
            number = _as_id(text)
            if number is None:
                raise NotFound(f"no story with id {text[:30]}")
            return self.get_story(number)
        row = self._one(
            "SELECT id FROM stories WHERE url = ? OR canonical_url = ? ORDER BY id LIMIT 1",
            [text, text],
        )
        if row is None:
            raise NotFound(f"no story with id or URL {text!r}")
        return self.get_story(int(row["id"]))

    def find_story_by_urls(self, urls: Iterable[str]) -> Row | None:
        for url in urls:
            row = self._one(
                "SELECT id FROM stories WHERE url = ? OR canonical_url = ? LIMIT 1", [url, url]
            )
            if row:
                return self.get_story(int(row["id"]))
        return None

    def update_story(self, story_id: int, **fields: Any) -> None:
        if "options" in fields and not isinstance(fields["options"], (str, type(None))):
            fields["options"] = _dumps(fields["options"])
        if "state" in fields and fields["state"] not in STORY_STATES:
            raise StoreError(f"unknown story state {fields['state']!r}")
        self._update("stories", "story", story_id, _STORY_UPDATABLE, fields)

    def resume_story(self, story_id: int, now: str | None = None) -> None:
        """Check a paused, gone or archived story again, starting now, with a clean slate."""
        self.update_story(
            story_id, state="active", next_check_at=now or clock.iso(), failures=0, last_error=None
        )

    def delete_story(self, story_id: int) -> None:
        with self.write():
            cur = self.conn.execute("DELETE FROM stories WHERE id = ?", [story_id])
            if cur.rowcount == 0:
                raise NotFound(f"no story with id {story_id}")

    def _story_filters(
        self,
        *,
        site: str | None = None,
        feed_id: int | None = None,
        state: str | None = None,
        changed_since: str | None = None,
    ) -> tuple[str, list[Any]]:
        where, params = ["1 = 1"], []
        if site:
            where.append("s.site = ?")
            params.append(site)
        if feed_id is not None:
            where.append("s.feed_id = ?")
            params.append(feed_id)
        if state == "developing":
            where.append("s.developing = 1 AND s.state = 'active'")
        elif state == "quiet":
            where.append("s.developing = 0 AND s.state = 'active'")
        elif state:
            where.append("s.state = ?")
            params.append(state)
        if changed_since:
            where.append("s.last_changed_at >= ?")
            params.append(changed_since)
        return " AND ".join(where), params

    def list_stories(
        self,
        *,
        site: str | None = None,
        feed_id: int | None = None,
        state: str | None = None,
        changed_since: str | None = None,
        sort: str = "changed",
        limit: int = 50,
        offset: int = 0,
    ) -> list[Row]:
        """Stories with their listing figures, filtered, sorted and paged (indexed for 10k+)."""
        if sort not in STORY_SORTS:
            raise StoreError(f"unknown sort {sort!r}; use one of {', '.join(STORY_SORTS)}")
        where, params = self._story_filters(
            site=site, feed_id=feed_id, state=state, changed_since=changed_since
        )
        return self._all(
            f"SELECT s.* FROM stories s WHERE {where} ORDER BY {STORY_SORTS[sort]} "
            "LIMIT ? OFFSET ?",
            [*params, int(limit), int(offset)],
        )

    def count_stories(self, **filters: Any) -> int:
        where, params = self._story_filters(**filters)
        row = self._one(f"SELECT count(*) AS n FROM stories s WHERE {where}", params)
        return int(row["n"]) if row else 0

    def sites(self) -> list[str]:
        return [
            r["site"]
            for r in self._all(
                "SELECT DISTINCT site FROM stories WHERE site IS NOT NULL ORDER BY site"
            )
        ]

    def due_stories(self, now: str, limit: int = 100) -> list[Row]:
        """Active stories whose next check time has come, most overdue first."""
        return self._all(
            "SELECT * FROM stories WHERE state = 'active' AND next_check_at <= ? "
            "ORDER BY next_check_at, id LIMIT ?",
            [now, int(limit)],
        )

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

    # -- versions and changes

    def latest_version(self, story_id: int) -> Row | None:
        return self._one(
            f"SELECT {_VERSION} FROM versions WHERE story_id = ? ORDER BY number DESC LIMIT 1",
            [story_id],
        )

    def get_version(self, story_id: int, number: int) -> Row:
        row = self._one(
            f"SELECT {_VERSION} FROM versions WHERE story_id = ? AND number = ?",
            [story_id, number],
        )
        if row is None:
            raise NotFound(f"story {story_id} has no version {number}")
        return row

    def list_versions(self, story_id: int, *, with_text: bool = False) -> list[Row]:
        """Versions oldest first; without text unless asked (it is large)."""
        cols = (
            _VERSION
            if with_text
            else (
                "id, story_id, number, fetched_at, fingerprint, title, byline, published, updated, "
                "canonical_url, reverts_to, length(text) AS text_length, raw IS NOT NULL AS has_raw"
            )
        )
        return self._all(
            f"SELECT {cols} FROM versions WHERE story_id = ? ORDER BY number", [story_id]
        )

    def raw_page(self, story_id: int, number: int) -> tuple[bytes, str | None] | None:
        row = self._one(
            "SELECT raw, raw_type FROM versions WHERE story_id = ? AND number = ?",
            [story_id, number],
        )
        if row is None or row["raw"] is None:
            return None
        return decompress(row["raw"]), row["raw_type"]

    def record_version(
        self,
        story_id: int,
        doc: Document,
        *,
        fetched_at: str | None = None,
        make_change: Callable[[Row, int | None], dict[str, Any]] | None = None,
        pick_subscriptions: Callable[[Row, dict[str, Any], list[Row]], list[Any]] | None = None,
        raw: bytes | None = None,
        raw_type: str | None = None,
        developing: Callable[[], bool] | None = None,
    ) -> Recorded:
        """Store `doc` as the story's next version, atomically and idempotently.

        Inside one write transaction: if the latest version has the same fingerprint nothing is
        written; otherwise the version, its change row (built by `make_change(previous_version,
        reverts_to)`, so the diff is against the version actually current), the story's listing
        figures and the outbox rows for `pick_subscriptions` all land together. `developing` is
        asked only when a version is written: most checks find the same text again.
        """
        fingerprint = doc.fingerprint()
        at = fetched_at or clock.iso()
        with self.write():
            story = self._one("SELECT * FROM stories WHERE id = ?", [story_id])
            if story is None:
                raise NotFound(f"no story with id {story_id}")
            latest = self.latest_version(story_id)
            if latest is not None and latest["fingerprint"] == fingerprint:
                return Recorded(number=int(latest["number"]), created=False)
            number = 1 if latest is None else int(latest["number"]) + 1
            earlier = self._one(
                "SELECT number FROM versions WHERE story_id = ? AND fingerprint = ? "
                "ORDER BY number DESC LIMIT 1",
                [story_id, fingerprint],
            )
            reverts_to = int(earlier["number"]) if earlier else None
            self.conn.execute(
                "INSERT INTO versions (story_id, number, fetched_at, fingerprint, title, byline, "
                "text, published, updated, canonical_url, reverts_to, raw, raw_type) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    story_id,
                    number,
                    at,
                    fingerprint,
                    doc.title,
                    doc.byline,
                    doc.text,
                    doc.published,
                    doc.updated,
                    doc.canonical_url,
                    reverts_to,
                    compress(raw) if raw is not None else None,
                    raw_type,
                ],
            )
            story_updates: dict[str, Any] = {"version_count": number}
            if doc.title:
                story_updates["title"] = doc.title
            now_developing = developing() if developing is not None else None
            if now_developing is not None:
                story_updates["developing"] = int(now_developing)
            change_id, delivered = None, 0
            if latest is not None:
                change = dict(make_change(latest, reverts_to)) if make_change else {}
                change_id = self._insert_change(
                    story_id, int(latest["number"]), number, at, reverts_to, change
                )
                story_updates.update(
                    last_changed_at=at,
                    last_change_size=change.get("size"),
                    last_change_kind=change.get("kind", "edit"),
                )
                if pick_subscriptions is not None:
                    subs = self._subscriptions_for(story)
                    seen = {**story, "was_developing": story["developing"]}
                    if now_developing is not None:
                        seen["developing"] = int(now_developing)
                    chosen = (
                        pick_subscriptions(seen, {**change, "id": change_id}, subs) if subs else []
                    )
                    delivered = self._enqueue(change_id, chosen, at)
            sets = ", ".join(f"{k} = ?" for k in story_updates)
            self.conn.execute(
                f"UPDATE stories SET {sets} WHERE id = ?", [*story_updates.values(), story_id]
            )
        return Recorded(
            number=number,
            created=True,
            change_id=change_id,
            reverts_to=reverts_to,
            deliveries=delivered,
            developing=now_developing,
        )

    def _insert_change(
        self,
        story_id: int,
        old: int,
        new: int,
        at: str,
        reverts_to: int | None,
        change: dict[str, Any],
    ) -> int:
        values = {k: change.get(k) for k in CHANGE_FIELDS}
        values["kind"] = values["kind"] or "edit"
        values["words_added"] = values["words_added"] or 0
        values["words_removed"] = values["words_removed"] or 0
        for key in ("kinds", "details"):
            if values[key] is not None and not isinstance(values[key], str):
                values[key] = _dumps(values[key])
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cur = self.conn.execute(
            f"INSERT INTO changes (story_id, from_version, to_version, detected_at, reverts_to, "
            f"{cols}) VALUES (?, ?, ?, ?, ?, {marks})",
            [story_id, old, new, at, reverts_to, *values.values()],
        )
        return int(cur.lastrowid or 0)

    def list_changes(
        self,
        *,
        story_id: int | None = None,
        feed_id: int | None = None,
        kinds: Iterable[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Row]:
        """Changes newest first, with their story's title and URL."""
        where, params = ["1 = 1"], []
        if story_id is not None:
            where.append("c.story_id = ?")
            params.append(story_id)
        if feed_id is not None:
            where.append("s.feed_id = ?")
            params.append(feed_id)
        if kinds:
            kinds = list(kinds)
            where.append(f"c.kind IN ({', '.join('?' for _ in kinds)})")
            params.extend(kinds)
        return [
            _decode_change(r)
            for r in self._all(
                f"SELECT c.*, s.title AS story_title, s.url AS story_url FROM changes c "
                f"JOIN stories s ON s.id = c.story_id WHERE {' AND '.join(where)} "
                "ORDER BY c.detected_at DESC, c.id DESC LIMIT ? OFFSET ?",
                [*params, int(limit), int(offset)],
            )
        ]

    def get_change(self, change_id: int) -> Row:
        row = self._one(
            "SELECT c.*, s.title AS story_title, s.url AS story_url FROM changes c "
            "JOIN stories s ON s.id = c.story_id WHERE c.id = ?",
            [change_id],
        )
        if row is None:
            raise NotFound(f"no change with id {change_id}")
        return _decode_change(row)

    def get_change_between(self, story_id: int, to_version: int) -> Row | None:
        """The change that produced version `to_version` (None for version 1)."""
        row = self._one(
            "SELECT * FROM changes WHERE story_id = ? AND to_version = ?", [story_id, to_version]
        )
        return _decode_change(row) if row else None

    def changes_missing_stats(self, limit: int = 500) -> list[Row]:
        """Changes recorded before the diff statistics existed (for the backfill)."""
        return self._all("SELECT * FROM changes WHERE size IS NULL ORDER BY id LIMIT ?", [limit])

    def update_change(self, change_id: int, change: dict[str, Any]) -> None:
        values = {k: change[k] for k in CHANGE_FIELDS if k in change}
        for key in ("kinds", "details"):
            if key in values and values[key] is not None and not isinstance(values[key], str):
                values[key] = _dumps(values[key])
        if not values:
            return
        sets = ", ".join(f"{k} = ?" for k in values)
        with self.write():
            self.conn.execute(
                f"UPDATE changes SET {sets} WHERE id = ?", [*values.values(), change_id]
            )

    # -- checks

    def log_check(
        self,
        story_id: int,
        *,
        outcome: str,
        at: str | None = None,
        status: int | None = None,
        duration_ms: float | None = None,
        error: str | None = None,
        keep: int = 200,
        story_fields: dict[str, Any] | None = None,
    ) -> None:
        """Log one check (keeping the newest `keep` per story) and update the story in one go."""
        at = at or clock.iso()
        with self.write():
            self.conn.execute(
                "INSERT INTO checks (story_id, at, status, outcome, duration_ms, error) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [story_id, at, status, outcome, duration_ms, error],
            )
            self.conn.execute(
                "DELETE FROM checks WHERE story_id = ? AND id <= (SELECT id FROM checks "
                "WHERE story_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                [story_id, story_id, int(keep)],
            )
            if story_fields:
                self.update_story(story_id, **story_fields)

    def list_checks(self, story_id: int, limit: int = 50) -> list[Row]:
        return self._all(
            "SELECT * FROM checks WHERE story_id = ? ORDER BY id DESC LIMIT ?", [story_id, limit]
        )

    # -- feeds

    def add_feed(
        self,
        url: str,
        *,
        title: str | None = None,
        interval: int | None = None,
        now: str | None = None,
    ) -> tuple[int, bool]:
        with self.write():
            row = self._one("SELECT id FROM feeds WHERE url = ?", [url])
            if row:
                return int(row["id"]), False
            at = now or clock.iso()
            cur = self.conn.execute(
                "INSERT INTO feeds (url, title, added_at, interval, next_check_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [url, title, at, interval, at],
            )
            return int(cur.lastrowid or 0), True

    def get_feed(self, feed_id: int) -> Row:
        row = self._one("SELECT * FROM feeds WHERE id = ?", [feed_id])
        if row is None:
            raise NotFound(f"no feed with id {feed_id}")
        return row

    def find_feed(self, ref: str | int) -> Row:
        text = str(ref).strip()
        if text.isascii() and text.isdigit():
            number = _as_id(text)
            if number is None:
                raise NotFound(f"no feed with id {text[:30]}")
            return self.get_feed(number)
        row = self._one("SELECT id FROM feeds WHERE url = ?", [text])
        if row is None:
            raise NotFound(f"no feed with id or URL {text!r}")
        return self.get_feed(int(row["id"]))

    def list_feeds(self) -> list[Row]:
        return self._all(
            "SELECT f.*, (SELECT count(*) FROM stories s WHERE s.feed_id = f.id) AS stories "
            "FROM feeds f ORDER BY f.id"
        )

    def due_feeds(self, now: str, limit: int = 50) -> list[Row]:
        return self._all(
            "SELECT * FROM feeds WHERE state = 'active' AND next_check_at <= ? "
            "ORDER BY next_check_at LIMIT ?",
            [now, limit],
        )

    def update_feed(self, feed_id: int, **fields: Any) -> None:
        self._update("feeds", "feed", feed_id, _FEED_UPDATABLE, fields)

    def delete_feed(self, feed_id: int) -> None:
        with self.write():
            if self.conn.execute("DELETE FROM feeds WHERE id = ?", [feed_id]).rowcount == 0:
                raise NotFound(f"no feed with id {feed_id}")

    # -- subscriptions and the outbox

    def add_subscription(
        self,
        *,
        scope: str,
        channel: str,
        target: str,
        story_id: int | None = None,
        feed_id: int | None = None,
        secret: str | None = None,
        min_words: int = 0,
        kinds: Iterable[str] | None = None,
        developing_only: bool = False,
        mode: str = "instant",
    ) -> int:
        with self.write():
            if story_id is not None:
                self.get_story(story_id)
            if feed_id is not None:
                self.get_feed(feed_id)
            cur = self.conn.execute(
                "INSERT INTO subscriptions (scope, story_id, feed_id, channel, target, secret, "
                "min_words, kinds, developing_only, mode, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    scope,
                    story_id,
                    feed_id,
                    channel,
                    target,
                    secret,
                    int(min_words),
                    _dumps(sorted(kinds)) if kinds else None,
                    int(developing_only),
                    mode,
                    clock.iso(),
                ],
            )
            return int(cur.lastrowid or 0)

    def get_subscription(self, sub_id: int) -> Row:
        row = self._one("SELECT * FROM subscriptions WHERE id = ?", [sub_id])
        if row is None:
            raise NotFound(f"no subscription with id {sub_id}")
        return _decode_subscription(row)

    def list_subscriptions(self, *, story_id: int | None = None) -> list[Row]:
        if story_id is None:
            rows = self._all("SELECT * FROM subscriptions ORDER BY id")
        else:
            rows = self._all(
                "SELECT * FROM subscriptions WHERE story_id = ? ORDER BY id", [story_id]
            )
        return [_decode_subscription(r) for r in rows]

    def delete_subscription(self, sub_id: int) -> None:
        with self.write():
            if self.conn.execute("DELETE FROM subscriptions WHERE id = ?", [sub_id]).rowcount == 0:
                raise NotFound(f"no subscription with id {sub_id}")

    def update_subscription(self, sub_id: int, **fields: Any) -> None:
        self._update("subscriptions", "subscription", sub_id, _SUBSCRIPTION_UPDATABLE, fields)

    def _subscriptions_for(self, story: Row) -> list[Row]:
        rows = self._all(
            "SELECT * FROM subscriptions WHERE active = 1 AND (scope = 'all' "
            "OR (scope = 'story' AND story_id = ?) OR (scope = 'feed' AND feed_id = ?))",
            [story["id"], story.get("feed_id")],
        )
        return [_decode_subscription(r) for r in rows]

    def _enqueue(self, change_id: int, picked: Iterable[int | tuple[int, str]], at: str) -> int:
        """Queue deliveries; an item is a subscription id, or (id, send_at) for a digest."""
        count = 0
        for item in picked:
            sub_id, send_at = item if isinstance(item, tuple) else (item, at)
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO deliveries (subscription_id, change_id, created_at, "
                "next_attempt_at, idempotency_key) VALUES (?, ?, ?, ?, ?)",
                [sub_id, change_id, at, send_at, f"storydiff-{sub_id}-{change_id}-{token_hex(4)}"],
            )
            count += cur.rowcount
        return count

    def claim_deliveries(self, now: str, lease_until: str, limit: int = 50) -> list[Row]:
        """Take due deliveries for sending: pending ones, and 'sending' ones whose lease ran out
        (a worker that died mid-send), so a crash never loses one."""
        with self.write():
            rows = self._all(
                "SELECT d.id FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id "
                "WHERE s.active = 1 AND ((d.status = 'pending' AND d.next_attempt_at <= ?) "
                "OR (d.status = 'sending' AND d.claimed_until <= ?)) "
                "ORDER BY d.next_attempt_at, d.id LIMIT ?",
                [now, now, int(limit)],
            )
            ids = [r["id"] for r in rows]
            if not ids:
                return []
            marks = ", ".join("?" for _ in ids)
            self.conn.execute(
                "UPDATE deliveries SET status = 'sending', claimed_until = ? "
                f"WHERE id IN ({marks})",
                [lease_until, *ids],
            )
            return self._all(
                f"SELECT d.*, s.channel, s.target, s.secret, s.mode, s.scope "
                f"FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id "
                f"WHERE d.id IN ({marks}) ORDER BY d.id",
                ids,
            )

    def finish_delivery(
        self,
        delivery_id: int,
        *,
        ok: bool,
        at: str,
        status: int | None = None,
        error: str | None = None,
        duration_ms: float | None = None,
        retry_at: str | None = None,
    ) -> None:
        """Record one attempt; the delivery becomes sent, pending again (retry_at) or dead.

        NotFound when the delivery is gone (its subscription was deleted while it was sent).
        """
        with self.write():
            try:
                self.conn.execute(
                    "INSERT INTO delivery_attempts "
                    "(delivery_id, at, ok, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
                    [delivery_id, at, int(ok), status, error, duration_ms],
                )
            except sqlite3.IntegrityError:
                raise NotFound(f"no delivery with id {delivery_id}") from None
            if ok:
                self.conn.execute(
                    "UPDATE deliveries SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
                    "last_error = NULL, claimed_until = NULL WHERE id = ?",
                    [at, delivery_id],
                )
            else:
                self.conn.execute(
                    "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?, "
                    "next_attempt_at = coalesce(?, next_attempt_at), claimed_until = NULL "
                    "WHERE id = ?",
                    ["pending" if retry_at else "dead", error, retry_at, delivery_id],
                )

    def list_deliveries(self, *, failed: bool = False, limit: int = 100) -> list[Row]:
        where = "WHERE d.status = 'dead' OR d.last_error IS NOT NULL" if failed else ""
        return self._all(
            f"SELECT d.*, s.channel, s.target FROM deliveries d "
            f"JOIN subscriptions s ON s.id = d.subscription_id {where} "
            "ORDER BY d.id DESC LIMIT ?",
            [limit],
        )

    def get_delivery(self, delivery_id: int) -> Row:
        row = self._one(
            "SELECT d.*, s.channel, s.target FROM deliveries d "
            "JOIN subscriptions s ON s.id = d.subscription_id WHERE d.id = ?",
            [delivery_id],
        )
        if row is None:
            raise NotFound(f"no delivery with id {delivery_id}")
        return row

    def delivery_attempts(self, delivery_id: int) -> list[Row]:
        return self._all(
            "SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY id", [delivery_id]
        )

    def retry_delivery(self, delivery_id: int, now: str | None = None) -> None:
        """Send a dead (or failing) delivery again from scratch.

        Refused (Conflict) when it was sent, or while a worker holds it (a live lease): re-queuing
        then would send it twice.
        """
        at = now or clock.iso()
        with self.write():
            cur = self.conn.execute(
                "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, "
                "claimed_until = NULL WHERE id = ? AND status != 'sent' "
                "AND NOT (status = 'sending' AND claimed_until > ?)",
                [at, delivery_id, at],
            )
            if cur.rowcount == 0:
                row = self.get_delivery(delivery_id)
                if row["status"] == "sent":
                    raise Conflict(f"delivery {delivery_id} was already sent")
                raise Conflict(f"delivery {delivery_id} is being sent right now")

    # -- secrets (hashed passwords and tokens)

    def set_secret(self, name: str, value: str) -> None:
        with self.write():
            self.conn.execute(
                "INSERT INTO secrets (name, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                [name, value, clock.iso()],
            )

    def get_secret(self, name: str) -> str | None:
        row = self._one("SELECT value FROM secrets WHERE name = ?", [name])
        return row["value"] if row else None

    # -- failed sign-ins

    def reserve_signin_attempt(
        self, client: str, *, at: str, since: str, limit: int
    ) -> list[str] | None:
        """Count `client`'s failed sign-ins since `since`. Under `limit`, log this attempt as one
        more (`clear_signin_failures` takes it back when it succeeds) and return None; otherwise
        return the failures' times, oldest first.

        Counting and logging are one transaction, so guesses sent at the same moment cannot
        all find the count under the limit. Failures older than `since` are deleted here.
        """
        try:
            with self.write():
                self.conn.execute("DELETE FROM signin_failures WHERE at < ?", [since])
                rows = self.conn.execute(
                    "SELECT at FROM signin_failures WHERE client = ? AND at >= ? ORDER BY at",
                    [client, since],
                ).fetchall()
                if len(rows) >= limit:
                    return [row[0] for row in rows]
                self.conn.execute(
                    "INSERT INTO signin_failures (client, at) VALUES (?, ?)", [client, at]
                )
                return None
        except sqlite3.DatabaseError as exc:  # read-only file, or a lock held past the timeout
            raise StoreError(_explain(exc, self.path)) from None

    def clear_signin_failures(self, client: str) -> None:
        try:
            with self.write():
                self.conn.execute("DELETE FROM signin_failures WHERE client = ?", [client])
        except sqlite3.DatabaseError as exc:
            raise StoreError(_explain(exc, self.path)) from None

    # -- figures

    def counts(self) -> dict[str, int]:
        row = self._one(
            "SELECT (SELECT count(*) FROM stories) AS stories, "
            "(SELECT count(*) FROM versions) AS versions, "
            "(SELECT count(*) FROM changes) AS changes, "
            "(SELECT count(*) FROM feeds) AS feeds"
        )
        return {k: int(v) for k, v in (row or {}).items()}


def _decode_change(row: Row) -> Row:
    for key in ("kinds", "details"):
        if row.get(key):
            with suppress(TypeError, ValueError):
                row[key] = json.loads(row[key])
    return row


def _decode_subscription(row: Row) -> Row:
    row["kinds"] = json.loads(row["kinds"]) if row.get("kinds") else []
    return row


def _fts_query(query: str) -> str:
    """Turn what a person types into a safe FTS5 query: every word must match, as a phrase part."""
    printable = "".join(ch if ch.isprintable() else " " for ch in query)
    words = [w for w in printable.replace('"', " ").split() if w.strip()]
    return " ".join(f'"{w}"' for w in words[:20])


def _explain(exc: sqlite3.DatabaseError, path: str) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"database {path} is locked by another process; try again"
    if "not a database" in text or "malformed" in text:
        return f"{path} is not a storydiff database (not a SQLite file, or damaged)"
    if "unable to open" in text:
        return f"cannot open database {path}: check the path and permissions"
    if "readonly" in text:
        return f"database {path} is read-only"
    return f"database {path}: {text}"
