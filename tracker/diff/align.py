"""Sequence alignment: patience anchors with diff-match-patch in the gaps, under a time budget."""

from __future__ import annotations

import math
import sys
import time
from bisect import bisect_left
from collections.abc import Hashable, Sequence
from itertools import compress, count, repeat
from operator import and_, is_not, ne, not_, or_, sub
from typing import Any

from diff_match_patch import diff_match_patch

try:  # the C++ build of the same algorithm; optional, see use_accelerator()
    import fast_diff_match_patch as _fast
except ImportError:  # pragma: no cover - depends on the environment
    _fast = None

DEFAULT_BUDGET_MS = 200.0
"""Used when a caller passes no budget; `math.inf` means no limit at all."""
_SMALL = 64
"""Token sequences up to this long go straight to diff-match-patch (no walk or anchors)."""

_accelerate = _fast is not None
_walking = True  # see _walk; off only in the tests that compare it with the anchors
_WALK_SCANS = 32
"""The walk gives up past this many scans of the other side per token of the two sides."""


def accelerator_available() -> bool:
    return _fast is not None


def use_accelerator(enabled: bool) -> bool:
    """Switch the C++ diff-match-patch on or off (if installed); returns the previous setting.

    Both paths run the same algorithm with the same settings and give the same diffs; the
    switch exists for the tests that prove it and for benchmarks.
    """
    global _accelerate
    previous = _accelerate
    _accelerate = bool(enabled) and _fast is not None
    return previous


class Clock:
    """The time budget of one diff, and whether anything had to be cut short."""

    def __init__(self, budget_ms: float | None) -> None:
        if budget_ms is None:
            budget_ms = DEFAULT_BUDGET_MS
        if isinstance(budget_ms, bool) or not isinstance(budget_ms, int | float):
            raise TypeError(f"budget_ms must be a number of milliseconds, not {budget_ms!r}")
        if math.isnan(budget_ms) or budget_ms <= 0:
            raise ValueError(f"budget_ms must be positive, not {budget_ms!r}")
        self.start = time.perf_counter()
        self.unlimited = math.isinf(budget_ms)
        self.deadline = sys.maxsize if self.unlimited else time.time() + budget_ms / 1000
        self.degraded: str | None = None

    def out(self) -> bool:
        return not self.unlimited and time.time() > self.deadline

    def degrade(self, level: str) -> None:
        """Record a coarser result; "blocks" (alignment cut short) outranks "paragraphs"."""
        if self.degraded != "blocks":
            self.degraded = level

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000


def _encode(a: Sequence[str], b: Sequence[str]) -> tuple[str, str]:
    """Map each distinct token to one character (skipping surrogates) for diff-match-patch."""
    table: dict[str, str] = {}

    def enc(seq: Sequence[str]) -> str:
        out = []
        for tok in seq:
            ch = table.get(tok)
            if ch is None:
                n = len(table) + 0x100
                ch = table[tok] = chr(n if n < 0xD800 else n + 0x800)
            out.append(ch)
        return "".join(out)

    return enc(a), enc(b)


def _dmp_runs(a: Sequence[str], b: Sequence[str], clock: Clock) -> list[tuple[int, int]]:
    """diff-match-patch over two token sequences: (op, count) runs, op -1/0/1."""
    ta, tb = _encode(a, b)
    timeout = 0.0 if clock.unlimited else max(clock.deadline - time.time(), 1e-6)
    if _accelerate and _fast is not None:
        raw = _fast.diff(ta, tb, timelimit=timeout, checklines=False, cleanup="No")
        runs = [({"=": 0, "-": -1, "+": 1}[op], n) for op, n in raw]
    else:
        dmp = diff_match_patch()
        dmp.Diff_Timeout = timeout
        runs = [(op, len(text)) for op, text in dmp.diff_main(ta, tb, False)]
    if clock.out():
        clock.degrade("blocks")
    return runs


