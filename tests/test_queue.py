"""Checks through Dramatiq on a real redis-server: real `tracker run --queue` and `tracker
worker` processes, a worker killed mid-job, duplicates, stale jobs and shared politeness."""

from __future__ import annotations

import signal
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from check_support import FIRST, SECOND, local, page
from click.testing import CliRunner
from queue_support import redis_server, tracker_process
from servers import LocalSite, Response, wait_for

from tracker import clock
from tracker.check import Checker
from tracker.cli import main
from tracker.queue import wire
from tracker.queue.broker import QueueUnavailable, connect
from tracker.queue.politeness import RedisGate
from tracker.queue.recorder import record
from tracker.store import Store

pytest.importorskip("dramatiq", reason="the queue tests need the queue extra")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def queue_url(redis_url: str) -> str:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushall()
    client.close()
    return redis_url


def _payload(checker: Checker, store: Store, story_id: int, token: str) -> dict:
    """Lease the story as the run process does, and observe its page as a worker does."""
    store.update_story(story_id, next_check_at=token)
    job = wire.job(store.get_story(story_id), token)
    seen = checker.observe(job["story"])
    return {"job": job, "seen": wire.observation_to_wire(seen), "seconds": 0.1}


def test_a_result_is_recorded_once_and_stale_ones_are_dropped(
    db_path: Path, site: LocalSite
) -> None:
    site.set("/a", page("Bridge", *FIRST))
    site.set("/b", page("Ferry", *FIRST))
    with Store(db_path) as store, Checker(local(db_path)) as checker:
        a, _ = store.add_story(site.url("/a"))
        b, _ = store.add_story(site.url("/b"))
        first = _payload(checker, store, a, clock.later(600))
        assert record(store, checker, first).outcome == "new_version"
        assert record(store, checker, first) is None  # the same result delivered again
        assert len(store.list_versions(a)) == 1 and len(store.list_checks(a)) == 1
        # a late result from an earlier lease, after the story was leased again
        site.set("/a", page("Bridge", *SECOND))
        late = _payload(checker, store, a, clock.later(600))
        store.update_story(a, next_check_at=clock.later(900))  # leased again meanwhile
        assert record(store, checker, late) is None
        assert len(store.list_versions(a)) == 1
        # a job for a story removed while it was out
        gone = _payload(checker, store, b, clock.later(600))
        store.delete_story(b)
        assert record(store, checker, gone) is None


def test_bad_queue_urls_are_one_line(db_path: Path, tmp_path: Path) -> None:
    with pytest.raises(QueueUnavailable, match="not a Redis URL"):
        connect("http://example.org/", local(db_path))
    with tracker_process(
        db_path, tmp_path / "w.log", "worker", "--queue", "redis://127.0.0.1:1/0"
    ) as w:
        assert w.wait(60) == 1
    text = (tmp_path / "w.log").read_text()
    assert "cannot use the queue at redis://127.0.0.1:1/0" in text and "Traceback" not in text


