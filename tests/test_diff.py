"""The diff engine on real text: the seed story, and edits made to corpus articles."""

from __future__ import annotations

import json
import math
import random
import re

import pytest
import synthetic
from diff_support import NUMBER, with_paragraphs

from tracker import diff as diffmod
from tracker.diff import Op, Row, count_words, diff_documents, diff_texts, word_ops
from tracker.diff.model import DocumentDiff
from tracker.document import Document
from tracker.seeds import load as load_seeds
from tracker.summary import summarize

UNLIMITED = math.inf


def replace_word(paragraph: str, rnd: random.Random, new: str = "zebra") -> tuple[str, str]:
    """The paragraph with one alphabetic word replaced, and the word replaced."""
    words = [m for m in re.finditer(r"(?<!\S)[A-Za-z]{3,}(?!\S)", paragraph)]
    m = rnd.choice(words)
    return paragraph[: m.start()] + new + paragraph[m.end() :], m.group(0)


def editable(doc: Document) -> int:
    """Index of a paragraph with plain words to edit (the second one that has several)."""
    found = [
        i
        for i, p in enumerate(doc.paragraphs)
        if len(re.findall(r"(?<!\S)[A-Za-z]{3,}(?!\S)", p)) >= 3
    ]
    return found[min(1, len(found) - 1)]


ARTICLES = pytest.mark.parametrize("index", range(8))


# --------------------------------------------------------------------------- seed story


def test_seed_story_update_is_six_paragraphs_added_on_top() -> None:
    v1, v2 = (v.document for v in load_seeds()[:2])
    d = diff_documents(v1, v2)
    kinds = [r.kind for r in d.body.rows]
    assert kinds == ["added"] * 6 + ["equal"] * 4
    assert [r.new for r in d.body.rows[:6]] == list(v2.paragraphs[:6])
    assert d.body.rows[-1].new == "(More to come)"
    s = d.body.stats
    assert (s.paragraphs_added, s.paragraphs_removed, s.paragraphs_changed) == (6, 0, 0)
    # "Reuters -" is one word, "full-scale" two: hyphen-joined words are split like the reader
    assert s.words_added == sum(len(p.split()) for p in v2.paragraphs[:6])
    assert s.words_removed == 0
    assert 0 < s.share_changed < 1
    back = diff_documents(v2, v1).body
    assert [r.kind for r in back.rows] == ["removed"] * 6 + ["equal"] * 4
    assert back.stats.words_removed == s.words_added


def test_seed_story_number_edit_reads_as_one_replaced_number() -> None:
    v2 = load_seeds()[1].document
    paras = [p.replace("11,000 troops", "12,000 troops") for p in v2.paragraphs]
    d = diff_documents(v2, with_paragraphs(v2, paras)).body
    [row] = [r for r in d.rows if r.kind != "equal"]
    assert row.kind == "changed" and row.old_index == row.new_index == 4
    assert [op for op in row.ops if op.op != "equal"] == [
        Op("delete", "11,000"),
        Op("insert", "12,000"),
    ]
    assert (d.stats.words_added, d.stats.words_removed, d.stats.words_changed) == (1, 1, 1)


# --------------------------------------------------------------------------- corpus edits


@ARTICLES
def test_one_word_changed(articles: list[Document], index: int) -> None:
    doc = articles[index]
    rnd = random.Random(index)
    k = editable(doc)
    paras = list(doc.paragraphs)
    paras[k], old_word = replace_word(paras[k], rnd)
    d = diff_documents(doc, with_paragraphs(doc, paras)).body
    changed = [r for r in d.rows if r.kind != "equal"]
    assert [(r.kind, r.old_index, r.new_index) for r in changed] == [("changed", k, k)]
    assert [op for op in changed[0].ops if op.op != "equal"] == [
        Op("delete", old_word),
        Op("insert", "zebra"),
    ]
    assert (d.stats.words_added, d.stats.words_removed, d.stats.paragraphs_changed) == (1, 1, 1)


