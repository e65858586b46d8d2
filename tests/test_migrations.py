"""A database made by an older release opens, upgrades itself and keeps every row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from tracker.cli import main
from tracker.record import backfill
from tracker.store import SCHEMA_VERSION, Store


def make_v1_database(path: Path) -> None:
    """What release 1 of the schema wrote: stories, versions and a change without statistics."""
    Store(path, migrate_to=1).close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO stories (id, url, title, added_at) VALUES "
            "(1, 'https://news.example/old', 'Old story', '2024-01-01T00:00:00Z')"
        )
        for number, text in [(1, "Troops: 11,000 sent."), (2, "Troops: 12,000 sent.\n\nMore.")]:
            conn.execute(
                "INSERT INTO versions (story_id, number, fetched_at, fingerprint, title, text) "
                "VALUES (1, ?, ?, ?, 'Old story', ?)",
                [number, f"2024-01-0{number}T00:00:00Z", f"fp{number}", text],
            )
        conn.execute(
            "INSERT INTO changes (story_id, from_version, to_version, detected_at, words_added) "
            "VALUES (1, 1, 2, '2024-01-02T00:00:00Z', 2)"
        )
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_old_database_upgrades_and_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_v1_database(path)
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        story = store.get_story(1)
        assert story["title"] == "Old story" and story["version_count"] == 2
        assert store.get_version(1, 2)["text"] == "Troops: 12,000 sent.\n\nMore."
        assert [h["id"] for h in store.search("11,000")] == [1]  # FTS built for old rows
        assert store.changes_missing_stats()
        assert backfill(store) == 1
        change = store.list_changes(story_id=1)[0]
        assert change["size"] and change["size"] > 0
        assert change["summary"]
        assert store.changes_missing_stats() == []


def test_cli_upgrades_an_old_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_v1_database(path)
    result = CliRunner().invoke(main, ["--db", str(path), "log", "1"])
    assert result.exit_code == 0, result.output
    assert "v2" in result.output and "v1" in result.output
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.changes_missing_stats() == []


def test_migrating_twice_is_harmless(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    Store(path).close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
