"""Two texts or Documents in, one `Diff` out: aligned paragraph rows with word-level operations.

INTERIM VERSION (foundation issue): paragraphs aligned with diff-match-patch, removed/added runs
paired by position, word diff inside pairs. The diff-engine issue replaces the internals; the
data structure below is the contract every renderer relies on.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from diff_match_patch import diff_match_patch

from tracker.document import Document

OpKind = Literal["equal", "insert", "delete"]
RowKind = Literal["equal", "changed", "added", "removed", "moved_from", "moved_to"]
_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Op:
    """A run of text that is kept, inserted or deleted. Runs never split a word."""

    op: OpKind
    text: str


@dataclass
class Row:
    """One aligned paragraph: equal, changed (with word ops), added, removed, or moved.

    A moved paragraph appears twice, as `moved_from` at its old place and `moved_to` at its new
    one, both carrying the same `move_id`; the `moved_to` row's ops diff the old and new text.
    """

    kind: RowKind
    old_index: int | None
    new_index: int | None
    old: str | None
    new: str | None
    ops: list[Op] = field(default_factory=list)
    move_id: int | None = None


@dataclass
class Stats:
    words_added: int = 0
    words_removed: int = 0
    words_changed: int = 0
    paragraphs_added: int = 0
    paragraphs_removed: int = 0
    paragraphs_moved: int = 0
    paragraphs_changed: int = 0
    share_changed: float = 0.0


@dataclass
class Diff:
    rows: list[Row]
    stats: Stats
    degraded: str | None = None
    elapsed_ms: float = 0.0

    @property
    def changed(self) -> bool:
        return any(r.kind != "equal" for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DocumentDiff:
    """The body diff plus the metadata that changed (title, byline, published, updated)."""

    body: Diff
    fields: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.body.changed or bool(self.fields)

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": {k: {"old": o, "new": n} for k, (o, n) in self.fields.items()},
            **self.body.to_json(),
        }


def _encode(items: list[str], table: dict[str, int], chars: list[str]) -> str:
    out = []
    for item in items:
        if item not in table:
            table[item] = len(chars)
            chars.append(item)
        out.append(chr(table[item] + 0x100))
    return "".join(out)


def _token_diff(old: list[str], new: list[str]) -> list[tuple[int, list[str]]]:
    """diff-match-patch over sequences of tokens (each token mapped to one character)."""
    table: dict[str, int] = {}
    chars: list[str] = []
    a, b = _encode(old, table, chars), _encode(new, table, chars)
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    return [(op, [chars[ord(c) - 0x100] for c in text]) for op, text in dmp.diff_main(a, b, False)]


def word_ops(old: str, new: str) -> list[Op]:
    ops: list[Op] = []
    for op, tokens in _token_diff(_WORDS.findall(old), _WORDS.findall(new)):
        kind: OpKind = "equal" if op == 0 else ("insert" if op == 1 else "delete")
        text = "".join(tokens)
        if ops and ops[-1].op == kind:
            ops[-1] = Op(kind, ops[-1].text + text)
        else:
            ops.append(Op(kind, text))
    return ops


def _split(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()] if text.strip() else []


def _count(text: str) -> int:
    return len(text.split())


def diff_paragraphs(old: list[str], new: list[str]) -> Diff:
    start = time.perf_counter()
    rows: list[Row] = []
    stats = Stats()
    oi = ni = 0
    pending_del: list[tuple[int, str]] = []
    pending_ins: list[tuple[int, str]] = []

    def flush() -> None:
        for (i, o), (j, n) in zip(pending_del, pending_ins, strict=False):
            ops = word_ops(o, n)
            rows.append(Row("changed", i, j, o, n, ops))
            stats.paragraphs_changed += 1
            for op in ops:
                if op.op == "insert":
                    stats.words_added += _count(op.text)
                elif op.op == "delete":
                    stats.words_removed += _count(op.text)
        for i, o in pending_del[len(pending_ins) :]:
            rows.append(Row("removed", i, None, o, None, [Op("delete", o)]))
            stats.paragraphs_removed += 1
            stats.words_removed += _count(o)
        for j, n in pending_ins[len(pending_del) :]:
            rows.append(Row("added", None, j, None, n, [Op("insert", n)]))
            stats.paragraphs_added += 1
            stats.words_added += _count(n)
        pending_del.clear()
        pending_ins.clear()

    for op, paras in _token_diff(old, new):
        for para in paras:
            if op == 0:
                flush()
                rows.append(Row("equal", oi, ni, para, para, [Op("equal", para)]))
                oi, ni = oi + 1, ni + 1
            elif op == -1:
                pending_del.append((oi, para))
                oi += 1
            else:
                pending_ins.append((ni, para))
                ni += 1
    flush()
    total = max(sum(map(_count, old)), sum(map(_count, new)), 1)
    stats.share_changed = round(min(1.0, max(stats.words_added, stats.words_removed) / total), 4)
    return Diff(rows, stats, elapsed_ms=(time.perf_counter() - start) * 1000)


def diff_texts(old: str, new: str, *, budget_ms: float | None = None) -> Diff:
    """Diff two bodies whose paragraphs are separated by blank lines."""
    return diff_paragraphs(_split(old), _split(new))


def diff_documents(old: Document, new: Document, *, budget_ms: float | None = None) -> DocumentDiff:
    fields_changed = {}
    for name in ("title", "byline", "published", "updated"):
        a, b = getattr(old, name), getattr(new, name)
        if (a or None) != (b or None):
            fields_changed[name] = (a, b)
    return DocumentDiff(diff_paragraphs(list(old.paragraphs), list(new.paragraphs)), fields_changed)
