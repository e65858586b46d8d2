"""Diffing two texts line by line without splitting the lines they share at both ends.

A text with a small edit differs in a few lines near one place; splitting all of it into lines
costs as much as the rest of the diff. The common start and end of the two texts are found by
comparing the strings (slice comparisons, in C), cut back to whole lines, and only the lines
between are split and diffed; the shared lines become one unchanged run at each end whose texts
are split only if someone reads their rows. The result is the diff of the split lines exactly:
same rows, stats and moves (the middle's own diff still finds any line they share beyond the
cut, and the stats count the whole texts' characters).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple, overload

from tracker.diff.align import common_head, common_tail
from tracker.diff.model import Diff, EqualRun, Row


class Lines(Sequence[str]):
    """text[start:end] split at newlines, split only when first read."""

    def __init__(self, text: str, start: int, end: int, count: int) -> None:
        self._text, self._start, self._end, self._count = text, start, end, count
        self._lines: list[str] | None = None

    def _split(self) -> list[str]:
        if self._lines is None:
            self._lines = self._text[self._start : self._end].split("\n")
        return self._lines

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        return self._split()[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._split())


class Cut(NamedTuple):
    """Where two texts stop sharing whole lines: `head` lines (text[:start]) at the start,
    `tail` lines at the end (old[old_end + 1:], new[new_end + 1:]), the middles between."""

    head: int
    start: int
    tail: int
    old_end: int
    new_end: int


def cut(old: str, new: str) -> Cut:
    """The lines `old` and `new` share at both ends, found on the strings.

    The head is every line that ends (with its newline) inside the common prefix; the tail is
    every line that starts after a newline inside the common suffix (kept apart from the head).
    A line more may be shared on either side (a last line without its newline); the middles'
    own diff finds it.
    """
    prefix = shared_prefix(old, new)
    start = old.rfind("\n", 0, prefix) + 1
    head = old.count("\n", 0, start)
    room = min(len(old), len(new)) - start
    suffix = shared_suffix(old, new, room) if room > 0 else 0
    old_end, new_end, tail = len(old), len(new), 0
    if suffix:
        newline = old.find("\n", len(old) - suffix)
        if newline >= 0:
            tail = old.count("\n", newline + 1) + 1
            old_end, new_end = newline, newline + len(new) - len(old)
    return Cut(head, start, tail, old_end, new_end)


BLOCK = 4096
"""Characters compared at a time while the texts agree (one side sliced, then `startswith`)."""


def shared_prefix(a: str, b: str) -> int:
    """How many characters a and b share at their start: blocks compared with `startswith` at
    an offset (only b's block is copied), then the differing block halved."""
    n = min(len(a), len(b))
    i = 0
    while i + BLOCK <= n and a.startswith(b[i : i + BLOCK], i):
        i += BLOCK
    return i + common_head(a, b, i, i, min(BLOCK, n - i))


def shared_suffix(a: str, b: str, n: int) -> int:
    """How many characters a and b share at their end, at most n (see `shared_prefix`)."""
    la, lb = len(a), len(b)
    j = 0
    while j + BLOCK <= n and a.endswith(b[lb - j - BLOCK : lb - j], 0, la - j):
        j += BLOCK
    return j + common_tail(a, b, la - j, lb - j, min(BLOCK, n - j))


def middles(old: str, new: str, c: Cut) -> tuple[list[str], list[str]]:
    """The lines of each text between the shared head and tail."""
    return old[c.start : c.old_end].split("\n"), new[c.start : c.new_end].split("\n")


def around(middle: Diff, old: str, c: Cut, old_lines: int, new_lines: int) -> Diff:
    """The diff of the middles (its rows already counted from the head) put back between the
    shared head and tail, each one unchanged run."""
    parts: list[Row | EqualRun] = []
    if c.head:
        parts.append(EqualRun(0, 0, c.head, Lines(old, 0, c.start - 1, c.head), 0))
    parts += middle.parts()
    if c.tail:
        start = c.old_end + 1
        tail = Lines(old, start, len(old), c.tail)
        parts.append(EqualRun(old_lines - c.tail, new_lines - c.tail, c.tail, tail, 0))
    return Diff.of_parts(parts, middle.stats_later(), middle.degraded, middle.elapsed_ms)
