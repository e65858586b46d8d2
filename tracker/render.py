"""Renderings of a DocumentDiff: plain data for the web views, the terminal, a unified patch, JSON.

`side_by_side` and `inline` return dataclasses (no HTML): rows numbered by change, with anchors
that link the two places of a moved paragraph, and long runs of unchanged paragraphs folded
into a `Fold` ("show N unchanged") that still carries its rows so a page can expand it in place.
The web templates and the notification e-mails turn these into HTML.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from tracker.diff import DocumentDiff, Op, RowKind, Stats

GREEN, RED, DIM, BOLD, RESET = "\x1b[32m", "\x1b[31;9m", "\x1b[2m", "\x1b[1m", "\x1b[0m"
FOLD_MIN = 2
"""Unchanged runs shorter than this are shown rather than folded: a fold of one hides nothing."""


@dataclass
class Segment:
    kind: Literal["equal", "insert", "delete"]
    text: str


@dataclass
class ViewRow:
    """One paragraph row. `left`/`right` (side by side) or `segments` (inline) hold its text.

    `number` counts changed rows from 1 (0 for unchanged ones); `anchor` names the row for
    links ("change-3", "move-1-from") and `partner` is the anchor of a moved paragraph's other
    place.
    """

    kind: RowKind
    number: int
    old_index: int | None
    new_index: int | None
    move_id: int | None = None
    left: list[Segment] | None = None
    right: list[Segment] | None = None
    segments: list[Segment] = field(default_factory=list)

    @property
    def anchor(self) -> str | None:
        if self.kind == "moved_from":
            return f"move-{self.move_id}-from"
        if self.kind == "moved_to":
            return f"move-{self.move_id}-to"
        return f"change-{self.number}" if self.number else None

    @property
    def partner(self) -> str | None:
        if self.kind == "moved_from":
            return f"move-{self.move_id}-to"
        if self.kind == "moved_to":
            return f"move-{self.move_id}-from"
        return None


@dataclass
class Fold:
    """A run of unchanged paragraphs shown as "show N unchanged"; `rows` are the hidden ones."""

    count: int
    old_index: int | None
    new_index: int | None
    rows: list[ViewRow]
    kind: Literal["fold"] = "fold"


@dataclass
class FieldView:
    """A changed headline, byline or date, with a word diff where there is one."""

    name: str
    old: str | None
    new: str | None
    segments: list[Segment]


@dataclass
class View:
    fields: list[FieldView]
    rows: list[ViewRow | Fold]
    changes: int
    stats: Stats
    degraded: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _segments(ops: list[Op], keep: tuple[str, ...]) -> list[Segment]:
    return [Segment(op.op, op.text) for op in ops if op.op in keep]


def _field_views(ddiff: DocumentDiff) -> list[FieldView]:
    views = []
    for name, (old, new) in ddiff.fields.items():
        ops = ddiff.field_ops.get(name)
        if ops is None:
            ops = [Op("delete", old or ""), Op("insert", new or "")]
        views.append(FieldView(name, old, new, _segments([o for o in ops if o.text], _ALL)))
    return views


_ALL = ("equal", "insert", "delete")


def _view_rows(ddiff: DocumentDiff, side_by_side: bool) -> list[ViewRow]:
    moved_ops = {r.move_id: r.ops for r in ddiff.body.rows if r.kind == "moved_to"}
    views: list[ViewRow] = []
    number = 0
    for row in ddiff.body.rows:
        if row.kind != "equal":
            number += 1
        view = ViewRow(
            row.kind,
            number if row.kind != "equal" else 0,
            row.old_index,
            row.new_index,
            row.move_id,
        )
        if side_by_side:
            # a moved paragraph's old place shows what its move deleted, the new place what
            # it inserted, as a wiki diff does
            old_ops = moved_ops.get(row.move_id, row.ops) if row.kind == "moved_from" else row.ops
            if row.on_old_side:
                view.left = _segments(old_ops, ("equal", "delete"))
            if row.on_new_side:
                view.right = _segments(row.ops, ("equal", "insert"))
        else:
            view.segments = _segments(row.ops, _ALL)
        views.append(view)
    return views


def _fold(views: list[ViewRow], context: int) -> list[ViewRow | Fold]:
    changed = [i for i, v in enumerate(views) if v.kind != "equal"]
    keep = {j for i in changed for j in range(i - context, i + context + 1)}
    out: list[ViewRow | Fold] = []
    hidden: list[ViewRow] = []

    def flush() -> None:
        if len(hidden) >= FOLD_MIN or (hidden and not changed):
            out.append(Fold(len(hidden), hidden[0].old_index, hidden[0].new_index, list(hidden)))
        else:
            out.extend(hidden)
        hidden.clear()

    for i, view in enumerate(views):
        if view.kind == "equal" and i not in keep:
            hidden.append(view)
        else:
            flush()
            out.append(view)
    flush()
    return out


def _check_context(context: int) -> int:
    if isinstance(context, bool) or not isinstance(context, int) or context < 0:
        raise ValueError(f"context must be a whole number of paragraphs >= 0, not {context!r}")
    return context


def _view(ddiff: DocumentDiff, context: int, *, side_by_side: bool) -> View:
    views = _view_rows(ddiff, side_by_side=side_by_side)
    return View(
        _field_views(ddiff),
        _fold(views, _check_context(context)),
        sum(1 for v in views if v.number),
        ddiff.body.stats,
        ddiff.body.degraded,
    )


def side_by_side(ddiff: DocumentDiff, context: int = 1) -> View:
    """Rows for a two-column view: `left` is the old text (equal + deleted), `right` the new."""
    return _view(ddiff, context, side_by_side=True)


def inline(ddiff: DocumentDiff, context: int = 1) -> View:
    """Rows for a one-column view: each row's `segments` interleave deleted and inserted text."""
    return _view(ddiff, context, side_by_side=False)


