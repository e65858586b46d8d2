"""Two texts or Documents in, one `Diff` out: aligned paragraph rows with word-level operations.

The diff reads like a good wiki diff because it works in two levels. Paragraphs are aligned first
(each paragraph one token), removed and added paragraphs are then paired by word similarity, and
only inside a pair are words compared, so a rewritten paragraph shows as removed + added rather
than word confetti. Paragraphs that left one place and reappear elsewhere (exactly or nearly) are
shown as moves with their own inner diff. Alignment at either level is patience-style (unique
tokens anchor the sequence) with diff-match-patch filling the gaps, which keeps long documents
with scattered edits near linear. Tokens are whole words (numbers such as "11,000" included),
single punctuation marks, whitespace runs, and single characters of scripts written without
spaces; combining marks and format characters stay with the character before them, so no
operation boundary falls inside a word. Past the time budget the work gets coarser (paragraphs
instead of words, then whole blocks) and the result says so in `degraded`.

See docs/DIFF.md for the structure, the algorithm and the guarantees the tests check.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
import time
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import chain
from typing import Any, Literal

from diff_match_patch import diff_match_patch

from tracker.document import Document

try:  # the C++ build of the same algorithm; optional, see use_accelerator()
    import fast_diff_match_patch as _fast
except ImportError:  # pragma: no cover - depends on the environment
    _fast = None

OpKind = Literal["equal", "insert", "delete"]
RowKind = Literal["equal", "changed", "added", "removed", "moved_from", "moved_to"]

DEFAULT_BUDGET_MS = 200.0
"""Used when a caller passes no budget; `math.inf` means no limit at all."""

PAIR_FLOOR = 0.4
"""Word-set similarity (Dice) at which a removed and an added paragraph count as one edit."""
KEEP_FLOOR = 0.3
"""Below this share of common words after the word diff, a pair is shown as removed + added."""
MOVE_FLOOR = 0.8
"""Word-set similarity for a near-exact move (exact moves need no threshold)."""
MOVE_MIN_WORDS = 5
"""Near-exact moves are only looked for among paragraphs this long; shorter ones move exactly."""
MAX_PAIR_CELLS = 20_000
"""Similarity cells computed for one run of removed x added paragraphs (the rest is banded)."""
MAX_MOVE_COMPARISONS = 5_000
"""Paragraph comparisons spent looking for near-exact moves in one diff."""
_SMALL = 64
"""Token sequences up to this long go straight to diff-match-patch (no anchor search)."""
_FIELDS = ("title", "byline", "published", "updated")


# --------------------------------------------------------------------------- tokens


def _char_class(codepoints: Sequence[int]) -> str:
    """A regex character class body for sorted code points, compressed into ranges."""
    parts: list[str] = []
    start = prev = -2
    for cp in chain(codepoints, [-1]):
        if cp == prev + 1:
            prev = cp
            continue
        if start >= 0:
            parts.append(f"\\U{start:08x}" if start == prev else f"\\U{start:08x}-\\U{prev:08x}")
        start = prev = cp
    return "".join(parts)


_BY_CHAR_RANGES = [
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3005, 0x3007),
    (0x3021, 0x3029),
    (0x3040, 0x30FF),  # kana
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F),  # half-width kana
]


def _build_tokenizer() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Token and word patterns from the Unicode tables of this Python (built once, ~20 ms).

    Classes are split at the BMP: sre tests BMP members with a bitmap, but astral members as a
    list of ranges, so astral ranges sit behind a one-range guard that only astral characters
    pass. Without that every character paid for hundreds of range comparisons.
    """
    ext: list[int] = []
    punct: list[int] = []
    for cp in chain(range(0x20000), range(0xE0000, 0xE1000)):
        cat = unicodedata.category(chr(cp))
        if cat[0] == "M" or cat == "Cf" or 0x1F3FB <= cp <= 0x1F3FF:
            ext.append(cp)
        elif cat[0] in "PS":
            punct.append(cp)
    special = set(ext) | set(punct)
    by_char = [cp for lo, hi in _BY_CHAR_RANGES for cp in range(lo, hi + 1) if cp not in special]
    e_b, e_a = (
        _char_class([c for c in ext if c < 0x10000]),
        _char_class([c for c in ext if c >= 0x10000]),
    )
    p_b, p_a = (
        _char_class([c for c in punct if c < 0x10000]),
        _char_class([c for c in punct if c >= 0x10000]),
    )
    b_b = _char_class(by_char)
    astral, cjk_b = r"\U00010000-\U0010ffff", r"\U00020000-\U0003ffff"
    e = rf"(?:[{e_b}]|(?=[{astral}])[{e_a}])"
    p = rf"(?:[{p_b}]|(?=[{astral}])[{p_a}])"
    b = rf"(?:[{b_b}{cjk_b}])"
    start = rf"(?:[^\s{p_b}{b_b}{e_b}{astral}]|(?=[{astral}])(?![{p_a}{e_a}{cjk_b}]).)"
    cont = rf"(?:[^\s{p_b}{b_b}{astral}]|(?=[{astral}])(?![{p_a}{cjk_b}]).)"
    word = rf"{start}{cont}*"
    connector = r"[.,'\u2019\-:/&@]"
    words = rf"{word}(?:{connector}{word})*"
    token = rf"\s+{e}*|{words}|{b}{e}*|{p}(?:\u200d\S|{e})*|{e}+|[\s\S]"
    return re.compile(token), re.compile(rf"{words}|{b}")


