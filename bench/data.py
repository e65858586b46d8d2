"""Bulk add and export throughput, and the exports' peak memory, at 100,000 versions.

    python3 bench/data.py [--versions 100000] [--stories 1000] [--urls 10000] [--runs 3]

Bulk add: `add_entries` (what `tracker add -` and `tracker import` run) of `--urls` new URLs
into a fresh database, then the same URLs again (all already tracked). Exports: a database of
`--stories` stories with `--versions` versions in all (texts of ~1 KB, each version one edit of
the previous; a tenth with a raw page), written once with `Store.load_history`; then each
export (`jsonl`, `git`, `warc`) runs in its own process, which reports its CPU time (git's
included) and peak RSS, once at a tenth of the versions and once
at all of them: memory that stays flat between the two is what "bounded" means. Prints the
median over runs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker import clock  # noqa: E402
from tracker.document import Document  # noqa: E402
from tracker.imports.common import Entry, add_entries  # noqa: E402
from tracker.store import Store  # noqa: E402

WORDS = [
    "council",
    "harbour",
    "bridge",
    "repairs",
    "spring",
    "winter",
    "engineers",
    "months",
    "million",
    "euros",
    "ferry",
    "minutes",
    "closed",
    "residents",
    "mayor",
    "budget",
    "vote",
    "tuesday",
    "statement",
    "spokesman",
    "police",
    "coast",
    "storm",
    "report",
]

START = datetime(2015, 1, 1, tzinfo=UTC)


def bench_add(urls: int, runs: int) -> None:
    firsts, agains = [], []
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            entries = [Entry(f"https://news{n % 50}.example/{run}/story/{n}") for n in range(urls)]
            with Store(Path(tmp) / "t.db") as store:
                start = time.perf_counter()
                add_entries(store, entries)
                firsts.append(time.perf_counter() - start)
                start = time.perf_counter()
                add_entries(store, entries)
                agains.append(time.perf_counter() - start)
    first, again = statistics.median(firsts), statistics.median(agains)
    print(f"bulk add, {urls} new URLs:        {first:6.2f} s  {urls / first:9.0f} URLs/s")
    print(f"bulk add, {urls} already tracked: {again:6.2f} s  {urls / again:9.0f} URLs/s")


def _text(rng: random.Random) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(30)) + "." for _ in range(5)]


def build(path: Path, stories: int, versions: int) -> None:
    """Each story's whole history through `Store.load_history` (packed in one pass, no change
    rows): the build is not what is measured, the exports are."""
    rng = random.Random(7)
    per_story = versions // stories
    with Store(path) as store:
        for s in range(stories):
            sid, _ = store.add_story(f"https://news.example/story/{s}")
            paragraphs = _text(rng)
            history = []
            for v in range(per_story):
                paragraphs[rng.randrange(len(paragraphs))] = " ".join(
                    rng.choice(WORDS) for _ in range(30)
                )
                doc = Document.build(title=f"Story {s}", paragraphs=list(paragraphs))
                seen = clock.iso(START + timedelta(hours=s * per_story + v))
                raw = doc.text.encode() if v % 10 == 0 else None
                history.append((doc, seen, raw, "text/plain" if raw else None))
            store.load_history(sid, history)


EXPORT = """
import resource, sys, time
from pathlib import Path
from tracker.store import Store
from tracker.exports import gitrepo, jsonl, warc
kind, db, out = sys.argv[1:4]
start = time.perf_counter()
with Store(db) as store:
    if kind == "jsonl":
        with open(out, "w") as handle:
            for line in jsonl.export(store):
                handle.write(line)
    elif kind == "git":
        gitrepo.export(store, Path(out))
    else:
        with open(out, "wb") as handle:
            warc.export(store, handle)
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
print(time.perf_counter() - start, cpu, me.ru_maxrss)
"""


def export_once(kind: str, db: Path, tmp: Path, run: int) -> tuple[float, float, int]:
    out = tmp / f"{kind}-{run}"
    done = subprocess.run(
        [sys.executable, "-c", EXPORT, kind, str(db), str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    seconds, cpu, rss = done.stdout.split()
    subprocess.run(["rm", "-rf", str(out)], check=True)
    return float(seconds), float(cpu), int(rss)


def bench_exports(stories: int, versions: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        for count in (versions // 10, versions):
            db = tmp_path / f"v{count}.db"
            start = time.perf_counter()
            build(db, max(1, stories * count // versions), count)
            size = db.stat().st_size / 2**20
            print(
                f"\n{count} versions ({size:.0f} MB), built in {time.perf_counter() - start:.0f} s"
            )
            for kind in ("jsonl", "git", "warc"):
                results = [export_once(kind, db, tmp_path, run) for run in range(runs)]
                seconds = statistics.median(r[0] for r in results)
                cpu = statistics.median(r[1] for r in results)
                rss = statistics.median(r[2] for r in results) / 1024
                print(
                    f"export {kind:5}: {seconds:7.2f} s  {count / seconds:9.0f} versions/s  "
                    f"(CPU {cpu:6.2f} s, git included)  peak RSS {rss:4.0f} MB"
                )


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--stories", type=int, default=1_000)
    parser.add_argument("--urls", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    bench_add(args.urls, args.runs)
    bench_exports(args.stories, args.versions, args.runs)


if __name__ == "__main__":
    main()
