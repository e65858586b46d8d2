"""Backups and restores of the one SQLite file, safe while `tracker run` writes.

A backup uses SQLite's online backup API (`sqlite3.Connection.backup`): a consistent copy of
the database as of one moment, taken while the scheduler and the web go on writing, into a
plain file (no WAL beside it) that is then checked like a restore would check it. A restore
checks the file first (SQLite's integrity check, and that it holds storydiff's tables and a
schema this version understands), refuses to replace an existing database without `force`,
and copies it in through the same API.
"""

from __future__ import annotations

import os
from pathlib import Path

from tracker.store import SCHEMA_VERSION, Store, StoreError, verify_database
from tracker.store.data import restore_database


class BackupError(StoreError):
    """The backup or restore was not done; the message says why."""


def backup(db: str | Path, target: str | Path, *, force: bool = False) -> dict[str, int]:
    """Copy the database `db` to `target`; returns the copy's counts."""
    target = Path(target)
    if not Path(db).exists():
        raise BackupError(f"no database at {db}")
    if target.exists() and not force:
        raise BackupError(f"{target} exists; use --force to overwrite it")
    if target.resolve() == Path(db).resolve():
        raise BackupError("the backup cannot be the database itself")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with Store(db) as store:
        store.backup_to(partial)
    try:
        counts = verify_database(partial)
    except StoreError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return counts


def restore(source: str | Path, db: str | Path, *, force: bool = False) -> dict[str, int]:
    """Replace the database `db` with the backup `source`, once `source` checks out."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    counts = verify_database(source)
    if counts["schema_version"] > SCHEMA_VERSION:
        raise BackupError(
            f"{source} has schema version {counts['schema_version']}, newer than this storydiff "
            f"understands ({SCHEMA_VERSION}); upgrade storydiff"
        )
    if Path(db).exists() and Path(db).stat().st_size > 0 and not force:
        raise BackupError(f"{db} exists; use --force to replace it with {source}")
    if Path(db).exists() and source.resolve() == Path(db).resolve():
        raise BackupError("the backup and the database are the same file")
    restore_database(source, db)
    with Store(db):  # brings an older backup up to the current schema
        pass
    return counts