_TOKEN, _WORD = _build_tokenizer()


def tokenize(text: str) -> list[str]:
    """Split text into tokens whose concatenation is exactly `text` (see the module docstring)."""
    return _TOKEN.findall(text)


def count_words(text: str) -> int:
    """Words as the diff counts them: whole words, plus each character of CJK or Thai text."""
    return len(_WORD.findall(text))


def paragraphs_of(text: str) -> list[str]:
    """The paragraphs of a body: blocks separated by blank lines, kept exactly as written."""
    return [p for p in re.split(r"\n[ \t\r\f\v]*\n", text) if p.strip()]


# --------------------------------------------------------------------------- structure


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


# --------------------------------------------------------------------------- sequence alignment

_accelerate = _fast is not None


def accelerator_available() -> bool:
    return _fast is not None


def use_accelerator(enabled: bool) -> bool:
    """Switch the C++ diff-match-patch on or off (if installed); returns the previous setting.

    Both paths run the same algorithm with the same settings and give the same diffs; the
    switch exists for the tests that prove it and for benchmarks.
    """
    global _accelerate
    previous = _accelerate
    _accelerate = bool(enabled) and _fast is not None
    return previous


class _Clock:
    """The time budget of one diff, and whether anything had to be cut short."""

    def __init__(self, budget_ms: float | None) -> None:
        if budget_ms is None:
            budget_ms = DEFAULT_BUDGET_MS
        if isinstance(budget_ms, bool) or not isinstance(budget_ms, int | float):
            raise TypeError(f"budget_ms must be a number of milliseconds, not {budget_ms!r}")
        if math.isnan(budget_ms) or budget_ms <= 0:
            raise ValueError(f"budget_ms must be positive, not {budget_ms!r}")
        self.start = time.perf_counter()
        self.unlimited = math.isinf(budget_ms)
        self.deadline = sys.maxsize if self.unlimited else time.time() + budget_ms / 1000
        self.degraded: str | None = None

    def out(self) -> bool:
        return not self.unlimited and time.time() > self.deadline

    def degrade(self, level: str) -> None:
        """Record a coarser result; "blocks" (alignment cut short) outranks "paragraphs"."""
        if self.degraded != "blocks":
            self.degraded = level

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000


def _encode(a: Sequence[str], b: Sequence[str]) -> tuple[str, str]:
    """Map each distinct token to one character (skipping surrogates) for diff-match-patch."""
    table: dict[str, str] = {}

    def enc(seq: Sequence[str]) -> str:
        out = []
        for tok in seq:
            ch = table.get(tok)
            if ch is None:
                n = len(table) + 0x100
                ch = table[tok] = chr(n if n < 0xD800 else n + 0x800)
            out.append(ch)
        return "".join(out)

    return enc(a), enc(b)


