"""`tracker check`, `tracker run` and `tracker demo` as a user runs them, and the demo newsroom."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from check_support import FIRST, SECOND, local, page, slow_page
from click.testing import CliRunner
from servers import LocalSite, free_port, wait_for

from tracker import clock
from tracker.check import Checker
from tracker.cli import main
from tracker.extract import extract
from tracker.newsroom import STORY_PATH, Newsroom
from tracker.seeds import load
from tracker.store import Store

ENV = {"TRACKER_ALLOW_HOSTS": "127.0.0.1", "TRACKER_PER_HOST_GAP": "0"}


def cli(db: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner(env=ENV if env is None else env).invoke(main, ["--db", str(db), *args])
    return result.exit_code, result.output


def test_check_command_summarises_outcomes(db_path: Path, site: LocalSite) -> None:
    site.set("/a", page("Bridge", *FIRST))
    site.set("/b", page("Ferry", *SECOND))
    site.set("/c", b"missing", status=404, content_type="text/plain")
    for path in ("/a", "/b", "/c"):
        assert cli(db_path, "add", site.url(path))[0] == 0
    code, out = cli(db_path, "check", "--all")
    assert code == 0, out
    assert "story 1: first version recorded" in out and "story 3: error" in out and "404" in out
    assert "checked 3: 0 unchanged, 0 not modified, 2 new versions, 1 error" in out
    site.set("/a", page("Bridge", *SECOND))
    code, out = cli(db_path, "check", "1", site.url("/b"), "--json")
    data = json.loads(out)
    assert data["summary"] == {
        "checked": 2,
        "unchanged": 1,
        "not_modified": 0,
        "new_version": 1,
        "blocked": 0,
        "error": 0,
        "gone": 0,
    }
    assert [r["story_id"] for r in data["results"]] == [1, 2]
    assert data["results"][0]["version"] == 2


def test_check_command_errors_are_clear(db_path: Path) -> None:
    code, out = cli(db_path, "check")
    assert code == 2 and "--all or --due" in out
    code, out = cli(db_path, "check", "42")
    assert code == 1 and "no story with id" in out
    code, out = cli(db_path, "check", "--due")
    assert code == 0 and "nothing to check" in out


def test_check_command_exits_1_when_every_check_failed(db_path: Path, site: LocalSite) -> None:
    site.set("/a", page("Bridge", *FIRST))
    cli(db_path, "add", site.url("/a"))
    code, out = cli(db_path, "check", "1", env={})  # 127.0.0.1 not allowed: refused
    assert code == 1 and "loopback" in out and "Traceback" not in out


def test_a_hostile_page_cannot_hang_tracker_check(db_path: Path, site: LocalSite) -> None:
    """Default settings read pages in processes with a budget: the page that would keep
    libxml2 busy for minutes is stopped, and the other story is checked as usual."""
    site.set("/slow", slow_page())
    site.set("/a", page("Bridge", *FIRST))
    cli(db_path, "add", site.url("/slow"))
    cli(db_path, "add", site.url("/a"))
    env = {**os.environ, **ENV, "TRACKER_DB": str(db_path), "TRACKER_EXTRACT_TIMEOUT": "2"}
    env.pop("TRACKER_EXTRACT_PROCESSES", None)
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", str(db_path), "check", "--all"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "story 1: error" in done.stdout and "longer than 2 s" in done.stdout
    assert "story 2: first version recorded" in done.stdout


def test_newsroom_moves_from_v1_to_v2(db_path: Path) -> None:
    clock = [0.0]
    versions = load()
    with (
        Newsroom(delay=30, now=lambda: clock[0]) as room,
        Store(db_path) as store,
        Checker(local(db_path)) as checker,
    ):
        story_id, _ = store.add_story(room.story_url)
        assert checker.check(store, story_id).version == 1
        assert checker.check(store, story_id).outcome == "not_modified"
        clock[0] = 31.0
        assert room.edition() == 1 and room.seconds_to_next() is None
        result = checker.check(store, story_id)
        assert (result.outcome, result.version) == ("new_version", 2)
        v1, v2 = (store.get_version(story_id, n) for n in (1, 2))
        assert v1["text"].split("\n\n") == list(versions[0].document.paragraphs)
        assert v2["text"].split("\n\n") == list(versions[1].document.paragraphs)
        assert v1["title"] != v2["title"] and v2["byline"]
        change = store.list_changes(story_id=story_id)[0]
        assert change["kind"] == "headline"
        with urllib.request.urlopen(room.url("/")) as front:
            assert STORY_PATH in front.read().decode()
        with urllib.request.urlopen(room.feed_url) as feed:
            assert room.story_url in feed.read().decode()


def test_newsroom_page_reads_like_a_news_page() -> None:
    with Newsroom(delay=0) as room, urllib.request.urlopen(room.story_url) as resp:
        doc = extract(resp.read(), resp.headers["Content-Type"], room.story_url)
        assert resp.headers["ETag"]
    assert doc.title and doc.byline and doc.published and doc.updated
    assert doc.canonical_url == room.story_url


@contextmanager
def _service(db: Path, *args: str, **env: str) -> Iterator[subprocess.Popen]:
    """`tracker ARGS` as a real process; killed on the way out if the test did not stop it."""
    environ = {**os.environ, "TRACKER_DB": str(db), "TRACKER_PER_HOST_GAP": "0", **env}
    environ.pop("TRACKER_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", *args],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return int(resp.status)
    except OSError:
        return 0


def test_run_serves_checks_and_stops_cleanly_on_sigterm(db_path: Path, site: LocalSite) -> None:
    site.set("/a", page("Bridge", *FIRST))
    cli(db_path, "add", site.url("/a"))
    port = free_port()
    with _service(db_path, "run", "--port", str(port)) as proc:
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/") == 200, proc=proc)
        store = Store(db_path)
        try:
            wait_for(lambda: store.list_checks(1), proc=proc)
            check = store.list_checks(1)[0]
        finally:
            store.close()
        # 127.0.0.1 is refused without the opt-in: the refusal is on record, with its reason
        assert check["outcome"] == "error" and "loopback" in check["error"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert "stopped" in (proc.stderr.read() if proc.stderr else "")
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        story = conn.execute("SELECT failures, next_check_at FROM stories").fetchone()
        assert story[0] == 1 and story[1] is not None
    finally:
        conn.close()
    assert _get(f"http://127.0.0.1:{port}/") == 0  # the site is down with it


@pytest.mark.parametrize("command", ["run", "serve"])
def test_run_and_serve_report_a_busy_port(db_path: Path, command: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out = cli(db_path, command, "--port", str(port))
    assert code == 1 and f"cannot listen on 127.0.0.1:{port}" in out


def test_demo_shows_the_story_changing(db_path: Path) -> None:
    port = free_port()
    with _service(db_path, "demo", "--port", str(port), "--delay", "2", "--interval", "1") as proc:
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/") == 200, proc=proc)
        store = Store(db_path)
        try:
            wait_for(lambda: store.count_stories() == 2, proc=proc)
            demo_story = next(s for s in store.list_stories() if s["url"].startswith("http://127"))
            wait_for(lambda: store.get_story(demo_story["id"])["version_count"] == 2, proc=proc)
            assert _get(f"http://127.0.0.1:{port}/stories/{demo_story['id']}") == 200
            # only the newsroom's port is let past the SSRF guard, not the rest of this machine
            newsroom_port = int(demo_story["url"].split(":")[2].split("/")[0])
            probe, _ = store.add_story(f"http://127.0.0.1:{port}/", next_check_at=clock.iso())
            wait_for(lambda: store.get_story(probe)["last_error"], proc=proc)
            assert store.get_story(probe)["last_error"].startswith(
                f"refused: 127.0.0.1 is a loopback address, allowed on port {newsroom_port} only"
            )
            store.delete_story(probe)
        finally:
            store.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    err = proc.stderr.read() if proc.stderr else ""
    assert f"http://127.0.0.1:{port}/" in err and "new version 2" in err
    with Store(db_path) as store:
        states = {s["url"].split(":")[0]: s["state"] for s in store.list_stories()}
    assert states == {"http": "paused", "https": "paused"}  # nothing left to poll


def test_run_announces_a_change_to_a_webhook(db_path: Path, site: LocalSite) -> None:
    """The whole service: the scheduler checks, records the change, and the outbox job posts it."""
    from servers import Response

    from tracker.notify.signing import verify

    hooks: list = []

    def receive(req):  # noqa: ANN001, ANN202
        hooks.append(req)
        return Response(200, b"ok", "text/plain")

    site.route("/hook", receive)
    site.set("/a", page("Bridge", *FIRST))
    cli(db_path, "add", site.url("/a"))
    assert cli(db_path, "check", "1")[0] == 0
    code, out = cli(
        db_path, "subscribe", "1", "--webhook", site.url("/hook"), "--secret", "s3cret-key"
    )
    assert code == 0, out
    site.set("/a", page("Bridge reopens", *SECOND))
    cli(db_path, "resume", "1")  # due now
    with _service(
        db_path,
        "run",
        "--no-web",
        TRACKER_ALLOW_HOSTS="127.0.0.1",
        TRACKER_OUTBOX_INTERVAL="0.3",
    ) as proc:
        wait_for(lambda: hooks, proc=proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    (call,) = hooks
    headers = {k.lower(): v for k, v in call.headers.items()}
    assert verify(
        "s3cret-key",
        headers["x-storydiff-timestamp"],
        call.body,
        headers["x-storydiff-signature"],
        tolerance=600,
    )
    payload = json.loads(call.body)
    assert "Bridge reopens" in json.dumps(payload)
    with Store(db_path) as store:
        (delivery,) = store.list_deliveries()
        assert delivery["status"] == "sent"


def test_feed_trouble_is_one_line_in_add_feed_and_check_due(db_path: Path, site: LocalSite) -> None:
    site.set("/good", page("Bridge", *FIRST))
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour news</title>'
        "<item><title>Broken</title><link>http://[::1</link></item>"
        f"<item><title>Good</title><link>{site.url('/good')}</link></item></channel></rss>"
    )
    site.set("/feed", feed, content_type="text/xml")
    code, out = cli(db_path, "add-feed", site.url("/feed"))
    assert code == 0 and "1 entries, 1 new stories" in out, out
    with Store(db_path) as store:
        store.update_feed(1, next_check_at="2000-01-01T00:00:00Z")
    site.set("/feed", "down", status=500, content_type="text/plain")
    result = CliRunner(env={**ENV, "TRACKER_RETRIES": "0"}).invoke(
        main, ["--db", str(db_path), "check", "--due"]
    )
    assert result.exit_code == 0, result.output  # story 1 was checked: not every check failed
    assert "Traceback" not in result.output
    failures = [line for line in result.output.splitlines() if line.startswith("feed 1:")]
    assert len(failures) == 1 and "500" in failures[0]
    assert "story 1: first version recorded" in result.output
