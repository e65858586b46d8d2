"""Properties every diff must have, for any two texts: hypothesis generates the texts and edits."""

from __future__ import annotations

import math
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker import diff as diffmod
from tracker.diff import Diff, count_words, diff_texts, paragraphs_of, tokenize

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNLIMITED = math.inf

# words from many scripts: Latin with numbers and apostrophes, CJK and Thai (no spaces), Lao,
# Khmer, Myanmar, Devanagari, Cyrillic, URLs and markup runs, Hebrew and Arabic (right to left),
# combining marks, astral characters, emoji sequences
WORDS = [
    "the",
    "troops",
    "11,000",
    "12,000",
    "Kim's",
    "Russia’s",
    "e-mail",
    "U.S.",
    "said",
    "“quite",
    "unambiguous”",
    '"strategic',
    'cooperation"',
    "(More",
    "to",
    "come)",
    "—",
    "中文字",
    "北朝鮮",
    "ロシア",
    "ภาษาไทย",
    "ที่นี่",
    "שלום",
    "עולם",
    "مرحبا",
    "سلام",
    "é",
    "Ångström",
    "na\u0308ive",
    "\u0301x",
    "𝐀𝐁𝐂",
    "𠀀𠀁",
    "👨\u200d👩\u200d👧",
    "👍🏽",
    "a\u200bb",
    "١٢٣",
    "ພາສາລາວ",
    "ភាសាខ្មែរ",
    "မြန်မာစကား",
    "हिन्दी",
    "किया",
    "корабле-невидимке",
    "https://example.org/6.2.0/a_b",
    "color:vocals",
    "3.5",
    "Zelenskiy",
    "Pyongyang",
    "treaty",
    ",",
    ".",
    "!",
    "?",
]
words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12)
paragraph = words.map(" ".join)
paragraph_lists = st.lists(paragraph, min_size=0, max_size=8)


@st.composite
def edited_pair(draw: st.DrawFn) -> tuple[str, str]:
    """An old text and a realistic new one: paragraphs kept, edited, dropped, added, moved."""
    old = draw(paragraph_lists)
    new: list[str] = []
    for para in old:
        action = draw(st.sampled_from(["keep", "keep", "edit", "drop", "add"]))
        if action == "keep":
            new.append(para)
        elif action == "edit":
            toks = para.split(" ")
            i = draw(st.integers(0, len(toks) - 1))
            toks[i] = draw(st.sampled_from(WORDS))
            new.append(" ".join(toks))
        elif action == "add":
            new += [para, draw(paragraph)]
    if len(new) > 2 and draw(st.booleans()):
        i, j = draw(st.integers(0, len(new) - 1)), draw(st.integers(0, len(new) - 1))
        new.insert(j, new.pop(i))
    return "\n\n".join(old), "\n\n".join(new)


any_pair = st.one_of(
    edited_pair(),
    st.tuples(paragraph_lists.map("\n\n".join), paragraph_lists.map("\n\n".join)),
)


def side(ops: list, keep: str) -> list[tuple[str, str]]:
    return [(op.op, op.text) for op in ops if op.op in ("equal", keep)]


def assert_reconstructs(d: Diff, old: str, new: str) -> None:
    assert d.old_paragraphs() == paragraphs_of(old)
    assert d.new_paragraphs() == paragraphs_of(new)
    for row in d.rows:
        assert "".join(t for _, t in side(row.ops, "delete")) == (row.old or "")
        if row.on_new_side:
            assert "".join(t for _, t in side(row.ops, "insert")) == (row.new or "")