def _dmp_runs(a: Sequence[str], b: Sequence[str], clock: _Clock) -> list[tuple[int, int]]:
    """diff-match-patch over two token sequences: (op, count) runs, op -1/0/1."""
    ta, tb = _encode(a, b)
    timeout = 0.0 if clock.unlimited else max(clock.deadline - time.time(), 1e-6)
    if _accelerate and _fast is not None:
        raw = _fast.diff(ta, tb, timelimit=timeout, checklines=False, cleanup="No")
        runs = [({"=": 0, "-": -1, "+": 1}[op], n) for op, n in raw]
    else:
        dmp = diff_match_patch()
        dmp.Diff_Timeout = timeout
        runs = [(op, len(text)) for op, text in dmp.diff_main(ta, tb, False)]
    if clock.out():
        clock.degrade("blocks")
    return runs


def _dmp_shared(a: Sequence[str], b: Sequence[str], clock: _Clock) -> list[tuple[int, int]]:
    """diff-match-patch on the tokens both sides have; the others cannot match anyway.

    Dropping them leaves the longest common subsequence as it was but shrinks the edit
    distance diff-match-patch pays for, which matters most when a passage was rewritten.
    """
    common = set(a).intersection(b)
    if not common:
        return [(-1, len(a)), (1, len(b))]
    ia = [i for i, t in enumerate(a) if t in common]
    ib = [j for j, t in enumerate(b) if t in common]
    if len(ia) == len(a) and len(ib) == len(b):
        return _dmp_runs(a, b, clock)
    runs: list[tuple[int, int]] = []
    pa = pb = x = y = 0
    for op, n in _dmp_runs([a[i] for i in ia], [b[j] for j in ib], clock):
        if op != 0:
            x, y = (x + n, y) if op < 0 else (x, y + n)
            continue
        for k in range(n):
            qa, qb = ia[x + k], ib[y + k]
            runs += [(-1, qa - pa), (1, qb - pb), (0, 1)]
            pa, pb = qa + 1, qb + 1
        x, y = x + n, y + n
    runs += [(-1, len(a) - pa), (1, len(b) - pb)]
    return _merge_runs(runs)


def _unique_anchors(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Tokens occurring once in each side, as (i, j) pairs, longest increasing run in j."""
    count_a: dict[str, int] = {}
    for tok in a:
        count_a[tok] = count_a.get(tok, 0) + 1
    where_b: dict[str, int] = {}
    for j, tok in enumerate(b):
        where_b[tok] = -1 if tok in where_b else j
    pairs = [
        (i, where_b[tok])
        for i, tok in enumerate(a)
        if count_a[tok] == 1 and where_b.get(tok, -1) >= 0
    ]
    if not pairs:
        return []
    tails: list[int] = []  # patience sorting: j of the smallest tail of each pile length
    tail_at: list[int] = []
    back: list[int] = []
    for k, (_, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        back.append(tail_at[pos - 1] if pos else -1)
        if pos == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[pos] = j
            tail_at[pos] = k
    chain_: list[tuple[int, int]] = []
    k = tail_at[-1]
    while k >= 0:
        chain_.append(pairs[k])
        k = back[k]
    return chain_[::-1]


def align(a: Sequence[str], b: Sequence[str], clock: _Clock) -> list[tuple[int, int]]:
    """Align two token sequences: (op, count) runs, op -1 delete, 0 equal, 1 insert, in order.

    Common ends are trimmed, unique common tokens anchor the middle (patience diff), and the
    gaps between anchors go to diff-match-patch. Work is an explicit stack, so no recursion:
    a task emits its common head at once, leaves its common tail on the stack, and either
    resolves its middle directly or stacks the gaps between anchors above that tail.
    """
    runs: list[tuple[int, int]] = []
    stack: list[tuple[int, int, int, int] | int] = [(0, len(a), 0, len(b))]
    while stack:
        task = stack.pop()
        if isinstance(task, int):
            runs.append((0, task))
            continue
        a0, a1, b0, b1 = task
        while a0 < a1 and b0 < b1 and a[a0] == b[b0]:
            a0 += 1
            b0 += 1
        head = a0 - task[0]
        if head:
            runs.append((0, head))
        tail = 0
        while a1 > a0 and b1 > b0 and a[a1 - 1] == b[b1 - 1]:
            a1 -= 1
            b1 -= 1
            tail += 1
        if tail:
            stack.append(tail)
        if a0 == a1 or b0 == b1:
            runs += [(-1, a1 - a0), (1, b1 - b0)]
            continue
        mid_a, mid_b = a[a0:a1], b[b0:b1]
        anchors: list[tuple[int, int]] = []
        if len(mid_a) + len(mid_b) > _SMALL and not clock.out():
            anchors = _unique_anchors(mid_a, mid_b)
        if not anchors:
            runs += _dmp_shared(mid_a, mid_b, clock)
            continue
        subtasks: list[tuple[int, int, int, int] | int] = []
        pa, pb = a0, b0
        for i, j in anchors:
            subtasks += [(pa, a0 + i, pb, b0 + j), 1]
            pa, pb = a0 + i + 1, b0 + j + 1
        subtasks.append((pa, a1, pb, b1))
        stack.extend(reversed(subtasks))
    return _merge_runs(runs)


def _merge_runs(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop empty runs and join neighbours of the same op."""
    out: list[tuple[int, int]] = []
    for op, n in runs:
        if n <= 0:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + n)
        else:
            out.append((op, n))
    return out