@ARTICLES
def test_number_changed(articles: list[Document], index: int) -> None:
    doc = articles[index]
    where = [(i, m) for i, p in enumerate(doc.paragraphs) for m in NUMBER.finditer(p)]
    if not where:
        pytest.skip("no number in this article")
    k, m = where[0]
    old_number = m.group(0)
    digits = int(old_number.replace(",", "")) + 1000
    new_number = f"{digits:,}" if "," in old_number else str(digits)
    paras = list(doc.paragraphs)
    paras[k] = paras[k][: m.start()] + new_number + paras[k][m.end() :]
    d = diff_documents(doc, with_paragraphs(doc, paras)).body
    [row] = [r for r in d.rows if r.kind != "equal"]
    assert [op for op in row.ops if op.op != "equal"] == [
        Op("delete", old_number),
        Op("insert", new_number),
    ]


@ARTICLES
def test_paragraph_added_and_removed(articles: list[Document], index: int) -> None:
    doc = articles[index]
    k = len(doc.paragraphs) // 2
    extra = "A spokesperson declined to comment on Tuesday when reached by telephone."
    added = [*doc.paragraphs[:k], extra, *doc.paragraphs[k:]]
    d = diff_documents(doc, with_paragraphs(doc, added)).body
    assert [(r.kind, r.new_index) for r in d.rows if r.kind != "equal"] == [("added", k)]
    assert d.stats.words_added == 11 and d.stats.paragraphs_added == 1

    removed = [p for i, p in enumerate(doc.paragraphs) if i != k]
    d = diff_documents(doc, with_paragraphs(doc, removed)).body
    assert [(r.kind, r.old_index) for r in d.rows if r.kind != "equal"] == [("removed", k)]
    plain_words = [w for w in doc.paragraphs[k].split() if re.search(r"\w", w)]
    assert d.stats.words_removed == count_words(doc.paragraphs[k]) >= len(plain_words)
    assert d.stats.paragraphs_removed == 1


@ARTICLES
def test_paragraph_moved_with_and_without_an_edit(articles: list[Document], index: int) -> None:
    doc = articles[index]
    k = editable(doc)
    paras = list(doc.paragraphs)
    moving = paras.pop(k)
    paras.append(moving)
    d = diff_documents(doc, with_paragraphs(doc, paras)).body
    moved = [r for r in d.rows if r.kind.startswith("moved")]
    assert [(r.kind, r.old_index, r.new_index) for r in moved] == [
        ("moved_from", k, None),
        ("moved_to", k, len(paras) - 1),
    ]
    assert moved[0].move_id == moved[1].move_id
    assert moved[1].ops == [Op("equal", moving)]
    assert d.stats.paragraphs_moved == 1
    assert (d.stats.words_added, d.stats.words_removed) == (0, 0)
    assert all(r.kind == "equal" for r in d.rows if not r.kind.startswith("moved"))

    paras[-1], old_word = replace_word(moving, random.Random(index), "hippo")
    d = diff_documents(doc, with_paragraphs(doc, paras)).body
    [to] = [r for r in d.rows if r.kind == "moved_to"]
    assert [op for op in to.ops if op.op != "equal"] == [
        Op("delete", old_word),
        Op("insert", "hippo"),
    ]
    assert (d.stats.words_added, d.stats.words_removed, d.stats.paragraphs_moved) == (1, 1, 1)


@ARTICLES
def test_headline_change_leaves_the_body_equal(articles: list[Document], index: int) -> None:
    doc = with_paragraphs(articles[index], list(articles[index].paragraphs), title="Old title")
    new = with_paragraphs(doc, list(doc.paragraphs), title="New title here")
    d = diff_documents(doc, new)
    assert not d.body.changed and d.changed
    assert d.fields == {"title": ("Old title", "New title here")}
    assert d.field_ops["title"] == [
        Op("delete", "Old"),
        Op("insert", "New"),
        Op("equal", " title"),
        Op("insert", " here"),
    ]


