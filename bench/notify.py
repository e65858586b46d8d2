"""One change fanned out to 1,000 webhook subscriptions on a local receiver.

    python3 bench/notify.py [--subs 1000] [--runs 3] [--workers 8]

Each run builds a fresh database with one story and SUBS signed-webhook subscriptions to a
receiver on 127.0.0.1, records one change (which queues SUBS deliveries in its transaction), then
drains the outbox with `deliver_due`. Prints the median over runs of: deliveries per second, time
to drain, and how late the scheduler's jobs ran meanwhile: a real `tracker.schedule.Scheduler`
runs its dispatcher and a probe job every 100 ms (as the outbox job runs in `tracker run`), so
the figure says how much a delivery run starves scheduled checks of the GIL and CPU.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from notify_support import Hook  # noqa: E402

from tracker.config import Settings  # noqa: E402
from tracker.document import Document  # noqa: E402
from tracker.notify.outbox import deliver_due  # noqa: E402
from tracker.record import record  # noqa: E402
from tracker.schedule import Scheduler  # noqa: E402
from tracker.store import Store  # noqa: E402

SECRET = "bench-secret-0123456789"
TICK = 0.1


class Lateness:
    """A real `tracker.schedule.Scheduler` (dispatcher running) with a periodic probe job due
    every TICK seconds, as the outbox job is in `tracker run`; records how late each run started."""

    def __init__(self, settings: Settings) -> None:
        self.late: list[float] = []
        self.kind = "tracker.schedule.Scheduler periodic job, dispatcher running"
        self.scheduler = Scheduler(settings, tick=TICK)
        self._expected: float | None = None

    def _probe(self) -> None:
        now = time.perf_counter()
        if self._expected is not None:
            self.late.append(max(0.0, now - self._expected))
            self._expected += TICK
        else:
            self._expected = now + TICK

    def __enter__(self) -> Lateness:
        self.scheduler.add_periodic("probe", self._probe, TICK)
        self.scheduler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.scheduler.stop(wait=True)


def one_run(subs: int, workers: int, folder: Path, n: int) -> dict[str, float]:
    receiver = Hook(secret=SECRET).start()
    db = folder / f"bench-{n}.db"
    settings = Settings(
        db=str(db), allow_private=True, base_url="http://bench.test", read_timeout=10
    )
    store = Store(db)
    try:
        story_id, _ = store.add_story("https://news.example/bench", title="Bench")
        paragraphs = [
            f"Paragraph {i} of the story says something about the harbour." for i in range(30)
        ]
        record(store, story_id, Document(title="Bench", paragraphs=tuple(paragraphs)))
        for _ in range(subs):
            store.add_subscription(
                scope="all", channel="webhook", target=receiver.url(), secret=SECRET
            )
        paragraphs[3] = paragraphs[3].replace("something", "something new and important")
        start = time.perf_counter()
        done = record(store, story_id, Document(title="Bench", paragraphs=tuple(paragraphs)))
        queued_s = time.perf_counter() - start
        assert done.deliveries == subs, done
        with Lateness(settings) as lateness:
            start = time.perf_counter()
            report = deliver_due(store, settings, workers=workers)
            drain = time.perf_counter() - start
        bad = sum(not call.verified for call in receiver.calls)
        if report.sent != subs or bad or len(receiver.processed) != subs:
            raise SystemExit(f"run {n}: {report.to_json()} receiver bad={bad}")
        late = sorted(lateness.late) or [0.0]
        return {
            "queue_ms": queued_s * 1000,
            "drain_s": drain,
            "per_s": subs / drain,
            "late_p50_ms": statistics.median(late) * 1000,
            "late_max_ms": late[-1] * 1000,
            "kind": lateness.kind,
        }
    finally:
        store.close()
        receiver.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.runs):
            result = one_run(args.subs, args.workers, Path(tmp), n)
            results.append(result)
            print(
                f"run {n + 1}: {result['per_s']:.0f} deliveries/s, drained in "
                f"{result['drain_s']:.2f} s, periodic job late p50 {result['late_p50_ms']:.1f} ms "
                f"max {result['late_max_ms']:.1f} ms",
                flush=True,
            )

    def med(key: str) -> float:
        return statistics.median(r[key] for r in results)

    print(
        f"\n{args.subs} webhook subscriptions, {args.workers} workers, {args.runs} runs (medians):"
    )
    print(f"  queue the deliveries (in the change's transaction): {med('queue_ms'):.0f} ms")
    print(f"  deliveries per second:  {med('per_s'):.0f}")
    print(f"  time to drain:          {med('drain_s'):.2f} s")
    late = f"p50 {med('late_p50_ms'):.1f} ms, max {med('late_max_ms'):.1f} ms"
    print(f"  periodic job late by:   {late}")
    print(f"  ({results[0]['kind']})")


if __name__ == "__main__":
    main()
