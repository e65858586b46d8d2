"""Faults on the wire: servers that drip their answer, bombs and loops, empty pages."""

from __future__ import annotations

import gzip
import re
import socket
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from fault_support import DripServer
from notify_support import Hook, big_edit, new_story, running
from servers import LocalSite, wait_for

from tracker.cli import main
from tracker.config import Settings
from tracker.notify.outbox import deliver_due
from tracker.store import Store

ENV = {
    "TRACKER_ALLOW_HOSTS": "127.0.0.1",
    "TRACKER_PER_HOST_GAP": "0",
    "TRACKER_RETRIES": "0",
    "TRACKER_RESPECT_ROBOTS": "false",
    "TRACKER_TOTAL_TIMEOUT": "1",
    "TRACKER_READ_TIMEOUT": "5",  # each byte comes well inside it: only the total can stop it
}


@pytest.mark.parametrize("phase", ["status", "headers", "body"])
def test_a_dripping_server_cannot_hold_a_check_past_total_timeout(
    db_path: Path, phase: str
) -> None:
    with DripServer(phase) as drip:
        with Store(db_path) as store:
            story_id, _ = store.add_story(drip.url("/story"))
        result = CliRunner(env=ENV).invoke(main, ["--db", str(db_path), "check", str(story_id)])
        wait_for(lambda: drip.hung_up + drip.outlasted >= 1)
    assert drip.outlasted == 0  # the check hung up on the server, not the other way round
    assert result.exit_code == 1, result.output
    assert "took longer than 1s in total" in result.output
    with Store(db_path) as store:
        assert store.get_story(story_id)["version_count"] == 0


@pytest.mark.parametrize("phase", ["status", "headers"])
def test_a_dripping_webhook_receiver_cannot_hold_a_delivery(store: Store, phase: str) -> None:
    story_id = new_story(store)
    with DripServer(phase) as drip:
        store.add_subscription(scope="all", channel="webhook", target=drip.url("/hook"))
        big_edit(store, story_id)
        settings = Settings(allow_private=True, total_timeout=1.0, read_timeout=5.0)
        report = deliver_due(store, settings)
        wait_for(lambda: drip.hung_up + drip.outlasted >= 1)
    assert drip.outlasted == 0
    assert report.retrying == 1
    (row,) = store.list_deliveries()
    assert "took longer than 1s in total" in row["last_error"]


def test_the_documented_idempotency_key_is_the_one_sent(store: Store) -> None:
    docs = (Path(__file__).parent.parent / "docs" / "NOTIFY.md").read_text(encoding="utf-8")
    assert "`storydiff-{subscription id}-{change id}-{8 lowercase hex" in docs
    example = re.search(r'"idempotency_key": "([^"]+)"', docs)
    instant = re.compile(r"storydiff-(\d+)-(\d+)-[0-9a-f]{8}")
    assert example and instant.fullmatch(example.group(1))
    story_id = new_story(store)
    with running(Hook()) as hook:
        sub = store.add_subscription(
            scope="all", channel="webhook", target=hook.url(), secret=hook.secret
        )
        change_id = big_edit(store, story_id)
        assert deliver_due(store, Settings(allow_private=True)).sent == 1
    (call,) = hook.calls
    sent = instant.fullmatch(call.key)
    assert sent and sent.groups() == (str(sub), str(change_id))
    assert call.headers["webhook-id"] == call.headers["Idempotency-Key"] == call.key
    assert call.json()["idempotency_key"] == call.key


def test_a_webhook_receiver_answering_with_a_gzip_bomb_is_read_no_further_than_the_cap(
    store: Store, site: LocalSite
) -> None:
    bomb = gzip.compress(b"\0" * (100 * 1024 * 1024))  # 100 MB once inflated, 100 KB sent
    site.set("/hook", bomb, content_type="text/plain", headers={"Content-Encoding": "gzip"})
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="webhook", target=site.url("/hook"))
    big_edit(store, story_id)
    assert deliver_due(store, Settings(allow_private=True)).sent == 1


@pytest.mark.parametrize(
    ("path", "said"),
    [("/empty", "empty document"), ("/blank", "empty document"), ("/loop", "redirects")],
)
def test_empty_pages_and_redirect_loops_are_one_line_each(
    db_path: Path, site: LocalSite, path: str, said: str
) -> None:
    site.set("/empty", b"")
    site.set("/blank", b" \n\t \r\n")
    site.set("/loop", b"", status=302, headers={"Location": "/loop"})
    with Store(db_path) as store:
        story_id, _ = store.add_story(site.url(path))
    result = CliRunner(env=ENV).invoke(main, ["--db", str(db_path), "check", str(story_id)])
    assert result.exit_code == 1
    assert said in result.output
    assert isinstance(result.exception, SystemExit)  # an exit code, not a traceback


def test_a_status_line_that_is_no_http_is_escaped_and_cut_in_the_error(db_path: Path) -> None:
    """http.client quotes the whole line (up to 64 KB) in its error: a terminal escape went to
    the check's output and all of it to the story's last_error."""
    server = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"\x1b]0;owned\x07" + b"\x00\xff" * 30_000 + b"\r\n\r\n")

    threading.Thread(target=answer, daemon=True).start()
    with server, Store(db_path) as store:
        story_id, _ = store.add_story(f"http://127.0.0.1:{server.getsockname()[1]}/story")
        result = CliRunner(env=ENV).invoke(main, ["--db", str(db_path), "check", str(story_id)])
        error = store.get_story(story_id)["last_error"]
    assert result.exit_code == 1 and "broke the connection: \\x1b]0;owned\\x07" in result.output
    assert "\x1b" not in result.output and "\x00" not in result.output
    assert "\x1b" not in error and len(error) < 400