def _dmp_shared(a: Sequence[str], b: Sequence[str], clock: Clock) -> list[tuple[int, int]]:
    """diff-match-patch on the tokens both sides have; the others cannot match anyway.

    Dropping them leaves the longest common subsequence as it was but shrinks the edit
    distance diff-match-patch pays for, which matters most when a passage was rewritten.
    """
    common = set(a).intersection(b)
    if not common:
        return [(-1, len(a)), (1, len(b))]
    ia = [i for i, t in enumerate(a) if t in common]
    ib = [j for j, t in enumerate(b) if t in common]
    if len(ia) == len(a) and len(ib) == len(b):
        return _dmp_runs(a, b, clock)
    runs: list[tuple[int, int]] = []
    pa = pb = x = y = 0
    for op, n in _dmp_runs([a[i] for i in ia], [b[j] for j in ib], clock):
        if op != 0:
            x, y = (x + n, y) if op < 0 else (x, y + n)
            continue
        for qa, qb in zip(ia[x : x + n], ib[y : y + n], strict=True):
            if qa == pa and qb == pb and runs and runs[-1][0] == 0:  # one more equal token
                runs[-1] = (0, runs[-1][1] + 1)
            else:
                runs += [(-1, qa - pa), (1, qb - pb), (0, 1)]
            pa, pb = qa + 1, qb + 1
        x, y = x + n, y + n
    runs += [(-1, len(a) - pa), (1, len(b) - pb)]
    return merge_runs(runs)


