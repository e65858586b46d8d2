"""Tokens as people read them: a one-character edit marks the smallest readable unit, in every
script (issue 12's quality cases)."""

from __future__ import annotations

import os

import pytest

from tracker import diff as diffmod
from tracker.diff import Op, count_words, diff_texts, tokenize, word_ops
from tracker.diff.tokens import segment

# CI installs PyICU (scripts/system-deps, the `icu` extra); a developer without it skips these
needs_icu = pytest.mark.skipif(
    not diffmod.dictionary_available() and not os.environ.get("CI"),
    reason="PyICU absent: Thai, Lao, Khmer and Myanmar fall back to one token per character",
)


def changes(old: str, new: str) -> list[Op]:
    return [op for op in word_ops(old, new) if op.op != "equal"]


def test_a_version_number_inside_a_url_marks_only_the_numbers() -> None:
    old = "Notes at https://example.org/releases/6.2.0/notes.html for details."
    new = "Notes at https://example.org/releases/11.0.0/notes.html for details."
    d = diff_texts(old, new)
    [row] = d.rows
    assert row.kind == "changed"
    assert changes(old, new) == [Op("delete", "6.2"), Op("insert", "11.0")]
    assert row.ops[0] == Op("equal", "Notes at https://example.org/releases/")


def test_two_words_joined_by_a_hyphen_mark_only_the_hyphen() -> None:
    assert changes("на корабле невидимке", "на корабле-невидимке") == [
        Op("delete", " "),
        Op("insert", "-"),
    ]


def test_a_typo_after_a_colon_marks_the_word_not_the_markup_run() -> None:
    assert changes("{{color:Lvocals}} and guitar", "{{color:vocals}} and guitar") == [
        Op("delete", "Lvocals"),
        Op("insert", "vocals"),
    ]


def test_paths_and_slash_joined_words_are_split_but_numbers_stay_whole() -> None:
    assert tokenize("/usr/lib") == ["/", "usr", "/", "lib"]
    assert tokenize("and/or") == ["and", "/", "or"]
    assert tokenize("11,000 3.5 Kim's") == ["11,000", " ", "3.5", " ", "Kim's"]
    assert changes("rose to 11,000 troops", "rose to 12,000 troops") == [
        Op("delete", "11,000"),
        Op("insert", "12,000"),
    ]


@needs_icu
def test_a_thai_edit_starts_and_ends_on_dictionary_word_boundaries() -> None:
    old = "ผมชอบกินข้าวผัดที่ร้านนี้ทุกวัน"  # "I like to eat fried rice at this shop every day"
    new = "ผมชอบกินก๋วยเตี๋ยวที่ร้านนี้ทุกวัน"  # ... noodles ...
    assert changes(old, new) == [Op("delete", "ข้าวผัด"), Op("insert", "ก๋วยเตี๋ยว")]
    # per character, the shared letters (ว, เ…) would cut both words into pieces
    for text in (old, new):
        bounds = {0}
        for piece in segment(text):
            bounds.add(max(bounds) + len(piece))
        at = 0
        for op in word_ops(old, new):
            if op.op != ("insert" if text is old else "delete"):
                at += len(op.text)
                assert at in bounds, (op, at)
    assert count_words(old) == 10


@needs_icu
@pytest.mark.parametrize(
    ("old", "new", "deleted", "inserted"),
    [
        ("ນີ້ແມ່ນພາສາລາວ", "ນີ້ແມ່ນປະເທດລາວ", "ພາສາ", "ປະເທດ"),  # Lao
        ("ខ្ញុំស្រឡាញ់ភាសាខ្មែរ", "ខ្ញុំស្រឡាញ់ប្រទេសខ្មែរ", "ភាសាខ្មែរ", "ប្រទេសខ្មែរ"),  # Khmer
    ],
)
def test_lao_and_khmer_edits_mark_whole_words(
    old: str, new: str, deleted: str, inserted: str
) -> None:
    assert changes(old, new) == [Op("delete", deleted), Op("insert", inserted)]


def test_without_icu_those_scripts_fall_back_to_characters_and_still_rebuild() -> None:
    previous = diffmod.use_dictionary(False)
    try:
        tokens = tokenize("ผมชอบกินข้าวผัด")
        assert tokens[:3] == ["ผ", "ม", "ช"]
        assert "".join(tokens) == "ผมชอบกินข้าวผัด"
        assert "ข้" in tokens  # the vowel mark stays with its consonant
    finally:
        diffmod.use_dictionary(previous)


def test_cjk_is_compared_character_by_character() -> None:
    assert changes("北朝鮮の軍隊", "北朝鮮の兵隊") == [Op("delete", "軍"), Op("insert", "兵")]
