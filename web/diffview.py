"""A DocumentDiff shaped for reading: change anchors, move links and collapsed unchanged runs.

The templates (diff page, Atom entries) render `Block`s of `RowView`s; nothing here makes HTML.
A page renders at most PAGE_ROWS rows and PAGE_CHARS characters of text, and a run of more than
FOLD_ROWS unchanged paragraphs is not rendered at all (a count stands in for it): a 60,000
paragraph story must not become a 40 MB page that takes seconds to render. Huge diffs are split
into numbered pages; change numbers stay global, so `#change-N` means the same on every page.
Computed diffs are kept in a small per-app LRU cache keyed by the two texts' hashes, because
stored versions never change and the same comparison is asked for again and again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

from tracker.diff import DocumentDiff, Row, diff_documents
from tracker.record import document_of
from tracker.store import Row as StoreRow

CONTEXT = 1
PAGE_ROWS = 500
PAGE_CHARS = 300_000
FOLD_ROWS = 40


@dataclass
class RowView:
    row: Row
    number: int = 0  # 1-based change number for rows that differ, 0 for unchanged ones

    @property
    def anchor(self) -> str | None:
        return f"change-{self.number}" if self.number else None

    @property
    def move_anchor(self) -> str | None:
        """For a moved paragraph, the anchor of this place (its partner links here)."""
        if self.row.kind == "moved_from":
            return f"move-{self.row.move_id}-from"
        if self.row.kind == "moved_to":
            return f"move-{self.row.move_id}-to"
        return None

    @property
    def partner(self) -> str | None:
        """For a moved paragraph, the anchor of its other place."""
        if self.row.kind == "moved_from":
            return f"move-{self.row.move_id}-to"
        if self.row.kind == "moved_to":
            return f"move-{self.row.move_id}-from"
        return None


BlockKind = Literal["rows", "collapsed", "hidden"]


@dataclass
class Block:
    """Rows shown, rows folded behind a "show" toggle, or (hidden) a long unchanged run that
    is only counted."""

    kind: BlockKind
    rows: list[RowView] = field(default_factory=list)
    count: int = 0

    @property
    def size(self) -> int:
        return self.count if self.kind == "hidden" else len(self.rows)


@dataclass
class DiffView:
    ddiff: DocumentDiff
    blocks: list[Block]
    changes: int
    page: int = 1
    pages: int = 1
    first_change: int = 0  # the change numbers on this page (0 when it has none)
    last_change: int = 0


def build(ddiff: DocumentDiff, context: int = CONTEXT, page: int = 1) -> DiffView:
    """Number the changed rows and fold unchanged runs, keeping `context` rows around changes;
    then keep only page `page` (1-based, clamped) of the rendered rows.

    Blocks and pages are worked out as index ranges; only the chosen page's rows become
    objects, so a 60,000-row diff costs a few lists, not 60,000 views.
    """
    rows = ddiff.body.rows
    numbers: list[int] = []
    count = 0
    for row in rows:
        if row.kind != "equal":
            count += 1
            numbers.append(count)
        else:
            numbers.append(0)
    keep = [False] * len(rows)
    for i, n in enumerate(numbers):
        if n:
            for j in range(max(0, i - context), min(len(rows), i + context + 1)):
                keep[j] = True
    spans: list[tuple[BlockKind, int, int]] = []  # (kind, start, end) over row indices
    for i, kept in enumerate(keep):
        kind: BlockKind = "rows" if kept else "collapsed"
        if spans and spans[-1][0] == kind:
            spans[-1] = (kind, spans[-1][1], i + 1)
        else:
            spans.append((kind, i, i + 1))
    for k, (kind, begin, end) in enumerate(spans):
        if kind == "collapsed" and end - begin == 1 and count:
            spans[k] = ("rows", begin, end)  # "show 1 unchanged" hides nothing worth it
        elif kind == "collapsed" and end - begin > FOLD_ROWS:
            spans[k] = ("hidden", begin, end)
    paged = _pages(spans, rows)
    index = min(max(page, 1), len(paged)) - 1
    blocks = []
    for kind, begin, end in paged[index]:
        if kind == "hidden":
            blocks.append(Block("hidden", count=end - begin))
        else:
            views = [RowView(rows[i], numbers[i]) for i in range(begin, end)]
            if blocks and blocks[-1].kind == kind:
                blocks[-1].rows.extend(views)
            else:
                blocks.append(Block(kind, views))
    shown = [numbers[i] for kind, b, e in paged[index] if kind != "hidden" for i in range(b, e)]
    shown = [n for n in shown if n]
    return DiffView(
        ddiff,
        blocks,
        count,
        page=index + 1,
        pages=len(paged),
        first_change=min(shown, default=0),
        last_change=max(shown, default=0),
    )


def _pages(
    spans: list[tuple[BlockKind, int, int]], rows: list[Row]
) -> list[list[tuple[BlockKind, int, int]]]:
    """Spans cut into pages of at most PAGE_ROWS rows and PAGE_CHARS characters (a single
    longer row gets a page of its own); a span may be split between two pages."""
    pages: list[list[tuple[BlockKind, int, int]]] = [[]]
    used = chars = 0
    for kind, begin, end in spans:
        if kind == "hidden":
            pages[-1].append((kind, begin, end))
            continue
        start = begin
        for i in range(begin, end):
            size = len(rows[i].old or "") + len(rows[i].new or "")
            if used and (used + 1 > PAGE_ROWS or chars + size > PAGE_CHARS):
                if i > start:
                    pages[-1].append((kind, start, i))
                pages.append([])
                start, used, chars = i, 0, 0
            used += 1
            chars += size
        if end > start:
            pages[-1].append((kind, start, end))
    return pages


def _digest(version: StoreRow) -> str:
    h = hashlib.sha256()
    for key in ("title", "byline", "published", "updated", "text"):
        h.update((version.get(key) or "").encode("utf-8", "replace"))
        h.update(b"\x00")
    return h.hexdigest()


CACHE_CHARS = 8_000_000
"""The most text (both versions of every cached diff) the cache holds: a diff takes about
twice its texts in memory, and anyone can ask for the diff of any two versions, so a count
alone would let 256 diffs of 3 MB versions hold gigabytes."""


def _chars(version: StoreRow) -> int:
    return sum(len(version.get(k) or "") for k in ("title", "byline", "text"))


class DiffCache:
    """A bounded, thread-safe LRU of DocumentDiffs keyed by the content of both versions,
    bounded by count (`size`) and by the text it holds (`chars`)."""

    def __init__(self, size: int, budget_ms: float | None = None, chars: int = CACHE_CHARS) -> None:
        self.size = size
        self.budget_ms = budget_ms
        self.chars = chars
        self._items: OrderedDict[tuple[str, str], tuple[DocumentDiff, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def _compute(self, old: StoreRow, new: StoreRow) -> DocumentDiff:
        return diff_documents(document_of(old), document_of(new), budget_ms=self.budget_ms)

    def diff(self, old: StoreRow, new: StoreRow) -> DocumentDiff:
        if self.size <= 0:
            return self._compute(old, new)
        key = (_digest(old), _digest(new))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found[0]
        result = self._compute(old, new)
        weight = _chars(old) + _chars(new)
        if weight > self.chars:  # larger than the whole cache: computed each time
            return result
        with self._lock:
            if key not in self._items:
                self._items[key] = (result, weight)
                self._held += weight
            while len(self._items) > self.size or self._held > self.chars:
                self._held -= self._items.popitem(last=False)[1][1]
        return result

    @property
    def held(self) -> int:
        """Characters of text the cached diffs hold."""
        return self._held
