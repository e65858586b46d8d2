"""The adaptive interval table, and the dispatcher against a real site and a real database."""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from check_support import FIRST, SECOND, local, page, slow_page
from servers import LocalSite, Request, Response, wait_for

from tracker import clock, config
from tracker.config import ConfigError, Settings
from tracker.extract import ExtractError
from tracker.interval import (
    DAY,
    HOUR,
    MINUTE,
    NEWSDIFFS,
    TIERS,
    ladder_interval,
    next_interval,
    plan,
)
from tracker.pool import CheckPool
from tracker.schedule import Scheduler
from tracker.store import Store

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=clock.now().tzinfo)


def story(quiet: float, **fields: object) -> dict[str, object]:
    """A story row whose last change was `quiet` seconds before NOW."""
    row: dict[str, object] = {
        "added_at": clock.iso(NOW - timedelta(days=400)),
        "last_changed_at": clock.iso(NOW - timedelta(seconds=quiet)),
        "developing": 0,
        "interval": None,
        "state": "active",
    }
    row.update(fields)
    return row


@pytest.mark.parametrize(
    ("quiet", "expected"),
    [
        (0, 5 * MINUTE),
        (10 * MINUTE, 5 * MINUTE),
        (40 * MINUTE, 10 * MINUTE),
        (2 * HOUR, 15 * MINUTE),
        (6 * HOUR, 45 * MINUTE),
        (18 * HOUR, 2 * HOUR),
        (2 * DAY, 6 * HOUR),
        (5 * DAY, 12 * HOUR),
        (20 * DAY, 2 * DAY),
        (60 * DAY, 7 * DAY),
    ],
)
def test_interval_grows_with_time_since_the_last_change(quiet: float, expected: int) -> None:
    assert next_interval(story(quiet), NOW, changed=False) == expected


def test_a_change_resets_to_the_shortest_step() -> None:
    assert next_interval(story(20 * DAY), NOW, changed=True) == 5 * MINUTE


def test_never_changed_story_counts_from_when_it_was_added() -> None:
    row = story(0, last_changed_at=None, added_at=clock.iso(NOW - timedelta(days=2)))
    assert next_interval(row, NOW, changed=False) == 6 * HOUR


def test_developing_story_is_checked_every_ten_minutes_for_two_days() -> None:
    assert next_interval(story(12 * HOUR, developing=1), NOW, changed=False) == 10 * MINUTE
    assert next_interval(story(12 * HOUR), NOW, changed=False, developing=True) == 10 * MINUTE
    assert next_interval(story(10 * MINUTE, developing=1), NOW, changed=False) == 5 * MINUTE
    # a stale marker on a page quiet for days stops counting
    assert next_interval(story(5 * DAY, developing=1), NOW, changed=False) == 12 * HOUR


def test_per_story_interval_wins_over_the_ladder() -> None:
    assert next_interval(story(60 * DAY, interval=90), NOW, changed=False) == 90
    assert next_interval(story(0, interval=6 * HOUR), NOW, changed=True) == 6 * HOUR


def test_settings_clamp_the_ladder() -> None:
    tight = Settings(min_interval=15 * MINUTE, max_interval=DAY)
    assert next_interval(story(0), NOW, changed=True, settings=tight) == 15 * MINUTE
    assert next_interval(story(60 * DAY), NOW, changed=False, settings=tight) == DAY


def test_failures_back_off_up_to_a_day() -> None:
    waits = [next_interval(story(0), NOW, changed=False, failures=n) for n in range(1, 12)]
    assert waits[0] == 10 * MINUTE and waits[1] == 20 * MINUTE  # 5 min doubled, doubled
    assert waits == sorted(waits) and waits[-1] == DAY
    # a story already checked less often than daily keeps its own pace when failing
    assert next_interval(story(60 * DAY), NOW, changed=False, failures=3) == 7 * DAY


def test_retry_after_pushes_the_next_check() -> None:
    assert next_interval(story(0), NOW, changed=False, retry_after=3 * HOUR) == 3 * HOUR


def test_plan_adds_jitter_within_ten_percent() -> None:
    settings = Settings()
    times = {
        plan(story(HOUR), NOW, changed=False, settings=settings, rng=lambda v=v: v).next_check_at
        for v in (0.0, 0.5, 0.999)
    }
    seconds = sorted((clock.parse(t or "") - NOW).total_seconds() for t in times)
    assert seconds[0] == pytest.approx(810, abs=1) and seconds[-1] == pytest.approx(990, abs=1)
    assert len(times) == 3


