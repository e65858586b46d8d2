"""The diff structure every view renders: Op, Row, Stats, Diff and DocumentDiff."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

OpKind = Literal["equal", "insert", "delete"]
RowKind = Literal["equal", "changed", "added", "removed", "moved_from", "moved_to"]


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
    For every row the equal + delete ops spell `old`; for rows on the new side the equal +
    insert ops spell `new` (a `moved_from` row's single equal op is its old text).
    """

    kind: RowKind
    old_index: int | None
    new_index: int | None
    old: str | None
    new: str | None
    ops: list[Op] = field(default_factory=list)
    move_id: int | None = None

    @property
    def on_old_side(self) -> bool:
        """True when this row stands at a place of the old text (a side-by-side left cell)."""
        return self.kind not in ("added", "moved_to")

    @property
    def on_new_side(self) -> bool:
        return self.kind not in ("removed", "moved_from")


@dataclass
class Stats:
    """Counts over the ops. A moved paragraph counts only its inner edits; a replaced word
    counts once in `words_added`, once in `words_removed` and once in `words_changed`."""

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

    def old_paragraphs(self) -> list[str]:
        """The old paragraphs, in order, rebuilt from the rows."""
        return [r.old for r in self.rows if r.on_old_side and r.old is not None]

    def new_paragraphs(self) -> list[str]:
        return [r.new for r in self.rows if r.on_new_side and r.new is not None]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DocumentDiff:
    """The body diff plus the metadata that changed (title, byline, published, updated).

    `field_ops` holds a word diff for each changed title or byline.
    """

    body: Diff
    fields: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    field_ops: dict[str, list[Op]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.body.changed or bool(self.fields)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fields": {}}
        for name, (old, new) in self.fields.items():
            entry: dict[str, Any] = {"old": old, "new": new}
            if name in self.field_ops:
                entry["ops"] = [asdict(op) for op in self.field_ops[name]]
            out["fields"][name] = entry
        return {**out, **self.body.to_json()}
