"""Extraction over the 181 real pages: speed, quality against the gold text, change detection.

    python3 bench/extract.py [--runs 5] [--corpus PATH] [--show N] [--only FAMILY,...]

Prints the median milliseconds per page (median over pages of each page's median over runs),
token F1 against the gold article body scored the way the benchmark scores it (4-word shingles,
mean precision and mean recall over pages), and the change-detection sweep: false versions over
the noise variants and missed edits over the story variants of tests/noise.py and the harder
families of tests/families.py (`--only` sweeps just the named families; `--runs 0` skips timing).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from corpus import CORPUS, page_fingerprint  # noqa: E402
from families import variants  # noqa: E402

from tracker.extract import ExtractError, extract  # noqa: E402

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def page_scores(gold: str, predicted: str) -> tuple[float, float]:
    """(precision, recall) of one page over shingles, as the benchmark's evaluate.py does it."""
    true, pred = shingles(gold), shingles(predicted)
    tp = sum((true & pred).values())
    fp, fn = sum(pred.values()) - tp, sum(true.values()) - tp
    if fp == fn == 0:
        return 1.0, 1.0
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


def f1(pairs: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(precision, recall, F1): F1 of the mean precision and the mean recall."""
    p = statistics.mean(x for x, _ in pairs)
    r = statistics.mean(y for _, y in pairs)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def corpus(path: Path = CORPUS) -> Iterator[tuple[str, str, str, bytes]]:
    """(key, url, gold text, page bytes) for every page, in key order."""
    truth = json.loads((path / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(truth):
        page = gzip.decompress((path / "html" / f"{key}.html.gz").read_bytes())
        yield key, truth[key]["url"], truth[key]["articleBody"], page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per page")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--show", type=int, default=10, help="list this many failures")
    parser.add_argument("--only", default="", help="sweep only these variants (comma-separated)")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus not found at {args.corpus}")
    pages = list(corpus(args.corpus))

    timings: dict[str, list[float]] = {key: [] for key, *_ in pages}
    for _ in range(args.runs):
        for key, url, _gold, page in pages:
            start = time.perf_counter()
            with contextlib.suppress(ExtractError):
                extract(page, "text/html; charset=utf-8", url)
            timings[key].append((time.perf_counter() - start) * 1000)
    per_page = [statistics.median(t) for t in timings.values() if t] or [0.0, 0.0]

    scores, fields = [], Counter()
    false_versions, missed, noise_n, story_n = [], [], 0, 0
    for key, url, gold, page in pages:
        try:
            doc = extract(page, "text/html; charset=utf-8", url)
        except ExtractError:
            scores.append(page_scores(gold, ""))
            continue
        scores.append(page_scores(gold, doc.text))
        for name in ("title", "byline", "published", "updated", "canonical_url"):
            fields[name] += getattr(doc, name) is not None
        base = doc.fingerprint()
        for variant in variants(page.decode("utf-8"), gold, key):
            if args.only and variant.name not in args.only.split(","):
                continue
            changed = page_fingerprint(variant.html.encode("utf-8"), url) != base
            if variant.kind == "noise":
                noise_n += 1
                if changed:
                    false_versions.append(f"{key[:12]} {variant.name}")
            else:
                story_n += 1
                if not changed:
                    missed.append(f"{key[:12]} {variant.name}")

    p, r, f = f1(scores)
    print(f"pages                {len(pages)}")
    print(
        f"median ms per page   {statistics.median(per_page):.1f} "
        f"(p90 {statistics.quantiles(per_page, n=10)[-1]:.1f}, {args.runs} runs)"
    )
    print(f"token F1             {f:.4f} (precision {p:.4f}, recall {r:.4f}; trafilatura 0.958)")
    print("fields present       " + ", ".join(f"{k} {v}" for k, v in fields.items()))
    print(f"false versions       {len(false_versions)} of {noise_n} noise variants")
    print(f"missed edits         {len(missed)} of {story_n} story variants")
    for line in (false_versions + missed)[: args.show]:
        print("  ", line)


if __name__ == "__main__":
    main()