@ARTICLES
def test_rewritten_paragraph_is_removed_plus_added_not_confetti(
    articles: list[Document], index: int
) -> None:
    doc = articles[index]
    other = articles[(index + 1) % len(articles)]
    k = editable(doc)
    paras = list(doc.paragraphs)
    paras[k] = max(other.paragraphs, key=len)
    d = diff_documents(doc, with_paragraphs(doc, paras)).body
    assert sorted(r.kind for r in d.rows if r.kind != "equal") == ["added", "removed"]


# --------------------------------------------------------------------------- word level


def test_words_are_never_split_and_insertions_start_on_a_word() -> None:
    assert word_ops("the house", "the big house") == [
        Op("equal", "the "),
        Op("insert", "big "),
        Op("equal", "house"),
    ]
    assert word_ops("sent 11,000 troops.", "sent 12,000 troops,") == [
        Op("equal", "sent "),
        Op("delete", "11,000"),
        Op("insert", "12,000"),
        Op("equal", " troops"),
        Op("delete", "."),
        Op("insert", ","),
    ]
    assert word_ops("an unambiguous reply", "an ambiguous reply") == [
        Op("equal", "an "),
        Op("delete", "unambiguous"),
        Op("insert", "ambiguous"),
        Op("equal", " reply"),
    ]


def test_text_without_spaces_is_compared_by_character() -> None:
    assert word_ops("我喜欢猫。", "我喜欢狗。") == [
        Op("equal", "我喜欢"),
        Op("delete", "猫"),
        Op("insert", "狗"),
        Op("equal", "。"),
    ]
    thai = word_ops("ฉันชอบแมว", "ฉันชอบหมา")
    assert "".join(op.text for op in thai if op.op != "insert") == "ฉันชอบแมว"
    assert Op("equal", "ฉันชอบ") in thai


def test_combining_marks_and_rtl_stay_whole() -> None:
    ops = word_ops("cafe\u0301 שלום עולם", "cafe שלום עולם!")
    assert ops[:2] == [Op("delete", "cafe\u0301"), Op("insert", "cafe")]
    assert "".join(op.text for op in ops if op.op != "delete") == "cafe שלום עולם!"


def test_short_equal_runs_between_changes_join_one_replacement() -> None:
    ops = word_ops("the quick brown fox", "a slow green dog")
    assert ops == [Op("delete", "the quick brown fox"), Op("insert", "a slow green dog")]


# --------------------------------------------------------------------------- budget and input


def long_document(words: int) -> list[str]:
    return synthetic.long_document(words, seed=7, vocabulary=3000, longest=120)


def edit_words(paras: list[str], share: float) -> list[str]:
    return synthetic.edit_words(paras, share, seed=8, token="edit")


def test_past_the_budget_the_diff_is_coarser_says_so_and_still_exact() -> None:
    old = long_document(20_000)
    new = edit_words(old, 0.3)
    old_text, new_text = "\n\n".join(old), "\n\n".join(new)
    d = diff_texts(old_text, new_text, budget_ms=0.001)
    assert d.degraded in ("blocks", "paragraphs")
    assert d.old_paragraphs() == old and d.new_paragraphs() == new
    full = diff_texts(old_text, new_text, budget_ms=UNLIMITED)
    assert full.degraded is None
    assert full.stats.paragraphs_changed > 100
    assert full.old_paragraphs() == old and full.new_paragraphs() == new


def test_long_document_with_scattered_edits_is_diffed_word_by_word() -> None:
    old = long_document(30_000)
    new = edit_words(old, 0.01)
    d = diff_texts("\n\n".join(old), "\n\n".join(new), budget_ms=UNLIMITED)
    assert d.degraded is None
    assert all(r.kind in ("equal", "changed") for r in d.rows)
    assert 0 < d.stats.words_changed <= 300
    assert d.stats.words_added == d.stats.words_removed == d.stats.words_changed


