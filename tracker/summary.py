"""A DocumentDiff in words: what kind of change it is, how big, and sentences for logs and alerts.

Subscribers filter on the kinds, so each one has a narrow, testable meaning (docs/DIFF.md):
headline, byline, numbers, quotes, correction, developing_ended, paragraphs_added,
paragraphs_removed, moved, typo, edit. `kind` is the most newsworthy of those that apply.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from tracker.diff import DocumentDiff, Op, Row, count_words, tokenize
from tracker.document import Document
from tracker.markers import doc_markers

KINDS = (
    "correction",
    "headline",
    "numbers",
    "quotes",
    "developing_ended",
    "paragraphs_added",
    "paragraphs_removed",
    "byline",
    "moved",
    "edit",
    "typo",
)
"""Every kind, most newsworthy first: the order that picks `Summary.kind`."""

SNIPPET = 80
# A change with thousands of edits (a 60,000-paragraph text story) is still summed up in a few
# lines: its summary goes into mail subjects, feeds, pages and every API answer about it.
MAX_LINES = 12
MAX_TEXT = 1000
MAX_DETAILS = 50
MAX_NUMBER_BLOCKS = 400
TYPO_CHARS = 3
"""A one-word edit of at most this many characters (and not a number) is a typo fix."""
TYPO_EDITS = 3
"""More tiny edits than this in one change is proofreading, reported as an edit."""

_NUMBER_WORDS = re.compile(
    r"^(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half)$",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"^[+\-−]?\d[\d,.\u202f\u00a0]*(?:%|st|nd|rd|th|s|bn|m|k)?$", re.IGNORECASE)
_QUOTE = re.compile(
    r"“([^“”]{1,600})”"
    r'|"([^"]{1,600})"'
    r"|«\s?([^«»]{1,600}?)\s?»"
    r"|„([^„“”]{1,600})[“”]"
    r"|(?<!\w)‘([^‘’]{1,600})’(?!\w)"
)
_CORRECTION = re.compile(
    r"^\W*(?:correction|clarification|editor[’']?s[’']? note|editors[’']? note)\b"
    r"|\ban earlier version of this (?:story|article|report|post)\b"
    r"|\bthis (?:story|article|report|post) has been (?:corrected|amended|updated to correct)\b"
    r"|\bwe regret the error\b"
    r"|\b(?:corrects|corrected)\b[^.]{0,60}\b(?:earlier|previous|original) version\b",
    re.IGNORECASE,
)


@dataclass
class Summary:
    kind: str
    size: int
    text: str
    kinds: list[str] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _clip(text: str | None, limit: int = SNIPPET) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def is_number(token: str) -> bool:
    return bool(_NUMBER.match(token) or _NUMBER_WORDS.match(token))


def _numbers(text: str) -> list[str]:
    return [t for t in tokenize(text) if is_number(t)]


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@dataclass
class _Block:
    """One replacement inside a row: deleted text, inserted text and the words around them."""

    row: Row
    deleted: str
    inserted: str
    before: str
    after: str


def _blocks(row: Row) -> list[_Block]:
    out: list[_Block] = []
    ops: list[Op] = row.ops
    k = 0
    while k < len(ops):
        if ops[k].op == "equal":
            k += 1
            continue
        deleted = inserted = ""
        start = k
        while k < len(ops) and ops[k].op != "equal":
            if ops[k].op == "delete":
                deleted += ops[k].text
            else:
                inserted += ops[k].text
            k += 1
        before = ops[start - 1].text if start > 0 else ""
        after = ops[k].text if k < len(ops) else ""
        out.append(_Block(row, deleted, inserted, before, after))
    return out


def _context(block: _Block, changed: str) -> str:
    """The changed text with the words around it: "$11 million", "11,000 troops", "forces, Russia".

    A replacement gets its next word (or the previous one at the end of a paragraph); a pure
    insertion or deletion gets both neighbours, since alone it may be a lone comma.
    """
    lead = re.search(r"[^\s\w]*$", block.before)
    prev_word = re.search(r"\S+\s*$", block.before)
    next_word = re.match(r"\s*\S+", block.after)
    pure = not (block.deleted and block.inserted)
    if pure or not next_word:
        text = (prev_word.group(0) if prev_word else "") + changed
        return (text + (next_word.group(0) if next_word else "")).strip()
    return ((lead.group(0) if lead else "") + changed + next_word.group(0)).strip()


def _tiny(block: _Block) -> bool:
    """A typo-level edit: punctuation or spacing only, or one word with a few letters changed."""
    words_del, words_ins = count_words(block.deleted), count_words(block.inserted)
    if words_del == 0 and words_ins == 0:
        return True
    if words_del != 1 or words_ins != 1:
        return False
    old, new = block.deleted.strip(), block.inserted.strip()
    if is_number(old) or is_number(new) or max(len(old), len(new)) > 40:
        return False
    return _levenshtein(old, new) <= TYPO_CHARS


def _quotes(text: str | None) -> list[str]:
    return [
        next(g for g in m.groups() if g is not None).strip() for m in _QUOTE.finditer(text or "")
    ]


def _similar(a: str, b: str) -> float:
    wa, wb = set(a.lower().split()), set(b.lower().split())
    return 2 * len(wa & wb) / (len(wa) + len(wb)) if wa and wb else 0.0


class _Builder:
    def __init__(self) -> None:
        self.kinds: set[str] = set()
        self.lines: list[tuple[str, str]] = []
        self.details: list[dict[str, Any]] = []

    def add(self, kind: str, line: str, **detail: Any) -> None:
        self.kinds.add(kind)
        self.lines.append((kind, line))
        self.details.append({"kind": kind, **detail})


def _fields(ddiff: DocumentDiff, out: _Builder) -> None:
    for name, kind in (("title", "headline"), ("byline", "byline")):
        if name not in ddiff.fields:
            continue
        before, after = ddiff.fields[name]
        label = "headline" if name == "title" else "byline"
        if not before:
            line = f"{label} added: “{_clip(after)}”"
        elif not after:
            line = f"{label} removed: “{_clip(before)}”"
        else:
            line = f"{label} changed: “{_clip(before)}” → “{_clip(after)}”"
        out.add(kind, line, old=before, new=after)


def _number_changes(blocks: list[_Block], out: _Builder) -> set[int]:
    """Numbers swapped for numbers inside a paragraph; returns the ids of blocks fully explained."""
    explained: set[int] = set()
    for block in blocks:
        old_nums, new_nums = _numbers(block.deleted), _numbers(block.inserted)
        if not old_nums or not new_nums:
            continue
        if len(old_nums) == len(new_nums):
            pairs = list(zip(old_nums, new_nums, strict=True))
        else:
            pairs = [(" ".join(old_nums), " ".join(new_nums))]
        for old, new in pairs:
            old_text, new_text = _context(block, block.deleted), _context(block, block.inserted)
            if len(pairs) > 1:
                old_text, new_text = old, new
            out.add(
                "numbers",
                f"number changed: “{_clip(old_text)}” → “{_clip(new_text)}”",
                old=old,
                new=new,
                old_text=old_text,
                new_text=new_text,
                paragraph=block.row.new_index,
            )
        others = [t for t in tokenize(block.deleted + " " + block.inserted) if count_words(t)]
        if all(is_number(t) for t in others):
            explained.add(id(block))
    return explained


def _quote_changes(rows: list[Row], out: _Builder) -> bool:
    """Quotations added, removed or altered anywhere in the body; True if any came from inside
    a paragraph that was edited (not only from whole added or removed paragraphs)."""
    removed: Counter[str] = Counter()
    added: Counter[str] = Counter()
    where: dict[str, Row] = {}
    for row in rows:
        if row.kind in ("equal", "moved_from"):
            continue
        old_q, new_q = Counter(_quotes(row.old)), Counter(_quotes(row.new))
        for q in old_q - new_q:
            where.setdefault(q, row)
        for q in new_q - old_q:
            where.setdefault(q, row)
        removed.update(old_q - new_q)
        added.update(new_q - old_q)
    removed, added = removed - added, added - removed
    inside = False
    for old in sorted(removed, key=lambda q: where[q].old_index or 0):
        best = max(added, key=lambda q: _similar(old, q), default=None)
        if best is not None and _similar(old, best) >= 0.5:
            added[best] -= 1
            added = +added
            out.add(
                "quotes",
                f"quote altered: “{_clip(old)}” → “{_clip(best)}”",
                change="altered",
                old=old,
                new=best,
            )
            inside = True
        else:
            out.add("quotes", f"quote removed: “{_clip(old)}”", change="removed", old=old)
            inside = inside or where[old].kind != "removed"
    for new in sorted(added.elements(), key=lambda q: where[q].new_index or 0):
        out.add("quotes", f"quote added: “{_clip(new)}”", change="added", new=new)
        inside = inside or where[new].kind != "added"
    return inside


def _corrections(rows: list[Row], out: _Builder) -> None:
    for row in rows:
        if row.kind not in ("added", "changed", "moved_to") or not row.new:
            continue
        if _CORRECTION.search(row.new) and not _CORRECTION.search(row.old or ""):
            out.add("correction", f"correction added: “{_clip(row.new)}”", text=row.new)


def _developing(old: Document | None, new: Document | None, out: _Builder) -> None:
    if old is None or new is None:
        return

    def markers(doc: Document) -> Counter[str]:
        return Counter(" ".join(m.split()) for m in doc_markers(doc))

    before, after = markers(old), markers(new)
    if before and not after:
        shown = min(before, key=len)
        out.add(
            "developing_ended",
            f"no longer marked “{shown}”",
            markers=sorted(before),
        )


def summarize(
    ddiff: DocumentDiff, old: Document | None = None, new: Document | None = None
) -> Summary:
    """What changed from `old` to `new` (whose diff is `ddiff`), in kinds, details and words."""
    if not isinstance(ddiff, DocumentDiff):
        raise TypeError(f"summarize needs a DocumentDiff, not {type(ddiff).__name__}")
    rows = ddiff.body.changed_rows()  # every kind below skips the equal rows
    stats = ddiff.body.stats
    out = _Builder()
    _corrections(rows, out)
    _fields(ddiff, out)
    blocks = [b for r in rows if r.kind in ("changed", "moved_to") for b in _blocks(r)]
    # thousands of edited paragraphs: the first few hundred are read for swapped numbers, the
    # rest count as edits, so a huge rewrite costs no more than the details the summary keeps
    explained = _number_changes(blocks[:MAX_NUMBER_BLOCKS], out)
    quotes_inside = _quote_changes(rows, out)
    _developing(old, new, out)
    if stats.paragraphs_added:
        first = next(r.new for r in rows if r.kind == "added")
        out.add(
            "paragraphs_added",
            f"{_plural(stats.paragraphs_added, 'paragraph')} added",
            count=stats.paragraphs_added,
            first=_clip(first),
        )
    if stats.paragraphs_removed:
        first = next(r.old for r in rows if r.kind == "removed")
        out.add(
            "paragraphs_removed",
            f"{_plural(stats.paragraphs_removed, 'paragraph')} removed",
            count=stats.paragraphs_removed,
            first=_clip(first),
        )
    if stats.paragraphs_moved:
        out.add(
            "moved",
            f"{_plural(stats.paragraphs_moved, 'paragraph')} moved",
            count=stats.paragraphs_moved,
        )
    tiny: list[Any] = []
    rest: list[Any] = []
    for b in blocks:
        if id(b) not in explained:
            (tiny if _tiny(b) else rest).append(b)
    if rest or (tiny and (len(tiny) > TYPO_EDITS or out.kinds)):
        edited = len({id(b.row) for b in blocks})
        out.add(
            "edit",
            f"{_plural(edited, 'paragraph')} edited "
            f"(+{stats.words_added}/−{stats.words_removed} words)",
            paragraphs=edited,
        )
    elif tiny:
        for b in tiny:
            if count_words(b.deleted + b.inserted):
                line = f"typo fixed: “{b.deleted.strip()}” → “{b.inserted.strip()}”"
            else:
                line = f"punctuation: “{_context(b, b.deleted)}” → “{_context(b, b.inserted)}”"
            out.add("typo", line, old=b.deleted, new=b.inserted, paragraph=b.row.new_index)
    if not out.kinds:
        changed = ", ".join(ddiff.fields) or "nothing a reader sees"
        out.add("edit", f"{changed} changed")
    order = list(KINDS)
    if not quotes_inside and "quotes" in out.kinds:
        order.remove("quotes")
        order.insert(order.index("paragraphs_removed") + 1, "quotes")
    kinds = sorted(out.kinds, key=order.index)
    lines = [line for _, line in sorted(out.lines, key=lambda kl: order.index(kl[0]))]
    details = sorted(out.details, key=lambda d: order.index(d["kind"]))
    size = stats.words_added + stats.words_removed
    for ops in ddiff.field_ops.values():
        size += sum(count_words(op.text) for op in ops if op.op != "equal")
    if len(lines) > MAX_LINES:  # thousands of edits: the summary stays a summary
        lines = [*lines[:MAX_LINES], f"and {len(lines) - MAX_LINES} more changes"]
    text = "; ".join(lines)
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1].rstrip() + "…"
    return Summary(kinds[0], size, text, kinds, details[:MAX_DETAILS], lines)
