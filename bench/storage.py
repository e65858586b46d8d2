"""Storage: bytes per version against git, reading any version, the diff page, search at 50,000.

    python3 bench/storage.py                  # everything (a few minutes)
    python3 bench/storage.py --runs 9         # more runs per timing
    python3 bench/storage.py --parts search   # only the 50,000-version search part

0. Layouts. The version bodies alone, in each layout weighed for docs/SCHEMA.md.
1. Size. The corpus articles with realistic edit histories (tests/edits.py: 12 versions each)
   are recorded through `tracker.record.record` (diff, summary, change rows: what a user's file
   holds), round by round (every story's version 1, then every story's version 2...), as a
   tracker checking all its stories sees them: half the stories, then the other half, so the
   file's growth over the second half shows the cost per version without the fixed costs (the
   schema, empty tables). The file is measured after a WAL checkpoint (no VACUUM), beside `git
   gc --aggressive` of the same texts (headline + body, one file per story) built in the same
   run, with one commit per version (as a git scraper keeps it) and with one commit per round
   of edits. The raw page archive (the real corpus page with each version's text in it) is
   measured by loading the histories with and without pages, against release 10's zlib.
2. Reading. The 50th version of a ~3,000-word story (60 versions), and every version of it:
   medians of `Store.get_version`, against reading the newest (plain, as release 10 read every
   version). The diff page (Flask test client, each pair requested once so nothing is cached)
   for pairs among the newest versions and among the oldest.
3. Search at 50,000 versions (5,000 stories x 10 versions, loaded with `Store.load_history`):
   common and rare phrases, prefixes, operators (three queries with NOT, one of 20 common
   words), queries of up to 20 common prefixes with OR, AND and NOT (PREFIX_QUERIES), a
   site, a later page: median and worst of `--runs` runs each, each asking for PAGE
   results as the site and the API do for their default page of 50 (`web/listing.py` asks for
   one more to know whether a next page exists).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from corpus import corpus_page  # noqa: E402
from edits import Version, article_keys, history  # noqa: E402

from tracker.config import Settings  # noqa: E402
from tracker.document import Document  # noqa: E402
from tracker.record import record  # noqa: E402
from tracker.store import Store  # noqa: E402
from web import create_app  # noqa: E402


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, worst) milliseconds of `runs` calls."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def row(name: str, median: float, worst: float) -> None:
    print(f"| {name} | {median:.3f} | {worst:.3f} |")


def page_with(key: str, version: Version) -> bytes:
    """The corpus page as served, with this version's headline and body in it."""
    page = corpus_page(key)
    body = "".join(f"<p>{p}</p>" for p in version.paragraphs).encode()
    at = page.find(b"<body")
    at = page.find(b">", at) + 1 if at >= 0 else 0
    return page[:at] + f"<h1>{version.title}</h1>".encode() + body + page[at:]


def file_size(path: Path) -> int:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path.stat().st_size


def table_bytes(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    conn.close()
    groups: dict[str, int] = {}
    for name, size in rows:
        group = (
            "search index"
            if name.startswith("versions_search")
            else "versions"
            if name.startswith(("version", "sqlite_autoindex_version"))
            else "changes"
            if "changes" in name
            else "the rest"
        )
        groups[group] = groups.get(group, 0) + size
    return groups


def git_pack(histories: dict[str, list[Version]], per_version: bool, where: Path) -> int:
    """Bytes of the pack `git gc --aggressive` makes of these texts."""
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)

    def git(*args: str, data: bytes | None = None) -> None:
        subprocess.run(["git", *args], cwd=where, input=data, check=True, capture_output=True)

    git("init", "-q")
    names = {k: f"story{i}.txt" for i, k in enumerate(histories)}
    stream, when = [], 1_700_000_000
    rounds = max(map(len, histories.values()))
    for n in range(rounds):
        files = []
        for key, versions in histories.items():
            if n < len(versions):
                text = f"{versions[n].title}\n\n{versions[n].text}\n".encode()
                files.append(
                    b"M 100644 inline %s\ndata %d\n%s\n" % (names[key].encode(), len(text), text)
                )
        groups = [[f] for f in files] if per_version else [files]
        for group in groups:
            when += 60
            message = b"version"
            stream.append(b"commit refs/heads/main\n")
            stream.append(b"committer bench <bench@example> %d +0000\n" % when)
            stream.append(b"data %d\n%s\n" % (len(message), message))
            stream.extend(group)
    git("fast-import", "--quiet", data=b"".join(stream))
    git("gc", "--aggressive", "--prune=now", "-q")
    pack = where / ".git" / "objects" / "pack"
    return sum(p.stat().st_size for p in pack.glob("*.pack"))


