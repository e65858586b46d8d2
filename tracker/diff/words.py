"""The word diff inside one paragraph (or a headline), cleaned up to read well."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from itertools import compress
from operator import not_
from typing import Any, NamedTuple

from tracker.diff.align import Clock, align, common_head, common_tail, merge_runs
from tracker.diff.model import Op, OpKind
from tracker.diff.tokens import (
    WORD,
    WordCounts,
    cut_ok,
    first_token,
    has_dictionary_script,
    has_words,
    tokenize,
)


def check_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


@lru_cache(maxsize=1 << 16)
def is_word(token: str) -> bool:
    return WORD.match(token) is not None


def _words_in(tokens: Sequence[str]) -> int:
    return sum(map(is_word, tokens))


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


def _segments_by_words(ta: list[str], tb: list[str], clock: Clock) -> list[Any]:
    """Align the non-space tokens only, then lay the whitespace back in between.

    Spaces are the most common token and carry no meaning of their own: left in, they double
    the sequences diff-match-patch has to walk and give it false anchors. Between two matched
    words, whitespace the two sides share is equal and the rest joins the change around it.
    """
    keep_a = list(map(not_, map(str.isspace, ta)))  # C loops: this runs on every changed pair
    keep_b = list(map(not_, map(str.isspace, tb)))
    ia = list(compress(range(len(ta)), keep_a))
    ib = list(compress(range(len(tb)), keep_b))
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
    for op, n in align(list(compress(ta, keep_a)), list(compress(tb, keep_b)), clock):
        if op < 0:
            x += n
        elif op > 0:
            y += n
        else:
            # a stretch of matched words whose spaces match too is one equal run (the usual
            # case, checked by one slice comparison); otherwise word by word
            qa, qb = ia[x], ib[y]
            ea, eb = ia[x + n - 1], ib[y + n - 1]
            if ea - qa == eb - qb and ta[qa : ea + 1] == tb[qb : eb + 1]:
                gap(qa, qb)
                runs.append((0, ea - qa + 1))
                pa, pb = ea, eb
            else:
                for k in range(n):
                    qa, qb = ia[x + k], ib[y + k]
                    gap(qa, qb)
                    runs.append((0, 1))
                    pa, pb = qa, qb
            x, y = x + n, y + n
    gap(len(ta), len(tb))
    return _segments(ta, tb, merge_runs(runs))


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


def token_ops(ta: list[str], tb: list[str], clock: Clock) -> list[Op]:
    if ta == tb:
        return [Op("equal", "".join(ta))] if ta else []
    if len(ta) == len(tb):
        k = common_head(ta, tb)
        if ta[k + 1 :] == tb[k + 1 :] and not ta[k].isspace() and not tb[k].isspace():
            return _replaced_ops(ta, tb, k)
    return aligned_ops(ta, tb, clock)


def _replaced_ops(ta: list[str], tb: list[str], k: int) -> list[Op]:
    """The ops when ta and tb differ in one token, k, that is not whitespace in either (one
    word or mark replaced, the usual small edit): `aligned_ops` aligns the two words around it
    and lays the same whitespace back, so this is its answer without the alignment."""
    ops = [Op("equal", "".join(ta[:k]))] if k else []
    ops += [Op("delete", ta[k]), Op("insert", tb[k])]
    if k + 1 < len(ta):
        ops.append(Op("equal", "".join(ta[k + 1 :])))
    return ops


def aligned_ops(ta: list[str], tb: list[str], clock: Clock) -> list[Op]:
    """The word diff of two different token lists: aligned, whitespace laid back, cleaned up."""
    segs = _segments_by_words(ta, tb, clock)
    _shift_pure(segs)
    return _ops_of(_cleanup(segs))


def _head_cut(a: str, b: str, p: int) -> int:
    """The last place at or before p (a and b agree before it) where both can be cut: p or
    the place before it (after a CJK character), else right after an earlier space."""
    if cut_ok(a, p) and cut_ok(b, p):
        return p
    if p > 1 and cut_ok(a, p - 1):
        return p - 1
    k = p - 1
    while k > 0:
        k = a.rfind(" ", 0, k)
        if k < 0:
            return 0
        if cut_ok(a, k + 1):
            return k + 1
    return 0


def _tail_cut(a: str, b: str, m: int) -> int:
    """The longest shared end of at most m characters that starts where both can be cut."""
    la, lb = len(a), len(b)
    if cut_ok(a, la - m) and cut_ok(b, lb - m):
        return m
    if m > 1 and cut_ok(a, la - m + 1):
        return m - 1
    q = la - m + 1
    while q < la:
        k = a.find(" ", q)
        if k < 0:
            return 0
        q = k + 1
        if cut_ok(a, q):
            return la - q
    return 0


class Ends(NamedTuple):
    """What `pair_ops` left untokenized: the shared start and end, each side's middle, and the
    middle part of each equal op (its text less the shared ends it holds)."""

    head: str
    tail: str
    middles: tuple[str, str]
    kept: list[str]


def text_ops(old: str, new: str, clock: Clock, count: WordCounts) -> list[Op]:
    """`token_ops(tokenize(old), tokenize(new))`, the same ops, at the cost of what changed
    (see `pair_ops`)."""
    return pair_ops(old, new, clock, count)[0]


def pair_ops(
    old: str, new: str, clock: Clock, count: WordCounts, known: tuple[int, int] | None = None
) -> tuple[list[Op], Ends | None]:
    """`token_ops(tokenize(old), tokenize(new))`, the same ops, at the cost of what changed,
    and the `Ends` it skipped (None when it took the plain path).

    The text both share at the start and at the end is cut where `cut_ok` allows (its tokens
    and word counts are those of the whole) and enters the alignment as one opaque token per
    end, so a one-word edit in a long paragraph tokenizes a few words. The word counts of both
    texts and of every op are deferred into `count` as pieces: the shared ends are counted
    once, and only if someone asks. One case would align differently (the middle of one side
    is a prefix of the other's and the word after it starts the shared end: the whole-text
    alignment would run on into the end); it, and texts where only one side has Thai (…)
    letters, take the plain path. `known`, when the pairing found them, is what the two
    share at the start and then at the end (`pairing.shared_ends`).
    """
    shorter = min(len(old), len(new))
    x = common_head(old, new) if known is None else known[0]
    p = _head_cut(old, new, x)
    if known is not None and known[1] < shorter - x:  # ended by a difference, not by x:
        y = known[1]  # the same with p <= x
    else:
        y = common_tail(old, new, n=shorter - p)
    m = _tail_cut(old, new, y)
    da, db = has_dictionary_script(old), has_dictionary_script(new)
    head, tail = old[:p], old[len(old) - m :]
    ma, mb = old[p : len(old) - m], new[p : len(new) - m]
    ta, tb = tokenize(ma, da), tokenize(mb, db)
    if da != db or (tail and _runs_into_tail(ta, tb, tail, da)):
        return token_ops(tokenize(old, da), tokenize(new, db), clock), None
    ends_a, ends_b = [head] if head else [], [tail] if tail else []
    ops = token_ops([*ends_a, *ta, *ends_b], [*ends_a, *tb, *ends_b], clock)
    kept: list[str] = []
    if not (head or tail):
        kept = [op.text for op in ops if op.op == "equal"]
        return ops, Ends(head, tail, (ma, mb), kept)
    count.defer(old, (head, ma, tail))
    count.defer(new, (head, mb, tail))
    last = len(ops) - 1
    for k, op in enumerate(ops):
        text = op.text
        lo = len(head) if k == 0 else 0
        hi = len(text) - (len(tail) if k == last else 0)
        middle = text[lo:hi] if lo or hi < len(text) else text
        if middle is not text:
            count.defer(text, (head if lo else "", middle, tail if hi < len(text) else ""))
        if op.op == "equal":
            kept.append(middle)
    return ops, Ends(head, tail, (ma, mb), kept)


def shares_enough(
    old: str, new: str, ops: list[Op], ends: Ends | None, count: WordCounts, floor: float
) -> bool:
    """Whether the equal ops hold at least `floor` of both texts' words (common words counted
    on both sides), decided as `not (common < floor * total)` always was, but most often from
    the middles alone.

    The shared start and end (W words) count in both texts and in the equal ops, so common -
    floor * total = 2 (1 - floor) W + 2 E - floor M, with E the words of the equal ops' middle
    parts and M those of the two middles (both small, counted). When that is at least 1 with
    W at as few words as an end surely has (`has_words`), the answer is yes whatever W is;
    otherwise every text is counted.
    """
    if (
        ends is not None
        and (not ends.head or ops[0].op == "equal")
        and (not ends.tail or ops[-1].op == "equal")
    ):
        kept = 2 * sum(map(count, ends.kept))
        if _tips(ends, kept - floor * sum(map(count, ends.middles)), floor):
            return True
    common = 2 * sum(count(op.text) for op in ops if op.op == "equal")
    total = count(old) + count(new)
    return not (total and common < floor * total)


def _runs_into_tail(ta: list[str], tb: list[str], tail: str, dictionary: bool) -> bool:
    """Whether the words of one middle are a prefix of the other's and the next word is the
    tail's first: the whole-text alignment would then match that word in the tail."""
    if ta and tb and ta[0] != tb[0] and not ta[0].isspace() and not tb[0].isspace():
        return False  # both middles start with a word, not the same one
    wa = [t for t in ta if not t.isspace()]
    wb = [t for t in tb if not t.isspace()]
    if len(wa) == len(wb):
        return False
    shorter, longer = (wa, wb) if len(wa) < len(wb) else (wb, wa)
    if common_head(shorter, longer) < len(shorter):
        return False
    return longer[len(shorter)] == first_token(tail, dictionary)


