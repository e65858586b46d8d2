"""Faults around a check: a story removed mid-check, absurd Retry-After, a database that cannot
be written (read-only, full disk) under `tracker check` and `tracker run`."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from check_support import FIRST, SECOND, local, page
from click.testing import CliRunner
from fault_support import needs_small_disk, on_small_disk, read_only
from servers import LocalSite, Request, Response, wait_for

from tracker import clock
from tracker.check import Checker
from tracker.cli import main
from tracker.store import Store

ENV = {"TRACKER_ALLOW_HOSTS": "127.0.0.1", "TRACKER_PER_HOST_GAP": "0", "TRACKER_RETRIES": "0"}


def _held(site: LocalSite, path: str, body: bytes) -> tuple[threading.Event, threading.Event]:
    """Serve `body` at `path` only once the test releases it; `arrived` says it was asked."""
    arrived, release = threading.Event(), threading.Event()

    def handler(_req: Request) -> Response:
        arrived.set()
        release.wait(30)
        return Response(body=body)

    site.route(path, handler)
    return arrived, release


def _check_in_background(db: Path, story_id: int) -> tuple[threading.Thread, list]:
    results: list = []

    def run() -> None:
        with Store(db) as store, Checker(local(db)) as checker:
            results.append(checker.check(store, story_id))

    thread = threading.Thread(target=run)
    thread.start()
    return thread, results


def test_a_story_removed_mid_check_never_hands_its_page_to_the_next_story(
    db_path: Path, store: Store, site: LocalSite
) -> None:
    arrived, release = _held(site, "/old", page("Old story", *FIRST))
    site.set("/new", page("New story", *SECOND))
    old_id, _ = store.add_story(site.url("/old"))
    thread, results = _check_in_background(db_path, old_id)
    assert arrived.wait(10)
    store.delete_story(old_id)
    new_id, _ = store.add_story(site.url("/new"))
    release.set()
    thread.join(30)
    assert new_id != old_id  # ids are never reused
    assert results[0].state == "removed"
    assert store.get_story(new_id)["version_count"] == 0
    assert store.list_checks(new_id) == []


def test_a_story_whose_id_was_given_to_another_does_not_get_the_old_page(
    db_path: Path, store: Store, site: LocalSite, caplog: pytest.LogCaptureFixture
) -> None:
    """A database restored from a copy (or edited by hand) may give an id to another story."""
    arrived, release = _held(site, "/old", page("Old story", *FIRST))
    old_id, _ = store.add_story(site.url("/old"))
    thread, results = _check_in_background(db_path, old_id)
    assert arrived.wait(10)
    with store.write():
        store.conn.execute("DELETE FROM stories WHERE id = ?", [old_id])
        store.conn.execute(
            "INSERT INTO stories (id, url, added_at) VALUES (?, ?, ?)",
            [old_id, site.url("/new"), "2030-01-01T00:00:00Z"],
        )
    release.set()
    thread.join(30)
    assert results[0].state == "removed"
    assert store.get_story(old_id)["version_count"] == 0
    assert "replaced" in caplog.text


@pytest.mark.parametrize(
    ("header", "capped"),
    [
        ("9" * 400, True),
        ("99999999999999999999", True),
        ("Fri, 31 Dec 9999 23:59:59 GMT", True),
        ("-5", False),
        ("soon", False),
        ("Thu, 45 Foo 2020 99:99:99 GMT", False),
    ],
)
def test_absurd_retry_after_is_clamped_to_a_week_never_a_crash(
    db_path: Path, site: LocalSite, header: str, capped: bool
) -> None:
    site.set("/story", b"busy", status=503, headers={"Retry-After": header})
    with Store(db_path) as store:
        story_id, _ = store.add_story(site.url("/story"))
    before = clock.now()
    result = CliRunner(env=ENV).invoke(main, ["--db", str(db_path), "check", str(story_id)])
    assert result.exit_code == 1, result.output
    assert "503" in result.output and "internal error" not in result.output
    with Store(db_path) as store:
        story = store.get_story(story_id)
    wait = clock.parse(story["next_check_at"]) - before
    assert "503" in story["last_error"]
    if capped:
        assert timedelta(days=6) < wait <= timedelta(days=7.8)  # a week, with jitter
    else:
        assert wait < timedelta(days=1)


# --------------------------------------------------------------------------- unwritable database


def _tracker(db: Path, *args: str, prefix: list[str] = ()) -> subprocess.CompletedProcess:
    env = {**os.environ, **ENV}
    env.pop("TRACKER_CONFIG", None)
    return subprocess.run(
        [*prefix, sys.executable, "-m", "tracker", "--db", str(db), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_database_is_one_line_and_run_refuses_to_start(tmp_path: Path, what: str) -> None:
    db = tmp_path / "t.db"
    with Store(db) as store:
        store.add_story("https://news.example/a")
    before = db.read_bytes()
    prefix = read_only(db if what == "file" else tmp_path)
    if prefix is None:
        pytest.skip("root ignores file modes and no user namespace can mount read-only")
    for args in (["add", "https://news.example/b"], ["pause", "1"], ["run", "--no-web"]):
        done = _tracker(db, *args, prefix=prefix)
        assert done.returncode == 1, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "read-only" in lines[0], (args, done.stderr)
    assert db.read_bytes() == before


@needs_small_disk
def test_run_pauses_on_a_full_disk_and_resumes_by_itself(tmp_path: Path, site: LocalSite) -> None:
    # a long page: its first version needs far more room than the disk has left
    paragraphs = [
        f"Paragraph {i} says the council met about bridge {i} again." for i in range(3000)
    ]
    site.set("/a", page("Bridge", *paragraphs))
    prepared = tmp_path / "t.db"
    with Store(prepared) as store:
        story_id, _ = store.add_story(site.url("/a"))
    disk = tmp_path / "disk"
    disk.mkdir()
    env = {**os.environ, **ENV, "PYTHONUNBUFFERED": "1"}
    env.pop("TRACKER_CONFIG", None)
    argv = on_small_disk(
        disk, prepared, sys.executable, "-m", "tracker", "--db", str(disk / "t.db"), "run"
    )
    proc = subprocess.Popen(
        [*argv, "--no-web"], env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")))
    reader.start()
    try:
        wait_for(lambda: any("paused" in line for line in lines), proc=proc)
        wait_for(lambda: len(site.hits("/a")) >= 3, proc=proc)  # tries again, quietly
        (Path(f"/proc/{proc.pid}/root") / disk.relative_to("/") / "filler").unlink()
        wait_for(lambda: any("first version recorded" in line for line in lines), proc=proc)
        inside = Path(f"/proc/{proc.pid}/root") / disk.relative_to("/")
        for name in ("t.db", "t.db-wal"):  # SQLite would resolve /proc/PID/root: copy it out
            shutil.copy(inside / name, tmp_path / f"copy-{name}")
        conn = sqlite3.connect(tmp_path / "copy-t.db")
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            count = conn.execute("SELECT version_count FROM stories WHERE id = ?", [story_id])
            assert count.fetchone()[0] == 1
        finally:
            conn.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        reader.join(10)
    text = "".join(lines)
    assert text.count("paused") == 1 and text.count("resumed") == 1, text
    assert "Traceback" not in text
    assert "story 1: error" not in text  # the trials are not reported one by one


@needs_small_disk
def test_cli_writes_on_a_full_disk_are_one_line_and_exit_1(tmp_path: Path, site: LocalSite) -> None:
    paragraphs = [
        f"Paragraph {i} says the council met about bridge {i} again." for i in range(3000)
    ]
    site.set("/a", page("Bridge", *paragraphs))
    prepared = tmp_path / "t.db"
    with Store(prepared) as store:
        store.add_story(site.url("/a"))
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(f"Paragraph {i} about the bridge." * 5 for i in range(4000)))
    disk = tmp_path / "disk"
    disk.mkdir()
    argv = on_small_disk(
        disk, prepared, sys.executable, "-m", "tracker", "--db", str(disk / "t.db"), "ingest"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    done = subprocess.run(
        [*argv, "1", str(big)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "disk is full" in lines[0], done.stderr
    argv[argv.index("ingest")] = "check"
    done = subprocess.run(
        [*argv, "--all"], env={**env, **ENV}, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "story 1: error: database" in done.stdout and "disk is full" in done.stdout
    assert done.stderr == ""  # no traceback, and no word of pausing: nothing runs on a schedule


def test_run_pauses_while_another_process_holds_the_lock_and_resumes(
    tmp_path: Path, site: LocalSite
) -> None:
    arrived, release = _held(site, "/a", page("Bridge", *FIRST))
    db = tmp_path / "t.db"
    with Store(db) as store:
        store.add_story(site.url("/a"))
    env = {**os.environ, **ENV, "TRACKER_DB_TIMEOUT": "0.3", "PYTHONUNBUFFERED": "1"}
    env.pop("TRACKER_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", "--db", str(db), "run", "--no-web"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")))
    reader.start()
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        assert arrived.wait(30)  # the check is fetching: now another writer takes the lock
        holder.execute("BEGIN IMMEDIATE")
        release.set()
        wait_for(lambda: any("paused" in line for line in lines), proc=proc)
        wait_for(lambda: len(site.hits("/a")) >= 3, proc=proc)  # tried again, quietly
        holder.execute("ROLLBACK")
        wait_for(lambda: any("first version recorded" in line for line in lines), proc=proc)
    finally:
        holder.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        reader.join(10)
    text = "".join(lines)
    assert text.count("paused") == 1 and text.count("resumed") == 1, text
    assert "locked by another process" in text
    assert "Traceback" not in text


def test_a_tag_of_200000_attributes_is_read_not_parsed_for_hours(
    tmp_path: Path, site: LocalSite
) -> None:
    """libxml2 compares each attribute of a tag with all before it: 2 MB of one tag took it
    minutes, so the check was stopped at extract_timeout and failed, every time; now the tag is
    cut after 1,000 attributes and the page is read."""
    flood = " ".join(f"a{n}=1" for n in range(200_000))
    body = page("Harbour bridge", *FIRST).replace(b"<article>", f"<article {flood}>".encode())
    site.set("/flood", body)
    db = tmp_path / "t.db"
    assert _tracker(db, "add", site.url("/flood")).returncode == 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(ENV, "TRACKER_EXTRACT_TIMEOUT", "20")
        done = _tracker(db, "check", "1")
    assert done.returncode == 0, done.stdout
    assert FIRST[0] in _tracker(db, "show", "1").stdout


def test_a_page_of_300000_elements_fails_its_check_with_a_reason(
    tmp_path: Path, site: LocalSite
) -> None:
    """Extraction's time grows with a page's elements (1.6 million took about 70 s, each check
    until extract_timeout): past 100,000 the check fails at once and says why."""
    body = page("Harbour bridge", *FIRST).replace(b"</article>", b"<p>w" * 300_000 + b"</article>")
    site.set("/flood", body)
    db = tmp_path / "t.db"
    assert _tracker(db, "add", site.url("/flood")).returncode == 0
    done = _tracker(db, "check", "1")
    assert "more than 100,000 elements" in done.stdout + done.stderr, done.stdout
    assert "Traceback" not in done.stdout + done.stderr