def size_part(tmp: Path) -> None:
    keys = article_keys()
    histories = {k: history(k, 12) for k in keys}
    count = sum(map(len, histories.values()))
    text_bytes = sum(len(v.text.encode()) for h in histories.values() for v in h)
    db = tmp / "corpus.db"
    halves = [dict(list(histories.items())[: len(keys) // 2]), {}]
    halves[1] = {k: v for k, v in histories.items() if k not in halves[0]}
    t = time.perf_counter()
    sizes = []
    for half in halves:  # the second half shows what the file grows by, without fixed costs
        with Store(db) as store:
            record_rounds(store, half)
        sizes.append(file_size(db))
    build_s = time.perf_counter() - t
    size = sizes[-1]
    groups = table_bytes(db)
    per_version = git_pack(histories, True, tmp / "git-versions")
    per_round = git_pack(histories, False, tmp / "git-rounds")
    first_half = git_pack(halves[0], True, tmp / "git-half")
    second = sum(map(len, halves[1].values()))
    print(f"## Size: {len(keys)} corpus articles, {count} versions ({build_s:.0f} s to record)\n")
    print(f"text: {text_bytes / count:,.0f} bytes a version (headline not counted)\n")
    print("| what | bytes per version | vs git (commit per version) | vs git (per round) |")
    print("| --- | ---: | ---: | ---: |")

    def line(name: str, value: int) -> None:
        print(
            f"| {name} | {value / count:,.0f} | {value / per_version:.2f} | "
            f"{value / per_round:.2f} |"
        )

    line("git gc --aggressive, one commit per version", per_version)
    line("git gc --aggressive, one commit per round of edits", per_round)
    line("**storydiff database file** (checkpointed)", size)
    for name in ("versions", "search index", "changes", "the rest"):
        line(f"  {name}", groups.get(name, 0))
    line("  versions + search index (the texts)", groups["versions"] + groups["search index"])
    grows, git_grows = (sizes[1] - sizes[0]) / second, (per_version - first_half) / second
    print(
        f"| **file growth per version**, second half of the stories (fixed costs left out) | "
        f"{grows:,.0f} | {grows / git_grows:.2f} (git grows by {git_grows:,.0f}) | |"
    )
    print()
    archive_part(tmp, histories, count)


def record_rounds(store: Store, histories: dict[str, list[Version]]) -> None:
    """Record the histories round by round (every story's version 1, then 2...), as a tracker
    checking every story sees them: diff, summary and change rows, as a user's file holds."""
    ids = {
        key: store.add_story(f"https://news{i % 20}.example/{key[:16]}")[0]
        for i, key in enumerate(histories)
    }
    rounds = max(map(len, histories.values()), default=0)
    for n in range(rounds):
        for i, (key, versions) in enumerate(histories.items()):
            if n < len(versions):
                version = versions[n]
                doc = Document.build(title=version.title, paragraphs=list(version.paragraphs))
                at = f"2024-01-{1 + n:02d}T{i % 24:02d}:00:00Z"
                record(store, ids[key], doc, fetched_at=at)


def candidates_part() -> None:
    """The layouts weighed for version bodies (docs/SCHEMA.md): bytes of the bodies alone."""
    import zstandard

    from tracker.store.packing import pack

    histories = [[v.text.encode() for v in history(k, 12)] for k in article_keys()]
    count = sum(map(len, histories))

    def each(compress: Callable[[bytes], bytes]) -> int:
        return sum(len(compress(t)) for h in histories for t in h)

    def forward(keyframe_every: int) -> int:
        total = 0
        for h in histories:
            total += len(h[-1])
            for i, t in enumerate(h[:-1]):
                base = None if i % keyframe_every == 0 else h[i - 1]
                total += len(pack(t, base, 9))
        return total

    def reverse() -> int:
        return sum(
            len(h[-1]) + sum(len(pack(t, h[i + 1], 9)) for i, t in enumerate(h[:-1]))
            for h in histories
        )

    level19 = zstandard.ZstdCompressor(level=19)
    print(f"## Layouts for version bodies ({count} versions of {len(histories)} articles)\n")
    print("| layout | bytes per version |")
    print("| --- | ---: |")
    print(f"| plain text | {each(lambda t: t) / count:,.0f} |")
    print(f"| zlib, each version alone | {each(lambda t: zlib.compress(t, 6)) / count:,.0f} |")
    print(f"| zstd 19, each version alone | {each(level19.compress) / count:,.0f} |")
    print(f"| forward deltas, keyframe every 16, newest plain | {forward(16) / count:,.0f} |")
    print(f"| reverse deltas, newest plain (chosen) | {reverse() / count:,.0f} |")
    print(f"| of which the newest plain | {sum(len(h[-1]) for h in histories) / count:,.0f} |\n")


def archive_part(tmp: Path, histories: dict[str, list[Version]], count: int) -> None:
    """The raw page archive: the same histories loaded with and without their pages."""
    sizes, payload, fetched, zlibbed = [], 0, 0, 0
    for with_pages in (False, True):
        db = tmp / f"pages-{with_pages}.db"
        with Store(db) as store:
            for i, (key, versions) in enumerate(histories.items()):
                story_id, _ = store.add_story(f"https://news.example/{i}")
                loaded = []
                for n, version in enumerate(versions):
                    page = page_with(key, version) if with_pages else None
                    if page:
                        fetched += len(page)
                        zlibbed += len(zlib.compress(page, 6))
                    doc = Document.build(title=version.title, paragraphs=list(version.paragraphs))
                    loaded.append((doc, f"2024-01-{1 + n:02d}T00:00:00Z", page, "text/html"))
                store.load_history(story_id, loaded)
            payload = store.conn.execute("SELECT sum(length(raw)) FROM versions").fetchone()[0]
        sizes.append(file_size(db))
    print("| raw page archive (TRACKER_ARCHIVE_RAW) | bytes per version |")
    print("| --- | ---: |")
    print(f"| pages as fetched | {fetched / count:,.0f} |")
    print(f"| zlib each (release 10) | {zlibbed / count:,.0f} |")
    print(f"| zstd reverse deltas: frames | {(payload or 0) / count:,.0f} |")
    print(f"| zstd reverse deltas: file grows by | {(sizes[1] - sizes[0]) / count:,.0f} |\n")


def read_part(tmp: Path, runs: int) -> None:
    keys = article_keys()
    key = min(keys, key=lambda k: abs(len(history(k, 60)[49].text.split()) - 3000))
    versions = history(key, 60)
    words = len(versions[49].text.split())
    db = tmp / "read.db"
    with Store(db) as store:
        story_id, _ = store.add_story("https://news.example/long")
        for n, version in enumerate(versions):
            doc = Document.build(title=version.title, paragraphs=list(version.paragraphs))
            at = f"2024-02-01T{n // 60:02d}:{n % 60:02d}:00Z"
            record(
                store,
                story_id,
                doc,
                fetched_at=at,
                raw=page_with(key, version),
                raw_type="text/html",
            )
        print(f"## Reading: a {words:,}-word story with {len(versions)} versions\n")
        print("| read | median ms | worst ms |")
        print("| --- | ---: | ---: |")
        newest = timed(lambda: store.get_version(story_id, 60), runs * 20)
        row("newest version (plain, as release 10 read every version)", *newest)
        fiftieth = timed(lambda: store.get_version(story_id, 50), runs * 20)
        print(f"| version 50 | {fiftieth[0]:.3f} | {fiftieth[1]:.3f} |")
        every = [timed(lambda n=n: store.get_version(story_id, n), runs)[0] for n in range(1, 61)]
        row(
            "each version 1-60 (median of medians / worst median)",
            statistics.median(every),
            max(every),
        )
        raw = timed(lambda: store.raw_page(story_id, 50), runs * 4)
        print(f"| archived page of version 50 | {raw[0]:.3f} | {raw[1]:.3f} |")
        listed = timed(lambda: store.list_versions(story_id, with_text=True), runs * 4)
        print(
            f"| all 60 versions with text (list_versions) | {listed[0]:.3f} | {listed[1]:.3f} |\n"
        )
    app = create_app({"DATABASE": str(db), "SETTINGS": Settings(db=str(db)), "TESTING": True})
    client = app.test_client()

    def page(a: int, b: int) -> None:
        assert client.get(f"/stories/{story_id}/diff/{a}..{b}").status_code == 200

    print("| diff page (uncached) | median ms | worst ms |")
    print("| --- | ---: | ---: |")
    for name, pairs in (
        ("two of the newest versions", [(n, 60) for n in range(59, 59 - runs * 2, -1)]),
        ("two of the oldest versions", [(n, n + 1) for n in range(1, 1 + runs * 2)]),
    ):
        times = [timed(lambda a=a, b=b: page(a, b), 1)[0] for a, b in pairs]
        print(f"| {name} | {statistics.median(times):.1f} | {max(times):.1f} |")
    print()


COSTLY = "the* con* pro* com* for* sta* and* tha* int* thi* pre* wit* pla* per* you* dis* "
COSTLY += "res* was* not* new*"
"""The 3-letter prefixes costliest for FTS5 to expand in this index (most rows under them)."""
PREFIX_QUERIES = {
    "8 prefixes OR, NOT 2 words": "gov* OR pol* OR sta* OR pre* OR com* OR con* OR ban* OR "
    "mar* NOT war NOT the",
    "5 prefixes OR, NOT 15 common words": "gov* OR pol* OR sta* OR pre* OR com* NOT the NOT a "
    "NOT in NOT of NOT to NOT and NOT said NOT on NOT for NOT is NOT was NOT with NOT at NOT "
    "by NOT it",
    "20 prefixes (5 OR, NOT 15)": "gov* OR pol* OR sta* OR pre* OR com* NOT con* NOT ban* NOT "
    "mar* NOT the* NOT wor* NOT sai* NOT new* NOT off* NOT rep* NOT per* NOT pro* NOT res* "
    "NOT dis* NOT ind* NOT int*",
    "20 costliest prefixes (5 OR, NOT 15)": "the* OR con* OR pro* OR com* OR for* NOT sta* "
    "NOT and* NOT tha* NOT int* NOT thi* NOT pre* NOT wit* NOT pla* NOT per* NOT you* NOT dis* "
    "NOT res* NOT was* NOT not* NOT new*",
    "20 costliest prefixes, OR": COSTLY.replace(" ", " OR "),
    "20 costliest prefixes, AND": COSTLY,
    "prefixes NOT their own words (the* OR con* NOT the NOT con* NOT a)": "the* OR con* NOT "
    "the NOT con* NOT a",
    "1-2 letter prefixes are words (t* OR th* NOT a*)": "t* OR th* NOT a*",
}
"""Queries built to cost the most: FTS5 expands each prefix by reading every token under it."""

PAGE = 51
"""Results one timed search asks for: the site's and the API's default page (50), plus one."""


def search_part(tmp: Path, total: int, runs: int) -> None:
    keys = article_keys()
    per_story = 10
    db = tmp / "search.db"
    t = time.perf_counter()
    with Store(db) as store:
        for i in range(total // per_story):
            key = keys[i % len(keys)]
            story_id, _ = store.add_story(
                f"https://site{i % 50}.example/{i}", site=f"site{i % 50}.example"
            )
            store.load_history(
                story_id,
                [
                    (
                        Document.build(title=v.title, paragraphs=list(v.paragraphs)),
                        f"2024-03-{1 + n:02d}T00:{i % 60:02d}:00Z",
                        None,
                        None,
                    )
                    for n, v in enumerate(history(key, per_story, seed=i // len(keys)))
                ],
            )
        count = store.counts()["versions"]
    build_s = time.perf_counter() - t
    size = file_size(db)
    last = history(keys[7], per_story, seed=3)[-1].paragraphs[-1]
    rare = " ".join(re.split(r"(?<=[.!?])\s+", last)[0].split()[:8]).strip(".!?")
    queries = {
        "common word (the)": "the",
        "common phrase (said on)": '"said on"',
        "common words (in the city)": "in the city",
        "phrase of one article (its ~30 copies)": f'"{rare}"',
        "prefix (gov*)": "gov*",
        "operators (police OR army NOT war)": "police OR army NOT war",
        "operators (the NOT police)": "the NOT police",
        "operators, 20 common words (10 OR, 10 NOT)": "the OR a OR in OR of OR to OR and OR "
        "said OR on OR for OR is NOT was NOT with NOT at NOT by NOT it NOT he NOT as NOT from "
        "NOT that NOT be",
        **PREFIX_QUERIES,
        "absent word": "xylophonist",
    }
    print(f"## Search: {count:,} versions in {total // per_story:,} stories")
    print(f"(loaded in {build_s:.0f} s; file {size / count:,.0f} bytes a version)")
    print(f"(each search asks for {PAGE} results: the site's page of 50 and one more)\n")
    print("| query | results | median ms | worst ms |")
    print("| --- | ---: | ---: | ---: |")
    with Store(db) as store:
        for name, query in queries.items():
            found = len(store.search(query, limit=PAGE))
            median, worst = timed(lambda q=query: store.search(q, limit=PAGE), runs)
            print(f"| {name} | {found} | {median:.1f} | {worst:.1f} |")
        costly = PREFIX_QUERIES["20 costliest prefixes (5 OR, NOT 15)"]
        for name, query, kwargs in (
            ("common word, site filter", "the", {"site": "site7.example"}),
            ("common word, page 5", "the", {"offset": 200}),
            (
                "20 costliest prefixes (5 OR, NOT 15), site filter",
                costly,
                {"site": "site7.example"},
            ),
            ("20 costliest prefixes (5 OR, NOT 15), page 5", costly, {"offset": 200}),
        ):
            found = len(store.search(query, limit=PAGE, **kwargs))
            median, worst = timed(lambda q=query, k=kwargs: store.search(q, limit=PAGE, **k), runs)
            print(f"| {name} | {found} | {median:.1f} | {worst:.1f} |")
    flicker_part(tmp, runs)
    print()


def flicker_part(tmp: Path, runs: int) -> None:
    """The worst page for finding where a phrase left: 20 live stories of 200 versions each
    (about 1,000 words), the phrase there every other three versions, so each story has 33
    entries and 33 exits to find (PROBE_LIMIT bounds what one search reads)."""
    sentence = "Breaking: the bridge will close for repairs on Monday."
    keys = article_keys()
    db = tmp / "flicker.db"
    with Store(db) as store:
        for s in range(20):
            paras = list(history(keys[s], 1)[0].paragraphs)
            story_id, _ = store.add_story(f"https://live{s}.example/blog")
            store.load_history(
                story_id,
                [
                    (
                        Document.build(
                            title="Live",
                            paragraphs=[
                                f"Update {n}.",
                                *paras,
                                *([sentence] * ((n // 3) % 2 == 0)),
                            ],
                        ),
                        f"2024-04-01T{n // 60:02d}:{n % 60:02d}:00Z",
                        None,
                        None,
                    )
                    for n in range(200)
                ],
            )
        for name, query in (("word", "breaking"), ("phrase", f'"{sentence}"')):
            found = store.search(query, limit=PAGE)
            whole = sum(r["complete"] for r in found)
            median, worst = timed(lambda q=query: store.search(q, limit=PAGE), runs)
            print(
                f"| 20 flickering live stories x 200 versions, {name} ({whole} of {len(found)} "
                f"histories whole) | {len(found)} | {median:.1f} | {worst:.1f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--search-versions", type=int, default=50_000)
    parser.add_argument(
        "--parts", default="candidates,size,read,search", help="any of candidates,size,read,search"
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    tmp = Path(tempfile.mkdtemp(prefix="storydiff-storage-"))
    try:
        if "candidates" in parts:
            candidates_part()
        if "size" in parts:
            size_part(tmp)
        if "read" in parts:
            read_part(tmp, args.runs)
        if "search" in parts and args.search_versions:
            search_part(tmp, args.search_versions, args.runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