def word_ops(old: str, new: str, *, budget_ms: float | None = None) -> list[Op]:
    """The word diff of two short texts (one paragraph, a headline): equal, delete, insert."""
    check_text("old", old)
    check_text("new", new)
    if new < old:
        return mirror_ops(token_ops(tokenize(new), tokenize(old), Clock(budget_ms)))
    return token_ops(tokenize(old), tokenize(new), Clock(budget_ms))


def _tips(ends: Ends, slack: float, floor: float) -> bool:
    """2 (1 - floor) W + slack >= 1 for the W words the shared ends surely have."""
    if slack >= 1:
        return True
    need = math.ceil((1 - slack) / (2 * (1 - floor)))  # (a word has a character at least)
    return any(len(end) >= need and has_words(end, need) for end in (ends.head, ends.tail))


_OPPOSITE: dict[OpKind, OpKind] = {"equal": "equal", "insert": "delete", "delete": "insert"}


def mirror_ops(ops: list[Op]) -> list[Op]:
    """The ops of the reverse diff, with each deletion again before its insertion."""
    out: list[Op] = []
    for op in ops:
        flipped = Op(_OPPOSITE[op.op], op.text)
        if flipped.op == "delete" and out and out[-1].op == "insert":
            out.insert(len(out) - 1, flipped)
        else:
            out.append(flipped)
    return out
