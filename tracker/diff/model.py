"""The diff structure every view renders: Op, Row, Stats, Diff and DocumentDiff."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


@dataclass(frozen=True, slots=True)
class EqualRun:
    """`count` unchanged paragraphs at old_index.. and new_index.., texts[start:start+count].

    A diff keeps each run of unchanged paragraphs as one of these and builds their rows only
    when someone reads `Diff.rows`, so a long document with a small edit costs what changed.
    """

    old_index: int
    new_index: int
    count: int
    texts: Sequence[str]
    start: int

    def rows(self, first: int = 0, last: int | None = None) -> list[Row]:
        """The rows of paragraphs first..last of the run (all of them by default)."""
        last = self.count if last is None else min(last, self.count)
        i, j, k = self.old_index + first, self.new_index + first, self.start
        texts = self.texts[k + first : k + last]
        return [Row("equal", i + n, j + n, t, t, [Op("equal", t)]) for n, t in enumerate(texts)]


class Diff:
    """The paragraph rows of a diff, its stats, and whether it had to be coarser (`degraded`).

    `rows` is a plain list of `Row`, built on first read from the parts the engine produced
    (changed rows and `EqualRun`s), then kept; assigning `rows` replaces it.
    """

    def __init__(
        self,
        rows: list[Row],
        stats: Stats,
        degraded: str | None = None,
        elapsed_ms: float = 0.0,
    ) -> None:
        self._rows: list[Row] | None = rows
        self._parts: list[Row | EqualRun] = []
        self._stats: Stats | None = stats
        self._count_stats: Callable[[], Stats] | None = None
        self.degraded = degraded
        self.elapsed_ms = elapsed_ms

    @classmethod
    def of_parts(
        cls,
        parts: list[Row | EqualRun],
        stats: Stats | Callable[[], Stats],
        degraded: str | None,
        elapsed_ms: float,
    ) -> Diff:
        """A diff of parts; `stats` may be a function that computes them on first read."""
        d = cls([], Stats(), degraded, elapsed_ms)
        d._rows, d._parts = None, parts
        if isinstance(stats, Stats):
            d._stats = stats
        else:
            d._stats, d._count_stats = None, stats
        return d

    @property
    def stats(self) -> Stats:
        # counted on first read (the words of the changed rows, which are exact then as now),
        # so a caller that only renders the rows or stores the ops never counts a word
        stats = self._stats
        if stats is None:
            assert self._count_stats is not None
            stats = self._stats = self._count_stats()
        return stats

    @stats.setter
    def stats(self, stats: Stats) -> None:
        self._stats = stats

    def stats_later(self) -> Stats | Callable[[], Stats]:
        """The stats if they were counted, else the function that reads them (for a diff
        built from this one)."""
        return self._stats if self._stats is not None else lambda: self.stats

    @property
    def rows(self) -> list[Row]:
        # the parts are never cleared: a thread reading parts() while another builds the rows
        # (a diff cached by the web app) still sees them all
        rows = self._rows
        if rows is None:
            rows = []
            for part in self._parts:
                if isinstance(part, Row):
                    rows.append(part)
                else:
                    rows += part.rows()
            self._rows = rows
        return rows

    @rows.setter
    def rows(self, rows: list[Row]) -> None:
        self._rows = rows

    def parts(self) -> list[Row | EqualRun]:
        """The rows with each run of unchanged paragraphs as one `EqualRun` (nothing built);
        once the rows are built or assigned, those."""
        rows = self._rows
        return list(self._parts if rows is None else rows)

    def changed_rows(self) -> list[Row]:
        """The rows that are not `equal`, in order, without building the unchanged ones."""
        return [r for r in self.parts() if isinstance(r, Row) and r.kind != "equal"]

    @property
    def changed(self) -> bool:
        return any(isinstance(r, Row) and r.kind != "equal" for r in self.parts())

    def old_paragraphs(self) -> list[str]:
        """The old paragraphs, in order, rebuilt from the rows."""
        return self._side(old=True)

    def new_paragraphs(self) -> list[str]:
        return self._side(old=False)

    def _side(self, *, old: bool) -> list[str]:
        out: list[str] = []
        for r in self.parts():
            if isinstance(r, EqualRun):
                out += r.texts[r.start : r.start + r.count]
            elif old and r.on_old_side and r.old is not None:
                out.append(r.old)
            elif not old and r.on_new_side and r.new is not None:
                out.append(r.new)
        return out

    def row_window(self, offset: int, limit: int) -> tuple[list[Row], int]:
        """Rows offset..offset+limit and how many rows there are, building only those: a
        diff of 60,000 paragraphs answered a page at a time costs a page at a time."""
        window: list[Row] = []
        seen = 0
        for part in self.parts():
            size = part.count if isinstance(part, EqualRun) else 1
            start, end = max(offset, seen), min(offset + limit, seen + size)
            if start < end:
                if isinstance(part, EqualRun):
                    window += part.rows(start - seen, end - seen)
                else:
                    window.append(part)
            seen += size
        return window, seen

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": [asdict(r) for r in self.rows],
            "stats": asdict(self.stats),
            "degraded": self.degraded,
            "elapsed_ms": self.elapsed_ms,
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Diff):
            return NotImplemented
        return (self.rows, self.stats, self.degraded, self.elapsed_ms) == (
            other.rows,
            other.stats,
            other.degraded,
            other.elapsed_ms,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Diff(rows={self.rows!r}, stats={self.stats!r}, degraded={self.degraded!r}, "
            f"elapsed_ms={self.elapsed_ms!r})"
        )


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
