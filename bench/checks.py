"""Checks per second, as a user runs them: `tracker check --all` as a whole process.

    python3 bench/checks.py [--stories 500] [--runs 3] [--kinds small,corpus]
    python3 bench/checks.py --queue [--workers 1,2,4] [--latency 0.2] [--stories 400]

Default mode: for each kind of page (`small`: short article pages; `corpus`: the 181 real
article pages) and each run, a fresh database of N stories on a local site (a process of its
own, as the internet would be), then `tracker check --all --json` as a subprocess with default
settings (first pass: every page fetched and extracted), then 10% of the pages change and a
second pass (conditional requests: the rest answer 304). Prints the median over runs of checks
per second (the whole process: start-up, imports and extraction processes included) and CPU
per check (the command and its extraction processes; not the site), and checks that the
outcomes are exact: every story new on the first pass, exactly the changed ones on the second.

The only settings changed are the ones every benchmark on one host must change: 127.0.0.1 is
allowed and the per-host politeness limits (two at once, one second apart) are lifted, since
every story lives on that one host.

`--queue` (bench/queueing.py): the same passes through Redis and 1, 2 and 4 `tracker worker`
processes, against the site answering each page after `--latency` seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchsite import Site  # noqa: E402
from checking import KEEP, bench_env, fill, reap, subreaper  # noqa: E402


def cli_pass(db: str, extra: dict[str, str] | None = None) -> dict:
    """One `tracker check --all --json`: wall and CPU seconds (it and its children), outcomes."""
    reap()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "check", "--all", "--json"],
        env=bench_env(db, extra),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    reap()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"tracker check failed ({done.returncode}): {done.stderr[-2000:]}")
    summary = json.loads(done.stdout)["summary"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "summary": summary}


def one_run(kind: str, site: Site, stories: int, extra: dict[str, str] | None) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        fill(db, site, stories)
        first = cli_pass(db, extra)
        changed = site.change(0.1)
        second = cli_pass(db, extra)
    for name, row, expected in (("first", first, stories), ("second", second, changed)):
        found = row["summary"]["new_version"]
        rows.append(
            {
                "pass": name,
                "checks_s": stories / row["wall"],
                "cpu_ms": row["cpu"] / stories * 1000,
                "exact": found == expected and row["summary"]["error"] == 0,
                "summary": row["summary"],
            }
        )
    return rows


def report(kind: str, stories: int, runs: list[list[dict]], label: str = "") -> None:
    for index in range(2):
        rows = [r[index] for r in runs]
        exact = all(r["exact"] for r in rows)
        last = rows[-1]["summary"]
        print(
            f"{kind:<6} {label}{rows[0]['pass']:<6} pass: "
            f"{statistics.median(r['checks_s'] for r in rows):7.1f} checks/s  "
            f"{statistics.median(r['cpu_ms'] for r in rows):6.2f} CPU ms/check  "
            f"{'exact' if exact else 'NOT EXACT'} (new {last['new_version']}, "
            f"304 {last['not_modified']}, unchanged {last['unchanged']}, errors {last['error']})",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kinds", default="small,corpus")
    parser.add_argument(
        "--processes",
        default="",
        help="comma-separated TRACKER_EXTRACT_PROCESSES values to compare (default: the default)",
    )
    parser.add_argument("--queue", action="store_true", help="the queue mode (bench/queueing.py)")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    if args.queue:
        from queueing import main as queue_main

        subreaper()
        queue_main(args)
        return
    subreaper()
    print(
        f"tracker check --all on {args.stories} stories, whole process, {os.cpu_count()} CPUs, "
        f"median of {args.runs} runs",
        flush=True,
    )
    variants = [("", None)] + [
        (f"procs={p} ", {"TRACKER_EXTRACT_PROCESSES": p}) for p in args.processes.split(",") if p
    ]
    for kind in args.kinds.split(","):
        site = Site(args.stories, kind)
        KEEP.add(site.pid)
        try:
            for label, extra in variants:
                runs = [one_run(kind, site, args.stories, extra) for _ in range(args.runs)]
                report(kind, args.stories, runs, label)
        finally:
            site.close()


if __name__ == "__main__":
    main()