# --------------------------------------------------------------------------- words


@lru_cache(maxsize=1 << 16)
def _is_word(token: str) -> bool:
    return _WORD.match(token) is not None


def _words_in(tokens: Sequence[str]) -> int:
    return sum(map(_is_word, tokens))


class _Change:
    """A stretch where the old tokens `dels` became the new tokens `ins` (one may be empty)."""

    __slots__ = ("dels", "ins")

    def __init__(self) -> None:
        self.dels: list[str] = []
        self.ins: list[str] = []


def _shift_pure(segs: list[Any]) -> None:
    """Slide pure insertions/deletions right so they start on a word: "the {+big +}house"."""
    for k in range(1, len(segs) - 1):
        seg, before, after = segs[k], segs[k - 1], segs[k + 1]
        if not isinstance(seg, _Change) or (seg.dels and seg.ins):
            continue
        moved = seg.dels or seg.ins
        while len(after) > 1 and moved[0] == after[0] and moved[0][:1].isspace():
            before.append(moved.pop(0))
            moved.append(after.pop(0))


def _absorb(equal: list[str], left: _Change, right: _Change) -> bool:
    """Whether a short equality between two changes reads better as part of one change."""
    words = _words_in(equal)
    if words == 0:
        return len(equal) <= 2
    left_words = max(_words_in(left.dels), _words_in(left.ins))
    right_words = max(_words_in(right.dels), _words_in(right.ins))
    return words < left_words and words < right_words


def _cleanup(segs: list[Any]) -> list[Any]:
    """Join changes separated only by a space or by fewer words than either change holds."""
    out: list[Any] = []
    for k, seg in enumerate(segs):
        if isinstance(seg, _Change):
            if out and isinstance(out[-1], _Change):
                out[-1].dels += seg.dels
                out[-1].ins += seg.ins
            else:
                out.append(seg)
        elif not seg:
            continue
        elif (
            out
            and isinstance(out[-1], _Change)
            and k + 1 < len(segs)
            and isinstance(segs[k + 1], _Change)
            and _absorb(seg, out[-1], segs[k + 1])
        ):
            out[-1].dels += seg
            out[-1].ins += seg
        else:
            out.append(seg)
    return out


def _ops_of(segs: list[Any]) -> list[Op]:
    ops: list[Op] = []
    for seg in segs:
        if isinstance(seg, _Change):
            if seg.dels:
                ops.append(Op("delete", "".join(seg.dels)))
            if seg.ins:
                ops.append(Op("insert", "".join(seg.ins)))
        elif seg:
            ops.append(Op("equal", "".join(seg)))
    return ops


