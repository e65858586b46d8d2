"""Tokens: words, numbers, punctuation, whitespace runs, dictionary words of Thai, Lao, Khmer
and Myanmar (ICU when installed, else characters) and single CJK characters.

Tokens always concatenate back to the input; combining marks and format characters stay with the
character before them, so no operation boundary falls inside a word.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain, islice


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


_DICTIONARY_RANGES = [(0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF)]
"""Thai, Lao, Myanmar and Khmer: written without spaces and split by dictionary (ICU)."""


def _build_tokenizer() -> tuple[re.Pattern[str], ...]:
    """Token, word and dictionary-script patterns, then those of the quick word count
    (`_plain_count`, `_by_char_count`), from this Python's Unicode tables (~20 ms).

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
    dictionary = [cp for lo, hi in _DICTIONARY_RANGES for cp in range(lo, hi + 1)]
    e_b, e_a = (
        _char_class([c for c in ext if c < 0x10000]),
        _char_class([c for c in ext if c >= 0x10000]),
    )
    p_b, p_a = (
        _char_class([c for c in punct if c < 0x10000]),
        _char_class([c for c in punct if c >= 0x10000]),
    )
    b_b = _char_class(by_char)
    d_b = _char_class([c for c in dictionary if c not in special])
    astral, cjk_b = r"\U00010000-\U0010ffff", r"\U00020000-\U0003ffff"
    e = rf"(?:[{e_b}]|(?=[{astral}])[{e_a}])"
    p = rf"(?:[{p_b}]|(?=[{astral}])[{p_a}])"
    b = rf"(?:[{b_b}{cjk_b}])"
    run = rf"[{d_b}](?:[{d_b}]|{e})*"  # a run of Thai, Lao, Khmer or Myanmar, split later
    start = rf"(?:[^\s{p_b}{b_b}{e_b}{astral}]|(?=[{astral}])(?![{p_a}{e_a}{cjk_b}]).)"
    cont = rf"(?:[^\s{p_b}{b_b}{astral}]|(?=[{astral}])(?![{p_a}{cjk_b}]).)"
    word = rf"{start}{cont}*"
    # a number keeps its thousands separators and one decimal point ("11,000", "3.5"), but a
    # dotted version or a number glued to letters is split like any other word ("6.2.0")
    number = rf"(?<!\d[.,])(?:\d+(?:,\d{{3}})+(?:\.\d+)?|\d+\.\d+)(?![.,]\d|{cont})"
    # only an apostrophe joins word parts ("Kim's"): . / : - & @ are tokens of their own, so an
    # edit inside a URL, a path, a hyphenated word or "color:vocals" marks the part that changed
    words = rf"{word}(?:['\u2019]{word})*"
    token = rf"\s+{e}*|{run}|{number}|{words}|{b}{e}*|{p}(?:\u200d\S|{e})*|{e}+|[\s\S]"
    # counting words of text without CJK, Thai (…), astral characters or numbers like 11,000
    # (see _plain_count): runs between spaces and punctuation, less apostrophes that join two
    plain = (
        rf"[{b_b}{astral}{e_b}]",  # any of the two below, in one pass
        rf"[{b_b}{astral}]",  # where it does not apply: these, then a number, then a mark
        r"\d[.,]\d",
        rf"[{e_b}]",
        rf"[\s{p_b}][{e_b}]",
        rf"[^\s{p_b}]+()",  # (an empty group: findall lists no copies of the runs)
        rf"['\u2019](?<=[^\s{p_b}]['\u2019])(?=[^\s{p_b}{e_b}])",
        rf"[{b_b}]+",  # a run of CJK characters (in text without Thai (…): see count_words)
    )
    return (
        re.compile(token),
        re.compile(rf"{run}|{number}|{words}|{b}"),
        re.compile(rf"[{d_b}]"),
        *(re.compile(x) for x in plain),
    )


# the third finds one dictionary-script character
(
    _TOKEN,
    WORD,
    _DICTIONARY_CHAR,
    _UNUSUAL_CHAR,
    _NOT_PLAIN_CHAR,
    _NOT_PLAIN_NUMBER,
    _MARK,
    _MARK_AFTER_BREAK,
    _PLAIN_RUN,
    _PLAIN_JOIN,
    _BY_CHAR_RUN,
) = _build_tokenizer()

