"""Which removed paragraph became which added one: moves and in-place pairs, in one pass.

Similarity is the Dice coefficient of the two paragraphs' sets of character trigrams (spaces
collapsed). Trigrams work the same for every script: Thai or Chinese without spaces, and Hindi
or Russian where a small change alters word endings, still share most of their trigrams, while
two unrelated Thai lines no longer look alike because they share some characters. Moves are
looked for before the in-place pairing (every removed paragraph against every added one in
another run, within a budget), so a paragraph that moved and was edited finds its true partner
even when another paragraph at its old place looks a little like it. A local in-place edit (a run
of one removed and one added paragraph sharing most of their text at both ends) is not compared
across runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet

from tracker.diff.align import Clock, common_head, common_tail
from tracker.diff.tokens import WordCounts, has_words

PAIR_FLOOR = 0.4
"""Trigram similarity (Dice) at which a removed and an added paragraph count as one edit."""
MOVE_FLOOR = 0.6
"""Trigram similarity for a paragraph that moved and was edited (exact moves need none)."""
MOVE_MIN_WORDS = 5
"""Edited moves are only looked for among paragraphs this long; shorter ones move exactly."""
IN_PLACE_SHARE = 0.8
"""A run of one removed and one added paragraph that keep this share of both texts as their
common start and end is an in-place edit: neither is compared with other runs for moves."""
MAX_PAIR_CELLS = 20_000
"""Similarity cells computed for one run of removed x added paragraphs (the rest is banded)."""
MAX_MOVE_COMPARISONS = 5_000
"""Paragraphs compared looking for moves in one diff; a pair ruled out by length counts 1/10."""
MAX_GRAM_CHARS = 20_000
"""A longer paragraph is compared by the trigrams of its first and last 10,000 characters."""


Grams = AbstractSet[str | tuple[str, str, str]]
"""A paragraph's trigrams: a set built once and never changed (not frozen: freezing copies)."""


