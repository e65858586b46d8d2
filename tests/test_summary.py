"""Change summaries: the kind subscribers filter on, the size, and the sentence people read."""

from __future__ import annotations

import pytest
from diff_support import NUMBER, with_paragraphs

from tracker.diff import diff_documents
from tracker.document import Document
from tracker.seeds import load as load_seeds
from tracker.summary import KINDS, Summary, summarize


def seed() -> tuple[Document, Document]:
    v1, v2 = (v.document for v in load_seeds()[:2])
    return v1, v2


def summary_of(old: Document, new: Document) -> Summary:
    return summarize(diff_documents(old, new), old, new)


def edited(doc: Document, old: str, new: str, **fields: str) -> Document:
    paras = [p.replace(old, new) for p in doc.paragraphs]
    assert paras != list(doc.paragraphs) or fields, f"{old!r} not in the document"
    return with_paragraphs(doc, paras, **fields)


def test_seed_update_is_paragraphs_added() -> None:
    v1, v2 = seed()
    s = summary_of(v1, v2)
    assert (s.kind, s.kinds) == ("paragraphs_added", ["paragraphs_added"])
    assert s.text == "6 paragraphs added"
    assert s.size == diff_documents(v1, v2).body.stats.words_added == 225
    assert s.details[0]["first"].startswith("Russia entered into a strategic partnership")


def test_number_change_names_old_and_new_with_their_noun() -> None:
    _, v2 = seed()
    s = summary_of(v2, edited(v2, "11,000 troops", "12,000 troops"))
    assert s.kind == "numbers" and s.kinds == ["numbers"]
    assert s.text == "number changed: “11,000 troops” → “12,000 troops”"
    assert s.details == [
        {
            "kind": "numbers",
            "old": "11,000",
            "new": "12,000",
            "old_text": "11,000 troops",
            "new_text": "12,000 troops",
            "paragraph": 4,
        }
    ]
    assert s.size == 2


def test_spelled_out_numbers_count_too() -> None:
    _, v2 = seed()
    s = summary_of(v2, edited(v2, "nearly five months", "nearly six months"))
    assert s.kind == "numbers"
    assert "“five months” → “six months”" in s.text


def test_quote_altered_inside_a_paragraph() -> None:
    _, v2 = seed()
    s = summary_of(v2, edited(v2, '"quite unambiguous"', '"entirely unambiguous"'))
    assert s.kind == "quotes"
    assert s.kinds[0] == "quotes"
    [detail] = [d for d in s.details if d["kind"] == "quotes"]
    assert detail == {
        "kind": "quotes",
        "change": "altered",
        "old": "quite unambiguous",
        "new": "entirely unambiguous",
    }


def test_curly_quote_added_in_a_new_paragraph_and_removed_from_another() -> None:
    _, v2 = seed()
    quote = "Kim said the alliance was “invincible” and would last."
    paras = [*v2.paragraphs[:2], quote, *v2.paragraphs[2:]]
    s = summary_of(v2, with_paragraphs(v2, paras))
    assert s.kind == "paragraphs_added"  # the quote came with a whole new paragraph
    assert s.kinds == ["paragraphs_added", "quotes"]
    assert "quote added: “invincible”" in s.text

    s = summary_of(v2, edited(v2, 'the treaty wording was "quite unambiguous" and', "it was"))
    assert "quote removed: “quite unambiguous”" in s.lines
    assert s.kind == "quotes"


def test_quote_that_only_moved_between_paragraphs_is_not_a_quote_change() -> None:
    _, v2 = seed()
    paras = list(v2.paragraphs)
    assert '"quite unambiguous"' in paras[7]
    paras[7] = paras[7].replace('was "quite unambiguous" and', "was clear and")
    paras[8] += ' Peskov called the wording "quite unambiguous".'
    s = summary_of(v2, with_paragraphs(v2, paras))
    assert "quotes" not in s.kinds
    assert s.kind == "edit"


@pytest.mark.parametrize(
    "note",
    [
        "Correction: An earlier version of this story misstated the date of the decree.",
        "Editor’s note: This story has been updated with comment from the Kremlin.",
        "An earlier version of this article gave the wrong number of troops.",
    ],
)
def test_correction_paragraph_added(note: str) -> None:
    _, v2 = seed()
    s = summary_of(v2, with_paragraphs(v2, [*v2.paragraphs, note]))
    assert s.kind == "correction"
    assert s.kinds[:2] == ["correction", "paragraphs_added"]
    assert s.details[0]["text"] == note


