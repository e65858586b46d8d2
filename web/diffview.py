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
    then keep only page `page` (1-based, clamped) of the rendered rows."""
    views: list[RowView] = []
    number = 0
    for row in ddiff.body.rows:
        if row.kind == "equal":
            views.append(RowView(row))
        else:
            number += 1
            views.append(RowView(row, number))
    changed = [i for i, v in enumerate(views) if v.number]
    keep = {j for i in changed for j in range(i - context, i + context + 1)}
    blocks: list[Block] = []
    for i, view in enumerate(views):
        kind: Literal["rows", "collapsed"] = "rows" if view.number or i in keep else "collapsed"
        if blocks and blocks[-1].kind == kind:
            blocks[-1].rows.append(view)
        else:
            blocks.append(Block(kind, [view]))
    for i, block in enumerate(blocks):
        if block.kind == "collapsed" and len(block.rows) == 1 and changed:
            blocks[i] = Block("rows", block.rows)  # "show 1 unchanged" hides nothing worth it
        elif block.kind == "collapsed" and len(block.rows) > FOLD_ROWS:
            blocks[i] = Block("hidden", count=len(block.rows))
    paged = _pages(blocks)
    index = min(max(page, 1), len(paged)) - 1
    numbers = [v.number for b in paged[index] for v in b.rows if v.number]
    return DiffView(
        ddiff,
        paged[index],
        number,
        page=index + 1,
        pages=len(paged),
        first_change=min(numbers, default=0),
        last_change=max(numbers, default=0),
    )


def _chars(view: RowView) -> int:
    return len(view.row.old or "") + len(view.row.new or "")


def _pages(blocks: list[Block]) -> list[list[Block]]:
    """Blocks cut into pages of at most PAGE_ROWS rows and PAGE_CHARS characters (a single
    longer row gets a page of its own); a block may be split between two pages."""
    pages: list[list[Block]] = [[]]
    rows = chars = 0
    for block in blocks:
        if block.kind == "hidden":
            pages[-1].append(block)
            continue
        piece = Block(block.kind)
        pages[-1].append(piece)
        for view in block.rows:
            size = _chars(view)
            if rows and (rows + 1 > PAGE_ROWS or chars + size > PAGE_CHARS):
                piece = Block(block.kind)
                pages.append([piece])
                rows = chars = 0
            piece.rows.append(view)
            rows += 1
            chars += size
    return [[b for b in page if b.size] for page in pages]


def _digest(version: StoreRow) -> str:
    h = hashlib.sha256()
    for key in ("title", "byline", "published", "updated", "text"):
        h.update((version.get(key) or "").encode("utf-8", "replace"))
        h.update(b"\x00")
    return h.hexdigest()


class DiffCache:
    """A bounded, thread-safe LRU of DocumentDiffs keyed by the content of both versions."""

    def __init__(self, size: int, budget_ms: float | None = None) -> None:
        self.size = size
        self.budget_ms = budget_ms
        self._items: OrderedDict[tuple[str, str], DocumentDiff] = OrderedDict()
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
                return found
        result = self._compute(old, new)
        with self._lock:
            self._items[key] = result
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return result
