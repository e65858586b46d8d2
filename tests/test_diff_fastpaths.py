"""The diff's shortcuts give exactly what the long way gives: a word diff that skips the text two
paragraphs share at both ends, word counts put together from pieces, similarity decided from the
shared ends, and a paragraph list compared without hashing its unchanged ends."""

from __future__ import annotations

import importlib
import itertools
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_diff_properties import WORDS

from tracker import diff as diffmod
from tracker.diff.align import Clock, align, common_head, common_tail
from tracker.diff.pairing import (
    Paragraphs,
    Similarity,
    _add_tri,
    _dice,
    at_least_by_ends,
    collapsed,
    match,
    pair_run,
    shared_ends,
    trigrams,
)
from tracker.diff.tokens import (
    WORD,
    WordCounts,
    _in_dictionary_script,
    _plain_count,
    count_words,
    cut_ok,
    has_words,
    segment,
    tokenize,
)
from tracker.diff.words import aligned_ops, pair_ops, shares_enough, text_ops, token_ops

align_module = importlib.import_module("tracker.diff.align")  # the package shadows the name
pairing_module = importlib.import_module("tracker.diff.pairing")
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# words of every script, joined by spaces or by nothing (CJK, Thai and marks glued together)
texts = st.lists(
    st.tuples(st.sampled_from(WORDS), st.sampled_from([" ", " ", "", "  ", "\n"])),
    max_size=14,
).map(lambda parts: "".join(w + sep for w, sep in parts))


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, str]:
    """A text and the same text with a word replaced, inserted, dropped or repeated."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=14))
    sep = draw(st.sampled_from([" ", ""]))
    new = list(words)
    k = draw(st.integers(0, len(words) - 1))
    action = draw(st.sampled_from(["replace", "insert", "drop", "repeat"]))
    if action == "replace":
        new[k] = draw(st.sampled_from(WORDS))
    elif action == "insert":
        new.insert(k, draw(st.sampled_from(WORDS)))
    elif action == "drop":
        del new[k]
    else:  # "the sat." -> "the sat sat.": the whole-text alignment runs on into the shared end
        new.insert(k, words[k])
    return sep.join(words), sep.join(new)


pairs = st.one_of(
    edited(),
    st.tuples(texts, texts),
    st.tuples(st.text(max_size=60), st.text(max_size=60)),
    st.tuples(texts, st.text(max_size=8), texts).map(lambda t: (t[0] + t[2], t[0] + t[1] + t[2])),
)


def check_text_ops(old: str, new: str) -> None:
    clock = Clock(math.inf)
    counts = WordCounts()
    ops = text_ops(old, new, clock, counts)
    assert ops == token_ops(tokenize(old), tokenize(new), clock)
    for text in [old, new, *(op.text for op in ops)]:
        assert counts(text) == count_words(text), text


@PROPS
@given(pairs)
def test_the_word_diff_of_a_pair_skips_the_shared_ends_and_gives_the_same_ops(
    pair: tuple[str, str],
) -> None:
    check_text_ops(*pair)


@PROPS
@given(pairs)
def test_the_shared_ends_shortcut_holds_without_the_dictionary(pair: tuple[str, str]) -> None:
    previous = diffmod.use_dictionary(False)
    try:
        check_text_ops(*pair)
    finally:
        diffmod.use_dictionary(previous)


words = st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join)


@st.composite
def framed(draw: st.DrawFn) -> tuple[str, str]:
    """Two texts that share a start and an end of up to 40 words around different middles."""
    head, tail = draw(words), draw(words)
    middles = draw(st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)), draw(words)
    return tuple(f"{head} {m} {tail}" for m in middles)  # type: ignore[return-value]


@PROPS
@given(pairs | framed(), st.sampled_from([0.3, 0.1, 0.5, 0.7, 0.9]))
def test_whether_a_pair_kept_enough_words_is_decided_as_counting_every_word_decides(
    pair: tuple[str, str], floor: float
) -> None:
    old, new = pair
    counts = WordCounts()
    ops, ends = pair_ops(old, new, Clock(math.inf), counts)
    common = 2 * sum(count_words(op.text) for op in ops if op.op == "equal")
    total = count_words(old) + count_words(new)
    assert shares_enough(old, new, ops, ends, counts, floor) == (
        not (total and common < floor * total)
    )


def test_a_pair_kept_enough_words_exactly_when_counting_says_so_around_the_floor() -> None:
    """Every mix of shared words and replaced words near the floor: the shortcut must not be
    off by one word anywhere."""
    for floor in (0.3, 0.7):
        for h, t, a, b in itertools.product(range(13), range(3), range(13), range(13)):
            old = " ".join([*(f"h{k}" for k in range(h)), *(f"x{k}" for k in range(a))])
            new = " ".join([*(f"h{k}" for k in range(h)), *(f"y{k}" for k in range(b))])
            old, new = f"{old} t. " * bool(t) + old, f"{new} t. " * bool(t) + new
            old, new = old + " end" * t, new + " end" * t
            if old == new:
                continue
            counts = WordCounts()
            ops, ends = pair_ops(old, new, Clock(math.inf), counts)
            common = 2 * sum(count_words(op.text) for op in ops if op.op == "equal")
            total = count_words(old) + count_words(new)
            expected = not (total and common < floor * total)
            assert shares_enough(old, new, ops, ends, counts, floor) == expected, (old, new)


def test_a_long_pair_with_a_small_edit_keeps_its_words_without_counting_them() -> None:
    old = " ".join(f"word{k} of the story" for k in range(60))
    counts = WordCounts()
    ops, ends = pair_ops(old, old.replace("word30 of", "word30 off"), Clock(math.inf), counts)
    assert ends is not None and len(ends.head) > len(old) / 3
    assert shares_enough(old, old.replace("word30 of", "word30 off"), ops, ends, counts, 0.3)
    assert old not in counts._seen  # decided from the middles and a few words of an end
    assert counts(old) == count_words(old)  # counted when asked, from the deferred pieces


def test_a_repeated_word_before_the_shared_end_is_placed_as_the_whole_text_places_it() -> None:
    check_text_ops("the sat.", "the sat sat.")
    check_text_ops(
        "a b c d e f g h the sat. and more text", "a b c d e f g h the sat sat. and more text"
    )
    check_text_ops("the\tsat.", "the sat sat.")  # both middles start with "the"


@PROPS
@given(texts | st.text(max_size=80), st.data())
def test_a_text_cut_where_cut_ok_allows_tokenizes_and_counts_as_its_parts(
    text: str, data: st.DataObject
) -> None:
    p = data.draw(st.integers(0, len(text)))
    if cut_ok(text, p):
        assert tokenize(text[:p]) + tokenize(text[p:]) == tokenize(text)
        assert count_words(text[:p]) + count_words(text[p:]) == count_words(text)


@PROPS
@given(texts | st.text(max_size=80), st.integers(1, 6))
def test_has_words_never_says_yes_when_there_are_fewer(text: str, n: int) -> None:
    if has_words(text, n):
        assert count_words(text) >= n


@PROPS
@given(pairs, st.sampled_from([0.4, 0.6]))
def test_similarity_decided_from_the_shared_ends_is_never_wrong(
    pair: tuple[str, str], floor: float
) -> None:
    old, new = pair
    if at_least_by_ends(collapsed(old), collapsed(new), floor):
        assert _dice(trigrams(old), trigrams(new)) >= floor


@PROPS
@given(pairs | framed(), st.sampled_from([0.4, 0.6]))
def test_similarity_from_the_shared_ends_counts_a_few_of_their_trigrams_as_all_of_them_would(
    pair: tuple[str, str], floor: float
) -> None:
    """The bound is first tried on the trigrams of the first characters of each shared end,
    and decides as the trigrams of the whole shared ends do."""
    s, t = collapsed(pair[0]), collapsed(pair[1])
    x, y = shared_ends(s, t)
    spread = len(s) + len(t) - 2 * (x + y) + 4
    need = floor * spread / (2 * (1 - floor)) + 1e-9
    whole = len(_add_tri(set(), s[:x]) | _add_tri(set(), s[len(s) - y :])) > need
    usable = min(len(s), len(t)) >= 3 and max(len(s), len(t)) <= 20_000
    assert at_least_by_ends(s, t, floor) == (usable and x + y >= need and whole)


def test_a_repetitive_start_of_the_shared_end_does_not_hide_the_rest_of_it() -> None:
    tail = "a" * 40 + " then the rest of the paragraph"
    assert at_least_by_ends("Q" + tail, "R" + tail, 0.4)  # the first a's are one trigram


@PROPS
@given(texts | st.text(max_size=60))
def test_trigrams_are_the_three_character_runs(text: str) -> None:
    assert _add_tri(set(), text) == {tuple(text[k : k + 3]) for k in range(len(text) - 2)}


@PROPS
@given(pairs | framed())
def test_the_word_diff_of_a_pair_takes_the_shared_ends_the_pairing_found(
    pair: tuple[str, str],
) -> None:
    old, new = pair
    clock = Clock(math.inf)
    long_way = pair_ops(old, new, clock, WordCounts())
    assert pair_ops(old, new, clock, WordCounts(), shared_ends(old, new)) == long_way


@st.composite
def local_runs(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Paragraphs edited in place, one removed and one added per run; some edits are large,
    some runs swap their texts (exact moves), some texts are blank."""
    n = draw(st.integers(1, 4))
    old: list[str] = []
    new: list[str] = []
    for _ in range(n):
        a, b = draw(edited() | st.tuples(texts, texts))
        old.append(a)
        new.append(b)
    if n > 1 and draw(st.booleans()):
        new[0], old[-1] = old[-1], new[0]
    elif n > 1 and draw(st.booleans()):  # the first moved to the last run and was edited there
        old[0] = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=6, max_size=12)))
        new[-1] = old[0].replace(" ", " and ", 1)
        new[0] = draw(texts)
    if draw(st.booleans()):
        old[0] = draw(st.sampled_from(["", " ", old[0] * 3]))
    return old, new