def test_developing_marker_removed() -> None:
    _, v2 = seed()
    s = summary_of(v2, with_paragraphs(v2, list(v2.paragraphs[:-1])))
    assert s.kind == "developing_ended"
    assert s.lines[0] == "no longer marked “(More to come)”"
    assert "paragraphs_removed" in s.kinds


def test_headline_and_byline() -> None:
    _, v2 = seed()
    old = with_paragraphs(v2, list(v2.paragraphs), title="Putin signs treaty", byline="Reuters")
    new = with_paragraphs(old, list(old.paragraphs), title="Putin signs North Korea treaty")
    s = summary_of(old, new)
    assert s.kind == "headline" and s.kinds == ["headline"]
    assert s.text == "headline changed: “Putin signs treaty” → “Putin signs North Korea treaty”"
    assert s.size == 2
    new = with_paragraphs(old, list(old.paragraphs), byline="Guy Faulconbridge")
    s = summary_of(old, new)
    assert s.kind == "byline"
    assert s.details[0] == {"kind": "byline", "old": "Reuters", "new": "Guy Faulconbridge"}


def test_paragraph_removed_and_moved() -> None:
    _, v2 = seed()
    s = summary_of(v2, with_paragraphs(v2, [p for i, p in enumerate(v2.paragraphs) if i != 3]))
    assert (s.kind, s.text) == ("paragraphs_removed", "1 paragraph removed")
    paras = list(v2.paragraphs)
    paras.insert(6, paras.pop(1))
    s = summary_of(v2, with_paragraphs(v2, paras))
    assert (s.kind, s.kinds, s.size, s.text) == ("moved", ["moved"], 0, "1 paragraph moved")


def test_typo_and_punctuation_fixes() -> None:
    _, v2 = seed()
    s = summary_of(v2, edited(v2, "galvanises", "galvanizes"))
    assert (s.kind, s.text) == ("typo", "typo fixed: “galvanises” → “galvanizes”")
    s = summary_of(v2, edited(v2, "Kyiv's forces Russia's", "Kyiv's forces in Russia's"))
    assert s.kind == "edit"  # a word added is not a typo, however short
    s = summary_of(v2, edited(v2, "Kyiv's forces Russia's", "Kyiv's forces, Russia's"))
    assert (s.kind, s.text) == ("typo", "punctuation: “forces Russia's” → “forces, Russia's”")


def test_many_small_fixes_or_a_rewrite_are_an_edit() -> None:
    _, v2 = seed()
    new = v2
    for a, b in [("galvanises", "galvanizes"), ("defence", "defense"), ("Kyiv", "Kiev")]:
        new = edited(new, a, b)
    new = edited(new, "Russia's upper house", "Russias upper house")
    s = summary_of(v2, new)
    assert s.kind == "edit"
    s = summary_of(v2, edited(v2, "has not confirmed the presence", "denied any deployment"))
    assert s.kind == "edit"
    assert s.text == "1 paragraph edited (+3/−5 words)"


def test_kinds_are_known_and_ordered() -> None:
    _, v2 = seed()
    new = edited(v2, "11,000 troops", "12,000 troops", title="New headline")
    new = with_paragraphs(new, [*new.paragraphs, "Correction: the decree was published Friday."])
    s = summary_of(v2, new)
    assert s.kinds == ["correction", "headline", "numbers", "paragraphs_added"]
    assert set(s.kinds) <= set(KINDS)
    assert s.text.split("; ")[0].startswith("correction added")


def test_corpus_edits_get_the_expected_kind(articles: list[Document]) -> None:
    seen = 0
    for doc in articles:
        numbers = [(i, m) for i, p in enumerate(doc.paragraphs) for m in NUMBER.finditer(p)]
        if numbers:
            k, m = numbers[0]
            paras = list(doc.paragraphs)
            paras[k] = paras[k][: m.start()] + "31337" + paras[k][m.end() :]
            s = summary_of(doc, with_paragraphs(doc, paras))
            assert s.kind == "numbers" and s.details[0]["new"] == "31337", s
            seen += 1
        paras = list(doc.paragraphs)
        paras.append(paras.pop(2))
        assert summary_of(doc, with_paragraphs(doc, paras)).kind == "moved"
    assert seen >= 3


def test_summarize_rejects_what_is_not_a_diff() -> None:
    with pytest.raises(TypeError, match="DocumentDiff"):
        summarize("not a diff")  # type: ignore[arg-type]