def _segments_by_words(ta: list[str], tb: list[str], clock: _Clock) -> list[Any]:
    """Align the non-space tokens only, then lay the whitespace back in between.

    Spaces are the most common token and carry no meaning of their own: left in, they double
    the sequences diff-match-patch has to walk and give it false anchors. Between two matched
    words, whitespace the two sides share is equal and the rest joins the change around it.
    """
    ia = [i for i, t in enumerate(ta) if not t[0].isspace()]
    ib = [j for j, t in enumerate(tb) if not t[0].isspace()]
    runs: list[tuple[int, int]] = []
    pa = pb = -1

    def gap(qa: int, qb: int) -> None:
        """Runs for the tokens strictly between the anchors (pa, pb) and (qa, qb)."""
        na, nb = qa - pa - 1, qb - pb - 1
        if na == nb and ta[pa + 1 : qa] == tb[pb + 1 : qb]:
            runs.append((0, na))
            return
        head = 0
        while head < min(na, nb) and ta[pa + 1 + head] == tb[pb + 1 + head]:
            head += 1
        tail = 0
        while tail < min(na, nb) - head and ta[qa - 1 - tail] == tb[qb - 1 - tail]:
            tail += 1
        runs.extend([(0, head), (-1, na - head - tail), (1, nb - head - tail), (0, tail)])

    x = y = 0
    for op, n in align([ta[i] for i in ia], [tb[j] for j in ib], clock):
        if op < 0:
            x += n
        elif op > 0:
            y += n
        else:
            for k in range(n):
                qa, qb = ia[x + k], ib[y + k]
                gap(qa, qb)
                runs.append((0, 1))
                pa, pb = qa, qb
            x, y = x + n, y + n
    gap(len(ta), len(tb))
    return _segments(ta, tb, _merge_runs(runs))


def _segments(ta: Sequence[str], tb: Sequence[str], runs: list[tuple[int, int]]) -> list[Any]:
    """Runs as alternating equal token lists and `_Change`s."""
    segs: list[Any] = []
    i = j = 0
    for op, n in runs:
        if op == 0:
            segs.append(list(ta[i : i + n]))
            i, j = i + n, j + n
            continue
        if not segs or not isinstance(segs[-1], _Change):
            segs.append(_Change())
        if op < 0:
            segs[-1].dels += ta[i : i + n]
            i += n
        else:
            segs[-1].ins += tb[j : j + n]
            j += n
    return segs


def _token_ops(ta: list[str], tb: list[str], clock: _Clock) -> list[Op]:
    if ta == tb:
        return [Op("equal", "".join(ta))] if ta else []
    segs = _segments_by_words(ta, tb, clock)
    _shift_pure(segs)
    return _ops_of(_cleanup(segs))


def word_ops(old: str, new: str, *, budget_ms: float | None = None) -> list[Op]:
    """The word diff of two short texts (one paragraph, a headline): equal, delete, insert."""
    _check_text("old", old)
    _check_text("new", new)
    if new < old:
        return _mirror_ops(_token_ops(tokenize(new), tokenize(old), _Clock(budget_ms)))
    return _token_ops(tokenize(old), tokenize(new), _Clock(budget_ms))


_OPPOSITE: dict[OpKind, OpKind] = {"equal": "equal", "insert": "delete", "delete": "insert"}


def _mirror_ops(ops: list[Op]) -> list[Op]:
    """The ops of the reverse diff, with each deletion again before its insertion."""
    out: list[Op] = []
    for op in ops:
        flipped = Op(_OPPOSITE[op.op], op.text)
        if flipped.op == "delete" and out and out[-1].op == "insert":
            out.insert(len(out) - 1, flipped)
        else:
            out.append(flipped)
    return out


def _equal_words(ops: list[Op]) -> int:
    return sum(count_words(op.text) for op in ops if op.op == "equal")


# --------------------------------------------------------------------------- paragraphs


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