def _dice(a: Grams, b: Grams) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def collapsed(text: str) -> str:
    """The text as trigrams see it: whitespace collapsed to single spaces, long texts cut.

    Most paragraphs already are: printable (every whitespace character but the space is not),
    without two spaces in a row or a space at either end. Those are kept as they are, which
    checks in C in half the time of splitting and joining them again.
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        s = text
    else:
        s = " ".join(text.split())
    if len(s) > MAX_GRAM_CHARS:
        s = s[: MAX_GRAM_CHARS // 2] + s[-MAX_GRAM_CHARS // 2 :]
    return s


def trigrams(text: str) -> Grams:
    """The character trigrams of a text with its whitespace collapsed to single spaces."""
    return _grams(collapsed(text))


def _grams(s: str) -> Grams:
    if len(s) < 3:
        return {s} if s else set()
    return _add_tri(set(), s)


def _add_tri(grams: set[tuple[str, str, str]], s: str) -> set[tuple[str, str, str]]:
    """grams with the trigrams of s added (in place: no set is copied).

    A trigram is kept as its three characters (a tuple): zip builds them in C, about half the
    time of slicing, and two tuples are equal exactly when the three-letter strings are. They
    are zipped from a list of the characters: iterating a string makes a new object for each
    character outside Latin-1, which the three iterations did three times over.
    """
    c = list(s)
    grams.update(zip(c, c[1:], c[2:], strict=False))
    return grams


def _end_grams(s: str, x: int, y: int) -> set[tuple[str, str, str]]:
    """The trigrams inside the first x and the last y characters of s."""
    return _add_tri(_add_tri(set(), s[:x]), s[len(s) - y :])


def shared_ends(s: str, t: str) -> tuple[int, int]:
    """How many characters s and t share at their start, then at their end (not overlapping)."""
    x = common_head(s, t)
    return x, common_tail(s, t, n=min(len(s), len(t)) - x)


def at_least_by_ends(s: str, t: str, floor: float, ends: tuple[int, int] | None = None) -> bool:
    """True when the trigram Dice of the collapsed texts s and t is surely >= floor, judged
    from what they share at both ends, without building either set (False: not sure).

    With s = X + Ms + Y and t = X + Mt + Y, the trigrams C inside X or inside Y are common,
    and each side has at most len(M) + 2 others, so Dice >= 2|C| / (2|C| + |Ms| + |Mt| + 4).
    |C| is counted on as little of X and Y as it takes to reach the bound.
    """
    if len(s) < 3 or len(t) < 3 or max(len(s), len(t)) > MAX_GRAM_CHARS:
        return False
    x, y = shared_ends(s, t) if ends is None else ends
    spread = len(s) + len(t) - 2 * (x + y) + 4
    need = floor * spread / (2 * (1 - floor)) + 1e-9  # |C| > need makes Dice > floor
    if x + y < need:
        return False
    # the trigrams of the first few characters of X, then of Y (subsets of C) are most often
    # enough; all of C is built only when they are not
    few = int(need * 1.5) + 8
    grams = _add_tri(set(), s[: min(x, few)])
    if len(grams) > need or len(_add_tri(grams, s[len(s) - y : len(s) - y + few])) > need:
        return True
    if x <= few and y <= few:
        return False
    return len(_end_grams(s, x, y)) > need


class Paragraphs:
    """One side's paragraphs with trigrams and word counts computed on demand, so an
    unchanged paragraph is never looked at."""

    def __init__(self, texts: Sequence[str], words: WordCounts | None = None) -> None:
        self.texts = texts
        self._collapsed: dict[int, str] = {}
        self._grams: dict[int, Grams] = {}
        self.count = WordCounts() if words is None else words

    def collapsed(self, i: int) -> str:
        found = self._collapsed.get(i)
        if found is None:
            found = self._collapsed[i] = collapsed(self.texts[i])
        return found

    def grams(self, i: int) -> Grams:
        found = self._grams.get(i)
        if found is None:
            found = self._grams[i] = _grams(self.collapsed(i))
        return found

    def has_grams(self, i: int) -> bool:
        return i in self._grams

    def set_grams(self, i: int, grams: Grams) -> None:
        self._grams[i] = grams

    def words(self, i: int) -> int:
        return self.count(self.texts[i])

    def has_words(self, i: int, n: int) -> bool:
        """words(i) >= n, reading only as far as the n-th word when there are that many."""
        return has_words(self.texts[i], n) or self.words(i) >= n


class Similarity:
    """Trigram similarity of old paragraph i and new paragraph j, each pair scored once.

    `partners` are the old and new paragraph of a run with one of each (the usual edit):
    when one of them needs its trigrams, both get them, from the text they share at the
    ends built once (`_twin_grams`).
    """

    def __init__(
        self,
        a: Paragraphs,
        b: Paragraphs,
        partners: dict[int, int],
        ends: dict[tuple[int, int], tuple[int, int]],
    ) -> None:
        self.a, self.b = a, b
        self._seen: dict[tuple[int, int], float] = {}
        self._ends = ends
        self._partner_of_old = partners
        self._partner_of_new = {j: i for i, j in partners.items()}

    def __call__(self, i: int, j: int) -> float:
        found = self._seen.get((i, j))
        if found is None:
            if not self.a.has_grams(i) and not self.b.has_grams(j) and self.local_edit(i, j):
                self._twin_grams(i, j)  # a moved and edited paragraph and its source, say
            found = self._seen[i, j] = _dice(self._old_grams(i), self._new_grams(j))
        return found

    def at_least(self, i: int, j: int, floor: float) -> bool:
        """self(i, j) >= floor, most often decided from the shared ends (`at_least_by_ends`)."""
        found = self._seen.get((i, j))
        if (
            found is None
            and not (self.a.has_grams(i) and self.b.has_grams(j))
            and at_least_by_ends(self.a.collapsed(i), self.b.collapsed(j), floor, self.ends(i, j))
        ):
            return True
        return (self(i, j) if found is None else found) >= floor

    def below(self, i: int, j: int, floor: float) -> bool:
        """self(i, j) < floor for sure, judged from the lengths and the longer text's first
        trigrams, without building its set (False: not sure).

        Dice is at most 2|S| / (|S| + |L|) for the smaller set S and the larger L, and |S| is
        at most the shorter text's length - 2, so Dice >= floor needs |L| <= cap =
        |S| (2 / floor - 1). The trigrams of the longer text's first characters are a subset
        of L: more than cap of them rule the pair out. The prefix is a quarter longer than
        cap (news text repeats about one trigram in ten), then twice as long while that is
        not enough. A whole article blanked to one line is then paired with none of its
        paragraphs without reading them whole.
        """
        found = self._seen.get((i, j))
        if found is not None:
            return found < floor
        s, t = self.a.collapsed(i), self.b.collapsed(j)
        short, long, grams = (s, t, self.b) if len(s) <= len(t) else (t, s, self.a)
        cap = max(len(short) - 2, 1) * (2 / floor - 1)
        if len(long) - 2 <= cap:
            return False
        k = j if grams is self.b else i
        if grams.has_grams(k):
            return len(grams.grams(k)) > cap
        n = int(cap * 1.25) + 3
        while True:
            if len(_grams(long[:n])) > cap:
                return True
            if n >= len(long):
                return False
            n *= 2

    def ends(self, i: int, j: int) -> tuple[int, int]:
        """`shared_ends` of the two collapsed texts, found once per pair."""
        found = self._ends.get((i, j))
        if found is None:
            found = self._ends[i, j] = shared_ends(self.a.collapsed(i), self.b.collapsed(j))
        return found

    def local_edit(self, i: int, j: int) -> bool:
        """Whether old i became new j by an edit in one place: their common start and end make
        up at least IN_PLACE_SHARE of the longer one (whitespace collapsed; no trigrams)."""
        x, y = self.ends(i, j)
        return x + y >= IN_PLACE_SHARE * max(len(self.a.collapsed(i)), len(self.b.collapsed(j)))

    def _old_grams(self, i: int) -> Grams:
        j = self._partner_of_old.get(i)
        if j is not None and not self.a.has_grams(i) and not self.b.has_grams(j):
            self._twin_grams(i, j)
        return self.a.grams(i)

    def _new_grams(self, j: int) -> Grams:
        i = self._partner_of_new.get(j)
        if i is not None and not self.a.has_grams(i) and not self.b.has_grams(j):
            self._twin_grams(i, j)
        return self.b.grams(j)

    def _twin_grams(self, i: int, j: int) -> None:
        """The trigrams of an edited pair: those inside the shared start and end once, plus
        each side's own around the middle (the trigrams of s are those of s[:x], of s[-y:]
        and of s[x - 2 : len(s) - y + 2])."""
        s, t = self.a.collapsed(i), self.b.collapsed(j)
        if len(s) < 3 or len(t) < 3:
            return
        x, y = self.ends(i, j)
        shared = _end_grams(s, x, y)
        lo = max(0, x - 2)
        self.a.set_grams(i, _add_tri(shared.copy(), s[lo : len(s) - y + 2]))
        self.b.set_grams(j, _add_tri(shared, t[lo : len(t) - y + 2]))


def match(
    runs: list[tuple[range, range]],
    a: Paragraphs,
    b: Paragraphs,
    clock: Clock,
    ends: dict[tuple[int, int], tuple[int, int]] | None = None,
) -> tuple[dict[int, int], dict[int, int]]:
    """Moves and in-place pairs for the runs of removed x added paragraphs: (pairs, moves).
    `ends`, if given, receives the `shared_ends` of the collapsed texts of the pairs compared.

    In order: exact moves (the same text elsewhere; never a blank paragraph); then moved and
    edited paragraphs: a removed and an added paragraph in different runs, similar enough,
    with no better partner in either one's own run (so the in-place pairing could not claim
    either); then monotone in-place pairs inside each run; then, among what is left, the most
    similar pairs as moves.
    """
    if ends is None:
        ends = {}  # (one for both Similarity objects below: each pair's ends found once)
    local = _local_edits(runs, a, b, ends)
    if local is not None:
        return local, {}
    olds = [i for r, _ in runs for i in r]
    news = [j for _, r in runs for j in r]
    run_old = {i: k for k, (r, _) in enumerate(runs) for i in r}
    run_new = {j: k for k, (_, r) in enumerate(runs) for j in r}
    moves: dict[int, int] = {}
    removed_at: dict[str, list[int]] = {}
    for i in olds:
        if a.texts[i].strip():
            removed_at.setdefault(a.texts[i], []).append(i)
    for j in news:
        sources = removed_at.get(b.texts[j])
        if sources:
            moves[sources.pop(0)] = j
    taken = set(moves.values())
    partners = {r[0]: rn[0] for r, rn in runs if len(r) == 1 and len(rn) == 1}
    sim = Similarity(a, b, partners, ends)
    budget = [10 * MAX_MOVE_COMPARISONS]
    cross: list[tuple[float, int, int]] = []
    if len(runs) > 1:  # one run has no other run to move to: its leftovers are looked at below
        in_place: set[tuple[int, int]] = set()  # both sides of local edits: not moved elsewhere
        for r_old, r_new in runs:
            if len(r_old) == 1 == len(r_new):
                i, j = r_old[0], r_new[0]
                if i not in moves and j not in taken and sim.local_edit(i, j):
                    in_place.update(((0, i), (1, j)))
        movable_old = [
            i
            for i in olds
            if i not in moves and (0, i) not in in_place and a.has_words(i, MOVE_MIN_WORDS)
        ]
        movable_new = [
            j
            for j in news
            if j not in taken and (1, j) not in in_place and b.has_words(j, MOVE_MIN_WORDS)
        ]
        by_run: dict[int, list[int]] = {}
        for j in movable_new:
            by_run.setdefault(run_new[j], []).append(j)

        def elsewhere(i: int) -> Iterator[int]:
            return (j for k, js in by_run.items() if k != run_old[i] for j in js)

        cross = _similar(movable_old, elsewhere, a, b, sim, clock, budget)
    for s, i, j in cross:
        if i in moves or j in taken:
            continue
        own_new, own_old = runs[run_old[i]][1], runs[run_new[j]][0]
        if all(sim(i, k) <= s for k in own_new if k not in taken) and all(
            sim(k, j) <= s for k in own_old if k not in moves
        ):
            moves[i] = j
            taken.add(j)
    pairs: dict[int, int] = {}
    for r_old, r_new in runs:
        ro = [i for i in r_old if i not in moves]
        rn = [j for j in r_new if j not in taken]
        if ro and rn:
            pairs.update(pair_run(ro, rn, sim, clock))
    paired = set(pairs.values())
    left_old = [
        i for i in olds if i not in moves and i not in pairs and a.has_words(i, MOVE_MIN_WORDS)
    ]
    left_new = [
        j for j in news if j not in taken and j not in paired and b.has_words(j, MOVE_MIN_WORDS)
    ]
    left_by_run: dict[int, list[int]] = {}
    for j in left_new:
        left_by_run.setdefault(run_new[j], []).append(j)
    same = _similar(left_old, lambda i: left_by_run.get(run_old[i], ()), a, b, sim, clock, budget)
    still_old, still_new = set(left_old), set(left_new)
    rest = [(s, i, j) for s, i, j in cross + same if i in still_old and j in still_new]
    moves.update(_one_to_one(rest))
    return pairs, moves


def _local_edits(
    runs: list[tuple[range, range]],
    a: Paragraphs,
    b: Paragraphs,
    ends: dict[tuple[int, int], tuple[int, int]],
) -> dict[int, int] | None:
    """The pairs `match` finds when every run is one removed and one added paragraph, each a
    local edit of the other, and no removed text was added again: then nothing can move
    (an exact move needs a text added again, an edited one a paragraph outside the local
    edits, and what the pairing leaves is less similar than PAIR_FLOOR, below MOVE_FLOOR),
    and each run is a pair when its two reach PAIR_FLOOR. None when that does not hold."""
    if any(len(r) != 1 or len(rn) != 1 for r, rn in runs):
        return None
    removed = {a.texts[r[0]] for r, _ in runs}
    if any(b.texts[rn[0]] in removed for _, rn in runs):
        return None
    partners = {r[0]: rn[0] for r, rn in runs}
    sim = Similarity(a, b, partners, ends)
    if not all(sim.local_edit(i, j) for i, j in partners.items()):
        return None
    return {i: j for i, j in partners.items() if sim.at_least(i, j, PAIR_FLOOR)}


def _similar(
    olds: list[int],
    partners: Callable[[int], Iterable[int]],
    a: Paragraphs,
    b: Paragraphs,
    sim: Similarity,
    clock: Clock,
    budget: list[int],
) -> list[tuple[float, int, int]]:
    """(similarity, i, j) at or above MOVE_FLOOR for each old paragraph and its possible
    partners, best first, while the shared comparison budget (in tenths) lasts. Pairs whose
    lengths put the floor out of reach are skipped without being scored."""
    found: list[tuple[float, int, int]] = []
    for i in olds:
        if budget[0] <= 0 or clock.out():
            break
        li = len(a.texts[i])
        for j in partners(i):
            budget[0] -= 1
            lj = len(b.texts[j])
            if 2 * min(li, lj) < MOVE_FLOOR * (li + lj):
                continue
            budget[0] -= 9
            if budget[0] < 0:
                break
            s = sim(i, j)
            if s >= MOVE_FLOOR:
                found.append((s, i, j))
    return sorted(found, key=_best_first)


def _best_first(t: tuple[float, int, int]) -> tuple[float, int, int]:
    return (-t[0], t[1], t[2])


def pair_run(
    olds: list[int], news: list[int], sim: Similarity, clock: Clock
) -> list[tuple[int, int]]:
    """Monotone pairs of similar paragraphs in one run, maximising total similarity.

    A dynamic programme over the removed x added grid; past MAX_PAIR_CELLS only a diagonal
    band is scored, which keeps the work and memory linear in the run length.
    """
    n, m = len(olds), len(news)
    if n == 1 and m == 1:
        return [(olds[0], news[0])] if sim.at_least(olds[0], news[0], PAIR_FLOOR) else []
    if n == m:  # every paragraph edited in place is taken as it is, without the search
        for i, j in zip(olds, news, strict=True):
            if clock.out():
                clock.degrade("paragraphs")
                return []
            if not sim.at_least(i, j, PAIR_FLOOR):
                break
        else:
            return list(zip(olds, news, strict=True))
    band = m if n * m <= MAX_PAIR_CELLS else max(1, MAX_PAIR_CELLS // (2 * n))
    prev = [0.0] * (m + 1)
    steps: list[tuple[int, bytearray]] = []  # per old row: (first column, choices)
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
        i = olds[k - 1]
        for col in range(lo, hi + 1):
            best, how = prev[col], 0
            if cur[col - 1] > best:
                best, how = cur[col - 1], 1
            j = news[col - 1]
            s = 0.0 if sim.below(i, j, PAIR_FLOOR) else sim(i, j)
            if s >= PAIR_FLOOR and prev[col - 1] + s > best:
                best, how = prev[col - 1] + s, 2
            cur[col] = best
            choice[col - lo] = how
        for col in range(hi + 1, m + 1):
            cur[col] = max(prev[col], cur[col - 1])
        steps.append((lo, choice))
        prev = cur
    pairs: list[tuple[int, int]] = []
    k, col = n, m
    while k > 0 and col > 0:
        lo, choice = steps[k - 1]
        how = choice[col - lo] if lo <= col < lo + len(choice) else (1 if col > lo else 0)
        if how == 2:
            pairs.append((olds[k - 1], news[col - 1]))
            k, col = k - 1, col - 1
        elif how == 1:
            col -= 1
        else:
            k -= 1
    return pairs[::-1]


def _one_to_one(found: list[tuple[float, int, int]]) -> dict[int, int]:
    used_i: set[int] = set()
    used_j: set[int] = set()
    out: dict[int, int] = {}
    for _, i, j in sorted(found, key=_best_first):
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            out[i] = j
    return out