def _unique_anchors(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[list[int], list[int]]:
    """Tokens occurring once in each side, as places (ia[k], jb[k]), longest increasing run in j.

    Written with C loops (sets, map, compress): on a long document every paragraph passes here.
    """
    where_b = dict(zip(b, count()))  # the last place of each token
    found = list(map(where_b.get, a))
    keep = list(map(is_not, found, repeat(None)))
    repeated = _repeated(b, where_b) if len(where_b) < len(b) else set()
    if len(set(a)) < len(a):
        repeated |= _repeated(a, dict(zip(a, count())))
    if repeated:  # a token found twice on either side anchors nothing
        keep = list(map(and_, keep, map(not_, map(repeated.__contains__, a))))
    jb = list(compress(found, keep))
    if not jb:
        return [], []
    ia = list(compress(range(len(a)), keep))
    if jb == sorted(jb):  # nothing crossed over (the usual case): every pair is an anchor
        return ia, jb
    return _longest_chain(ia, jb)


def _longest_chain(ia: list[int], jb: list[int]) -> tuple[list[int], list[int]]:
    """The longest run of pairs (ia[k], jb[k]) increasing in j, by patience sorting.

    A stretch of consecutive j values (j, j + 1, ...) lands on consecutive piles with each
    one's back pointer on the one before, so it is placed with slice assignments in one step:
    Python loops once per stretch, not once per anchor.
    """
    tails: list[int] = []  # j of the smallest tail of each pile length
    tail_at: list[int] = []  # its index in jb
    back: list[int] = []  # per index: the index before it in its chain
    start: list[int] = []  # per index: the first index of the stretch it was placed with
    # where a stretch ends: the next j is not one more
    ends = [*compress(count(1), map(ne, map(sub, jb[1:], jb), repeat(1))), len(jb)]
    k = 0
    for end in ends:
        j, r = jb[k], end - k
        pos = bisect_left(tails, j)
        back.append(tail_at[pos - 1] if pos else -1)
        back += range(k, k + r - 1)
        start += [k] * r
        tails[pos : pos + r] = range(j, j + r)
        tail_at[pos : pos + r] = range(k, k + r)
        k = end
    pieces_a: list[list[int]] = []
    pieces_b: list[list[int]] = []
    k = tail_at[-1]
    while k >= 0:
        k0 = start[k]
        pieces_a.append(ia[k0 : k + 1])
        pieces_b.append(jb[k0 : k + 1])
        k = back[k0]
    return [i for p in reversed(pieces_a) for i in p], [j for p in reversed(pieces_b) for j in p]


def _repeated(seq: Sequence[Hashable], last: dict[Hashable, int]) -> set[Hashable]:
    """The tokens found more than once in `seq`, given each token's last place (C loops)."""
    return set(compress(seq, map(ne, map(last.__getitem__, seq), count())))


def common_head(a: Sequence[Any], b: Sequence[Any], a0: int = 0, b0: int = 0, n: int = -1) -> int:
    """How many items a[a0:] and b[b0:] (lists or strings) share at their start, at most n.

    Galloping then halving over slice comparisons: each compares in C (a memcmp per string),
    so a long unchanged stretch costs a few slices instead of a Python step per item, and a
    short one costs little more than itself.
    """
    if n < 0:
        n = min(len(a) - a0, len(b) - b0)
    if not n or a[a0] != b[b0]:
        return 0
    lo, step = 1, 8  # a[a0:a0+lo] == b[b0:b0+lo]
    while True:
        hi = min(n, lo + step)
        if a[a0 + lo : a0 + hi] != b[b0 + lo : b0 + hi]:
            break
        if hi == n:
            return n
        lo, step = hi, step * 4
    while hi - lo > 1:  # the first difference is in [lo, hi)
        mid = (lo + hi) // 2
        if a[a0 + lo : a0 + mid] == b[b0 + lo : b0 + mid]:
            lo = mid
        else:
            hi = mid
    return lo


def common_tail(a: Sequence[Any], b: Sequence[Any], a1: int = -1, b1: int = -1, n: int = -1) -> int:
    """How many items a[:a1] and b[:b1] share at their end, at most n (see `common_head`)."""
    a1 = len(a) if a1 < 0 else a1
    b1 = len(b) if b1 < 0 else b1
    if n < 0:
        n = min(a1, b1)
    if not n or a[a1 - 1] != b[b1 - 1]:
        return 0
    lo, step = 1, 8
    while True:
        hi = min(n, lo + step)
        if a[a1 - hi : a1 - lo] != b[b1 - hi : b1 - lo]:
            break
        if hi == n:
            return n
        lo, step = hi, step * 4
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[a1 - mid : a1 - lo] == b[b1 - mid : b1 - lo]:
            lo = mid
        else:
            hi = mid
    return lo


def _gaps(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    ia: list[int],
    jb: list[int],
    bounds: tuple[int, int, int, int],
) -> list[tuple[int, int, int, int] | int]:
    """The tasks of a[a0:a1] x b[b0:b1] split at its anchors (ia[k], jb[k]), counted from a0
    and b0: each gap (from a, to a, from b, to b) followed by the number of adjacent anchors
    after it. A gap whose two sides are equal (repeated tokens at the same places) is a number
    too, since aligning it would only find it equal.

    Anchors k and k + 1 are adjacent when both places step by one; the breaks between runs of
    adjacent anchors are found with C loops (map, compress), so Python loops once per gap.
    """
    a0, a1, b0, b1 = bounds
    n = len(ia)
    steps_a = map(ne, map(sub, ia[1:], ia), repeat(1))
    steps_b = map(ne, map(sub, jb[1:], jb), repeat(1))
    starts = [0, *compress(count(1), map(or_, steps_a, steps_b)), n]
    tasks: list[tuple[int, int, int, int] | int] = []
    pa, pb = a0, b0
    for k, end in zip(starts, starts[1:], strict=False):
        i, j, run = a0 + ia[k], b0 + jb[k], end - k
        if i - pa == j - pb and a[pa:i] == b[pb:j]:
            tasks.append(i - pa + run)
        else:
            tasks += [(pa, i, pb, j), run]
        pa, pb = i + run, j + run
    tasks.append((pa, a1, pb, b1))
    return tasks


def align(
    a: Sequence[Hashable], b: Sequence[Hashable], clock: Clock, head: int | None = None
) -> list[tuple[int, int]]:
    """Align two token sequences: (op, count) runs, op -1 delete, 0 equal, 1 insert, in order.

    Common ends are trimmed; a middle whose unmatched tokens are all new is walked (`_walk`),
    else unique common tokens anchor it (patience diff) and the gaps between anchors go to
    diff-match-patch. Work is an explicit stack, so no recursion:
    a task emits its common head at once, leaves its common tail on the stack, and either
    resolves its middle directly or stacks the gaps between anchors above that tail.
    """
    runs: list[tuple[int, int]] = []
    stack: list[tuple[int, int, int, int] | int] = [(0, len(a), 0, len(b))]
    while stack:
        task = stack.pop()
        if isinstance(task, int):
            runs.append((0, task))
            continue
        a0, a1, b0, b1 = task
        if head is None:  # (the caller may know the first task's)
            head = common_head(a, b, a0, b0, min(a1 - a0, b1 - b0))
        if head:
            runs.append((0, head))
            a0, b0 = a0 + head, b0 + head
        head = None
        tail = common_tail(a, b, a1, b1, min(a1 - a0, b1 - b0))
        if tail:
            stack.append(tail)
            a1, b1 = a1 - tail, b1 - tail
        if a0 == a1 or b0 == b1:
            runs += [(-1, a1 - a0), (1, b1 - b0)]
            continue
        mid_a, mid_b = a[a0:a1], b[b0:b1]
        ia: list[int] = []
        if len(mid_a) + len(mid_b) > _SMALL and not clock.out():
            walked = _walk(mid_a, mid_b) if _walking else None
            if walked is not None:
                runs += walked
                continue
            ia, jb = _unique_anchors(mid_a, mid_b)
        if not ia:
            runs += _dmp_shared(mid_a, mid_b, clock)
            continue
        stack.extend(reversed(_gaps(a, b, ia, jb, (a0, a1, b0, b1))))
    return merge_runs(runs)


def _walk(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[int, int]] | None:
    """The alignment of a and b when every token one side lacks is new (absent from the
    other side), else None: from each difference, skip the new tokens on both sides; the
    shared ones must then continue equal.

    Then the tokens both have make the same sequence on both sides, so every alignment that
    matches as many as possible (the patience anchors and diff-match-patch included) matches
    exactly these, and the runs are the same. It costs a scan of the other side per new token
    (C comparisons, a length check first) instead of hashing every token of both sides, so a
    long document with a few rewritten or added paragraphs is aligned at the cost of those.
    """
    na, nb = len(a), len(b)
    runs: list[tuple[int, int]] = []
    i = j = 0
    scans = _WALK_SCANS * (na + nb) // max(na, nb, 1)  # new tokens it may look for
    while i < na and j < nb:
        same = common_head(a, b, i, j)
        if same:
            runs.append((0, same))
            i, j = i + same, j + same
            continue
        i0, j0 = i, j
        while i < na and a[i] not in b:
            i += 1
        while j < nb and b[j] not in a:
            j += 1
        if i == i0 and j == j0:  # a shared token out of place: moved or repeated
            return None
        scans -= i - i0 + j - j0
        if scans < 0:  # mostly new: hashing every token is cheaper than scanning for each
            return None
        runs += [(-1, i - i0), (1, j - j0)]
    if na - i + nb - j > scans:
        return None
    if any(map(b.__contains__, a[i:])) or any(map(a.__contains__, b[j:])):
        return None
    runs += [(-1, na - i), (1, nb - j)]
    return merge_runs(runs)


def merge_runs(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop empty runs and join neighbours of the same op."""
    out: list[tuple[int, int]] = []
    for op, n in runs:
        if n <= 0:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + n)
        else:
            out.append((op, n))
    return out
