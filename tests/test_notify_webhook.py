"""Webhooks to a real receiver on 127.0.0.1: signatures, retries, timeouts, crashes, digests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from notify_support import Hook, big_edit, new_story, running
from servers import LocalSite

from tracker import clock
from tracker.cli import main
from tracker.config import Settings
from tracker.notify.outbox import backoff, deliver_due
from tracker.notify.signing import sign, verify
from tracker.store import Store

SETTINGS = Settings(
    allow_private=True,
    base_url="https://diff.example.org",
    read_timeout=1.0,
    connect_timeout=1.0,
    delivery_max_attempts=4,
)


def subscribe(store: Store, hook: Hook, **filters: object) -> int:
    return store.add_subscription(
        scope="all", channel="webhook", target=hook.url(), secret=hook.secret, **filters
    )


def only_delivery(store: Store) -> dict:
    (row,) = store.list_deliveries()
    return row


def test_signed_payload_reaches_receiver_once(store: Store) -> None:
    story_id = new_story(store)
    with running(Hook()) as hook:
        sub = subscribe(store, hook)
        change_id = big_edit(store, story_id)
        report = deliver_due(store, SETTINGS)
        assert (report.sent, report.dead, report.retrying) == (1, 0, 0)
        again = deliver_due(store, SETTINGS)
    assert again.claimed == 0
    (call,) = hook.calls
    assert call.verified
    assert call.key == store.list_deliveries()[0]["idempotency_key"]
    assert call.key.startswith(f"storydiff-{sub}-{change_id}-")
    assert call.headers["Content-Type"].startswith("application/json")
    data = call.json()
    assert data["event"] == "story.changed"
    assert data["story"] == {
        "id": story_id,
        "url": "https://news.example/harbour",
        "title": "Harbour budget",
        "developing": False,
    }
    assert (data["versions"]["from"]["number"], data["versions"]["to"]["number"]) == (1, 2)
    assert data["change"]["id"] == change_id
    assert data["change"]["stats"]["paragraphs_added"] == 1
    assert data["change"]["summary"]
    assert data["links"]["diff"] == f"https://diff.example.org/stories/{story_id}/diff/1..2"
    assert data["links"]["api"] == (
        f"https://diff.example.org/api/stories/{story_id}/diff?from=1&to=2"
    )
    assert store.get_delivery(only_delivery(store)["id"])["status"] == "sent"


def test_signature_rejects_tampering_and_replays() -> None:
    body = b'{"a":1}'
    now = int(time.time())
    good = sign("s3cret", now, body)
    assert verify("s3cret", str(now), body, good)
    assert not verify("s3cret", str(now), body + b" ", good)
    assert not verify("other", str(now), body, good)
    assert not verify("s3cret", str(now + 1), body, good)
    old = sign("s3cret", now - 3600, body)
    assert not verify("s3cret", str(now - 3600), body, old)  # a replay an hour later
    assert not verify("s3cret", None, body, good) and not verify("s3cret", "x", body, good)


def test_receiver_down_then_up_is_delivered_once_late(store: Store) -> None:
    story_id = new_story(store)
    hook = Hook()  # chosen port, nothing listening yet
    subscribe(store, hook)
    big_edit(store, story_id)
    report = deliver_due(store, SETTINGS)
    assert (report.sent, report.retrying) == (0, 1)
    row = only_delivery(store)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert "refused" in row["last_error"].lower() or "connect" in row["last_error"].lower()
    assert deliver_due(store, SETTINGS).claimed == 0  # not due yet: backing off
    with running(hook):
        report = deliver_due(store, SETTINGS, now=row["next_attempt_at"])
    assert report.sent == 1
    assert len(hook.calls) == 1 and hook.processed == [hook.calls[0].key]
    attempts = store.delivery_attempts(row["id"])
    assert [a["ok"] for a in attempts] == [0, 1]


def test_500_three_times_then_200_backs_off_and_records_every_attempt(store: Store) -> None:
    story_id = new_story(store)
    with running(Hook(script=[500, 500, 500])) as hook:
        subscribe(store, hook)
        big_edit(store, story_id)
        waits = []
        now = clock.iso()
        for _ in range(4):
            deliver_due(store, SETTINGS, now=now)
            row = only_delivery(store)
            if row["status"] == "sent":
                break
            waits.append((clock.parse(row["next_attempt_at"]) - clock.parse(now)).total_seconds())
            now = row["next_attempt_at"]
    assert row["status"] == "sent" and row["attempts"] == 4
    assert [a["status"] for a in store.delivery_attempts(row["id"])] == [500, 500, 500, 200]
    assert len(hook.calls) == 4 and len(hook.processed) == 1
    assert 15 <= waits[0] <= 30 and 60 <= waits[2] <= 120  # 30 s doubling, with jitter
    assert "HTTP 500" in store.delivery_attempts(row["id"])[0]["error"]


def test_backoff_grows_and_is_jittered() -> None:
    assert backoff(1, rng=lambda a, b: a) == 15 and backoff(1, rng=lambda a, b: b) == 30
    assert backoff(3, rng=lambda a, b: b) == 120
    assert backoff(40, rng=lambda a, b: b) == 6 * 3600
    assert len({backoff(5) for _ in range(20)}) > 1


def test_hanging_receiver_times_out_and_is_retried(store: Store) -> None:
    story_id = new_story(store)
    release = threading.Event()
    with running(Hook(hang=release)) as hook:
        subscribe(store, hook)
        big_edit(store, story_id)
        report = deliver_due(store, SETTINGS.replace(read_timeout=0.5))
        assert report.retrying == 1
        row = only_delivery(store)
        assert "timeout" in row["last_error"].lower() or "timed out" in row["last_error"].lower()
        hook.hang = None
        release.set()
        report = deliver_due(store, SETTINGS, now=row["next_attempt_at"])
    assert report.sent == 1
    # the hung request had reached the receiver: the retry carried the same key, acted on once
    assert len(hook.calls) == 2 and hook.calls[0].key == hook.calls[1].key
    assert hook.processed == [hook.calls[0].key]


def test_dead_after_max_attempts_then_retried_by_hand(store: Store, db_path: Path) -> None:
    story_id = new_story(store)
    with running(Hook(script=[503] * 10)) as hook:
        subscribe(store, hook)
        big_edit(store, story_id)
        now = clock.iso()
        for _ in range(SETTINGS.delivery_max_attempts):
            deliver_due(store, SETTINGS, now=now)
            now = only_delivery(store)["next_attempt_at"]
        row = only_delivery(store)
        assert row["status"] == "dead" and row["attempts"] == SETTINGS.delivery_max_attempts
        assert deliver_due(store, SETTINGS, now=clock.later(10**6)).claimed == 0

        runner = CliRunner()
        out = runner.invoke(main, ["--db", str(db_path), "deliveries", "--failed"]).output
        assert f"{row['id']:>6}  dead" in out and "HTTP 503" in out
        out = runner.invoke(main, ["--db", str(db_path), "deliveries", "--attempts", "1"]).output
        assert out.count("failed") == SETTINGS.delivery_max_attempts
        result = runner.invoke(main, ["--db", str(db_path), "deliveries", "--retry", "1"])
        assert result.exit_code == 0, result.output
        hook.script.clear()
        assert deliver_due(store, SETTINGS).sent == 1
    assert only_delivery(store)["status"] == "sent" and len(hook.processed) == 1


def test_private_target_is_refused_without_opt_in(store: Store) -> None:
    story_id = new_story(store)
    with running(Hook()) as hook:
        subscribe(store, hook)
        big_edit(store, story_id)
        report = deliver_due(store, SETTINGS.replace(allow_private=False))
    assert report.dead == 1 and hook.calls == []
    assert "refused" in only_delivery(store)["last_error"]


def test_hourly_digest_is_one_message_at_the_boundary(store: Store) -> None:
    story_id = new_story(store)
    other = new_story(store, "https://news.example/second")
    with running(Hook()) as hook:
        sub = subscribe(store, hook, mode="hourly")
        first = big_edit(store, story_id, 1)
        second = big_edit(store, story_id, 2)
        third = big_edit(store, other, 1)
        due = store.list_deliveries()[0]["next_attempt_at"]
        early = clock.iso(clock.parse(due) - timedelta(seconds=1))
        assert deliver_due(store, SETTINGS, now=early).claimed == 0
        report = deliver_due(store, SETTINGS, now=due)
    assert (report.claimed, report.messages, report.sent) == (3, 1, 3)
    (call,) = hook.calls
    data = call.json()
    assert call.verified and data["event"] == "story.digest" and data["digest"] == "hourly"
    assert [c["change"]["id"] for c in data["changes"]] == [first, second, third]
    assert call.key.startswith(f"storydiff-digest-{sub}-")
    assert store.get_subscription(sub)["last_digest_at"] == due


def test_fan_out_to_many_subscriptions_each_once(store: Store) -> None:
    story_id = new_story(store)
    with running(Hook()) as hook:
        subs = [subscribe(store, hook) for _ in range(40)]
        big_edit(store, story_id)
        report = deliver_due(store, SETTINGS, workers=4)
    assert report.sent == 40
    assert sorted(c.key for c in hook.calls) == sorted(hook.processed)
    assert {c.json()["subscription"] for c in hook.calls} == set(subs)
    assert all(c.verified for c in hook.calls)


def test_worker_killed_mid_delivery_loses_nothing_and_duplicates_nothing(
    store: Store, db_path: Path
) -> None:
    story_id = new_story(store)
    release = threading.Event()
    with running(Hook(hang=release)) as hook:
        for _ in range(5):
            subscribe(store, hook)
        big_edit(store, story_id)
        env = {
            **os.environ,
            "TRACKER_DB": str(db_path),
            "TRACKER_ALLOW_PRIVATE": "1",
            "TRACKER_READ_TIMEOUT": "30",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "tracker", "deliver", "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while len(hook.calls) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(hook.calls) == 2, "the worker never reached the receiver"
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        rows = store.list_deliveries()
        assert {r["status"] for r in rows} == {"sending"}  # claimed, then the worker died
        hook.hang = None
        release.set()
        lease_end = max(r["claimed_until"] for r in rows)
        assert deliver_due(store, SETTINGS).claimed == 0  # still leased to the dead worker
        report = deliver_due(store, SETTINGS, now=lease_end)
    assert report.sent == 5
    assert {r["status"] for r in store.list_deliveries()} == {"sent"}
    keys = {r["idempotency_key"] for r in store.list_deliveries()}
    assert sorted(hook.processed) == sorted(keys)  # everyone once
    assert len(hook.calls) == 7  # the two in flight were sent again, with the same keys
    assert all(c.verified for c in hook.calls)


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/x", "http://", "not a url"])
def test_bad_webhook_url_is_dead_not_crashing(store: Store, target: str) -> None:
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="webhook", target=target, secret="abcdefgh")
    big_edit(store, story_id)
    report = deliver_due(store, SETTINGS)
    assert report.dead == 1 and only_delivery(store)["last_error"]


def test_receiver_retry_after_in_odd_digits_is_ignored_not_a_crash(
    store: Store, site: LocalSite
) -> None:
    site.set("/hook", "busy", status=503, content_type="text/plain", headers={"Retry-After": "²"})
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="webhook", target=site.url("/hook"))
    big_edit(store, story_id)
    report = deliver_due(store, SETTINGS)
    assert (report.retrying, report.dead) == (1, 0)
    assert only_delivery(store)["last_error"] == "HTTP 503: busy"


def test_delivery_error_does_not_store_the_token_in_the_url(store: Store, site: LocalSite) -> None:
    """Slack- and Discord-style URLs carry their access token in the path and query."""
    site.set("*", "garbage", content_type="text/plain", headers={"Content-Encoding": "gzip"})
    story_id = new_story(store)
    target = site.url("/services/T0KEN-in-path/more?token=T0KEN-in-query")
    store.add_subscription(scope="all", channel="webhook", target=target)
    big_edit(store, story_id)
    deliver_due(store, SETTINGS)
    row = only_delivery(store)
    assert row["status"] == "pending" and "cannot be decompressed" in row["last_error"]
    assert f"127.0.0.1:{site.port}/services" in row["last_error"]
    assert "T0KEN" not in row["last_error"]
    assert all("T0KEN" not in (a["error"] or "") for a in store.delivery_attempts(row["id"]))
