"""Checks per second against a local site of 1,000 stories built from the corpus pages.

    python3 bench/checks.py [--stories 1000] [--runs 3] [--workers 8] [--processes 2]
                            [--scheduled 10000] [--skip-memory]

For each run and for conditional requests on and off: a fresh database of N stories, one full
pass (every page fetched and extracted), then 10% of the pages change and a second pass. Prints
per pass the median over runs of checks per second, CPU seconds per check (this process and its
extraction processes; the site is a separate process, as the internet would be) and peak RSS
(this process, and the extraction processes summed). Then the memory of `tracker run`'s
scheduler with `--scheduled` stories in the store, checking them against the same site for a
while.

The site runs on 127.0.0.1 in its own process. Every story lives on that one host, so the
per-host politeness limits are lifted for the benchmark (a real deployment spreads over sites).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from corpus import CORPUS  # noqa: E402

from tracker import clock  # noqa: E402
from tracker.config import Settings  # noqa: E402
from tracker.schedule import CheckPool, Scheduler  # noqa: E402
from tracker.store import Store  # noqa: E402

PAGES = CORPUS / "html"
TICK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- the site


def _pages(count: int) -> list[bytes]:
    """`count` distinct pages: corpus page i % 181 with a line naming story i in its body."""
    sources = [gzip.decompress(p.read_bytes()) for p in sorted(PAGES.glob("*.html.gz"))]
    pages = []
    for i in range(count):
        html = sources[i % len(sources)]
        pages.append(_insert(html, f"Story number {i} of the storydiff benchmark."))
    return pages


def _insert(html: bytes, sentence: str) -> bytes:
    """Add a sentence to the middle paragraph of the page (inside the article, usually)."""
    marks = [m.start() for m in re.finditer(rb"</p>", html, re.IGNORECASE)]
    if not marks:
        return html.replace(b"</body>", f"<p>{sentence}</p></body>".encode(), 1)
    at = marks[len(marks) // 2]
    return html[:at] + f" {sentence}".encode() + html[at:]


def serve_site(count: int, port_out: multiprocessing.Queue, changes: multiprocessing.Queue) -> None:
    """The site process: /s/N serves story N % count with an ETag; a message on `changes`
    (a fraction) rewrites that share of the stories."""
    pages = _pages(count)
    tags = [hashlib.sha1(p).hexdigest() for p in pages]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            try:
                n = int(self.path.rsplit("/", 1)[-1]) % count
            except ValueError:
                n = -1
            if n < 0:
                self._send(404, b"")
                return
            with lock:
                body, tag = pages[n], f'"{tags[n]}"'
            if self.headers.get("If-None-Match") == tag:
                self._send(304, b"", tag)
            else:
                self._send(200, body, tag)

        def _send(self, status: int, body: bytes, tag: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if tag:
                self.send_header("ETag", tag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port_out.put(server.server_address[1])
    edition = 0
    while True:
        share = changes.get()
        if share is None:
            break
        edition += 1
        with lock:
            for n in range(0, count, max(1, round(1 / share))):
                pages[n] = _insert(pages[n], f"Update {edition}: the council confirmed it.")
                tags[n] = hashlib.sha1(pages[n]).hexdigest()
        port_out.put("changed")
    server.shutdown()


# --------------------------------------------------------------------------- measuring


def _descendants(root: int, exclude: set[int]) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == pid and p not in exclude]
        found += kids
        frontier += kids
    return found


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _reset_peak(pid: int) -> None:
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


class Meter:
    """CPU seconds and peak RSS of this process and its helpers (not the site) over a block."""

    def __init__(self, site_pid: int) -> None:
        self.site = site_pid

    def helpers(self) -> list[int]:
        return _descendants(os.getpid(), {self.site})

    def __enter__(self) -> Meter:
        self.pids = [os.getpid(), *self.helpers()]
        for pid in self.pids:
            _reset_peak(pid)
        self.cpu0 = {pid: _cpu(pid) for pid in self.pids}
        self.site0 = _cpu(self.site)
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        pids = [os.getpid(), *self.helpers()]
        self.cpu = sum(_cpu(p) - self.cpu0.get(p, 0.0) for p in pids)
        self.cpu_main = _cpu(pids[0]) - self.cpu0[pids[0]]
        self.cpu_site = _cpu(self.site) - self.site0
        self.rss_main = _hwm_mb(os.getpid())
        self.rss_helpers = sum(_hwm_mb(p) for p in pids[1:])


# --------------------------------------------------------------------------- the passes


def settings_for(db: str, workers: int) -> Settings:
    return Settings(
        db=db,
        allow_hosts=("127.0.0.1",),
        respect_robots=False,
        per_host_gap=0.0,
        per_host_concurrency=workers,
        workers=workers,
        retries=0,
    )


def one_run(args: argparse.Namespace, conditional: bool, site: tuple) -> list[dict]:
    port, site_pid, ports, changes = site
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        settings = settings_for(db, args.workers)
        with Store(db) as store, store.write():
            for i in range(args.stories):
                store.add_story(f"http://127.0.0.1:{port}/s/{i}")
        pool = CheckPool(settings, extract_processes=args.processes, conditional=conditional)
        try:
            pool.submit_story(1).result()  # warm up: threads, processes, connections
            ids = list(range(2, args.stories + 1))
            for name in ("first", "second"):
                if name == "second":
                    changes.put(0.1)
                    ports.get()
                with Meter(site_pid) as meter:
                    results = [f.result() for f in [pool.submit_story(i) for i in ids]]
                outcomes = Counter(r.outcome for r in results)
                rows.append(
                    {
                        "pass": name,
                        "conditional": conditional,
                        "checks_s": len(ids) / meter.wall,
                        "cpu_ms": meter.cpu / len(ids) * 1000,
                        "main_ms": meter.cpu_main / len(ids) * 1000,
                        "site_ms": meter.cpu_site / len(ids) * 1000,
                        "rss_main": meter.rss_main,
                        "rss_helpers": meter.rss_helpers,
                        "outcomes": dict(outcomes),
                    }
                )
        finally:
            pool.close()
    return rows


def memory_scheduled(args: argparse.Namespace, site: tuple) -> dict:
    """Peak RSS of a running Scheduler with `--scheduled` stories in its store."""
    port, site_pid, _, _ = site
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "scheduled.db")
        with Store(db) as store, store.write():
            for i in range(args.scheduled):
                store.add_story(f"http://127.0.0.1:{port}/s/{i}", now=clock.iso())
        settings = settings_for(db, args.workers)
        with Meter(site_pid) as meter:
            scheduler = Scheduler(settings, tick=0.5, extract_processes=args.processes)
            spread = scheduler.start()
            time.sleep(args.memory_seconds)
            scheduler.stop()
        with Store(db) as store:
            checked = store.db.execute("SELECT count(*) FROM checks").fetchone()[0]
    return {
        "stories": args.scheduled,
        "spread": spread,
        "checked": checked,
        "seconds": args.memory_seconds,
        "rss_main": meter.rss_main,
        "rss_helpers": meter.rss_helpers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--processes", type=int, default=2, help="extraction processes")
    parser.add_argument("--scheduled", type=int, default=10_000)
    parser.add_argument("--memory-seconds", type=float, default=20.0)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    ports, changes = ctx.Queue(), ctx.Queue()
    proc = ctx.Process(target=serve_site, args=(args.stories, ports, changes), daemon=True)
    proc.start()
    port = ports.get(timeout=120)
    site = (port, proc.pid, ports, changes)
    print(
        f"{args.stories} stories, {args.workers} check threads, {args.processes} extraction "
        f"processes, {os.cpu_count()} CPUs, median of {args.runs} runs"
    )
    try:
        for conditional in (True, False):
            runs = [one_run(args, conditional, site) for _ in range(args.runs)]
            for index in range(2):
                rows = [r[index] for r in runs]
                print(
                    f"conditional {'on ' if conditional else 'off'}  {rows[0]['pass']:<6} pass: "
                    f"{statistics.median(r['checks_s'] for r in rows):7.1f} checks/s  "
                    f"{statistics.median(r['cpu_ms'] for r in rows):6.2f} CPU ms/check "
                    f"({statistics.median(r['main_ms'] for r in rows):5.2f} in the main process; "
                    f"the site {statistics.median(r['site_ms'] for r in rows):4.2f})  "
                    f"peak RSS {statistics.median(r['rss_main'] for r in rows):5.0f} MB main + "
                    f"{statistics.median(r['rss_helpers'] for r in rows):5.0f} MB extractors  "
                    f"{rows[-1]['outcomes']}"
                )
        if not args.skip_memory:
            mem = memory_scheduled(args, site)
            print(
                f"scheduler with {mem['stories']} stories ({mem['spread']} spread on start, "
                f"{mem['checked']} checked in {mem['seconds']:.0f} s): peak RSS "
                f"{mem['rss_main']:.0f} MB main + {mem['rss_helpers']:.0f} MB extractors"
            )
    finally:
        changes.put(None)
        proc.join(10)


if __name__ == "__main__":
    main()