def is_mark(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "M"


def by_char(ch: str) -> bool:
    return any(lo <= ord(ch) <= hi for lo, hi in diffmod._BY_CHAR_RANGES) or ord(ch) >= 0x20000


def bad_boundary(before: str, after: str) -> bool:
    """A boundary splits a word: before a combining mark, or between two letters/digits of a
    script written with spaces."""
    if not before or not after:
        return False
    a, b = before[-1], after[0]
    if is_mark(b) or b in "\u200d\u200c":
        return True
    return a.isalnum() and b.isalnum() and not by_char(a) and not by_char(b)


def assert_no_split_words(d: Diff) -> None:
    for row in d.rows:
        for keep in ("delete", "insert"):
            parts = side(row.ops, keep)
            for (k1, t1), (k2, t2) in zip(parts, parts[1:], strict=False):
                if k1 != k2:
                    assert not bad_boundary(t1, t2), (row.ops, t1, t2)


def stats_from_ops(d: Diff) -> tuple[int, int, int]:
    added = removed = changed = 0
    for row in d.rows:
        deleted = 0
        for op in row.ops:
            n = count_words(op.text)
            if op.op == "delete":
                removed += n
                deleted = n
                continue
            if op.op == "insert":
                added += n
                changed += min(deleted, n)
            deleted = 0
    return added, removed, changed


@PROPS
@given(any_pair)
def test_rows_rebuild_both_texts_exactly(pair: tuple[str, str]) -> None:
    old, new = pair
    assert_reconstructs(diff_texts(old, new, budget_ms=UNLIMITED), old, new)


@PROPS
@given(any_pair)
def test_rows_rebuild_both_texts_without_the_dictionary(pair: tuple[str, str]) -> None:
    old, new = pair
    previous = diffmod.use_dictionary(False)
    try:
        assert_reconstructs(diff_texts(old, new, budget_ms=UNLIMITED), old, new)
    finally:
        diffmod.use_dictionary(previous)


@PROPS
@given(paragraph_lists.map("\n\n".join))
def test_a_text_against_itself_has_no_changes(text: str) -> None:
    d = diff_texts(text, text, budget_ms=UNLIMITED)
    assert not d.changed
    assert all(r.kind == "equal" for r in d.rows)
    assert (d.stats.words_added, d.stats.words_removed, d.stats.share_changed) == (0, 0, 0.0)


@PROPS
@given(any_pair)
def test_no_operation_boundary_inside_a_word(pair: tuple[str, str]) -> None:
    assert_no_split_words(diff_texts(*pair, budget_ms=UNLIMITED))


@PROPS
@given(any_pair)
def test_swapping_the_texts_swaps_additions_and_removals(pair: tuple[str, str]) -> None:
    old, new = pair
    forward = diff_texts(old, new, budget_ms=UNLIMITED).stats
    backward = diff_texts(new, old, budget_ms=UNLIMITED).stats
    assert forward.words_added == backward.words_removed
    assert forward.words_removed == backward.words_added
    assert forward.paragraphs_added == backward.paragraphs_removed
    assert forward.paragraphs_removed == backward.paragraphs_added
    assert forward.paragraphs_moved == backward.paragraphs_moved
    assert forward.share_changed == backward.share_changed


@PROPS
@given(any_pair)
def test_stats_agree_with_the_operations(pair: tuple[str, str]) -> None:
    old, new = pair
    d = diff_texts(old, new, budget_ms=UNLIMITED)
    s = d.stats
    assert (s.words_added, s.words_removed, s.words_changed) == stats_from_ops(d)
    kinds = [r.kind for r in d.rows]
    assert s.paragraphs_added == kinds.count("added")
    assert s.paragraphs_removed == kinds.count("removed")
    assert s.paragraphs_changed == kinds.count("changed")
    assert s.paragraphs_moved == kinds.count("moved_to") == kinds.count("moved_from")
    # words of the changed paragraphs counted, the unchanged ones estimated from their length
    changed = [r for r in d.rows if r.kind != "equal"]
    olds = [r.old or "" for r in changed if r.on_old_side]
    news = [r.new or "" for r in changed if r.on_new_side]
    words = sum(map(count_words, olds + news))
    chars = sum(map(len, olds + news))
    unchanged = 2 * sum(len(r.old or "") for r in d.rows if r.kind == "equal")
    changes = s.words_added + s.words_removed
    total = words + unchanged * words / chars if chars else 0
    expected = round(min(1.0, changes / total), 4) if changes and total else 0.0
    assert s.share_changed == expected
    if not unchanged:  # everything changed: the share is exact
        exact = sum(map(count_words, paragraphs_of(old) + paragraphs_of(new)))
        assert s.share_changed == (round(min(1.0, changes / exact), 4) if changes else 0.0)


@PROPS
@given(any_pair)
def test_rows_are_in_reading_order_on_both_sides(pair: tuple[str, str]) -> None:
    d = diff_texts(*pair, budget_ms=UNLIMITED)
    old_side = [r.old_index for r in d.rows if r.on_old_side]
    new_side = [r.new_index for r in d.rows if r.on_new_side]
    assert old_side == list(range(len(old_side)))
    assert new_side == list(range(len(new_side)))
    moves = [r.move_id for r in d.rows if r.kind == "moved_from"]
    assert sorted(moves) == sorted(r.move_id for r in d.rows if r.kind == "moved_to")
    assert len(set(moves)) == len(moves)


@PROPS
@given(st.text(max_size=200))
def test_tokens_rebuild_any_text_and_keep_marks_with_their_base(text: str) -> None:
    tokens = tokenize(text)
    assert "".join(tokens) == text
    for t1, t2 in zip(tokens, tokens[1:], strict=False):
        assert not is_mark(t2[0]), (t1, t2)


@PROPS
@given(st.text(max_size=120), st.text(max_size=120))
def test_arbitrary_unicode_round_trips(old: str, new: str) -> None:
    d = diff_texts(old, new, budget_ms=UNLIMITED)
    assert_reconstructs(d, old, new)
    assert_no_split_words(d)


@pytest.mark.skipif(not diffmod.accelerator_available(), reason="fast-diff-match-patch absent")
@PROPS
@given(any_pair)
def test_accelerator_gives_the_same_diff_as_pure_python(pair: tuple[str, str]) -> None:
    old, new = pair
    previous = diffmod.use_accelerator(False)
    try:
        pure = diff_texts(old, new, budget_ms=UNLIMITED)
        diffmod.use_accelerator(True)
        fast = diff_texts(old, new, budget_ms=UNLIMITED)
    finally:
        diffmod.use_accelerator(previous)
    assert fast.rows == pure.rows
    assert fast.stats == pure.stats
