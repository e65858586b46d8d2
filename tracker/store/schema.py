"""Schema and forward migrations (`PRAGMA user_version`): one function a step, never edited."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

APPLICATION_ID = 0x53446966  # "SDif" in the file header: `file` and other tools can tell
"""storydiff's `PRAGMA application_id`; a file with another one belongs to another program."""
EARLIER_RELEASE_TABLES = frozenset({"stories", "versions", "changes", "checks"})
"""What migration 1 made: how a database from before migration 13 (no application_id) is known."""


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


def _autoincrement(db: sqlite_utils.Database, table: str) -> None:
    """Rebuild `table` with `id INTEGER PRIMARY KEY AUTOINCREMENT`, rows and indexes kept, the
    way SQLite documents (new table, copy, drop, rename); foreign keys are off meanwhile."""
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


def _m7_ids_never_reused(db: sqlite_utils.Database) -> None:
    """AUTOINCREMENT ids for changes, subscriptions and deliveries.

    A plain INTEGER PRIMARY KEY hands the id of a deleted newest row to the next one; then an
    old unsubscribe link or idempotency key would name a different subscription or change.
    Tables are rebuilt the way SQLite documents (new table, copy, drop, rename) with foreign
    keys off, which `_migrate` arranges for this step.
    """
    for table in ("changes", "subscriptions", "deliveries"):
        _autoincrement(db, table)


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


def _m11_story_ids_never_reused(db: sqlite_utils.Database) -> None:
    """AUTOINCREMENT ids for stories and feeds, the way `_m7` did for changes.

    A removed newest story handed its id to the next story added, so a check still in flight
    for the removed one (or an old link, feed entry or API client holding the id) named the new
    story. The tables are rebuilt as SQLite documents, foreign keys off (see `_migrate`).
    """
    for table in ("stories", "feeds"):
        _autoincrement(db, table)


def _m12_extractor_identity(db: sqlite_utils.Database) -> None:
    """Which extraction made each version (storydiff's extraction version and trafilatura's),
    so that an upgrade is compared like with like; `note` says why a version was written
    without being announced (a re-baseline after such an upgrade)."""
    db.executescript(
        """
        ALTER TABLE versions ADD COLUMN extractor TEXT;
        ALTER TABLE versions ADD COLUMN note TEXT;
        """
    )


def _m13_application_id(db: sqlite_utils.Database) -> None:
    """Stamp the file as storydiff's, so that a file of another program is refused unread and
    unchanged instead of being given storydiff's tables (see `base._not_ours`)."""
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _m14_checks_by_time(db: sqlite_utils.Database) -> None:
    """Checks by time, for the status page and /metrics (checks and errors in the last hour and
    day) without scanning the whole check log."""
    db.execute("CREATE INDEX checks_at ON checks(at)")


def _m15_archived_captures(db: sqlite_utils.Database) -> None:
    """Versions that came from a web archive (`tracker backfill`): the capture's archive URL,
    when the archive made it, and its digest, so the same capture is never fetched twice."""
    db.executescript(
        """
        CREATE TABLE archived_captures (
            version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            archive_url TEXT NOT NULL,
            captured_at TEXT NOT NULL,
            digest TEXT
        );
        CREATE INDEX archived_captures_story ON archived_captures(story_id, digest);
        """
    )