def test_politeness_is_shared_across_workers(queue_url: str) -> None:
    """Two workers' gates (two Redis clients) on one host with one slot: never two requests in
    flight at once, and starts the gap apart (0.2 s reserved on Redis's clock). A start is seen
    here when its thread runs again, which a busy machine can delay by a tenth of a second or
    more, shrinking the gap after it: so the gaps are judged together (five gaps span at least
    1 s less one such delay; without the shared gate the six starts would span about 0.4 s) and
    by their median."""
    import redis

    gates = [RedisGate(redis.Redis.from_url(queue_url), limit=1) for _ in range(2)]
    inside, most, starts = [0], [0], []
    lock = threading.Lock()

    def fetch(gate: RedisGate) -> None:
        with gate("news.example", 0.2):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                starts.append(time.monotonic())
            time.sleep(0.05)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=fetch, args=(gates[i % 2],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    starts.sort()
    assert most[0] == 1 and len(starts) == 6
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert starts[-1] - starts[0] >= 0.85, gaps
    assert statistics.median(gaps) >= 0.15, gaps


@pytest.mark.slow
def test_workers_check_what_run_schedules(
    db_path: Path, site: LocalSite, tmp_path: Path, queue_url: str
) -> None:
    for n in range(4):
        site.set(f"/s{n}", page(f"Story {n}", *FIRST))
    with Store(db_path) as store:
        ids = [store.add_story(site.url(f"/s{n}"))[0] for n in range(4)]
    env = {"TRACKER_QUEUE_HEARTBEAT": "3"}
    with (
        tracker_process(
            db_path, tmp_path / "run.log", "run", "--no-web", "--queue", queue_url, **env
        ) as run,
        tracker_process(db_path, tmp_path / "w1.log", "worker", "--queue", queue_url, **env),
        tracker_process(db_path, tmp_path / "w2.log", "worker", "--queue", queue_url, **env),
        Store(db_path) as store,
    ):
        wait_for(lambda: all(store.list_versions(i) for i in ids), timeout=90, proc=run)
        run.send_signal(signal.SIGTERM)
        assert run.wait(60) == 0, (tmp_path / "run.log").read_text()
        for i in ids:
            assert len(store.list_versions(i)) == 1
            assert store.list_checks(i)[0]["outcome"] == "new_version"
    assert "Traceback" not in (tmp_path / "run.log").read_text()


@pytest.mark.slow
def test_a_worker_killed_mid_job_is_replaced_without_a_lost_or_doubled_version(
    db_path: Path, site: LocalSite, tmp_path: Path, queue_url: str
) -> None:
    """Worker A is killed (-9) while it fetches; its unacked job goes to worker B once A's
    heartbeat is stale: version 2 is recorded once and its webhook is delivered once."""
    site.set("/story", page("Bridge", *FIRST))
    site.set("/hook", b"", status=204)
    with Store(db_path) as store, Checker(local(db_path)) as checker:
        story_id, _ = store.add_story(site.url("/story"))
        assert checker.check(store, story_id).outcome == "new_version"
        store.update_story(story_id, next_check_at=clock.iso())
    subscribed = CliRunner(env={"TRACKER_ALLOW_HOSTS": "127.0.0.1"}).invoke(
        main, ["--db", str(db_path), "subscribe", str(story_id), "--webhook", site.url("/hook")]
    )
    assert subscribed.exit_code == 0, subscribed.output
    site.route("/story", lambda _req: Response(body=page("Bridge", *SECOND), delay=4.0))
    env = {"TRACKER_QUEUE_HEARTBEAT": "2", "TRACKER_OUTBOX_INTERVAL": "1"}
    run_args = ("run", "--no-web", "--queue", queue_url)
    with (
        tracker_process(db_path, tmp_path / "run.log", *run_args, **env) as run,
        Store(db_path) as store,
    ):
        with tracker_process(
            db_path, tmp_path / "a.log", "worker", "--queue", queue_url, "--threads", "1", **env
        ) as a:
            wait_for(lambda: len(site.hits("/story")) >= 2, timeout=60, proc=a)
            a.send_signal(signal.SIGKILL)
            a.wait(10)
        assert len(store.list_versions(story_id)) == 1  # A died before recording anything
        with tracker_process(db_path, tmp_path / "b.log", "worker", "--queue", queue_url, **env):
            wait_for(lambda: len(store.list_versions(story_id)) == 2, timeout=90, proc=run)
            wait_for(lambda: site.hits("/hook"), timeout=30, proc=run)
            time.sleep(3)  # room for a doubled delivery or version to show up
        run.send_signal(signal.SIGTERM)
        assert run.wait(60) == 0
        assert len(store.list_versions(story_id)) == 2
        assert len(site.hits("/hook")) == 1
        assert len(site.hits("/story")) == 3  # the first check, A's fetch, B's retry
