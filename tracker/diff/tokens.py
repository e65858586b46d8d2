"""Tokens: words, punctuation, whitespace runs, and single characters of scripts without spaces.

Tokens always concatenate back to the input; combining marks and format characters stay with the
character before them, so no operation boundary falls inside a word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from itertools import chain


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


_TOKEN, WORD = _build_tokenizer()


def tokenize(text: str) -> list[str]:
    """Split text into tokens whose concatenation is exactly `text` (see the module docstring)."""
    return _TOKEN.findall(text)


def count_words(text: str) -> int:
    """Words as the diff counts them: whole words, plus each character of CJK or Thai text."""
    return len(WORD.findall(text))


def paragraphs_of(text: str) -> list[str]:
    """The paragraphs of a body: blocks separated by blank lines, kept exactly as written."""
    return [p for p in re.split(r"\n[ \t\r\f\v]*\n", text) if p.strip()]