def test_unchanged_runs_stay_one_part_until_the_rows_are_read() -> None:
    old = long_document(30_000)
    new = list(old)
    k = len(old) // 2
    new[k] += " One sentence more."
    for a, b in ((old, new), (new, old)):
        d = diffmod.diff_paragraphs(a, b)
        assert [type(p).__name__ for p in d.parts()] == ["EqualRun", "Row", "EqualRun"]
        assert d.changed and d.old_paragraphs() == a and d.new_paragraphs() == b
        assert summarize(DocumentDiff(d)).kind in ("edit", "paragraphs_added", "quotes")
        assert len(d.parts()) == 3  # the summary of a recorded change builds no unchanged rows
        rows = d.rows
        assert d.rows is rows and len(rows) == len(old)
        assert [(r.old_index, r.new_index) for r in rows] == [(i, i) for i in range(len(old))]
        assert rows[0] == Row("equal", 0, 0, a[0], a[0], [Op("equal", a[0])])
        assert [r.kind for r in rows].count("equal") == len(old) - 1
        assert d.to_json()["rows"][k]["kind"] == "changed"
        d.rows = rows[:1]
        assert d.old_paragraphs() == a[:1] and not d.changed


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: diff_texts(None, "x"), TypeError),  # type: ignore[arg-type]
        (lambda: diff_texts("x", b"x"), TypeError),  # type: ignore[arg-type]
        (lambda: diff_texts("a", "b", budget_ms=-1), ValueError),
        (lambda: diff_texts("a", "b", budget_ms=float("nan")), ValueError),
        (lambda: diff_texts("a", "b", budget_ms="fast"), TypeError),  # type: ignore[arg-type]
        (lambda: diff_documents("a", Document()), TypeError),  # type: ignore[arg-type]
        (lambda: word_ops("a", 3), TypeError),  # type: ignore[arg-type]
    ],
)
def test_hostile_input_gets_a_clear_error(call, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=r"must be|budget"):
        call()


def test_empty_and_whitespace_bodies() -> None:
    assert not diff_texts("", "").changed
    d = diff_texts("", "One paragraph.\n\nTwo.")
    assert [r.kind for r in d.rows] == ["added", "added"]
    assert d.stats.share_changed == 1.0
    assert not diff_texts("\n\n  \n", "").changed


def test_json_form_is_plain_data() -> None:
    v1, v2 = (v.document for v in load_seeds()[:2])
    v2 = with_paragraphs(v2, list(v2.paragraphs), title="Putin signs treaty")
    data = json.loads(json.dumps(diff_documents(v1, v2).to_json(), ensure_ascii=False))
    assert data["fields"]["title"]["new"] == "Putin signs treaty"
    assert data["fields"]["title"]["ops"] == [{"op": "insert", "text": "Putin signs treaty"}]
    assert data["stats"]["paragraphs_added"] == 6
    assert data["rows"][0] == {
        "kind": "added",
        "old_index": None,
        "new_index": 0,
        "old": None,
        "new": v2.paragraphs[0],
        "ops": [{"op": "insert", "text": v2.paragraphs[0]}],
        "move_id": None,
    }


@pytest.mark.skipif(not diffmod.accelerator_available(), reason="fast-diff-match-patch absent")
def test_accelerator_matches_pure_python_on_corpus_edits(articles: list[Document]) -> None:
    rnd = random.Random(3)
    pairs = []
    for doc in articles:
        paras = list(doc.paragraphs)
        for _ in range(4):
            k = rnd.randrange(len(paras))
            paras[k] = " ".join(w if rnd.random() > 0.2 else "changed" for w in paras[k].split(" "))
        paras.insert(rnd.randrange(len(paras)), paras.pop(rnd.randrange(len(paras))))
        pairs.append((doc, with_paragraphs(doc, paras)))
    previous = diffmod.use_accelerator(False)
    try:
        pure = [diff_documents(a, b, budget_ms=UNLIMITED) for a, b in pairs]
        diffmod.use_accelerator(True)
        fast = [diff_documents(a, b, budget_ms=UNLIMITED) for a, b in pairs]
    finally:
        diffmod.use_accelerator(previous)
    for p, f in zip(pure, fast, strict=True):
        assert p.body.rows == f.body.rows and p.body.stats == f.body.stats
    assert any(p.body.stats.paragraphs_changed for p in pure)