try:  # ICU's dictionary word breaks for Thai, Lao, Khmer and Myanmar; optional (docs/DIFF.md)
    import icu as _icu
except ImportError:  # pragma: no cover - depends on the environment
    _icu = None

_local = threading.local()


_use_icu = _icu is not None


def dictionary_available() -> bool:
    """Whether Thai, Lao, Khmer and Myanmar can be split into dictionary words (PyICU)."""
    return _icu is not None


def use_dictionary(enabled: bool) -> bool:
    """Switch ICU's dictionary segmentation on or off (if installed); returns the previous
    setting. Off, those scripts are split per character; the tests check both paths."""
    global _use_icu
    previous = _use_icu
    _use_icu = bool(enabled) and _icu is not None
    segment.cache_clear()
    return previous


@lru_cache(maxsize=1 << 14)
def segment(run: str) -> tuple[str, ...]:
    """A run of Thai, Lao, Khmer or Myanmar text as dictionary words (ICU), else per character.

    ICU never breaks before a combining mark; the per-character fallback keeps marks with the
    character before them the same way.
    """
    if not _use_icu or max(run) > "\uffff":  # ICU counts UTF-16 units; astral marks are rare
        return tuple(_split_marks(run))
    breaker = getattr(_local, "breaker", None)
    if breaker is None:
        breaker = _local.breaker = _icu.BreakIterator.createWordInstance(_icu.Locale.getRoot())
    breaker.setText(run)
    pieces, last = [], 0
    for end in breaker:
        pieces.append(run[last:end])
        last = end
    return tuple(pieces)


def _split_marks(run: str) -> list[str]:
    pieces: list[str] = []
    for ch in run:
        if pieces and unicodedata.category(ch)[0] in "MC":
            pieces[-1] += ch
        else:
            pieces.append(ch)
    return pieces


def _in_dictionary_script(token: str) -> bool:
    cp = ord(token[0])
    return 0x0E00 <= cp <= 0x17FF and any(lo <= cp <= hi for lo, hi in _DICTIONARY_RANGES)


def tokenize(text: str, dictionary: bool | None = None) -> list[str]:
    """Split text into tokens whose concatenation is exactly `text` (see the module docstring).

    `dictionary` says whether the text the piece comes from has Thai (…) letters, which turns
    on dictionary segmentation; by default `text` itself is looked at.
    """
    tokens = _TOKEN.findall(text)
    if dictionary is None:
        dictionary = has_dictionary_script(text)
    if not dictionary:
        return tokens
    out: list[str] = []
    for tok in tokens:
        if _in_dictionary_script(tok) and not tok[0].isspace():
            out += segment(tok)
        else:
            out.append(tok)
    return out


def count_words(text: str) -> int:
    """Words as the diff counts them: whole words, each CJK character, each Thai (…) word."""
    plain = _plain_count(text)
    if plain >= 0:
        return plain
    if not has_dictionary_script(text):
        return _by_char_count(text)
    found = WORD.findall(text)
    return sum(len(segment(w)) if _in_dictionary_script(w) else 1 for w in found)


class WordCounts:
    """`count_words` remembered per text for one diff: the pairing, the check that a pair
    kept enough words and the stats count the same paragraphs and ops only once. `defer`
    takes a text's pieces (see `cut_ok`) and counts them only if someone asks (the stats are
    computed on first read, so a diff nobody asks the stats of never counts the text its pairs
    share), so a long text is never counted twice."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}
        self._pieces: dict[str, tuple[str, ...]] = {}

    def __call__(self, text: str) -> int:
        found = self._seen.get(text)
        if found is None:
            pieces = self._pieces.pop(text, None)
            n = count_words(text) if pieces is None else sum(map(self, pieces))
            found = self._seen[text] = n
        return found

    def defer(self, text: str, pieces: tuple[str, ...]) -> None:
        """text counts as the sum of its pieces (each shorter than text, cut where `cut_ok`
        allows); they are counted when text's count is first asked for."""
        if text not in self._seen:
            self._pieces.setdefault(text, pieces)


