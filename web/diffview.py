"""A DocumentDiff shaped for reading: change anchors, move links and collapsed unchanged runs.

The templates (diff page, Atom entries) render `Block`s of `RowView`s; nothing here makes HTML.
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


@dataclass
class Block:
    kind: Literal["rows", "collapsed"]
    rows: list[RowView] = field(default_factory=list)


@dataclass
class DiffView:
    ddiff: DocumentDiff
    blocks: list[Block]
    changes: int


def build(ddiff: DocumentDiff, context: int = CONTEXT) -> DiffView:
    """Number the changed rows and fold unchanged runs, keeping `context` rows around changes."""
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
    return DiffView(ddiff, blocks, number)


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