def test_plan_archives_after_the_configured_quiet_time() -> None:
    settings = Settings(archive_after_days=30)
    done = plan(story(31 * DAY), NOW, changed=False, settings=settings)
    assert (done.state, done.next_check_at) == ("archived", None)
    alive = plan(story(29 * DAY), NOW, changed=False, settings=settings)
    assert alive.state == "active" and alive.next_check_at is not None
    never = plan(story(400 * DAY), NOW, changed=False, settings=Settings(archive_after_days=0))
    assert never.state == "active"


def edits_of_a_story(rng: random.Random) -> list[float]:
    """When a story is edited (seconds after it appears): mostly in its first hours, each edit
    less likely than the last, sometimes a late correction days after."""
    t, out = 0.0, []
    gap = rng.expovariate(1 / (40 * MINUTE))
    while t + gap < 10 * DAY:
        t += gap
        out.append(t)
        if rng.random() < 0.35:
            break
        gap = rng.expovariate(1 / max(30 * MINUTE, t * 1.2))
    if rng.random() < 0.1:
        out.append(rng.uniform(2 * DAY, 20 * DAY))
    return sorted(out)


def simulate(tiers: tuple[tuple[float, int], ...], edits: list[float], horizon: float = 30 * DAY):
    """Checks made over `horizon`, and how long each edit stayed unseen, under a ladder."""
    t, last_change, checks, delays, pending = 0.0, 0.0, 0, [], list(edits)
    while t < horizon:
        t += ladder_interval(t - last_change, tiers)
        checks += 1
        seen = [e for e in pending if e <= t]
        if seen:
            delays.extend(t - e for e in seen)
            pending = [e for e in pending if e > t]
            last_change = t
    return checks, delays


