"""What every part of the store shares: errors, row shapes, the connection and its transactions."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from tracker.store import compaction, meta
from tracker.store.schema import (
    APPLICATION_ID,
    EARLIER_RELEASE_TABLES,
    MIGRATIONS,
    SCHEMA_VERSION,
)

Row = dict[str, Any]
Progress = Callable[[str, int, int], None]
"""Told (what, done, total) while a long migration runs, so a caller can show a bar."""


class StoreError(Exception):
    """The database cannot do what was asked; the message is meant for a person."""


class NotFound(StoreError):
    """No such story, version, change, feed, subscription or delivery."""


class Conflict(StoreError):
    """The row is in a state that does not allow this (e.g. a delivery already sent)."""


class Unwritable(StoreError):
    """Nothing can be written just now: the disk is full, the file or its folder is read-only,
    the disk failed, or another process held the lock past the busy timeout. Nothing was
    written; the same write may work later."""


# SQLite's primary result codes for "the file cannot take this write now" (the low byte of
# extended codes such as SQLITE_IOERR_WRITE or SQLITE_READONLY_DIRECTORY).
_UNWRITABLE_CODES = frozenset(
    {
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
    }
)
_DAMAGED_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


class _Probed(Exception):
    """Rolls back `check_writable`'s probe."""


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
# (a compressed page per read would weigh on every diff, feed and notification). `text` is NULL
# for all but the newest version: `VersionsMixin` decodes it.
_VERSION = (
    "id, story_id, number, fetched_at, fingerprint, title, byline, text, published, updated, "
    "canonical_url, reverts_to, text_length, raw_type, raw IS NOT NULL AS has_raw, extractor, "
    "note"
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


def change_values(change: dict[str, Any], *, given_only: bool = False) -> dict[str, Any]:
    """A change row's CHANGE_FIELDS from what the diff said, JSON columns as JSON text: every
    field with its default (inserting a change, rewriting one), or `given_only` the fields
    `change` has (updating some)."""
    if given_only:
        values = {k: change[k] for k in CHANGE_FIELDS if k in change}
    else:
        values = {k: change.get(k) for k in CHANGE_FIELDS}
        values["kind"] = values["kind"] or "edit"
        values["words_added"] = values["words_added"] or 0
        values["words_removed"] = values["words_removed"] or 0
    for key in ("kinds", "details"):
        if values.get(key) is not None and not isinstance(values[key], str):
            values[key] = _dumps(values[key])
    return values


def _dumps(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --------------------------------------------------------------------------- the store


class StoreBase:
    """A connection to one storydiff database, migrated to the current schema on open."""

    def __init__(
        self,
        path: str | Path,
        *,
        migrate_to: int = SCHEMA_VERSION,
        timeout: float = 10.0,
        progress: Progress | None = None,
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
            refusal = _not_ours(conn, self.path)
            if refusal:
                conn.close()
                raise StoreError(refusal)
            if _is_new(conn):  # free pages can go back to the disk (see `reclaim`)
                conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            conn.execute("PRAGMA foreign_keys = ON")
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode != "wal" and self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise _store_error(exc, self.path) from None
        except UnicodeDecodeError:  # SQLite's message quoted bytes of a damaged schema
            raise StoreError(_explain(sqlite3.DatabaseError("malformed"), self.path)) from None
        self.conn = conn
        self._wrote = False
        self.db = sqlite_utils.Database(conn)
        try:
            self._migrate(migrate_to, progress)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise _store_error(exc, self.path) from None

    def close(self) -> None:
        if self._wrote:  # only writes free pages: a read-only visit (a web page) costs nothing
            self.reclaim()
        self.conn.close()

    def reclaim(self) -> int:
        """Give free pages back to the disk; the pages freed.

        A new version re-encodes its older neighbour smaller, so pages come free as an archive
        grows. SQLite reuses them, but what is free when a process stops would stay in the
        file; with `auto_vacuum = INCREMENTAL` (every database made since schema 17, and older
        ones once migrated) they are cut off the end. Never waits for a lock: a busy file is
        simply left for the next close.
        """
        try:
            if self.conn.in_transaction:
                return 0
            if self.conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
                return 0
            free = int(self.conn.execute("PRAGMA freelist_count").fetchone()[0])
            if not free:
                return 0
            timeout = int(self.conn.execute("PRAGMA busy_timeout").fetchone()[0])
            self.conn.execute("PRAGMA busy_timeout = 0")
            try:  # executescript steps the pragma to the end (execute frees one page)
                self.conn.executescript("PRAGMA incremental_vacuum")
            finally:
                self.conn.execute(f"PRAGMA busy_timeout = {timeout}")
            return free - int(self.conn.execute("PRAGMA freelist_count").fetchone()[0])
        except sqlite3.DatabaseError:  # read-only, busy or closed: nothing lost, try next time
            return 0

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
            raise _store_error(exc, self.path) from None
        try:
            yield self.conn
        except BaseException as exc:
            with suppress(sqlite3.DatabaseError):  # SQLite may have rolled back already
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError) and _translated(exc):
                raise _store_error(exc, self.path) from None
            raise
        else:
            try:
                self.conn.execute("COMMIT")
                self._wrote = True
            except sqlite3.DatabaseError as exc:
                with suppress(sqlite3.DatabaseError):
                    self.conn.execute("ROLLBACK")
                raise _store_error(exc, self.path) from None

    def check_writable(self) -> None:
        """Raise Unwritable when the file cannot take writes at all (a read-only file, folder
        or mount); a write is begun and rolled back, so nothing changes."""
        try:
            with self.write():
                self.conn.execute("CREATE TABLE storydiff_write_probe (x)")
                raise _Probed
        except _Probed:
            pass

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, target: int, progress: Progress | None = None) -> None:
        """Apply the missing migrations, each in its own transaction, then finish any batched
        data move they started (resumable: a killed process leaves a consistent file)."""
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"database {self.path} has schema version {current}, newer than this storydiff "
                f"understands ({SCHEMA_VERSION}); upgrade storydiff"
            )
        moved = self._finish_moves(progress)
        if current < target:
            # Table rebuilds must not cascade deletes: foreign keys are off while migrating (it
            # can only be switched outside a transaction) and checked before each step commits.
            self.conn.execute("PRAGMA foreign_keys = OFF")
            try:
                for number in range(current + 1, target + 1):
                    with self.write():
                        if self.schema_version >= number:  # another process migrated meanwhile
                            continue
                        MIGRATIONS[number - 1](self.db)
                        self.conn.execute(f"PRAGMA user_version = {number}")
                        broken = self.conn.execute("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise StoreError(
                                f"migration would break {len(broken)} references; not applied"
                            )
                    moved = self._finish_moves(progress) or moved
            finally:
                self.conn.execute("PRAGMA foreign_keys = ON")
        owed = meta.owes_vacuum(self.conn)  # a process was killed during the VACUUM
        if moved or (owed and self.conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2):
            self._vacuum(progress)
        elif owed:  # incremental already (killed after the VACUUM, or a new file)
            with suppress(sqlite3.OperationalError):
                meta.vacuumed(self.conn)
            self._wrote = True  # dropping the index freed a page: the close gives it back

    def _finish_moves(self, progress: Progress | None) -> bool:
        """Carry on the batched data moves migrations start until none are left; whether any
        row moved. Migration 16 moves versions to the compact layout (`compaction.py`),
        migration 17 moves what pages said about themselves to `version_meta` (`meta.py`).

        Foreign keys are off meanwhile: deleting a moved row from the old table must not
        cascade to what references it (archived_captures), which points at the same id again
        once the tables are swapped.
        """
        moved = False
        for what, pending, batch in (
            ("compacting versions", compaction.pending, compaction.move_batch),
            ("moving page details", meta.unlinked, meta.link_batch),
        ):
            total = pending(self.conn)
            if total is None:
                continue
            keys_on = self.conn.execute("PRAGMA foreign_keys").fetchone()[0]
            self.conn.execute("PRAGMA foreign_keys = OFF")
            try:
                moved = self._move_all(what, total, pending, batch, progress) or moved
            finally:
                self.conn.execute(f"PRAGMA foreign_keys = {'ON' if keys_on else 'OFF'}")
        return moved

    def _move_all(
        self,
        what: str,
        total: int,
        pending: Callable[[sqlite3.Connection], int | None],
        batch: Callable[[sqlite3.Connection], int],
        progress: Progress | None,
    ) -> bool:
        """Run `batch` (one transaction each) until it moves nothing; whether anything moved.
        Another process opening the file at the same time may finish the move between two
        batches (its last batch swaps tables or drops an index): each batch checks first."""
        done = 0
        while True:
            if progress and total:
                progress(what, done, total)
            with self.write():
                if pending(self.conn) is None:
                    return done > 0
                moved = batch(self.conn)
                if not moved:
                    broken = self.conn.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(
                            f"{what} would break {len(broken)} references; not applied"
                        )
            if not moved:
                return done > 0
            done += moved

    def _vacuum(self, progress: Progress | None) -> None:
        """Give back the space a move freed, and from then on let the file shrink by itself
        (`auto_vacuum = INCREMENTAL`, which only a VACUUM can switch on for an existing file)."""
        if progress:
            progress("reclaiming space", 0, 1)
        with suppress(sqlite3.OperationalError):  # busy elsewhere: the space is reused anyway
            self.conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            self.conn.execute("VACUUM")
        with suppress(sqlite3.OperationalError):  # killed before this: the next open vacuums
            meta.vacuumed(self.conn)
        self._wrote = True  # dropping the move's index after the VACUUM freed a page
        if progress:
            progress("reclaiming space", 1, 1)

    def _one(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> Row | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def _all(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[Row]:
        try:
            return list(self.db.query(sql, params))
        except OverflowError:
            raise NotFound("no such row: the number is too large") from None
        except sqlite3.IntegrityError:
            raise
        except sqlite3.DatabaseError as exc:
            raise _store_error(exc, self.path) from None

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


def _is_new(conn: sqlite3.Connection) -> bool:
    """An empty database: nothing in it yet, so settings fixed at creation can still be chosen."""
    return (
        int(conn.execute("PRAGMA user_version").fetchone()[0]) == 0
        and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    )


def _not_ours(conn: sqlite3.Connection, path: str) -> str | None:
    """Why this SQLite file must not be touched, or None when it is storydiff's or new.

    Read before anything is written (not even the switch to WAL): a file stamped with
    storydiff's `application_id` is ours; one made by an earlier release has no stamp yet but
    has its tables and a schema version (migration 13 stamps it); an empty database is new.
    Anything else belongs to another program, and storydiff would otherwise add its tables to it.
    """
    app = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if app == APPLICATION_ID:
        return None
    if app != 0:
        return (
            f"{path} belongs to another program (SQLite application_id {app:#x}); "
            "storydiff leaves it alone: give --db a new file"
        )
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    tables = {  # `versions` is a view since schema 17
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
        ).fetchall()
    }
    if not tables and version == 0:
        return None
    if version >= 1 and tables >= EARLIER_RELEASE_TABLES:
        return None
    return (
        f"{path} is a SQLite database of another program, not a storydiff database; "
        "storydiff leaves it alone: give --db a new file"
    )


def _unwritable(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _UNWRITABLE_CODES


def _translated(exc: sqlite3.DatabaseError) -> bool:
    """Errors of the file rather than of the statement: turned into StoreError wherever met."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _UNWRITABLE_CODES | _DAMAGED_CODES


@contextmanager
def translate_errors(path: str) -> Iterator[None]:
    """Raise StoreError (one sentence) for what SQLite says about the file itself: damaged,
    full, read-only, locked. For callers that read through a Store outside its helpers."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise
    except sqlite3.DatabaseError as exc:
        raise _store_error(exc, path) from None


def _store_error(exc: sqlite3.DatabaseError, path: str) -> StoreError:
    """The StoreError (Unwritable when the file cannot take writes now) for a sqlite3 error."""
    kind = Unwritable if _unwritable(exc) else StoreError
    return kind(_explain(exc, path))


def _explain(exc: sqlite3.DatabaseError, path: str) -> str:
    text = str(exc)
    if "disk is full" in text:
        return (
            f"database {path}: the disk is full (or the file reached its size limit); "
            "nothing was written"
        )
    if "disk I/O error" in text:
        return f"database {path}: the disk failed to write (disk I/O error); nothing was written"
    if "locked" in text or "busy" in text:
        return f"database {path} is locked by another process; try again"
    if "malformed" in text:
        return (
            f"database {path} is damaged ({text}); restore a backup, or rescue what is left "
            f"with: sqlite3 {path} .recover"
        )
    if "not a database" in text:
        return f"{path} is not a storydiff database (not a SQLite file, or damaged)"
    if "unable to open" in text:
        folder = Path(path).expanduser().resolve().parent
        if folder.is_dir() and not os.access(folder, os.W_OK):
            return (
                f"cannot open database {path}: its folder {folder} is read-only, and SQLite "
                "must create the -wal and -shm files beside it"
            )
        return f"cannot open database {path}: check the path and permissions"
    if "readonly" in text:
        return f"database {path} is read-only (the file or its folder cannot be written)"
    return f"database {path}: {text}"
