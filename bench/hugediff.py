"""The diff page, the Atom feed and the API diff for one huge text story (issue #10).

    python3 bench/hugediff.py [--paragraphs 60000] [--every 10] [--runs 5]

A text story of `--paragraphs` paragraphs (about 1.9 MB at 60,000) whose second version edits
every `--every`-th paragraph. Prints the median server time (Flask test client, the diff cache
warm, so this is what rendering costs) and the size of the diff page (side by side and inline,
first part), the story's Atom feed and the API diff (5,000 rows a page: the first and the
last). Before the diff page was split into parts
the side-by-side page was 12 MB and took seconds to render.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.config import Settings  # noqa: E402
from tracker.document import Document  # noqa: E402
from tracker.record import record  # noqa: E402
from tracker.store import Store  # noqa: E402
from web import create_app  # noqa: E402

WORDS = "harbour budget council vote mayor river bridge report minister said".split()  # noqa: SIM905


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paragraphs", type=int, default=60_000)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "huge.db"
        store = Store(db)
        story, _ = store.add_story("https://news.example/huge", site="news.example")
        paras = [
            " ".join(rng.choice(WORDS) for _ in range(5)) + f" {i}." for i in range(args.paragraphs)
        ]
        edited = [p + " Updated." if i % args.every == 0 else p for i, p in enumerate(paras)]
        record(store, story, Document.build(title="Huge", paragraphs=paras))
        record(store, story, Document.build(title="Huge", paragraphs=edited))
        store.close()
        print(f"story: {sum(map(len, paras)) / 1e6:.1f} MB of text, {args.paragraphs} paragraphs")
        settings = Settings(db=str(db))
        app = create_app({"DATABASE": str(db), "SETTINGS": settings, "SECRET_KEY": "bench"})
        client = app.test_client()
        for label, path in (
            ("diff page, side by side", f"/stories/{story}/diff/1..2"),
            ("diff page, inline", f"/stories/{story}/diff/1..2?view=inline"),
            ("story Atom feed", f"/feeds/stories/{story}.atom"),
            ("API diff, first page", f"/api/stories/{story}/diff?from=1&to=2"),
            ("API diff, last page", f"/api/stories/{story}/diff?from=1&to=2&offset=55000"),
        ):
            client.get(path)  # warm the diff cache
            times, size = [], 0
            for _ in range(args.runs):
                start = time.perf_counter()
                size = len(client.get(path).data)
                times.append(time.perf_counter() - start)
            print(f"{label:26} {statistics.median(times) * 1000:8.0f} ms  {size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
