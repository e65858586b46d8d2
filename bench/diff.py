"""Diff speed on long multi-script documents, against line-mode diff-match-patch in the same run.

    python3 bench/diff.py                # every size band, 5 timed runs per pair
    python3 bench/diff.py --runs 9       # steadier medians
    python3 bench/diff.py --quick        # fewer documents, for a first look

Documents are built here: corpus articles (English news) concatenated to 2,000-30,000 words,
and generated Thai, Hindi, Russian and Chinese texts of the same sizes (tests/synthetic.py),
one paragraph per line. Each gets revisions of 1-3 sentence edits (a word changed, a sentence
replaced, added or removed, a paragraph added, a paragraph moved and edited), diffed in both
directions. Each pair is diffed `--runs` times and its median CPU time kept (CPU time, so other
work on the machine does not count). storydiff's diff is `diff_lines` on the two texts (the
diff of their lines, row for row, with the lines they share at both ends never split), with
the full word diff, pairing and moves; the baseline is diff-match-patch in line mode
(lines to characters, diff, characters back to lines), pure Python, timed the same way: both
take the two texts.
The table prints the median, p99 and worst per size band and the ratio of total times; the
`stats ratio` column times the same diff with `Diff.stats` read (what `tracker record` needs
for the change log), the `+rows` columns with `Diff.rows` and `Diff.stats` read (every
unchanged paragraph's row built and the words of the changed ones counted, as the renderers
do: a diff counts its stats when they are first read), and the `fast` columns the C++
accelerator. A last table (not with `--quick`) times large edits at 30,000 words: a page
blanked, cut in half, shuffled, edited everywhere, half replaced.
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
from collections.abc import Callable
from pathlib import Path

from diff_match_patch import diff_match_patch

from tracker import diff as diffmod

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from corpus import CORPUS  # noqa: E402
from synthetic import script_document, script_sentence  # noqa: E402

SIZES = (2_000, 5_000, 10_000, 20_000, 30_000)
BANDS = ((0, 5_000), (5_000, 10_000), (10_000, 20_000), (20_000, 30_001))
_SENTENCE = re.compile(r".+?(?:[.!?।。]+\s*|\s+|$)", re.S)


def corpus_paragraphs() -> list[str]:
    data = json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        line.strip()
        for _, item in sorted(data.items())
        for line in item["articleBody"].split("\n")
        if line.strip()
    ]


def english_document(pool: list[str], words: int, rnd: random.Random) -> list[str]:
    """Corpus paragraphs one after another from a random start until `words` words."""
    start = rnd.randrange(len(pool))
    out: list[str] = []
    k = start
    while words > 0:
        out.append(pool[k % len(pool)])
        words -= len(pool[k % len(pool)].split())
        k += 1
    return out


def revise(paras: list[str], rnd: random.Random, fresh: Callable[[], str]) -> list[str]:
    """A revision with 1-3 edits of a sentence or so each."""
    new = list(paras)
    for _ in range(rnd.randint(1, 3)):
        k = rnd.randrange(len(new))
        sentences = _SENTENCE.findall(new[k]) or [new[k]]
        s = rnd.randrange(len(sentences))
        action = rnd.choice(["word", "word", "replace", "insert", "delete", "paragraph", "move"])
        if action == "word":
            sentences[s] = _change_word(sentences[s], rnd)
        elif action == "replace":
            sentences[s] = fresh() + " "
        elif action == "insert":
            sentences.insert(s, fresh() + " ")
        elif action == "delete" and len(sentences) > 1:
            sentences.pop(s)
        elif action == "paragraph":
            new.insert(k, fresh())
            continue
        elif action == "move":
            para = new.pop(k)
            new.insert(rnd.randrange(len(new) + 1), _change_word(para, rnd))
            continue
        new[k] = "".join(sentences).strip() or fresh()
    return new


def _change_word(text: str, rnd: random.Random) -> str:
    words = text.split(" ")
    if len(words) > 2:
        k = rnd.randrange(len(words))
        words[k] = words[rnd.randrange(len(words))][::-1] or "x"
        return " ".join(words)
    k = rnd.randrange(max(1, len(text) - 2))  # a script without spaces: two characters swapped
    return text[:k] + text[k + 1 : k + 2] + text[k : k + 1] + text[k + 2 :]


def cpu_ms(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.thread_time()
        fn()
        samples.append(time.thread_time() - start)
    return statistics.median(samples) * 1000


def ours(old: str, new: str) -> diffmod.Diff:
    """The diff with everything that changed: word ops of each changed row, pairs and moves.

    Unchanged paragraphs stay one `EqualRun` per run until someone reads `rows`; the changed
    rows are computed by the diff itself, and touched here so that stays true.
    """
    d = diffmod.diff_lines(old, new, budget_ms=math.inf)
    for part in d.parts():
        if isinstance(part, diffmod.Row) and part.kind != "equal" and not part.ops:
            raise AssertionError("a changed row without its word diff")
    return d


def ours_with_stats(old: str, new: str) -> None:
    """The same, then the stats counted (what `tracker record` stores with each change)."""
    _ = ours(old, new).stats


def ours_with_rows(old: str, new: str) -> None:
    """The same, then every row built and the stats counted, as a renderer does."""
    d = ours(old, new)
    len(d.rows) + d.stats.words_added


def dmp_lines(old: str, new: str) -> None:
    dmp = diff_match_patch()
    chars_old, chars_new, lines = dmp.diff_linesToChars(old, new)
    diffs = dmp.diff_main(chars_old, chars_new, False)
    dmp.diff_charsToLines(diffs, lines)


def build_pairs(quick: bool) -> list[tuple[str, int, str, str]]:
    """(language, words, old text, new text) for every document and revision, both ways."""
    rnd = random.Random(12)
    pool = corpus_paragraphs()
    english_fresh = [s.strip() for p in pool[::7] for s in _SENTENCE.findall(p) if len(s) > 40]
    docs: list[tuple[str, list[str], Callable[[], str]]] = []
    sized: list[int] = []  # the size each document was built to, for its band
    sizes = SIZES[::2] if quick else SIZES
    for words in sizes:
        for _ in range(1 if quick else 2):
            docs.append(
                ("en", english_document(pool, words, rnd), lambda: rnd.choice(english_fresh))
            )
            sized.append(words)
        for lang in ("th", "hi", "ru", "zh"):
            paras = script_document(lang, words, seed=rnd.randrange(10**6))
            docs.append((lang, paras, lambda lang=lang: script_sentence(lang, rnd)))
            sized.append(words)
    pairs = []
    for (lang, paras, fresh), words in zip(docs, sized, strict=True):
        old = "\n".join(paras)
        for _ in range(1 if quick else 2):
            new = "\n".join(revise(paras, rnd, fresh))
            pairs += [(lang, words, old, new), (lang, words, new, old)]
    return pairs


LARGE_EDITS: dict[str, Callable[[list[str], random.Random], list[str]]] = {
    "blanked to one line": lambda p, r: ["This page has been blanked."],
    "cut in half mid-paragraph": lambda p, r: p[: len(p) // 2] + [p[len(p) // 2][:200]],
    "paragraphs shuffled": lambda p, r: r.sample(p, len(p)),
    "every 10th paragraph edited": lambda p, r: [
        _change_word(x, r) if k % 10 == 0 else x for k, x in enumerate(p)
    ],
    "half the paragraphs replaced": lambda p, r: [
        x if k % 2 else p[(k * 7919) % len(p)][::-1] for k, x in enumerate(p)
    ],
}


def large_edits(runs: int) -> None:
    """The worst cases: not the small edits the table above is about, but a vandal's blanking,
    a page cut short, a reordering, edits everywhere, at 30,000 words, both ways."""
    rnd = random.Random(7)
    pool = corpus_paragraphs()
    docs = [("en", english_document(pool, 30_000, rnd))]
    docs.append(("th", script_document("th", 30_000, seed=rnd.randrange(10**6))))
    print("\n## Large edits at 30,000 words: CPU ms per diff with stats (worst of both ways)")
    print(f"{'edit':<30} {'lang':>4} {'ours':>8} {'dmp line':>9}")
    for name, edit in LARGE_EDITS.items():
        for lang, paras in docs:
            old, new = "\n".join(paras), "\n".join(edit(paras, rnd))
            mine = max(
                cpu_ms(lambda o=o, n=n: ours_with_stats(o, n), runs)
                for o, n in ((old, new), (new, old))
            )
            base = max(
                cpu_ms(lambda o=o, n=n: dmp_lines(o, n), runs) for o, n in ((old, new), (new, old))
            )
            print(f"{name:<30} {lang:>4} {mine:8.1f} {base:9.1f}")


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, math.ceil(q * len(xs)) - 1)]


def report(
    title: str, rows: list[tuple[str, int, float, float, float | None, float, float]]
) -> None:
    """rows: (language, words, pure ms, dmp ms, accelerated ms or None, pure + rows read ms,
    pure + stats read ms)."""
    accel = rows and rows[0][4] is not None
    print(f"\n## {title}: CPU ms per diff (median of runs), ratio = total time / dmp line mode")
    head = f"{'words':>13} {'pairs':>5} {'median':>8} {'p99':>8} {'worst':>8} {'dmp med':>8}"
    head += f" {'ratio':>6} {'stats ratio':>11} {'+rows med':>9} {'+rows ratio':>11}" + (
        f" {'fast med':>8} {'fast worst':>10} {'fast ratio':>10}" if accel else ""
    )
    print(head)
    for lo, hi in BANDS:
        band = [r for r in rows if lo <= r[1] < hi]
        if band:
            print(_line(f"{lo:>6}-{hi:<6}", band, accel))
    print(_line(f"{'all':<13}", rows, accel))
    for lang in sorted({r[0] for r in rows}):
        print(_line(f"  {lang:<11}", [r for r in rows if r[0] == lang], accel))


def _line(label: str, rows: list, accel: bool) -> str:
    pure = [r[2] for r in rows]
    dmp = [r[3] for r in rows]
    line = (
        f"{label} {len(rows):>5} {statistics.median(pure):8.2f} {percentile(pure, 0.99):8.2f}"
        f" {max(pure):8.2f} {statistics.median(dmp):8.2f} {sum(pure) / sum(dmp):6.2f}"
    )
    stats = [r[6] for r in rows]
    line += f" {sum(stats) / sum(dmp):11.2f}"
    read = [r[5] for r in rows]
    line += f" {statistics.median(read):9.2f} {sum(read) / sum(dmp):11.2f}"
    if accel:
        fast = [r[4] for r in rows]
        line += f" {statistics.median(fast):8.2f} {max(fast):10.2f} {sum(fast) / sum(dmp):10.2f}"
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per pair (median kept)")
    parser.add_argument("--quick", action="store_true", help="fewer sizes and documents")
    args = parser.parse_args(argv)
    if not (CORPUS / "ground-truth.json").exists():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    runs = max(1, args.runs)
    print(
        f"accelerator available: {diffmod.accelerator_available()}, "
        f"dictionary (ICU) available: {diffmod.dictionary_available()}"
    )
    pairs = build_pairs(args.quick)
    rows = []
    for lang, words, old, new in pairs:
        ours(old, new)  # the first call pays for ICU's dictionary and regex caches
        diffmod.use_accelerator(False)
        pure = cpu_ms(lambda o=old, n=new: ours(o, n), runs)
        fast = None
        if diffmod.accelerator_available():
            diffmod.use_accelerator(True)
            fast = cpu_ms(lambda o=old, n=new: ours(o, n), runs)
        diffmod.use_accelerator(False)
        read = cpu_ms(lambda o=old, n=new: ours_with_rows(o, n), runs)
        stats = cpu_ms(lambda o=old, n=new: ours_with_stats(o, n), runs)
        dmp = cpu_ms(lambda o=old, n=new: dmp_lines(o, n), runs)
        rows.append((lang, words, pure, dmp, fast, read, stats))
    diffmod.use_accelerator(True)
    report(f"{len(pairs)} revision pairs, 2,000-30,000 words, en th hi ru zh", rows)
    if not args.quick:
        large_edits(runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