@PROPS
@given(local_runs())
def test_runs_that_are_all_local_edits_pair_as_the_whole_search_pairs_them(
    pair: tuple[list[str], list[str]],
) -> None:
    old, new = pair
    runs = [(range(k, k + 1), range(k, k + 1)) for k in range(len(old))]
    quick = match(runs, Paragraphs(old), Paragraphs(new), Clock(math.inf))
    previous = pairing_module._local_edits
    pairing_module._local_edits = lambda *args: None
    try:
        assert quick == match(runs, Paragraphs(old), Paragraphs(new), Clock(math.inf))
    finally:
        pairing_module._local_edits = previous


@PROPS
@given(
    texts | st.text(max_size=60) | st.text(alphabet=" \t\n\u00a0\u2028\u3000ab\u200b", max_size=20)
)
def test_a_text_kept_as_it_is_is_already_collapsed(text: str) -> None:
    assert collapsed(text) == " ".join(text.split())


def test_similarity_from_the_shared_ends_decides_a_small_edit_in_a_long_paragraph() -> None:
    old = " ".join(f"word{k} of the story" for k in range(60))
    new = old.replace("word30 of", "word30 off")
    assert at_least_by_ends(collapsed(old), collapsed(new), 0.4)
    assert not at_least_by_ends(collapsed(old), collapsed("something else entirely"), 0.4)


