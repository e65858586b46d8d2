"""Sequence alignment: patience anchors with diff-match-patch in the gaps, under a time budget."""

from __future__ import annotations

import math
import sys
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence

from diff_match_patch import diff_match_patch

try:  # the C++ build of the same algorithm; optional, see use_accelerator()
    import fast_diff_match_patch as _fast
except ImportError:  # pragma: no cover - depends on the environment
    _fast = None

DEFAULT_BUDGET_MS = 200.0
"""Used when a caller passes no budget; `math.inf` means no limit at all."""
_SMALL = 64
"""Token sequences up to this long go straight to diff-match-patch (no anchor search)."""

_accelerate = _fast is not None


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
        for k in range(n):
            qa, qb = ia[x + k], ib[y + k]
            runs += [(-1, qa - pa), (1, qb - pb), (0, 1)]
            pa, pb = qa + 1, qb + 1
        x, y = x + n, y + n
    runs += [(-1, len(a) - pa), (1, len(b) - pb)]
    return merge_runs(runs)


def _unique_anchors(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Tokens occurring once in each side, as (i, j) pairs, longest increasing run in j."""
    count_a, count_b = Counter(a), Counter(b)
    where_b = {tok: j for j, tok in enumerate(b)}
    pairs = [
        (i, where_b[tok]) for i, tok in enumerate(a) if count_a[tok] == 1 and count_b.get(tok) == 1
    ]
    if not pairs:
        return []
    js = [j for _, j in pairs]
    if js == sorted(js):  # nothing crossed over (the usual case): every pair is an anchor
        return pairs
    tails: list[int] = []  # patience sorting: j of the smallest tail of each pile length
    tail_at: list[int] = []
    back: list[int] = []
    for k, (_, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        back.append(tail_at[pos - 1] if pos else -1)
        if pos == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[pos] = j
            tail_at[pos] = k
    chain_: list[tuple[int, int]] = []
    k = tail_at[-1]
    while k >= 0:
        chain_.append(pairs[k])
        k = back[k]
    return chain_[::-1]


def align(a: Sequence[str], b: Sequence[str], clock: Clock) -> list[tuple[int, int]]:
    """Align two token sequences: (op, count) runs, op -1 delete, 0 equal, 1 insert, in order.

    Common ends are trimmed, unique common tokens anchor the middle (patience diff), and the
    gaps between anchors go to diff-match-patch. Work is an explicit stack, so no recursion:
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
        while a0 < a1 and b0 < b1 and a[a0] == b[b0]:
            a0 += 1
            b0 += 1
        head = a0 - task[0]
        if head:
            runs.append((0, head))
        tail = 0
        while a1 > a0 and b1 > b0 and a[a1 - 1] == b[b1 - 1]:
            a1 -= 1
            b1 -= 1
            tail += 1
        if tail:
            stack.append(tail)
        if a0 == a1 or b0 == b1:
            runs += [(-1, a1 - a0), (1, b1 - b0)]
            continue
        mid_a, mid_b = a[a0:a1], b[b0:b1]
        anchors: list[tuple[int, int]] = []
        if len(mid_a) + len(mid_b) > _SMALL and not clock.out():
            anchors = _unique_anchors(mid_a, mid_b)
        if not anchors:
            runs += _dmp_shared(mid_a, mid_b, clock)
            continue
        subtasks: list[tuple[int, int, int, int] | int] = []
        pa, pb = a0, b0
        for i, j in anchors:
            i, j = a0 + i, b0 + j
            if i == pa and j == pb and subtasks:  # no gap: the previous equal run grows
                subtasks[-1] += 1
            else:
                subtasks += [(pa, i, pb, j), 1]
            pa, pb = i + 1, j + 1
        subtasks.append((pa, a1, pb, b1))
        stack.extend(reversed(subtasks))
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