class _Paragraphs:
    """One side's paragraphs with lazily computed tokens and word sets."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self._tokens: dict[int, list[str]] = {}
        self._words: dict[int, frozenset[str]] = {}

    def tokens(self, i: int) -> list[str]:
        found = self._tokens.get(i)
        if found is None:
            found = self._tokens[i] = tokenize(self.texts[i])
        return found

    def words(self, i: int) -> frozenset[str]:
        found = self._words.get(i)
        if found is None:
            found = self._words[i] = frozenset(_WORD.findall(self.texts[i]))
        return found


def _pair_run(
    olds: list[int], news: list[int], a: _Paragraphs, b: _Paragraphs, clock: _Clock
) -> list[tuple[int, int]]:
    """Monotone pairs of similar paragraphs in one run, maximising total similarity.

    A dynamic programme over the removed x added grid; past MAX_PAIR_CELLS only a diagonal
    band is scored, which keeps the work and memory linear in the run length.
    """
    n, m = len(olds), len(news)
    if n == 1 and m == 1:
        return (
            [(olds[0], news[0])] if _dice(a.words(olds[0]), b.words(news[0])) >= PAIR_FLOOR else []
        )
    band = m if n * m <= MAX_PAIR_CELLS else max(1, MAX_PAIR_CELLS // n)
    prev = [0.0] * (m + 1)
    moves: list[tuple[int, bytearray]] = []  # per old row: (first column, choices)
    for k in range(1, n + 1):
        if clock.out():
            clock.degrade("paragraphs")
            return []
        centre = k * m // n
        lo, hi = max(1, centre - band), min(m, centre + band)
        cur = [0.0] * (m + 1)
        for col in range(1, lo):
            cur[col] = max(prev[col], cur[col - 1])
        choice = bytearray(hi - lo + 1)
        words_k = a.words(olds[k - 1])
        for col in range(lo, hi + 1):
            best, how = prev[col], 0
            if cur[col - 1] > best:
                best, how = cur[col - 1], 1
            sim = _dice(words_k, b.words(news[col - 1]))
            if sim >= PAIR_FLOOR and prev[col - 1] + sim > best:
                best, how = prev[col - 1] + sim, 2
            cur[col] = best
            choice[col - lo] = how
        for col in range(hi + 1, m + 1):
            cur[col] = max(prev[col], cur[col - 1])
        moves.append((lo, choice))
        prev = cur
    pairs: list[tuple[int, int]] = []
    k, col = n, m
    while k > 0 and col > 0:
        lo, choice = moves[k - 1]
        how = choice[col - lo] if lo <= col < lo + len(choice) else (1 if col > lo else 0)
        if how == 2:
            pairs.append((olds[k - 1], news[col - 1]))
            k, col = k - 1, col - 1
        elif how == 1:
            col -= 1
        else:
            k -= 1
    return pairs[::-1]


def _near_moves(
    olds: list[int], news: list[int], a: _Paragraphs, b: _Paragraphs, clock: _Clock
) -> list[tuple[int, int]]:
    """One-to-one near-exact matches among leftover removed and added paragraphs, best first."""
    olds = [i for i in olds if len(a.words(i)) >= MOVE_MIN_WORDS]
    news = [j for j in news if len(b.words(j)) >= MOVE_MIN_WORDS]
    found: list[tuple[float, int, int]] = []
    budget = MAX_MOVE_COMPARISONS
    for i in olds:
        wi = a.words(i)
        for j in news:
            wj = b.words(j)
            if min(len(wi), len(wj)) < MOVE_FLOOR * max(len(wi), len(wj)):
                continue
            budget -= 1
            if budget < 0 or clock.out():
                return _one_to_one(found)
            sim = _dice(wi, wj)
            if sim >= MOVE_FLOOR:
                found.append((sim, i, j))
    return _one_to_one(found)


def _one_to_one(found: list[tuple[float, int, int]]) -> list[tuple[int, int]]:
    used_i: set[int] = set()
    used_j: set[int] = set()
    out = []
    for _, i, j in sorted(found, key=lambda t: (-t[0], t[1], t[2])):
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            out.append((i, j))
    return out


def _diff_paragraphs(old: Sequence[str], new: Sequence[str], clock: _Clock) -> Diff:
    a, b = _Paragraphs(old), _Paragraphs(new)
    blocks: list[list[int]] = []  # [is_change, i0, i1, j0, j1]
    i = j = 0
    for op, n in align(old, new, clock):
        if op == 0:
            blocks.append([0, i, i + n, j, j + n])
            i, j = i + n, j + n
            continue
        if not blocks or not blocks[-1][0]:
            blocks.append([1, i, i, j, j])
        if op < 0:
            i += n
            blocks[-1][2] = i
        else:
            j += n
            blocks[-1][4] = j
    changes = [blk for blk in blocks if blk[0]]

    # exact moves anywhere, then in-place pairs inside each run, then near-exact moves
    moves: dict[int, int] = {}
    removed_at: dict[str, list[int]] = {}
    for blk in changes:
        for i in range(blk[1], blk[2]):
            removed_at.setdefault(old[i], []).append(i)
    for blk in changes:
        for j in range(blk[3], blk[4]):
            sources = removed_at.get(new[j])
            if sources:
                moves[sources.pop(0)] = j
    moved_new = set(moves.values())
    pairs: dict[int, int] = {}
    for blk in changes:
        olds = [i for i in range(blk[1], blk[2]) if i not in moves]
        news = [j for j in range(blk[3], blk[4]) if j not in moved_new]
        if olds and news:
            pairs.update(_pair_run(olds, news, a, b, clock))
    paired_new = set(pairs.values())
    left_old = [
        i for blk in changes for i in range(blk[1], blk[2]) if i not in moves and i not in pairs
    ]
    left_new = [
        j
        for blk in changes
        for j in range(blk[3], blk[4])
        if j not in moved_new and j not in paired_new
    ]
    if left_old and left_new:
        for i, j in _near_moves(left_old, left_new, a, b, clock):
            moves[i] = j

    # word diffs inside pairs and moves; a pair with too little in common is split again
    ops_of: dict[tuple[int, int], list[Op]] = {}
    for i, j in list(pairs.items()) + list(moves.items()):
        if old[i] == new[j]:
            ops_of[i, j] = [Op("equal", old[i])]
        elif clock.out():
            clock.degrade("paragraphs")
            ops_of[i, j] = [Op("delete", old[i]), Op("insert", new[j])]
        else:
            ops = _token_ops(a.tokens(i), b.tokens(j), clock)
            if i in pairs:
                common = 2 * _equal_words(ops)
                total = count_words(old[i]) + count_words(new[j])
                if total and common < KEEP_FLOOR * total:
                    del pairs[i]
                    continue
            ops_of[i, j] = ops
    source_of = {j: i for i, j in moves.items()}
    target_of = dict(moves)

    rows: list[Row] = []
    move_ids: dict[int, int] = {}
    for j in sorted(source_of):
        move_ids[source_of[j]] = len(move_ids) + 1
    for is_change, i0, i1, j0, j1 in blocks:
        if not is_change:
            rows += [
                Row("equal", i0 + k, j0 + k, old[i0 + k], new[j0 + k], [Op("equal", old[i0 + k])])
                for k in range(i1 - i0)
            ]
            continue
        oi, nj = i0, j0
        run_pairs = sorted((i, pairs[i]) for i in range(i0, i1) if i in pairs)
        for pi, pj in [*run_pairs, (i1, j1)]:
            for i in range(oi, pi):
                if i in target_of:
                    rows.append(
                        Row("moved_from", i, None, old[i], None, [Op("equal", old[i])], move_ids[i])
                    )
                else:
                    rows.append(Row("removed", i, None, old[i], None, [Op("delete", old[i])]))
            for j in range(nj, pj):
                if j in source_of:
                    src = source_of[j]
                    rows.append(
                        Row("moved_to", src, j, old[src], new[j], ops_of[src, j], move_ids[src])
                    )
                else:
                    rows.append(Row("added", None, j, None, new[j], [Op("insert", new[j])]))
            if pi < i1:
                rows.append(Row("changed", pi, pj, old[pi], new[pj], ops_of[pi, pj]))
            oi, nj = pi + 1, pj + 1
    return Diff(rows, _stats(rows, old, new), clock.degraded, clock.elapsed_ms())


_SWAPPED_KIND: dict[RowKind, RowKind] = {"added": "removed", "removed": "added"}


def _mirror(d: Diff) -> Diff:
    """Turn diff(new, old) into diff(old, new): sides, kinds and ops swapped, moves re-anchored.

    Diffs are computed in one canonical direction and mirrored for the other, so swapping the
    arguments swaps additions and removals exactly, whatever tie-breaks the alignment made.
    """
    partner = {r.move_id: r for r in d.rows if r.kind == "moved_to"}
    rows: list[Row] = []
    for r in d.rows:
        if r.kind == "moved_from":  # its place is on the new side now: that is where it went
            p = partner[r.move_id]
            rows.append(Row("moved_to", p.new_index, r.old_index, p.new, r.old, _mirror_ops(p.ops)))
        elif r.kind == "moved_to":
            rows.append(
                Row("moved_from", r.new_index, None, r.new, None, [Op("equal", r.new or "")])
            )
        else:
            kind = _SWAPPED_KIND.get(r.kind, r.kind)
            rows.append(Row(kind, r.new_index, r.old_index, r.new, r.old, _mirror_ops(r.ops)))
    # within each stretch between rows on both sides, old-side rows come first, as when diffing
    ordered: list[Row] = []
    stretch: list[Row] = []
    for r in [*rows, None]:
        if r is None or r.kind in ("equal", "changed"):
            ordered += sorted(stretch, key=lambda x: not x.on_old_side)
            stretch.clear()
            if r is not None:
                ordered.append(r)
        else:
            stretch.append(r)
    ids: dict[int | None, int] = {}
    for r in ordered:
        if r.kind == "moved_to":
            ids[(r.old_index)] = len(ids) + 1
    for r in ordered:
        if r.kind in ("moved_to", "moved_from"):
            r.move_id = ids[r.old_index]
    s = d.stats
    stats = dataclasses.replace(  # a new Stats field is carried over, not silently dropped
        s,
        words_added=s.words_removed,
        words_removed=s.words_added,
        paragraphs_added=s.paragraphs_removed,
        paragraphs_removed=s.paragraphs_added,
    )
    return Diff(ordered, stats, d.degraded, d.elapsed_ms)


def _stats(rows: list[Row], old: Sequence[str], new: Sequence[str]) -> Stats:
    stats = Stats()
    for row in rows:
        if row.kind == "changed":
            stats.paragraphs_changed += 1
        elif row.kind == "added":
            stats.paragraphs_added += 1
        elif row.kind == "removed":
            stats.paragraphs_removed += 1
        elif row.kind == "moved_to":
            stats.paragraphs_moved += 1
        if row.kind == "equal":
            continue
        deleted = 0
        for op in row.ops:
            if op.op == "delete":
                deleted = count_words(op.text)
                stats.words_removed += deleted
                continue
            if op.op == "insert":
                inserted = count_words(op.text)
                stats.words_added += inserted
                stats.words_changed += min(deleted, inserted)
            deleted = 0
    total = sum(map(count_words, old)) + sum(map(count_words, new))
    if total:
        share = (stats.words_added + stats.words_removed) / total
        stats.share_changed = round(min(1.0, share), 4)
    return stats


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def diff_paragraphs(
    old: Sequence[str], new: Sequence[str], *, budget_ms: float | None = None
) -> Diff:
    """Diff two lists of paragraphs."""
    old = [_check_text("paragraph", p) for p in old]
    new = [_check_text("paragraph", p) for p in new]
    clock = _Clock(budget_ms)
    if new < old:
        return _mirror(_diff_paragraphs(new, old, clock))
    return _diff_paragraphs(old, new, clock)


def diff_texts(old: str, new: str, *, budget_ms: float | None = None) -> Diff:
    """Diff two bodies whose paragraphs are separated by blank lines."""
    return diff_paragraphs(
        paragraphs_of(_check_text("old", old)),
        paragraphs_of(_check_text("new", new)),
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
