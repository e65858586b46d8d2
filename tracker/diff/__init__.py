"""Two texts or Documents in, one `Diff` out: aligned paragraph rows with word-level operations.

The diff reads like a good wiki diff because it works in two levels. Paragraphs are aligned first
(each paragraph one token), removed and added paragraphs are then paired by similarity (character
trigrams, so every script works), and only inside a pair are words compared, so a rewritten
paragraph shows as removed + added rather than word confetti. Paragraphs that left one place and
reappear elsewhere (exactly or nearly) are shown as moves with their own inner diff. Alignment at
either level is patience-style (unique tokens anchor the sequence) with diff-match-patch filling
the gaps, after a walk past tokens that only one side has, which gives the same runs when it
gets through; long documents with scattered edits stay near linear. An unchanged paragraph is
never tokenized or counted, nor is the text an edited paragraph keeps at its start and end.
Tokens are words (split at `. / : -`, so an edit in a URL or a hyphenated word marks only its
part; numbers such as "11,000" stay whole), single punctuation
marks, whitespace runs, dictionary words of Thai, Lao, Khmer and Myanmar (ICU), and single CJK
characters; combining marks and format characters stay with the character before them, so no
operation boundary falls inside a word. Past the time budget the work gets coarser (paragraphs
instead of words, then whole blocks) and the result says so in `degraded`.

See docs/DIFF.md for the structure, the algorithm and the guarantees the tests check.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracker.diff.align import (
    DEFAULT_BUDGET_MS,
    Clock,
    accelerator_available,
    align,
    common_head,
    use_accelerator,
)
from tracker.diff.lines import around, cut, middles
from tracker.diff.model import Diff, DocumentDiff, EqualRun, Op, OpKind, Row, RowKind, Stats
from tracker.diff.pairing import (
    MAX_MOVE_COMPARISONS,
    MAX_PAIR_CELLS,
    MOVE_FLOOR,
    MOVE_MIN_WORDS,
    PAIR_FLOOR,
)
from tracker.diff.paragraphs import KEEP_FLOOR, diff_paragraph_lists, mirror
from tracker.diff.tokens import (
    _BY_CHAR_RANGES,
    count_words,
    dictionary_available,
    paragraphs_of,
    tokenize,
    use_dictionary,
)
from tracker.diff.words import check_text, word_ops
from tracker.document import Document

__all__ = [
    "DEFAULT_BUDGET_MS",
    "KEEP_FLOOR",
    "MAX_MOVE_COMPARISONS",
    "MAX_PAIR_CELLS",
    "MOVE_FLOOR",
    "MOVE_MIN_WORDS",
    "PAIR_FLOOR",
    "_BY_CHAR_RANGES",
    "Diff",
    "DocumentDiff",
    "EqualRun",
    "Op",
    "OpKind",
    "Row",
    "RowKind",
    "Stats",
    "accelerator_available",
    "align",
    "count_words",
    "diff_documents",
    "dictionary_available",
    "diff_lines",
    "diff_paragraphs",
    "diff_texts",
    "paragraphs_of",
    "tokenize",
    "use_accelerator",
    "use_dictionary",
    "word_ops",
]

_FIELDS = ("title", "byline", "published", "updated")


def diff_paragraphs(
    old: Sequence[str], new: Sequence[str], *, budget_ms: float | None = None
) -> Diff:
    """Diff two lists of paragraphs."""
    (old, old_chars), (new, new_chars) = _paragraph_list(old), _paragraph_list(new)
    return _diff_lists(old, new, Clock(budget_ms), old_chars, new_chars)


def diff_lines(old: str, new: str, *, budget_ms: float | None = None) -> Diff:
    """Diff two texts with one paragraph per line: the diff of `old.split("\n")` and
    `new.split("\n")`, row for row, without splitting the lines both share at their start and
    end (see `tracker.diff.lines`), so a small edit costs the same in a long text."""
    check_text("old", old)
    check_text("new", new)
    clock = Clock(budget_ms)
    c = cut(old, new)
    middle_old, middle_new = middles(old, new, c)
    old_lines = c.head + len(middle_old) + c.tail  # each text counted once, by the cut and split
    new_lines = c.head + len(middle_new) + c.tail
    # the stats count the lines' characters, newlines left out
    old_chars, new_chars = len(old) - old_lines + 1, len(new) - new_lines + 1
    middle = _diff_lists(middle_old, middle_new, clock, old_chars, new_chars, c.head)
    return around(middle, old, c, old_lines, new_lines)


def _diff_lists(
    old: list[str], new: list[str], clock: Clock, old_chars: int, new_chars: int, shift: int = 0
) -> Diff:
    """The diff of two paragraph lists, in the canonical direction; row indices from `shift`."""
    head = common_head(old, new)
    # `new < old` as lists, from where they first differ (found once, for the alignment too)
    shorter = min(len(old), len(new))
    if new[head] < old[head] if head < shorter else len(new) < len(old):
        return mirror(diff_paragraph_lists(new, old, clock, new_chars, head, shift))
    return diff_paragraph_lists(old, new, clock, old_chars, head, shift)


def _paragraph_list(paragraphs: Sequence[str]) -> tuple[list[str], int]:
    """The paragraphs as a list and their length in characters, refusing anything but
    strings (`str.join` checks each item's type in C and gives the length on the way)."""
    out = list(paragraphs)
    try:
        return out, len("".join(out))
    except TypeError:
        for p in out:
            check_text("paragraph", p)
        raise


def diff_texts(old: str, new: str, *, budget_ms: float | None = None) -> Diff:
    """Diff two bodies whose paragraphs are separated by blank lines."""
    return diff_paragraphs(
        paragraphs_of(check_text("old", old)),
        paragraphs_of(check_text("new", new)),
        budget_ms=budget_ms,
    )


def diff_documents(old: Document, new: Document, *, budget_ms: float | None = None) -> DocumentDiff:
    """The body diff of two Documents plus their changed title, byline and dates."""
    for name, doc in (("old", old), ("new", new)):
        if not isinstance(doc, Document):
            raise TypeError(f"{name} must be a Document, not {type(doc).__name__}")
    body = diff_paragraphs(list(old.paragraphs), list(new.paragraphs), budget_ms=budget_ms)
    fields: dict[str, tuple[str | None, str | None]] = {}
    field_ops: dict[str, list[Op]] = {}
    for name in _FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if (before or None) != (after or None):
            fields[name] = (before, after)
            if name in ("title", "byline"):
                field_ops[name] = word_ops(before or "", after or "", budget_ms=budget_ms)
    return DocumentDiff(body, fields, field_ops)
