"""Pairing and moves: the removed paragraph that became an added one is found in every script,
a moved-and-edited paragraph keeps its true partner, and blank lines never move."""

from __future__ import annotations

import math

from tracker.diff import diff_paragraphs

UNLIMITED = math.inf

A = (
    "The ministry said on Tuesday that the new bridge over the river would open to traffic "
    "in the spring, two years later than first planned, after engineers found cracks."
)
A_EDITED = A.replace("two years", "three years").replace("Tuesday", "Wednesday")
X = (
    "The ministry said on Monday that the old bridge over the river would close to traffic "
    "for repairs in the summer, the first closure since it was built."
)
B = "Residents have complained for years about the queues at the only other crossing."
C = "The city council has promised a shuttle bus while the works go on."
D = "Local shops say they have lost customers since the detour began in March."


def kinds(d) -> list[str]:
    return [r.kind for r in d.rows]


def test_a_moved_and_edited_paragraph_is_paired_with_its_true_partner() -> None:
    # X, new at A's old place, looks a little like A; A itself moved to the end and was edited
    d = diff_paragraphs([A, B, C, D], [X, B, C, D, A_EDITED], budget_ms=UNLIMITED)
    moved = [r for r in d.rows if r.kind == "moved_to"]
    assert [(r.old, r.new) for r in moved] == [(A, A_EDITED)]
    assert [r.new for r in d.rows if r.kind == "added"] == [X]
    changed = [op.text for op in moved[0].ops if op.op != "equal"]
    assert changed == ["Tuesday", "Wednesday", "two", "three"]


def test_a_short_hindi_paragraph_with_small_word_changes_is_an_in_place_edit() -> None:
    old = ["लड़का स्कूल गया।", "बाकी सब वैसा ही रहा।"]  # "the boy went to school"
    new = ["लड़की स्कूल गई।", "बाकी सब वैसा ही रहा।"]  # "the girl went to school"
    d = diff_paragraphs(old, new, budget_ms=UNLIMITED)
    assert kinds(d) == ["changed", "equal"]
    assert [op.text for op in d.rows[0].ops if op.op == "equal"] == [" स्कूल ", "।"]


def test_a_chinese_paragraph_with_one_word_changed_is_an_in_place_edit() -> None:
    old = ["北京时间周二，政府宣布新的大桥将于明年春天通车，比原计划晚两年。", "其他内容不变。"]
    new = ["北京时间周三，政府宣布新的大桥将于明年春天通车，比原计划晚三年。", "其他内容不变。"]
    d = diff_paragraphs(old, new, budget_ms=UNLIMITED)
    assert kinds(d) == ["changed", "equal"]
    assert [op.text for op in d.rows[0].ops if op.op != "equal"] == ["二", "三", "两", "三"]


def test_unrelated_thai_lines_are_not_paired_because_they_share_letters() -> None:
    old = ["รัฐบาลประกาศว่าสะพานใหม่จะเปิดให้รถวิ่งได้ในฤดูใบไม้ผลิ", "ข้อความอื่นไม่เปลี่ยน"]
    new = ["นักเรียนหลายคนไปเที่ยวทะเลกับครอบครัวเมื่อวันหยุดยาว", "ข้อความอื่นไม่เปลี่ยน"]
    d = diff_paragraphs(old, new, budget_ms=UNLIMITED)
    assert kinds(d) == ["removed", "added", "equal"]


def test_blank_lines_are_never_reported_as_moved() -> None:
    old = [A, "", B, "", C, D]
    new = ["", A, B, C, "", D, ""]
    d = diff_paragraphs(old, new, budget_ms=UNLIMITED)
    assert not [r for r in d.rows if r.kind.startswith("moved")]
    assert d.old_paragraphs() == old and d.new_paragraphs() == new


def test_a_paragraph_moved_unchanged_is_still_an_exact_move() -> None:
    d = diff_paragraphs([A, B, C, D], [B, C, A, D], budget_ms=UNLIMITED)
    assert sorted(kinds(d)).count("moved_to") == 1
    [moved] = [r for r in d.rows if r.kind == "moved_to"]
    assert moved.old == moved.new


def test_a_local_edit_stays_in_place_when_a_near_copy_is_added_elsewhere() -> None:
    # A keeps its start and end where it was (a clause added); a copy of A with one letter
    # changed is added at the end. The local edit is an in-place change, not a move.
    extended = A.replace("found cracks", "found cracks in two of its piers")
    near_copy = A.replace("Tuesday", "Tuesdays")
    d = diff_paragraphs([A, B, C, D], [extended, B, C, D, near_copy], budget_ms=UNLIMITED)
    assert kinds(d) == ["changed", "equal", "equal", "equal", "added"]
    assert d.rows[0].new == extended
