"""The queue mode of bench/checks.py: `tracker run --queue` and 1, 2, 4 `tracker worker`
processes on a local Redis, against the site answering every page after `--latency` seconds.

For each worker count and run: a fresh database of N stories, all due; the workers start (8
threads each) and say they are ready; then `tracker run --queue --no-web` starts, and the clock
runs until every story has its first version (first pass); then 10% of the pages change, every
story is made due again, and the clock runs until N more checks are logged (second pass).
Prints median checks per second and the workers' CPU per check. I/O-bound: one worker's 8
threads can do at most 8 / latency checks per second, so workers must add up.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchsite import Site
from checking import KEEP, bench_env, children, fill, reap

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from queue_support import redis_server  # noqa: E402

from tracker import clock  # noqa: E402
from tracker.store import Store  # noqa: E402

THREADS = 8


def _start(db: str, log: Path, url: str, *args: str) -> subprocess.Popen:
    env = bench_env(db, {"TRACKER_QUEUE": url})
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tracker", *args], env=env, stdout=out, stderr=out
        )


def _wait(condition, timeout: float = 600) -> None:  # noqa: ANN001
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise SystemExit("the queue benchmark timed out")
        time.sleep(0.02)


def one_run(site: Site, stories: int, workers: int, url: str) -> dict:
    import redis

    redis.Redis.from_url(url).flushall()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        fill(db, site, stories)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        procs = [
            _start(db, Path(tmp) / f"w{i}.log", url, "worker", "--threads", str(THREADS))
            for i in range(workers)
        ]
        logs = [Path(tmp) / f"w{i}.log" for i in range(workers)]
        _wait(lambda: all("ready" in log.read_text() for log in logs), 120)
        store = Store(db)
        started = time.perf_counter()
        run = _start(db, Path(tmp) / "run.log", url, "run", "--no-web")
        count = "SELECT count(*) FROM checks"
        _wait(lambda: store.db.execute(count).fetchone()[0] >= stories)
        first = time.perf_counter() - started
        changed = site.change(0.1)
        with store.write():
            store.db.execute("UPDATE stories SET next_check_at = ?", [clock.iso()])
        started = time.perf_counter()
        _wait(lambda: store.db.execute(count).fetchone()[0] >= 2 * stories)
        second = time.perf_counter() - started
        new = store.db.execute("SELECT count(*) FROM versions").fetchone()[0] - stories
        store.close()
        for proc in [run, *procs]:
            proc.terminate()
        for proc in [run, *procs]:
            proc.wait(60)
        reap()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "first": stories / first,
        "second": stories / second,
        "cpu_ms": cpu / (2 * stories) * 1000,
        "exact": new == changed,
    }


def main(args: argparse.Namespace) -> None:
    stories = args.stories if args.stories != 500 else 400
    print(
        f"queue mode: {stories} stories, site latency {args.latency * 1000:.0f} ms, "
        f"{THREADS} threads per worker, median of {args.runs} runs",
        flush=True,
    )
    site = Site(stories, "small", latency=args.latency)
    KEEP.add(site.pid)
    try:
        with tempfile.TemporaryDirectory() as folder, redis_server(Path(folder)) as url:
            KEEP.update(p for p in children())
            for workers in [int(w) for w in args.workers.split(",")]:
                rows = [one_run(site, stories, workers, url) for _ in range(args.runs)]
                print(
                    f"{workers} worker{'s' if workers > 1 else ' '}: "
                    f"first pass {statistics.median(r['first'] for r in rows):6.1f} checks/s, "
                    f"second pass {statistics.median(r['second'] for r in rows):6.1f} checks/s, "
                    f"{statistics.median(r['cpu_ms'] for r in rows):5.2f} CPU ms/check "
                    f"(run + workers), {'exact' if all(r['exact'] for r in rows) else 'NOT EXACT'}",
                    flush=True,
                )
    finally:
        site.close()
