"""Exports and backups as a user runs them: real databases, real git, WARC read back by warcio."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from data_support import SNAPSHOTS_A, changedetection_zip
from warcio.archiveiterator import ArchiveIterator

from tracker.cli import main
from tracker.document import Document
from tracker.extract import extract
from tracker.record import record
from tracker.store import Store

STORY = "https://news.example/2026/minister-quits"


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    return result.exit_code, result.output


def texts(db: Path) -> dict[str, list[tuple[str, str, str | None]]]:
    with Store(db) as store:
        return {
            s["url"]: [
                (v["fetched_at"], v["text"], v["title"])
                for v in store.list_versions(s["id"], with_text=True)
            ]
            for s in store.iter_stories()
        }


def test_changedetection_to_jsonl_and_back(db_path: Path, tmp_path: Path) -> None:
    backup = changedetection_zip(tmp_path / "changedetection-backup.zip")
    assert run(db_path, "import", str(backup))[0] == 0
    out = tmp_path / "all.jsonl"
    code, msg = run(db_path, "export", "jsonl", "-o", str(out))
    assert code == 0, msg
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["type"] == "meta" and lines[0]["schema"] == 1
    assert [x["type"] for x in lines[1:]] == ["story", "version", "version", "version"] + [
        "change",
        "change",
        "story",
    ]
    assert lines[3]["text"] == SNAPSHOTS_A[1][1]
    fresh = tmp_path / "fresh.db"
    code, msg = run(fresh, "import", str(out))
    assert code == 0, msg
    assert texts(fresh) == texts(db_path)
    assert len(texts(fresh)[STORY]) == 3


def test_git_export_has_a_dated_commit_per_version(db_path: Path, tmp_path: Path) -> None:
    run(db_path, "import", str(changedetection_zip(tmp_path / "b.zip")))
    repo = tmp_path / "repo"
    code, out = run(db_path, "export", "git", str(repo))
    assert code == 0 and "3 commits" in out, out
    log = subprocess.run(
        ["git", "log", "--format=%aI|%s"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert [line.split("|")[0] for line in log] == [
        "2023-11-15T00:13:20+00:00",
        "2023-11-14T23:13:20+00:00",
        "2023-11-14T22:13:20+00:00",
    ]
    assert log[-1].endswith("story 1: first version: Minister quits")
    assert log[0].startswith("2023-11-15T00:13:20+00:00|story 1 v3: ")
    current = (repo / "stories" / "0" / "1.md").read_text()
    assert current.startswith("# Minister quits\n\n<" + STORY + ">")
    assert current.rstrip().endswith("named a successor on Tuesday.")
    assert run(db_path, "export", "git", str(repo))[0] == 1  # never into a non-empty folder


def test_warc_holds_the_raw_pages(db_path: Path, tmp_path: Path) -> None:
    pages = [
        b"<html><head><title>Quake</title></head><body><article><h1>Quake</h1>"
        + f"<p>A strong earthquake struck the coast on Monday, {n} people were hurt.</p>".encode()
        + b"</article></body></html>"
        for n in (3, 12)
    ]
    with Store(db_path) as store:
        sid, _ = store.add_story("https://news.example/quake")
        store.add_story("https://news.example/no-raw")
        for n, page in enumerate(pages):
            record(
                store,
                sid,
                extract(page, "text/html"),
                fetched_at=f"2026-01-0{n + 1}T10:00:00Z",
                raw=page,
                raw_type="text/html; charset=utf-8",
            )
        record(store, 2, Document.build(title="x", paragraphs=["no raw page kept"]))
    target = tmp_path / "out.warc.gz"
    code, out = run(db_path, "export", "warc", str(target))
    assert code == 0, out
    with target.open("rb") as handle:
        records = [
            (
                r.rec_type,
                r.rec_headers.get_header("WARC-Target-URI"),
                r.rec_headers.get_header("WARC-Date"),
                r.content_stream().read(),
            )
            for r in ArchiveIterator(handle)
        ]
    assert records[0][0] == "warcinfo"
    assert [(r[1], r[2], r[3]) for r in records[1:]] == [
        ("https://news.example/quake", "2026-01-01T10:00:00Z", pages[0]),
        ("https://news.example/quake", "2026-01-02T10:00:00Z", pages[1]),
    ]


def test_backup_while_another_writer_holds_the_lock(db_path: Path, tmp_path: Path) -> None:
    with Store(db_path) as store:
        sid, _ = store.add_story("https://news.example/a")
        record(store, sid, Document.build(title="A", paragraphs=["First text of the story."]))
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE stories SET title = 'uncommitted' WHERE id = 1")
    code, out = run(db_path, "backup", str(tmp_path / "copy.db"), "--json")
    writer.execute("ROLLBACK")
    writer.close()
    assert code == 0, out
    assert json.loads(out)["versions"] == 1
    with Store(tmp_path / "copy.db") as copy:
        assert copy.get_story(1)["title"] == "A"
    code, out = run(db_path, "backup", str(tmp_path / "copy.db"))
    assert code == 1 and "--force" in out


def test_restore_checks_the_file_and_refuses_to_clobber(db_path: Path, tmp_path: Path) -> None:
    with Store(db_path) as store:
        store.add_story("https://news.example/kept")
    backup = tmp_path / "b.db"
    assert run(db_path, "backup", str(backup))[0] == 0
    with Store(db_path) as store:
        store.add_story("https://news.example/after-the-backup")
    code, out = run(db_path, "restore", str(backup))
    assert code == 1 and "--force" in out
    code, out = run(db_path, "restore", str(backup), "--force")
    assert code == 0 and "1 stories" in out, out
    with Store(db_path) as store:
        assert [s["url"] for s in store.iter_stories()] == ["https://news.example/kept"]
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)
    for bad, words in ((other, "not a storydiff database"), (junk, "not a storydiff database")):
        code, out = run(tmp_path / "new.db", "restore", str(bad))
        assert code == 1 and words in out and len(out.strip().splitlines()) == 1, out
    assert not (tmp_path / "new.db").exists() or (tmp_path / "new.db").stat().st_size == 0


def test_a_broken_jsonl_stops_with_one_line(db_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"type": "meta", "format": "storydiff.jsonl", "schema": 1}\n'
        '{"type": "story", "url": "https://news.example/ok"}\n'
        '{"type": "version", "fetched_at": "yesterday", "text": "not a time"}\n'
        "{not json\n"
    )
    code, out = run(db_path, "import", str(bad))
    assert code == 1 and out.strip() == (
        "Error: line 4 is not JSON (entries before it were imported)"
    ), out
    other = tmp_path / "other.jsonl"
    other.write_text('{"type": "story", "url": "https://news.example/x"}\n')
    code, out = run(db_path, "import", str(other))
    assert code == 1 and "not a storydiff JSON Lines export" in out


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("what", ["jsonl", "opml"])
def test_an_export_to_a_full_disk_is_one_line(db_path: Path, what: str) -> None:
    """The write error came when click closed the file after the command: a traceback."""
    run(db_path, "demo", "--load-only")
    proc = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", str(db_path), "export", what, "-o", "/dev/full"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "Error: cannot write /dev/full: no space left on device"
