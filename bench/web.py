"""The web site's speed with 10,000 stories and one story of 50 article-size versions.

    python3 bench/web.py [--runs 30] [--stories 10000] [--seconds 10] [--keep DB]

Prints the median server time (Flask test client, no network) of the story list, the story page
and the diff page (uncached and from the diff cache), then requests/s for the diff page served by
`tracker serve` (waitress, 4 threads) in its own process, measured with `wrk` (or `ab`) from a
third process on 127.0.0.1. Bars: < 20 ms list and story page, < 30 ms diff page, >= 300 req/s,
< 50 ms status page and /metrics, < 5 ms a live-update poll answered 304 Not Modified.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from servers import free_port  # noqa: E402

from tracker import clock  # noqa: E402
from tracker.config import Settings  # noqa: E402
from tracker.document import Document  # noqa: E402
from tracker.record import record  # noqa: E402
from tracker.store import Store  # noqa: E402
from web import create_app  # noqa: E402

_TEXT = (
    "council budget minister vote report city police said on Tuesday after the meeting with "
    "officials who declined to comment further about plans for the new hospital and schools"
)
WORDS = _TEXT.split()


def sentence(rng: random.Random, n: int = 14) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def article(rng: random.Random, paragraphs: int = 22) -> list[str]:
    """About 900 words: a typical news article."""
    return [" ".join(sentence(rng) for _ in range(3)) for _ in range(paragraphs)]


def build(db: Path, stories: int) -> tuple[int, int]:
    """Fill `db`; returns (id of the 50-version story, its version count)."""
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with Store(db) as store, store.write():
        for i in range(stories):
            url = f"https://site{i % 40}.example/news/{i}"
            sid, _ = store.add_story(
                url, site=f"site{i % 40}.example", now=clock.iso(start + timedelta(minutes=i))
            )
            doc = Document.build(title=f"Story {i}", paragraphs=[sentence(rng, 30)])
            store.record_version(sid, doc, fetched_at=clock.iso(start + timedelta(minutes=i)))
    with Store(db) as store:
        sid, _ = store.add_story("https://big.example/long-story", site="big.example")
        paras = article(rng)
        for n in range(50):
            if n:
                for _ in range(3):  # edit a few words in three paragraphs, add or drop one
                    j = rng.randrange(len(paras))
                    words = paras[j].split()
                    words[rng.randrange(len(words))] = rng.choice(WORDS)
                    paras[j] = " ".join(words)
                if n % 5 == 0:
                    paras.insert(rng.randrange(len(paras)), sentence(rng, 25))
            doc = Document.build(title=f"Long story, take {n // 10 + 1}", paragraphs=paras)
            record(store, sid, doc, fetched_at=clock.iso(start + timedelta(days=30, hours=n)))
        return sid, 50


def median_ms(client, path: str, runs: int, status: int = 200) -> float:  # noqa: ANN001
    """Median time of GET `path`; for status 304, each request sends the ETag first served."""
    headers = {}
    if status == 304:
        headers["If-None-Match"] = client.get(path).headers["ETag"]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(path, headers=headers)
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == status, (path, r.status_code)
    return statistics.median(times)


def load_test(db: Path, path: str, seconds: int) -> tuple[str, float | None]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tracker",
            "--db",
            str(db),
            "serve",
            "--port",
            str(port),
            "--threads",
            "4",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}{path}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        if shutil.which("wrk"):
            cmd = ["wrk", "-t2", "-c8", f"-d{seconds}s", url]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        elif shutil.which("ab"):
            cmd = ["ab", "-q", "-c", "8", "-t", str(seconds), "-n", "1000000", url]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            match = re.search(r"Requests per second:\s+([\d.]+)", out)
        else:
            return "neither wrk nor ab is installed (apt-get install wrk)", None
        return " ".join(cmd), float(match.group(1)) if match else None
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="build the database here and keep it")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="storydiff-bench-"))
    db = args.keep or folder / "bench.db"
    t = time.perf_counter()
    sid, count = build(db, args.stories)
    print(
        f"built {args.stories} stories + one of {count} versions in {time.perf_counter() - t:.1f} s"
    )
    settings = Settings(db=str(db))
    cold = create_app(
        {"DATABASE": str(db), "SETTINGS": settings, "DIFF_CACHE_SIZE": 0}
    ).test_client()
    warm = create_app({"DATABASE": str(db), "SETTINGS": settings}).test_client()
    diff = f"/stories/{sid}/diff/{count - 1}..{count}"
    wide = f"/stories/{sid}/diff/1..{count}"
    figures = [
        ("story list (page 1, 50 of 10k)", "/", cold, 20),
        ("story list, page 150, by title", "/?sort=title&page=150", cold, 20),
        ("story list, search", "/?q=hospital+council", cold, 20),
        ("story page (50 versions)", f"/stories/{sid}", cold, 20),
        ("diff page 49..50, uncached", diff, cold, 30),
        ("diff page 49..50, cached diff", diff, warm, 30),
        ("diff page 1..50, uncached", wide, cold, 30),
        ("diff page 1..50, cached diff", wide, warm, 30),
        ("status page", "/status", cold, 50),
        ("/metrics", "/metrics", cold, 50),
        ("live poll of the list, unchanged", "/live/stories", cold, 5),
        ("live poll of a story, unchanged", f"/live/stories/{sid}", cold, 5),
    ]
    print(f"median server time over {args.runs} requests (Flask test client):")
    for label, path, client, bar in figures:
        ms = median_ms(client, path, args.runs, 304 if path.startswith("/live/") else 200)
        print(f"  {label:34} {ms:7.2f} ms   (bar < {bar} ms: {'ok' if ms < bar else 'MISSED'})")
    for label, path in (("diff page 49..50", diff), ("story list", "/")):
        cmd, rps = load_test(db, path, args.seconds)
        shown = f"{rps:.0f} req/s" if rps is not None else "not measured"
        verdict = (
            ""
            if rps is None or "diff" not in label
            else (f"   (bar >= 300: {'ok' if rps >= 300 else 'MISSED'})")
        )
        print(f"  {label}: {shown}{verdict}\n    {cmd}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