def test_the_ladder_beats_newsdiffs() -> None:
    """Over 2,000 simulated stories: fewer requests, and edits seen sooner (docs/SCHEDULING.md)."""
    results = {}
    for name, tiers in (("ours", TIERS), ("newsdiffs", NEWSDIFFS)):
        rng = random.Random(1)
        checks, delays = 0, []
        for _ in range(2000):
            made, late = simulate(tiers, edits_of_a_story(rng))
            checks += made
            delays += late
        delays.sort()
        results[name] = (checks, statistics.mean(delays), delays[len(delays) // 2])
    ours, theirs = results["ours"], results["newsdiffs"]
    assert ours[0] < 0.85 * theirs[0]  # at least 15% fewer checks
    assert ours[1] < theirs[1] and ours[2] < theirs[2]  # mean and median delay both lower


# --------------------------------------------------------------------------- the dispatcher


def test_scheduler_checks_due_stories_and_resumes_after_restart(
    db_path: Path, site: LocalSite
) -> None:
    settings = local(db_path, workers=2)
    with Store(db_path) as store:
        ids = []
        for n in range(6):
            site.set(f"/s{n}", page(f"Story {n}", *FIRST))
            ids.append(store.add_story(site.url(f"/s{n}"))[0])
    first = Scheduler(local(db_path, workers=4), tick=0.1)  # 6 due <= 2 per worker: run now
    first.start()
    try:
        with Store(db_path) as store:
            wait_for(lambda: all(store.get_story(i)["version_count"] == 1 for i in ids))
    finally:
        first.stop()
    # the process stops; time passes; every story is overdue when it comes back
    long_ago = clock.iso(clock.now() - timedelta(hours=3))
    with Store(db_path) as store:
        for i in ids:
            store.update_story(i, next_check_at=long_ago)
    site.set("/s0", page("Story 0", *SECOND))
    restarted = Scheduler(settings, tick=0.1)
    spread = restarted.resume()
    restarted.stop()
    assert spread == 6  # more than the pool takes at once: spread, not fired together
    with Store(db_path) as store:
        times = [store.get_story(i)["next_check_at"] for i in ids]
        assert times == sorted(times)  # most overdue first, still
        assert min(times) >= clock.iso(clock.now() - timedelta(seconds=2))
        assert max(times) > min(times)
        for i in ids:  # due now again, so the test does not wait out the window
            store.update_story(i, next_check_at=long_ago)
    again = Scheduler(local(db_path, workers=4), tick=0.1)
    again.start()
    try:
        with Store(db_path) as store:
            wait_for(lambda: all(len(store.list_checks(i)) == 2 for i in ids))
            versions = [store.get_story(i)["version_count"] for i in ids]
    finally:
        again.stop()
    assert versions == [2, 1, 1, 1, 1, 1]  # the changed page only; nothing recorded twice
    with Store(db_path) as store:
        assert store.counts()["versions"] == 7


def test_few_overdue_stories_are_not_spread(db_path: Path) -> None:
    with Store(db_path) as store:
        store.add_story("http://127.0.0.1:9/a", next_check_at="2020-01-01T00:00:00Z")
    scheduler = Scheduler(local(db_path, workers=2))
    try:
        assert scheduler.resume() == 0
    finally:
        scheduler.stop()


def test_dispatch_never_runs_one_story_twice_at_once(db_path: Path, site: LocalSite) -> None:
    gate = threading.Event()
    hits = []

    def slow(req: Request) -> Response:
        hits.append(req)
        gate.wait(10)
        return Response(200, page("Slow", *FIRST))

    site.route("/slow", slow)
    with Store(db_path) as store:
        store.add_story(site.url("/slow"))
    scheduler = Scheduler(local(db_path, workers=2), tick=3600)
    try:
        assert scheduler.dispatch() == 1
        wait_for(lambda: len(hits) == 1)
        assert scheduler.dispatch() == 0  # still due in the store, but already running
        assert scheduler.busy() == 1
        gate.set()
        wait_for(lambda: scheduler.busy() == 0)
    finally:
        gate.set()
        scheduler.stop()
    assert len(hits) == 1


def test_stop_waits_for_the_running_check(db_path: Path, site: LocalSite) -> None:
    site.set("/story", page("Slow", *FIRST), delay=0.5)
    with Store(db_path) as store:
        story_id, _ = store.add_story(site.url("/story"))
    scheduler = Scheduler(local(db_path, workers=1), tick=3600)
    scheduler.dispatch()
    wait_for(lambda: len(site.hits("/story")) == 1)
    scheduler.stop(wait=True)
    with Store(db_path) as store:
        assert store.get_story(story_id)["version_count"] == 1
        assert [c["outcome"] for c in store.list_checks(story_id)] == ["new_version"]
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_add_periodic_runs_alongside_checks(db_path: Path) -> None:
    ran = threading.Event()
    scheduler = Scheduler(local(db_path), tick=0.2)
    scheduler.add_periodic("outbox", ran.set, 0.1)
    scheduler.start()
    try:
        assert ran.wait(10)
    finally:
        scheduler.stop()


def test_check_pool_survives_a_crashing_check(db_path: Path, site: LocalSite) -> None:
    site.set("/story", page("Bridge", *FIRST))
    with Store(db_path) as store:
        story_id, _ = store.add_story(site.url("/story"))

    def broken(body: bytes, ctype: str | None, url: str | None):  # noqa: ANN202
        raise RuntimeError("extractor bug")

    pool = CheckPool(local(db_path), workers=1)
    pool.checker.extractor = broken
    try:
        result = pool.submit_story(story_id).result(10)
    finally:
        pool.close()
    assert result.outcome == "error" and "extractor bug" in (result.error or "")
    with Store(db_path) as store:
        row = store.get_story(story_id)
        assert row["next_check_at"] > clock.iso()  # not refired on the next tick
        assert "internal error" in row["last_error"]


def test_dispatch_in_its_thread_does_not_share_the_resume_transaction(
    db_path: Path, site: LocalSite
) -> None:
    """resume runs in the caller's thread, dispatch in APScheduler's: with one shared sqlite
    connection, a dispatch during resume read resume's unfinished spread as if it were done."""
    site.set("/s", page("Bridge", *FIRST))
    with Store(db_path) as store:
        for n in range(3):
            store.add_story(site.url(f"/s?n={n}"), next_check_at="2000-01-01T00:00:00Z")
    scheduler: Scheduler
    seen: list[int] = []
    calls = 0

    def rng() -> float:  # called inside resume's write transaction, once per overdue story
        nonlocal calls
        calls += 1
        if calls == 3:  # two stories already moved to the future, not committed yet
            worker = threading.Thread(target=lambda: seen.append(scheduler.dispatch()))
            worker.start()
            worker.join(10)
        return 0.5

    scheduler = Scheduler(local(db_path, workers=1), tick=3600, rng=rng)
    try:
        assert scheduler.resume() == 3
        assert seen == [2]  # all three were still due as far as anyone else could see
        wait_for(lambda: scheduler.busy() == 0)
    finally:
        scheduler.stop()


def test_extraction_processes_stop_a_page_that_runs_over_its_budget(
    db_path: Path, site: LocalSite
) -> None:
    """The hostile page fails with a reason; pages queued behind it at the same moment are
    read by the fresh processes, not blamed for its time."""
    site.set("/slow", slow_page())
    for n in range(3):
        site.set(f"/story{n}", page(f"Bridge {n}", *FIRST))
    with Store(db_path) as store:
        slow_id, _ = store.add_story(site.url("/slow"))
        ids = [store.add_story(site.url(f"/story{n}"))[0] for n in range(3)]
    # 3 s: a page read by a fresh process must fit in its budget on a loaded machine too
    settings = local(db_path).replace(extract_timeout=3.0)
    pool = CheckPool(settings, workers=4, extract_processes=1)
    try:
        slow = pool.submit_story(slow_id)
        time.sleep(0.2)  # the hostile page is being read; the others queue behind it
        others = [pool.submit_story(i) for i in ids]
        results = [f.result(30) for f in others]
        slow_result = slow.result(30)
    finally:
        pool.close()
    assert slow_result.outcome == "error" and "longer than 3 s" in (slow_result.error or "")
    assert [r.outcome for r in results] == ["new_version"] * 3, [r.error for r in results]
    with Store(db_path) as store:
        assert "longer than 3 s, so it was stopped" in store.get_story(slow_id)["last_error"]


def test_extract_timeout_has_a_ceiling() -> None:
    with pytest.raises(ConfigError, match="extract_timeout"):
        config.load(env={"TRACKER_EXTRACT_TIMEOUT": "1e11"})


def test_pages_sent_with_a_hostile_one_are_not_blamed_for_its_time(db_path: Path) -> None:
    """Sent in the same instant, the others' budgets run out a moment after the hostile page's:
    they were only waiting, so they are sent again to the fresh processes."""
    pool = CheckPool(local(db_path).replace(extract_timeout=1.0), extract_processes=1)
    normal = page("Bridge", *FIRST)
    try:
        with ThreadPoolExecutor(4) as threads:
            futures = [
                threads.submit(pool.extractors, body, "text/html", None)
                for body in (slow_page(), normal, normal, normal)
            ]
            outcomes = []
            for future in futures:
                try:
                    outcomes.append(future.result(30).title)
                except ExtractError as exc:
                    outcomes.append(str(exc))
    finally:
        pool.close()
    assert "longer than 1 s" in outcomes[0]
    assert outcomes[1:] == ["Bridge"] * 3


_HOLDS_A_POOL = """
import os, sys, time
from tracker.config import Settings
from tracker.extractors import Extractors
pool = Extractors(Settings(), 2)
pool(b"<html><body><p>Warm.</p></body></html>", "text/html", None)
print(" ".join(str(p.pid) for p in pool._current()._processes.values()), flush=True)
time.sleep(600)
"""


def test_extraction_processes_leave_with_a_tracker_killed_outright() -> None:
    """kill -9 cannot shut a pool down: its processes (each ~100 MB of extraction code) must not
    wait for pages forever, nor keep their forkserver alive."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDS_A_POOL], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert pids and all(_running(p) for p in pids)
    proc.kill()
    proc.wait()
    wait_for(lambda: not any(_running(p) for p in pids), timeout=20)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_process_given_the_dead_trackers_pid_is_not_taken_for_it() -> None:
    """The watch compares the start time too: a pid reused by a later process is not the
    tracker that made the extraction processes."""
    from tracker.extractors import _alive, _started

    me = os.getpid()
    born = _started(me)
    assert born is not None and _alive(me, born)
    assert not _alive(me, str(int(born) + 1))


_STOPS_ON_CTRL_C = """
import sys, time
from tracker.config import Settings
from tracker.extractors import Extractors
pool = Extractors(Settings(), 2)
pool(b"<html><body><p>Warm.</p></body></html>", "text/html", None)
try:
    print("ready", flush=True)
    time.sleep(600)
except KeyboardInterrupt:
    pool.close()
    print("stopped", file=sys.stderr)
"""


def test_ctrl_c_stops_the_tracker_without_a_traceback_per_extraction_process() -> None:
    """A terminal's Ctrl-C goes to the whole process group, extraction processes included: they
    leave the stopping to the tracker instead of each printing a KeyboardInterrupt."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _STOPS_ON_CTRL_C],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    os.killpg(proc.pid, signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert "stopped" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