# --------------------------------------------------------------------------- terminal


def _mark(segments: list[Segment], color: bool) -> str:
    out = []
    for seg in segments:
        if seg.kind == "equal":
            out.append(seg.text)
        elif seg.kind == "insert":
            out.append(f"{GREEN}{seg.text}{RESET}" if color else f"{{+{seg.text}+}}")
        else:
            out.append(f"{RED}{seg.text}{RESET}" if color else f"[-{seg.text}-]")
    return "".join(out)


def _dim(text: str, color: bool) -> str:
    return f"{DIM}{text}{RESET}" if color else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def terminal(ddiff: DocumentDiff, *, color: bool = False, context: int = 1) -> str:
    """A word diff for people: ANSI colours on a terminal, wdiff markers ({+ +} [- -]) elsewhere."""
    view = inline(ddiff, context)
    lines: list[str] = []
    for f in view.fields:
        name = f"{BOLD}{f.name}:{RESET}" if color else f"{f.name}:"
        lines += [f"{name} {_mark(f.segments, color)}", ""]
    if view.degraded:
        lines += [_dim(f"(coarse diff: time budget reached, {view.degraded} level)", color), ""]
    new_place = {r.move_id: r.new_index for r in ddiff.body.rows if r.kind == "moved_to"}
    for item in view.rows:
        if isinstance(item, Fold):
            lines += [_dim(f"… {_plural(item.count, 'unchanged paragraph')} …", color), ""]
            continue
        if item.kind == "equal":
            lines.append(_dim(_mark(item.segments, False), color))
        elif item.kind == "moved_from":
            where = new_place.get(item.move_id)
            label = f"[moved to paragraph {where + 1}]" if where is not None else "[moved]"
            lines.append(_dim(f"{label} {_mark(item.segments, False)}", color))
        elif item.kind == "moved_to":
            src = item.old_index + 1 if item.old_index is not None else "?"
            lines.append(f"[moved from paragraph {src}] {_mark(item.segments, color)}")
        else:
            lines.append(_mark(item.segments, color))
        lines.append("")
    if not ddiff.changed:
        lines.append("no changes")
    return "\n".join(lines).rstrip() + "\n"


def _wrap(segments: list[Segment] | None, width: int, color: bool) -> list[str]:
    """Lines of at most `width` visible characters, marked like `_mark`, broken at spaces.

    Words of one kind on one line share one marker, so a wrapped added paragraph reads
    `{+a whole line+}` rather than a marker around every word.
    """
    if segments is None:
        return []
    lines: list[list[Segment]] = [[]]
    seen = 0
    for seg in segments:
        for word in re.findall(r"\S+\s*|\s+", seg.text):
            line = lines[-1]
            opens = not color and seg.kind != "equal" and (not line or line[-1].kind != seg.kind)
            cost = len(word.rstrip()) + (4 if opens else 0)
            if seen and seen + cost > width:
                lines.append([])
                line, seen = lines[-1], 0
                opens = not color and seg.kind != "equal"
            if line and line[-1].kind == seg.kind:
                line[-1] = Segment(seg.kind, line[-1].text + word)
            else:
                line.append(Segment(seg.kind, word))
            seen += len(word) + (4 if opens else 0)
    out = []
    for line in lines:
        trimmed = [Segment(g.kind, g.text) for g in line]
        if trimmed:
            last = trimmed[-1]
            trimmed[-1] = Segment(last.kind, last.text.rstrip(" "))
        out.append(_mark([g for g in trimmed if g.text], color))
    return out


