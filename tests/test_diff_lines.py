"""`diff_lines` splits only the lines between what two texts share at both ends: whatever the
texts, its diff must be the diff of all their lines, row for row and stat for stat."""

from __future__ import annotations

import random

import pytest

from tracker.diff import diff_lines, diff_paragraphs

EDGES = [
    ("", ""),
    ("", "a"),
    ("a", ""),
    ("a", "a"),
    ("\n", ""),
    ("a\n", "a"),
    ("a", "a\n"),
    ("A\nA", "A\nA\nA"),
    ("A\nA\nA", "A\nA"),
    ("x\nA\nA", "x\nA\nA\nA"),
    ("A\nB\nA", "A\nA"),
    ("same\nline\n", "same\nline\n"),
    ("one\ntwo\nthree", "one\nTWO\nthree"),
    ("one\ntwo\nthree", "one\nthree"),
    ("one\ntwo\nthree", "three\none\ntwo"),
    ("ab\nab", "ab\nb\nab"),
    ("a\n\n\nb", "a\n\nb"),
    ("line one.\nline two.", "line one.\nline two. And more."),
]


def same(old: str, new: str) -> None:
    lines = diff_lines(old, new, budget_ms=float("inf"))
    whole = diff_paragraphs(old.split("\n"), new.split("\n"), budget_ms=float("inf"))
    assert lines.rows == whole.rows, (old, new)
    assert lines.stats == whole.stats, (old, new)
    assert lines.old_paragraphs() == old.split("\n")
    assert lines.new_paragraphs() == new.split("\n")


@pytest.mark.parametrize(("old", "new"), EDGES)
def test_edge_cases_diff_as_their_lines(old: str, new: str) -> None:
    same(old, new)
    same(new, old)


def test_random_texts_diff_as_their_lines() -> None:
    """Few distinct lines, so repeats, ties and moves are common; edits of characters too."""
    rnd = random.Random(5)
    pool = ["alpha", "beta", "gamma", "", "alpha beta", "beta.", "δέλτα", "กขค"]
    for _ in range(600):
        old = [rnd.choice(pool) for _ in range(rnd.randrange(0, 14))]
        new = list(old)
        for _ in range(rnd.randrange(0, 4)):
            action = rnd.randrange(4)
            if action == 0 and new:
                new.pop(rnd.randrange(len(new)))
            elif action == 1:
                new.insert(rnd.randrange(len(new) + 1), rnd.choice(pool))
            elif action == 2 and new:
                k = rnd.randrange(len(new))
                new[k] = new[k] + rnd.choice(["", "x", " y"])
            elif new:
                new.insert(rnd.randrange(len(new) + 1), new.pop(rnd.randrange(len(new))))
        a, b = "\n".join(old), "\n".join(new)
        if rnd.random() < 0.3:
            a += "\n"
        if rnd.random() < 0.3:
            b += "\n"
        same(a, b)


def test_a_long_text_with_one_edit_splits_only_its_middle() -> None:
    """What a reader sees: the unchanged lines are there, in order, without being split up front."""
    old = "\n".join(f"Paragraph {n} of a long story." for n in range(5000))
    new = old.replace("Paragraph 2500 of", "Paragraph 2500, edited, of")
    d = diff_lines(old, new)
    (changed,) = d.changed_rows()
    assert (changed.old_index, changed.new_index) == (2500, 2500)
    runs = [p for p in d.parts() if not hasattr(p, "kind")]
    assert [r.count for r in runs] == [2500, 2499]
    assert all(r.texts._lines is None for r in runs)  # not split until a row is read
    assert d.rows[4999].new == "Paragraph 4999 of a long story."
    assert d.new_paragraphs() == new.split("\n")


def test_lines_refuses_what_is_not_text() -> None:
    with pytest.raises(TypeError):
        diff_lines(["a"], "a")  # type: ignore[arg-type]


def test_shared_ends_of_long_texts_around_block_edges() -> None:
    """The texts are compared a block at a time: a difference just before, at or after a
    block's edge, or none at all, is found where it is."""
    from tracker.diff.lines import BLOCK, shared_prefix, shared_suffix

    base = "".join(chr(0x61 + (n * 7) % 26) for n in range(3 * BLOCK + 100))
    for at in (0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, len(base) - 1):
        other = base[:at] + "\u00e9" + base[at + 1 :]
        assert shared_prefix(base, other) == at
        assert shared_suffix(base, other, len(base)) == len(base) - at - 1
    assert shared_prefix(base, base) == len(base)
    assert shared_prefix(base, base + "x") == len(base)
    assert shared_suffix("x" + base, base, len(base)) == len(base)
    assert shared_suffix(base, base, 10) == 10


def test_any_window_of_rows_is_that_slice_of_the_rows() -> None:
    """`Diff.row_window` (the API's pages) builds only the rows asked for: whatever the window,
    moves and unchanged runs included, it is exactly that slice of `Diff.rows`."""
    rnd = random.Random(9)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
    for _ in range(150):
        old = [f"{rnd.choice(words)} {n}" for n in range(rnd.randrange(1, 40))]
        new = list(old)
        for _ in range(rnd.randrange(1, 4)):
            k = rnd.randrange(len(new))
            if rnd.random() < 0.5:
                new.insert(rnd.randrange(len(new) + 1), new.pop(k) + " moved")
            else:
                new[k] = new[k] + " edited"
        d = diff_lines("\n".join(old), "\n".join(new))
        whole = diff_lines("\n".join(old), "\n".join(new)).rows
        offset, limit = rnd.randrange(len(whole) + 2), rnd.randrange(1, 12)
        assert d.row_window(offset, limit) == (whole[offset : offset + limit], len(whole))
