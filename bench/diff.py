"""Diff speed and memory: corpus revision pairs, long documents, and the naive character diff.

    python3 bench/diff.py                 # everything (a few minutes, mostly the naive runs)
    python3 bench/diff.py --no-naive      # only storydiff's own diff
    python3 bench/diff.py --runs 9        # more runs per pair for steadier medians

Revision pairs are built from the corpus articles' ground-truth text (up to 3,000 words) with
realistic edits: one word, a number, a paragraph added / removed / moved, the headline, a mixed
update, and a heavy rewrite. Each pair is timed `--runs` times and its median kept; the table
shows the median and worst of those per-pair medians. The naive approach is character-level
diff-match-patch (no line-mode pre-pass) with semantic cleanup and no timeout, timed once per
pair; on long documents it runs under `--naive-cap` seconds and says when it hit the cap.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from diff_match_patch import diff_match_patch

from tracker import diff as diffmod
from tracker.document import Document

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from corpus import CORPUS  # noqa: E402
from synthetic import edit_words, long_document  # noqa: E402

GOLD = CORPUS / "ground-truth.json"
UNLIMITED = math.inf


def corpus_documents(max_words: int = 3000) -> list[Document]:
    data = json.loads(GOLD.read_text(encoding="utf-8"))
    docs = [Document.from_text(v["articleBody"]) for _, v in sorted(data.items())]
    return [d for d in docs if len(d.paragraphs) >= 3 and d.word_count <= max_words]


def _swap_word(paragraph: str, rnd: random.Random, new: str) -> str:
    words = paragraph.split(" ")
    words[rnd.randrange(len(words))] = new
    return " ".join(words)


def make_edits(doc: Document, rnd: random.Random) -> dict[str, Document]:
    """One revision of `doc` per edit type."""
    paras = list(doc.paragraphs)
    k = rnd.randrange(len(paras))

    def build(ps: list[str], title: str | None = None) -> Document:
        return Document.build(paragraphs=ps, title=title or doc.title)

    out: dict[str, Document] = {}
    out["word"] = build([_swap_word(p, rnd, "zebra") if i == k else p for i, p in enumerate(paras)])
    numbered = [i for i, p in enumerate(paras) if re.search(r"\d", p)]
    if numbered:
        n = rnd.choice(numbered)
        out["number"] = build(
            [re.sub(r"\d", "7", p, count=1) if i == n else p for i, p in enumerate(paras)]
        )
    added = "A spokesperson declined to comment when reached by telephone on Tuesday."
    out["para_added"] = build([*paras[:k], added, *paras[k:]])
    out["para_removed"] = build(paras[:k] + paras[k + 1 :])
    moved = list(paras)
    moved.insert(rnd.randrange(len(moved)), moved.pop(k))
    out["para_moved"] = build(moved)
    out["headline"] = build(paras, title=f"{doc.title or 'Headline'} (updated)")
    mixed = list(paras)
    for _ in range(5):
        j = rnd.randrange(len(mixed))
        mixed[j] = _swap_word(mixed[j], rnd, f"edit{rnd.randrange(1000)}")
    mixed.insert(rnd.randrange(len(mixed)), added)
    mixed.insert(rnd.randrange(len(mixed)), mixed.pop(rnd.randrange(len(mixed))))
    out["mixed"] = build(mixed)
    rewrite = []
    for p in paras:
        words = p.split(" ")
        rewrite.append(
            " ".join(w if rnd.random() > 0.3 else f"new{rnd.randrange(99)}" for w in words)
        )
    out["rewrite_30pct"] = build(rewrite)
    return out


def timed(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def naive(old: str, new: str, cap_s: float = 0.0) -> None:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = cap_s
    diffs = dmp.diff_main(old, new, False)  # character level: no line-mode pre-pass
    dmp.diff_cleanupSemantic(diffs)


def ours(old: Document, new: Document) -> Callable[[], object]:
    return lambda: diffmod.diff_documents(old, new, budget_ms=UNLIMITED)


def synthetic(words: int) -> list[str]:
    return long_document(words, seed=1, vocabulary=5000, longest=140)


def edit_share(paras: list[str], share: float) -> list[str]:
    return edit_words(paras, share, seed=2, token="x")


def fmt(ms: float) -> str:
    return f"{ms:9.3f}"


def bench_corpus(runs: int, with_naive: bool) -> None:
    docs = corpus_documents()
    rnd = random.Random(42)
    pairs = [(kind, d, new) for d in docs for kind, new in make_edits(d, rnd).items()]
    print(f"\n## corpus revision pairs: {len(docs)} articles, {len(pairs)} pairs, {runs} runs each")
    results: dict[str, dict[str, list[float]]] = {}
    modes = ["pure"] + (["accelerated"] if diffmod.accelerator_available() else [])
    for mode in modes:
        diffmod.use_accelerator(mode == "accelerated")
        for kind, old, new in pairs:
            results.setdefault(mode, {}).setdefault(kind, []).append(timed(ours(old, new), runs))
    diffmod.use_accelerator(True)
    if with_naive:
        for kind, old, new in pairs:
            results.setdefault("naive", {}).setdefault(kind, []).append(
                timed(lambda o=old, n=new: naive(o.text, n.text), 1)
            )
    header = "edit".ljust(14) + "".join(f"{m + ' med':>16}{m + ' max':>16}" for m in results)
    print(header)
    for kind in results["pure"]:
        line = kind.ljust(14)
        for mode in results:
            xs = results[mode][kind]
            line += f"{fmt(statistics.median(xs)):>16}{fmt(max(xs)):>16}"
        print(line)
    line = "ALL".ljust(14)
    for mode in results:
        xs = [x for v in results[mode].values() for x in v]
        line += f"{fmt(statistics.median(xs)):>16}{fmt(max(xs)):>16}"
    print(line)
    if with_naive:
        ours_all = [x for v in results["pure"].values() for x in v]
        naive_all = [x for v in results["naive"].values() for x in v]
        ratios = [n / o for n, o in zip(naive_all, ours_all, strict=True) if o > 0]
        print(
            f"naive / ours (pure): median of per-pair ratios {statistics.median(ratios):.1f}x, "
            f"total time {sum(naive_all) / sum(ours_all):.1f}x"
        )


def bench_long(runs: int, with_naive: bool, naive_cap: float) -> None:
    print("\n## long documents (ms, median of runs)")
    for words, share in [(100_000, 0.01), (100_000, 0.001), (30_000, 0.05)]:
        old = synthetic(words)
        new = edit_share(old, share)
        a, b = Document.build(paragraphs=old), Document.build(paragraphs=new)
        line = f"{words:>7} words, {share:.1%} edited:"
        for mode in ["pure", "accelerated"]:
            if mode == "accelerated" and not diffmod.accelerator_available():
                continue
            diffmod.use_accelerator(mode == "accelerated")
            line += f"  {mode} {timed(ours(a, b), runs):.1f}"
        diffmod.use_accelerator(True)
        if with_naive:
            start = time.perf_counter()
            naive(a.text, b.text, naive_cap)
            took = time.perf_counter() - start
            capped = " (hit the cap)" if naive_cap and took >= naive_cap * 0.95 else ""
            line += f"  naive {took * 1000:.0f}{capped}"
        print(line)
    # a long real revision: corpus articles one after another, edited the "mixed" way
    docs = corpus_documents()
    rnd = random.Random(9)
    paras = [p for d in docs[:40] for p in d.paragraphs]
    real = Document.build(paragraphs=paras)
    edited = make_edits(real, rnd)["mixed"]
    more = list(edited.paragraphs)
    for _ in range(40):
        j = rnd.randrange(len(more))
        more[j] = _swap_word(more[j], rnd, "changed")
    edited = Document.build(paragraphs=more)
    line = f"{real.word_count:>7} words of real articles, 45 edits:"
    for mode in ["pure", "accelerated"]:
        if mode == "accelerated" and not diffmod.accelerator_available():
            continue
        diffmod.use_accelerator(mode == "accelerated")
        line += f"  {mode} {timed(ours(real, edited), runs):.1f}"
    diffmod.use_accelerator(True)
    if with_naive:
        line += f"  naive {timed(lambda: naive(real.text, edited.text, naive_cap), 1):.0f}"
    print(line)


def bench_memory() -> None:
    print("\n## memory (tracemalloc peak during one diff, 1% of words edited)")
    for words in (25_000, 50_000, 100_000):
        old = synthetic(words)
        a = Document.build(paragraphs=old)
        b = Document.build(paragraphs=edit_share(old, 0.01))
        text_mb = (len(a.text) + len(b.text)) / 1e6
        tracemalloc.start()
        diffmod.diff_documents(a, b, budget_ms=UNLIMITED)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{words:>7} words: text {text_mb:.2f} MB, peak {peak / 1e6:.2f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per pair (median kept)")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    parser.add_argument(
        "--naive-cap", type=float, default=120.0, help="seconds the naive diff may run on long docs"
    )
    args = parser.parse_args(argv)
    if not GOLD.exists():
        print(f"corpus not found at {GOLD}", file=sys.stderr)
        return 1
    print(f"accelerator available: {diffmod.accelerator_available()}")
    bench_corpus(max(1, args.runs), not args.no_naive)
    bench_long(max(1, args.runs), not args.no_naive, args.naive_cap)
    bench_memory()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
