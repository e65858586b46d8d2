"""Which removed paragraph became which added one: in-place pairs and near-exact moves."""

from __future__ import annotations

from collections.abc import Sequence

from tracker.diff.align import Clock
from tracker.diff.tokens import WORD, tokenize

PAIR_FLOOR = 0.4
"""Word-set similarity (Dice) at which a removed and an added paragraph count as one edit."""
MOVE_FLOOR = 0.8
"""Word-set similarity for a near-exact move (exact moves need no threshold)."""
MOVE_MIN_WORDS = 5
"""Near-exact moves are only looked for among paragraphs this long; shorter ones move exactly."""
MAX_PAIR_CELLS = 20_000
"""Similarity cells computed for one run of removed x added paragraphs (the rest is banded)."""
MAX_MOVE_COMPARISONS = 5_000
"""Paragraph comparisons spent looking for near-exact moves in one diff."""


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


class Paragraphs:
    """One side's paragraphs with lazily computed tokens and word sets."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self._tokens: dict[int, list[str]] = {}
        self._words: dict[int, frozenset[str]] = {}

    def tokens(self, i: int) -> list[str]:
        found = self._tokens.get(i)
        if found is None:
            found = self._tokens[i] = tokenize(self.texts[i])
        return found

    def words(self, i: int) -> frozenset[str]:
        found = self._words.get(i)
        if found is None:
            found = self._words[i] = frozenset(WORD.findall(self.texts[i]))
        return found


def pair_run(
    olds: list[int], news: list[int], a: Paragraphs, b: Paragraphs, clock: Clock
) -> list[tuple[int, int]]:
    """Monotone pairs of similar paragraphs in one run, maximising total similarity.

    A dynamic programme over the removed x added grid; past MAX_PAIR_CELLS only a diagonal
    band is scored, which keeps the work and memory linear in the run length.
    """
    n, m = len(olds), len(news)
    if n == 1 and m == 1:
        return (
            [(olds[0], news[0])] if _dice(a.words(olds[0]), b.words(news[0])) >= PAIR_FLOOR else []
        )
    band = m if n * m <= MAX_PAIR_CELLS else max(1, MAX_PAIR_CELLS // n)
    prev = [0.0] * (m + 1)
    moves: list[tuple[int, bytearray]] = []  # per old row: (first column, choices)
    for k in range(1, n + 1):
        if clock.out():
            clock.degrade("paragraphs")
            return []
        centre = k * m // n
        lo, hi = max(1, centre - band), min(m, centre + band)
        cur = [0.0] * (m + 1)
        for col in range(1, lo):
            cur[col] = max(prev[col], cur[col - 1])
        choice = bytearray(hi - lo + 1)
        words_k = a.words(olds[k - 1])
        for col in range(lo, hi + 1):
            best, how = prev[col], 0
            if cur[col - 1] > best:
                best, how = cur[col - 1], 1
            sim = _dice(words_k, b.words(news[col - 1]))
            if sim >= PAIR_FLOOR and prev[col - 1] + sim > best:
                best, how = prev[col - 1] + sim, 2
            cur[col] = best
            choice[col - lo] = how
        for col in range(hi + 1, m + 1):
            cur[col] = max(prev[col], cur[col - 1])
        moves.append((lo, choice))
        prev = cur
    pairs: list[tuple[int, int]] = []
    k, col = n, m
    while k > 0 and col > 0:
        lo, choice = moves[k - 1]
        how = choice[col - lo] if lo <= col < lo + len(choice) else (1 if col > lo else 0)
        if how == 2:
            pairs.append((olds[k - 1], news[col - 1]))
            k, col = k - 1, col - 1
        elif how == 1:
            col -= 1
        else:
            k -= 1
    return pairs[::-1]


def near_moves(
    olds: list[int], news: list[int], a: Paragraphs, b: Paragraphs, clock: Clock
) -> list[tuple[int, int]]:
    """One-to-one near-exact matches among leftover removed and added paragraphs, best first."""
    olds = [i for i in olds if len(a.words(i)) >= MOVE_MIN_WORDS]
    news = [j for j in news if len(b.words(j)) >= MOVE_MIN_WORDS]
    found: list[tuple[float, int, int]] = []
    budget = MAX_MOVE_COMPARISONS
    for i in olds:
        wi = a.words(i)
        for j in news:
            wj = b.words(j)
            if min(len(wi), len(wj)) < MOVE_FLOOR * max(len(wi), len(wj)):
                continue
            budget -= 1
            if budget < 0 or clock.out():
                return _one_to_one(found)
            sim = _dice(wi, wj)
            if sim >= MOVE_FLOOR:
                found.append((sim, i, j))
    return _one_to_one(found)


def _one_to_one(found: list[tuple[float, int, int]]) -> list[tuple[int, int]]:
    used_i: set[int] = set()
    used_j: set[int] = set()
    out = []
    for _, i, j in sorted(found, key=lambda t: (-t[0], t[1], t[2])):
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            out.append((i, j))
    return out
