"""What every part of the store shares: errors, row shapes, the connection and its transactions."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from tracker.store.schema import MIGRATIONS, SCHEMA_VERSION

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


SNIPPET_START, SNIPPET_END = "\x02", "\x03"

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


class StoreBase:
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

    def __enter__(self) -> StoreBase:
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