def _m16_compact_versions(db: sqlite_utils.Database) -> None:
    """Versions as reverse deltas and a search index of what each version changed.

    Only the schema changes here, in one quick transaction: the new layout is created as
    `versions_new` and the rows move into it story by story afterwards (`compaction.py`, one
    transaction per batch, resumable); the last batch drops the old table and renames the new
    one `versions`, so references to `versions(id)` (archived_captures) keep their name. The
    old full-text index goes (it indexed every version whole), and with it the fingerprint
    index (a story's versions are found by number) and `changes_story` (the same columns as the
    UNIQUE index on `changes`).
    """
    db.executescript(
        """
        DROP TRIGGER IF EXISTS versions_ai;
        DROP TRIGGER IF EXISTS versions_ad;
        DROP TRIGGER IF EXISTS versions_au;
        DROP TABLE IF EXISTS versions_fts;
        DROP INDEX IF EXISTS versions_fingerprint;
        DROP INDEX IF EXISTS changes_story;
        CREATE TABLE versions_new (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            fetched_at TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            title TEXT,
            byline TEXT,
            text TEXT,
            published TEXT,
            updated TEXT,
            canonical_url TEXT,
            reverts_to INTEGER,
            raw BLOB,
            raw_type TEXT,
            extractor TEXT,
            note TEXT,
            text_length INTEGER NOT NULL DEFAULT 0,
            packed BLOB,
            base INTEGER,
            raw_base INTEGER,
            UNIQUE (story_id, number)
        );
        CREATE VIRTUAL TABLE versions_search USING fts5(
            added, removed, story, content='', columnsize=0, tokenize='unicode61'
        );
        """
    )


META_COLUMNS = ("title", "byline", "published", "canonical_url", "raw_type", "extractor")
"""What a page said about itself that rarely changes, kept once per story in `version_meta`
(`updated` is not among them: a page's modification time changes with nearly every version)."""


def _m17_version_meta(db: sqlite_utils.Database) -> None:
    """A version's headline, byline, publication date, canonical URL, page type and extractor,
    stored once per story while they stay the same instead of in every version row.

    The rows move to `version_rows` (the table renamed: ids, references and the AUTOINCREMENT
    counter come along) with `meta_id` pointing into `version_meta`, and `versions` becomes a
    view with the same columns as before, so every query of `versions` reads as it did. Rows
    made before this migration keep their own values until `compaction.link_batch` moves them
    to `version_meta` (in batches, resumable; `version_rows_unlinked` lists those left).
    """
    columns = ",\n            ".join(f"{c} TEXT" for c in META_COLUMNS)
    order = (
        *("id", "story_id", "number", "fetched_at", "fingerprint", "title", "byline", "text"),
        *("published", "updated", "canonical_url", "reverts_to", "raw", "raw_type", "extractor"),
        *("note", "text_length", "packed", "base", "raw_base"),
    )
    picked = ",\n            ".join(
        f"CASE WHEN v.meta_id IS NULL THEN v.{c} ELSE m.{c} END AS {c}"
        if c in META_COLUMNS
        else f"v.{c}"
        for c in order
    )
    db.executescript(
        f"""
        CREATE TABLE version_meta (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            {columns}
        );
        CREATE INDEX version_meta_story ON version_meta(story_id);
        ALTER TABLE versions RENAME TO version_rows;
        ALTER TABLE version_rows ADD COLUMN meta_id INTEGER;
        CREATE INDEX version_rows_unlinked ON version_rows(id) WHERE meta_id IS NULL;
        CREATE VIEW versions AS SELECT
            {picked}
        FROM version_rows v LEFT JOIN version_meta m ON m.id = v.meta_id;
        """
    )


def _m18_lean_search(db: sqlite_utils.Database) -> None:
    """The search index keeps what each version added, no longer what it removed (when a
    phrase left is found by probing the versions after it entered), and merges its segments
    more eagerly (`automerge` 2): together about 45 bytes a version less. Rows indexed before
    hold their removed text still; `search_state.removed_until` is the last such version id,
    so that a row is always taken out of the index with exactly what it was put in with."""
    db.executescript(
        """
        CREATE TABLE search_state (removed_until INTEGER NOT NULL);
        INSERT INTO search_state SELECT coalesce(max(id), 0) FROM version_rows;
        INSERT INTO versions_search (versions_search, rank) VALUES ('automerge', 2);
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
    _m11_story_ids_never_reused,
    _m12_extractor_identity,
    _m13_application_id,
    _m14_checks_by_time,
    _m15_archived_captures,
    _m16_compact_versions,
    _m17_version_meta,
    _m18_lean_search,
)
SCHEMA_VERSION = len(MIGRATIONS)
