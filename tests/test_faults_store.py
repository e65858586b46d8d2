"""The database file under faults: another program's SQLite file, a damaged or truncated file,
an earlier release's file, a migration killed half-way, a full disk during CLI writes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import main
from tracker.store import MIGRATIONS, SCHEMA_VERSION, Store
from tracker.store.schema import APPLICATION_ID


def tracker(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    return subprocess.run(
        [sys.executable, "-m", "tracker", "--db", str(db), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def _notes(path: Path, *, wal: bool = False, app_id: int = 0, version: int = 0) -> None:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA application_id = {app_id}")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("CREATE TABLE stories (id INTEGER PRIMARY KEY, text TEXT)")  # a name we use
    conn.execute("INSERT INTO notes (body) VALUES ('buy milk')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "kind",
    ["rollback journal", "wal", "another application_id", "a schema version"],
)
def test_another_programs_sqlite_file_is_refused_before_a_byte_is_written(
    tmp_path: Path, kind: str
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    db = folder / "notes.db"
    _notes(
        db,
        wal=kind == "wal",
        app_id=0x0F055112 if kind == "another application_id" else 0,
        version=3 if kind == "a schema version" else 0,
    )
    before = _snapshot(folder)
    for args in (["stories"], ["add", "https://news.example/a"], ["run", "--no-web"]):
        done = tracker(db, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "another program" in lines[0], done.stderr
        assert "Traceback" not in done.stderr
    assert _snapshot(folder) == before
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == (
            "wal" if kind == "wal" else "delete"
        )
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert names == {"notes", "stories"}
    finally:
        conn.close()


def test_an_earlier_releases_database_is_recognised_and_stamped(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    stamp = next(i for i, m in enumerate(MIGRATIONS) if m.__name__.endswith("application_id"))
    with Store(db, migrate_to=stamp) as store:  # the release before the application_id
        store.add_story("https://news.example/a")
        assert store.conn.execute("PRAGMA application_id").fetchone()[0] == 0
    done = tracker(db, "stories")
    assert done.returncode == 0, done.stderr
    assert "news.example/a" in done.stdout
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    finally:
        conn.close()


@pytest.mark.parametrize("content", [None, b""], ids=["missing", "empty"])
def test_a_missing_or_empty_file_becomes_a_new_database(
    tmp_path: Path, content: bytes | None
) -> None:
    db = tmp_path / "new.db"
    if content is not None:
        db.write_bytes(content)
    result = CliRunner().invoke(main, ["--db", str(db), "add", "https://news.example/a"])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    finally:
        conn.close()


def test_a_file_that_is_not_sqlite_is_refused_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_bytes(b"Dear diary,\n" * 500)
    before = _snapshot(tmp_path)
    done = tracker(db, "add", "https://news.example/a")
    assert done.returncode == 1 and "not a storydiff database" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert _snapshot(tmp_path) == before


def _damaged(tmp_path: Path, offset: int) -> Path:
    """A storydiff database with one of its pages overwritten, the way a bad disk does it."""
    db = tmp_path / "t.db"
    assert CliRunner().invoke(main, ["--db", str(db), "demo", "--load-only"]).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with db.open("r+b") as f:
        f.seek(offset)
        f.write(b"\xff" * 4096)
    return db


@pytest.mark.parametrize("offset", [8192, 40960, 90000, 150000])
def test_a_damaged_database_is_one_clear_line_in_every_command(tmp_path: Path, offset: int) -> None:
    db = _damaged(tmp_path, offset)
    told = []
    for args in (["stories"], ["log", "1"], ["add", "https://news.example/x"], ["check", "1"]):
        done = tracker(db, *args)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) <= 1, (args, done.stderr)
        if "damaged" in done.stderr or "not a storydiff" in done.stderr:
            assert done.returncode == 1
            told.append(args[0])
    assert told  # the damage reached at least one command, and it said so


def test_a_full_database_is_an_unwritable_store_error_not_a_sqlite_one(tmp_path: Path) -> None:
    from tracker.store import Unwritable

    with Store(tmp_path / "t.db") as store:
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        with pytest.raises(Unwritable, match="disk is full"):
            for i in range(2000):
                store.add_story(f"https://news.example/{i}/" + "x" * 500)
        added = store.count_stories()
        store.conn.execute("PRAGMA max_page_count = 1000000")
        store.add_story("https://news.example/after")  # writes work again on the same store
        assert store.count_stories() == added + 1


KILL_MID_MIGRATION = """
import os, signal, sys
import tracker.store.base as base

steps = list(base.MIGRATIONS)
rebuild = steps[10]  # migration 11 rebuilds the stories table


def rebuild_then_die(db):
    rebuild(db)
    os.kill(os.getpid(), signal.SIGKILL)  # the table is rebuilt, nothing is committed yet


steps[10] = rebuild_then_die
base.MIGRATIONS = tuple(steps)
base.StoreBase(sys.argv[1])
"""


def test_kill_9_in_the_middle_of_a_migration_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with Store(db, migrate_to=10) as store:
        for i in range(3):
            store.add_story(f"https://news.example/{i}", title=f"Story {i}")
    killed = subprocess.run([sys.executable, "-c", KILL_MID_MIGRATION, str(db)], timeout=60)
    assert killed.returncode == -9
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10
        assert conn.execute("SELECT count(*) FROM stories").fetchone()[0] == 3
    finally:
        conn.close()
    done = tracker(db, "stories")
    assert done.returncode == 0, done.stderr
    assert all(f"Story {i}" in done.stdout for i in range(3))
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
