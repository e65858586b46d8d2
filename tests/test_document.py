"""The normal form: what counts as "the same text" to a reader."""

from __future__ import annotations

import re
import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.document import _INVISIBLE, Document, normalize, tidy


def test_every_format_character_this_python_knows_is_invisible() -> None:
    missing = [
        f"U+{c:04X}"
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) == "Cf" and not _INVISIBLE.match(chr(c))
    ]
    assert missing == []


def test_normal_form_ignores_only_what_no_reader_sees() -> None:
    assert normalize("a\u200bb\u00a0 c\ufb01\u00ad  x") == "ab cfi x"
    assert normalize("\u201cquoted\u201d") != normalize('"quoted"')  # visible: curly quotes
    plain = Document.build(title="Troops", paragraphs=["11,000 troops sent."])
    noisy = Document.build(title="Troops\u200d", paragraphs=["11,000\u2060 troops\u00a0sent."])
    assert plain.fingerprint() == noisy.fingerprint()
    edited = Document.build(title="Troops", paragraphs=["12,000 troops sent."])
    assert plain.fingerprint() != edited.fingerprint()


_SPACES = [chr(c) for c in range(0x3100) if chr(c).isspace()]


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from([*_SPACES, *map(chr, range(0xA0)), "a", "é", "·"])))
def test_tidy_folds_every_unicode_space_run_and_drops_control_characters(text: str) -> None:
    folded = re.sub(r"\s+", " ", re.sub(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]", "", text)).strip()
    assert tidy(text) == folded
    assert not re.search(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]|\s\s|^\s|\s$", tidy(text))
