"""`tracker worker`: take check jobs from Redis, fetch and read the page, send the result back.

A worker has no database: the job carries what the fetch needs (URL, validators, options) and
the result carries what the recorder writes. Pages are read in the machine's extraction
processes with the per-page budget; politeness per host is shared with every other worker.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from tracker.check import Checker
from tracker.config import Settings
from tracker.extractors import Extractors, process_count
from tracker.fetch import Fetcher
from tracker.queue import broker as qb
from tracker.queue import wire
from tracker.queue.politeness import RedisGate

log = logging.getLogger("storydiff.worker")


class CheckWorker:
    """Runs check jobs in `threads` Dramatiq worker threads until `stop()`."""

    def __init__(self, settings: Settings, url: str, threads: int) -> None:
        self.settings = settings
        self.broker = qb.connect(url, settings)  # QueueUnavailable without the extra
        import dramatiq

        self.gate = RedisGate(self.broker.client, settings.per_host_concurrency)
        self.fetcher = Fetcher(settings, shared_gate=self.gate)
        processes = process_count(settings)
        self.extractors = Extractors(settings, processes) if processes > 0 else None
        self.checker = Checker(settings, fetcher=self.fetcher, extractor=self.extractors)
        qb.declare(self.broker, qb.CHECK_ACTOR, qb.CHECKS, self.run_job, settings)
        self.worker = dramatiq.Worker(
            self.broker, queues={qb.CHECKS}, worker_threads=threads, worker_timeout=500
        )
        self.done = 0
        self._lock = threading.Lock()

    def run_job(self, job: dict[str, Any]) -> None:
        """One job: observe the story's page and enqueue what was seen (then Dramatiq acks)."""
        started = time.monotonic()
        story = dict(job["story"])
        seen = self.checker.observe(story)
        qb.send(
            self.broker,
            qb.RESULTS,
            qb.RESULT_ACTOR,
            {
                "job": job,
                "seen": wire.observation_to_wire(seen),
                "seconds": round(time.monotonic() - started, 3),
            },
        )
        with self._lock:
            self.done += 1

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        """Finish the jobs in hand (their results are sent), give back the prefetched ones."""
        self.worker.stop()
        self.checker.close()
        if self.extractors is not None:
            self.extractors.close()
        self.broker.close()