@PROPS
@given(
    st.lists(st.sampled_from("abcde"), max_size=30), st.lists(st.sampled_from("abcde"), max_size=30)
)
def test_common_ends_of_lists_and_strings_match_a_step_by_step_count(
    a: list[str], b: list[str]
) -> None:
    head = next(
        (k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    assert common_head(a, b) == head == common_head("".join(a), "".join(b))
    rest = min(len(a), len(b)) - head
    tail = next(
        (k for k, (x, y) in enumerate(zip(a[::-1], b[::-1], strict=False)) if x != y or k >= rest),
        rest,
    )
    assert common_tail(a, b, n=rest) == tail == common_tail("".join(a), "".join(b), n=rest)


# the characters the quick count's checks are about: apostrophes, digits with . and , (ASCII
# and Devanagari), marks, ZWJ, CJK, Thai, astral letters, control characters and whitespace
_TRICKY = "aZ09.,'’ \t\n\x01\x1f-—_\u0301\u093f\u0915\u0966\u200d中ก\U0001d400\U00020000й"


@PROPS
@given(
    texts
    | st.text(max_size=80)
    | st.text(alphabet="ab1,.'’ \u0301-—", max_size=40)
    | st.text(alphabet=_TRICKY, max_size=30)
    | st.text(alphabet=st.characters(max_codepoint=127), max_size=40)
    | st.text(alphabet=" \t\n\u3000\xa0", max_size=4)
)
def test_the_quick_word_count_of_spaced_scripts_agrees_with_the_word_pattern(text: str) -> None:
    quick = _plain_count(text)
    if quick >= 0:
        assert quick == len(WORD.findall(text))


@PROPS
@given(
    texts
    | st.text(alphabet=_TRICKY + "中の。〇１", max_size=30)
    | st.text(alphabet="中の。〇１ a1,.'\u0301\u200d", max_size=30)
    | st.text(max_size=40)
)
def test_word_counts_agree_with_the_word_pattern(text: str) -> None:
    long_way = sum(len(segment(w)) if _in_dictionary_script(w) else 1 for w in WORD.findall(text))
    assert count_words(text) == long_way


def test_the_quick_word_count_covers_news_text_and_leaves_numbers_to_the_pattern() -> None:
    assert _plain_count("Kim’s dog didn't bark — U.S. e-mail, rock'n'roll.") == 9
    assert _plain_count("The ministry said लड़का स्कूल गया। Москва") == 7
    assert _plain_count("rose to 11,000 troops") == -1  # one word with its separator
    assert _plain_count("中文") == -1 and _plain_count("\u0301x") == -1
    # ASCII takes neither the check for marks nor (without . or ,) the one for numbers
    assert _plain_count("") == _plain_count("  \t") == 0 and _plain_count("3.5 or 1,000") == -1
    assert _plain_count("rock'n'roll x' 'y 9 a_b") == 6  # _ is punctuation


@st.composite
def edited_sequences(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A long token list (repeats included) and a copy with tokens added, dropped, replaced,
    moved and repeated: long enough that the alignment goes past its small-input path."""
    alphabet = draw(st.sampled_from([8, 40, 1000]))
    old = draw(st.lists(st.integers(0, alphabet).map(str), min_size=40, max_size=90))
    new = list(old)
    for action, k, token in draw(
        st.lists(st.tuples(st.integers(0, 4), st.integers(0, 99), st.integers()), max_size=6)
    ):
        k %= len(new) + 1
        if action == 0:
            new.insert(k, f"new{token}")
        elif action == 1 and k < len(new):
            del new[k]
        elif action == 2 and k < len(new):
            new[k] = f"new{token}"
        elif action == 3 and k < len(new):
            new.insert(token % (len(new) + 1), new.pop(k))
        else:
            new.insert(k, old[token % len(old)])
    return old, new


@st.composite
def walkable_sequences(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Distinct tokens with new ones added, dropped or replaced near both ends and between:
    every token one side lacks is new, so the walk answers (it hardly ever does on
    `edited_sequences`, whose moves and repeats send the alignment to the anchors)."""
    n = draw(st.integers(70, 150))
    old = [str(k) for k in range(n)]
    new = list(old)
    places = {draw(st.integers(0, 5)), draw(st.integers(n - 6, n - 1))}
    places.update(draw(st.lists(st.integers(0, n - 1), max_size=4)))
    for k in sorted(places, reverse=True):  # from the end, so each place is still old's
        action = draw(st.integers(0, 2))
        if action == 0:
            new.insert(k, f"new{k}")
        elif action == 1:
            del new[k]
        else:
            new[k] = f"new{k}"
    return old, new


@PROPS
@given(edited_sequences() | walkable_sequences())
def test_walking_past_new_tokens_aligns_as_the_unique_anchors_do(
    pair: tuple[list[str], list[str]],
) -> None:
    old, new = pair
    walked = align(old, new, Clock(math.inf))
    previous = align_module._walking
    align_module._walking = False
    try:
        assert walked == align(old, new, Clock(math.inf))
    finally:
        align_module._walking = previous


@PROPS
@given(edited_sequences() | walkable_sequences())
def test_the_walk_only_answers_when_every_unmatched_token_is_new(
    pair: tuple[list[str], list[str]],
) -> None:
    old, new = pair
    runs = align_module._walk(old, new)
    shared_old = [t for t in old if t in new]
    if runs is None:  # the tokens both sides have are not in the same order, or most are new
        new_tokens = len(old) - len(shared_old) + sum(t not in old for t in new)
        limit = align_module._WALK_SCANS * (len(old) + len(new)) // max(len(old), len(new))
        assert shared_old != [t for t in new if t in old] or new_tokens > limit
        return
    i = j = 0
    for op, n in runs:
        if op == 0:
            assert old[i : i + n] == new[j : j + n]
        elif op < 0:
            assert not set(old[i : i + n]) & set(new)
        else:
            assert not set(new[j : j + n]) & set(old)
        i, j = i + n * (op <= 0), j + n * (op >= 0)
    assert (i, j) == (len(old), len(new))


_TOKENS = ["the", "war", "11,000", "Kim's", ".", "-", "中", "ก", " ", "  ", "\n", " \u0301"]
_TOKENS += ["\u0301"]  # a mark alone, and whitespace with one (neither is whitespace)


@PROPS
@given(
    st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=12) | texts.map(tokenize).filter(bool),
    st.lists(st.tuples(st.integers(0, 99), st.sampled_from(_TOKENS)), min_size=1, max_size=2),
)
def test_a_token_replaced_gives_the_ops_the_alignment_gives(
    old: list[str], edits: list[tuple[int, str]]
) -> None:
    new = list(old)
    for k, token in edits:  # one token replaced, or two (near each other or not)
        new[k % len(old)] = token
    clock = Clock(math.inf)
    assert token_ops(old, new, clock) == aligned_ops(old, new, clock)
    assert token_ops(new, old, clock) == aligned_ops(new, old, clock)


# one side much longer than the other, or repetitive (few distinct trigrams for its length)
lopsided = st.tuples(
    texts | st.text(alphabet="ab ", max_size=8),
    st.lists(texts | st.sampled_from(["ab" * 40, "the " * 30]), min_size=1, max_size=6).map(
        "".join
    ),
)


@PROPS
@given(pairs | lopsided | lopsided.map(lambda p: p[::-1]), st.sampled_from([0.4, 0.6]))
def test_a_pair_ruled_out_by_its_lengths_is_never_similar_enough(
    pair: tuple[str, str], floor: float
) -> None:
    old, new = pair
    sim = Similarity(Paragraphs([old]), Paragraphs([new]), {}, {})
    if sim.below(0, 0, floor):
        assert _dice(trigrams(old), trigrams(new)) < floor


@PROPS
@given(st.lists(texts | lopsided.map("".join), min_size=1, max_size=6), lopsided)
def test_a_run_pairs_as_scoring_every_pair_pairs_it(olds: list[str], news: tuple[str, str]) -> None:
    """Pairs ruled out by their lengths are skipped in a run; the pairs it finds are the same."""
    new = list(news)
    quick = pair_run(
        list(range(len(olds))),
        [0, 1],
        Similarity(Paragraphs(olds), Paragraphs(new), {}, {}),
        Clock(math.inf),
    )
    previous = Similarity.below
    Similarity.below = lambda *args: False  # type: ignore[method-assign]
    try:
        sim = Similarity(Paragraphs(olds), Paragraphs(new), {}, {})
        assert quick == pair_run(list(range(len(olds))), [0, 1], sim, Clock(math.inf))
    finally:
        Similarity.below = previous  # type: ignore[method-assign]


def test_an_article_blanked_to_one_line_is_paired_without_reading_its_paragraphs() -> None:
    olds = [" ".join(f"word{k} of paragraph {p}" for k in range(80)) for p in range(40)]
    sim = Similarity(Paragraphs(olds), Paragraphs(["Blanked by a vandal"]), {}, {})
    assert pair_run(list(range(40)), [0], sim, Clock(math.inf)) == []
    assert not any(sim.a.has_grams(i) for i in range(40))