def side_by_side_text(
    ddiff: DocumentDiff, *, width: int = 100, color: bool = False, context: int = 1
) -> str:
    """Two columns for the terminal (old | new), wrapped to `width` characters in all."""
    if isinstance(width, bool) or not isinstance(width, int) or width < 20:
        raise ValueError(f"width must be a whole number of columns >= 20, not {width!r}")
    view = side_by_side(ddiff, context)
    col = (width - 3) // 2
    out: list[str] = []

    def pad(text: str) -> str:
        visible = len(re.sub(r"\x1b\[[0-9;]*m", "", text))
        return text + " " * max(0, col - visible)

    for f in view.fields:
        out.append(f"{f.name}: {_mark(f.segments, color)}")
    if view.fields:
        out.append("")
    for item in view.rows:
        if isinstance(item, Fold):
            out += [_dim(f"… {_plural(item.count, 'unchanged paragraph')} …", color), ""]
            continue
        left, right = _wrap(item.left, col, color), _wrap(item.right, col, color)
        if item.kind == "equal":
            left = [_dim(line, color) for line in left]
            right = [_dim(line, color) for line in right]
        elif item.kind in ("moved_from", "moved_to"):
            label = "[moved ↓]" if item.kind == "moved_from" else "[moved ↑]"
            (left if item.kind == "moved_from" else right).insert(0, _dim(label, color))
        for k in range(max(len(left), len(right))):
            a = left[k] if k < len(left) else ""
            b = right[k] if k < len(right) else ""
            out.append(f"{pad(a)} │ {b}".rstrip())
        out.append("")
    if not ddiff.changed:
        out.append("no changes")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- unified patch


def _line(text: str) -> str:
    return " ".join(text.splitlines())


def _hunk_range(start: int, count: int) -> str:
    if count == 1:
        return str(start + 1)
    return f"{start + 1 if count else start},{count}"


def unified(
    ddiff: DocumentDiff, old_label: str = "old", new_label: str = "new", context: int = 1
) -> str:
    """A unified patch with one paragraph per line (moves are a removal and an addition).

    It applies with `patch` to the old body written one paragraph a line; metadata changes come
    first as `#` lines, which patch tools skip.
    """
    context = _check_context(context)
    head = [f"# {k}: {o!r} -> {n!r}\n" for k, (o, n) in ddiff.fields.items()]
    rows = ddiff.body.rows
    if not ddiff.body.changed:
        return "".join(head)
    lines: list[tuple[str, str]] = []  # (" ", "-", "+"), text
    for row in rows:
        if row.kind == "equal":
            lines.append((" ", _line(row.old or "")))
            continue
        if row.on_old_side and row.old is not None:
            lines.append(("-", _line(row.old)))
        if row.on_new_side and row.new is not None:
            lines.append(("+", _line(row.new)))
    changed = [i for i, (tag, _) in enumerate(lines) if tag != " "]
    # old_at[i] / new_at[i]: lines of each side before line i (hunk starts, without rescanning)
    old_at, new_at = [0], [0]
    for tag, _ in lines:
        old_at.append(old_at[-1] + (tag != "+"))
        new_at.append(new_at[-1] + (tag != "-"))
    out = [*head, f"--- {old_label}\n", f"+++ {new_label}\n"]
    k = 0
    while k < len(changed):
        first = last = changed[k]
        while k + 1 < len(changed) and changed[k + 1] - last <= 2 * context + 1:
            k += 1
            last = changed[k]
        k += 1
        lo, hi = max(0, first - context), min(len(lines), last + context + 1)
        old_start, new_start = old_at[lo], new_at[lo]
        old_count, new_count = old_at[hi] - old_start, new_at[hi] - new_start
        out.append(
            f"@@ -{_hunk_range(old_start, old_count)} +{_hunk_range(new_start, new_count)} @@\n"
        )
        out += [f"{tag}{text}\n" for tag, text in lines[lo:hi]]
    return "".join(out)


def to_json(ddiff: DocumentDiff) -> str:
    return json.dumps(ddiff.to_json(), ensure_ascii=False, indent=2)