_CJK_CUT = [(lo, hi) for lo, hi in _BY_CHAR_RANGES if (lo, hi) not in _DICTIONARY_RANGES]


def _cuts_after(ch: str) -> bool:
    """Whitespace, or a CJK character (one token, never part of a longer one)."""
    if ch.isspace():
        return True
    cp = ord(ch)
    if cp < 0x3005:
        return False
    return 0x20000 <= cp <= 0x3FFFF or any(lo <= cp <= hi for lo, hi in _CJK_CUT)


def _starts_token(ch: str) -> bool:
    """Not whitespace and nothing that sticks to the character before (marks, ZWJ, tones)."""
    if ch.isspace():
        return False
    cat = unicodedata.category(ch)
    return cat[0] != "M" and cat != "Cf" and not 0x1F3FB <= ord(ch) <= 0x1F3FF


def cut_ok(text: str, p: int) -> bool:
    """Whether text[:p] and text[p:] tokenize, and count words, exactly as their parts of text.

    True at either end, and where whitespace or a CJK character is followed by a character
    that starts a token: no token (and no word) spans such a place, and no pattern looks
    across it (the number pattern's look-behind needs a digit and a `.` or `,` before it).
    Dictionary scripts (Thai, …) are never cut inside a run, so ICU sees whole runs.
    """
    if p <= 0 or p >= len(text):
        return True
    return _cuts_after(text[p - 1]) and _starts_token(text[p])


def has_dictionary_script(text: str) -> bool:
    return _DICTIONARY_CHAR.search(text) is not None


def first_token(text: str, dictionary: bool) -> str:
    """`tokenize(text, dictionary)[0]`, without tokenizing the rest."""
    found = _TOKEN.match(text)
    if found is None:
        return ""
    tok = found.group()
    if dictionary and _in_dictionary_script(tok) and not tok[0].isspace():
        return segment(tok)[0]
    return tok


def has_words(text: str, n: int) -> bool:
    """Whether `text` has n words by the pattern alone (each match is at least one word);
    stops at the n-th. False means "not sure": `count_words` decides."""
    return next(islice(WORD.finditer(text), n - 1, None), None) is not None


def _plain_count(text: str) -> int:
    """`count_words` of text in spaced scripts, about twice as fast; -1 when it does not apply.

    Without CJK or dictionary-script letters, astral characters or a digit, `.` or `,` and a
    digit, the word pattern matches exactly the runs of characters between whitespace and
    punctuation that start with a letter or digit, joined across an apostrophe followed by
    one. A run that starts with a combining mark (after a space or punctuation, or at the
    start) is not a word, so such text takes the pattern. tests/test_diff_fastpaths.py checks
    the two counts agree.
    """
    if not text.isascii() and (  # ASCII has no marks, CJK, Thai (…) or astral characters
        _UNUSUAL_CHAR.search(text)
        and (_NOT_PLAIN_CHAR.search(text) or _MARK.match(text) or _MARK_AFTER_BREAK.search(text))
    ):
        return -1
    if ("." in text or "," in text) and _NOT_PLAIN_NUMBER.search(text):
        return -1
    runs = len(_PLAIN_RUN.findall(text))
    if "'" in text or "\u2019" in text:
        runs -= len(_PLAIN_JOIN.findall(text))
    return runs


def _by_char_count(text: str) -> int:
    """`count_words` of text without Thai (…) letters: each CJK character is one word and
    ends any word or number before it, as a space would (none is a digit, a letter of a word
    or a `.` or `,` the number pattern looks at), so the count is theirs plus that of the text
    with each run of them made one space, which the quick count most often takes (the word
    pattern matches CJK text one character at a time). tests/test_diff_fastpaths.py checks it
    against the pattern."""
    rest, runs = _BY_CHAR_RUN.subn(" ", text)
    if not runs:
        return len(WORD.findall(text))
    n = _plain_count(rest)
    return len(text) - len(rest) + runs + (n if n >= 0 else len(WORD.findall(rest)))


def paragraphs_of(text: str) -> list[str]:
    """The paragraphs of a body: blocks separated by blank lines, kept exactly as written."""
    return [p for p in re.split(r"\n[ \t\r\f\v]*\n", text) if p.strip()]
