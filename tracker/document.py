"""The Document: what a story says at one moment, and the normal form that decides "did it change?".

A Document is what extraction yields and what the store keeps as a version. Its paragraphs are
tidied (whitespace folded, empty ones dropped) but otherwise exactly what the page said; the
normal form goes further and drops what no reader can see (invisible characters, Unicode
compatibility variants, whitespace), so that two Documents with the same normal form are the
same version to a reader.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tracker.urls import MAX_URL_LENGTH

PARAGRAPH_SEPARATOR = "\n\n"
FINGERPRINT_DIGITS = 16
"""Hex digits of a fingerprint (64 bits); fingerprints stored before schema 17 had 64."""

# Zero-width and formatting characters a reader cannot see (Unicode category Cf covers the
# bidi controls, ZWJ/ZWNJ, soft hyphen and BOM); plus a few invisible "letters".
_INVISIBLE_EXTRA = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u034f"}
# Unicode's format characters (category Cf, as of Unicode 15) and the invisible extras, as one
# character class: a regex pass is far cheaper than a category look-up per character.
# tests/test_document.py checks it covers every Cf character this Python knows.
_CF_RANGES = (
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
_INVISIBLE = re.compile(
    "["
    + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in _CF_RANGES)
    + "".join(sorted(_INVISIBLE_EXTRA))
    + "]"
)


# Control characters, and lone UTF-16 surrogates (JSON's "\ud800"), which are not text at all:
# SQLite, UTF-8 and every reader would choke on them.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def tidy(text: str) -> str:
    """Fold runs of whitespace (including newlines and NBSP) to one space and strip the ends.

    Control characters go too: no reader sees them, and ESC or BEL from a hostile page must
    not reach a terminal through `tracker show`.
    """
    # str.split() splits on exactly the characters regex `\s` matches, and is three times faster
    return " ".join(_CONTROL.sub("", text).split())


def normalize(text: str) -> str:
    """The comparison form of a piece of text: NFKC, no invisible characters, folded spaces.

    Hot on every check (extraction compares many lines), so ASCII text skips both passes: no ASCII
    character is invisible or has a compatibility form.
    """
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        text = _INVISIBLE.sub("", text)
    return tidy(text)


def split_paragraphs(text: str) -> list[str]:
    """Split plain text into paragraphs.

    Blank lines separate paragraphs when the text has any; otherwise every non-empty line is one
    (wire copy and many plain-text feeds put one paragraph per line).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if re.search(r"\n[ \t\u00a0]*\n", text):
        blocks = re.split(r"\n[ \t\u00a0]*\n", text)
    else:
        blocks = text.split("\n")
    return [p for p in (tidy(b) for b in blocks) if p]


MAX_LINE_CHARS = 300
"""The longest headline, byline, date or language kept (the API takes a story title of at most
300 too)."""


@dataclass(frozen=True)
class Document:
    """One state of a story. `paragraphs` is the article body; metadata may be missing (None)."""

    title: str | None = None
    paragraphs: tuple[str, ...] = ()
    byline: str | None = None
    published: str | None = None
    updated: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def build(
        cls,
        *,
        title: str | None = None,
        paragraphs: Iterable[str] = (),
        byline: str | None = None,
        published: str | None = None,
        updated: str | None = None,
        canonical_url: str | None = None,
        language: str | None = None,
    ) -> Document:
        """Make a Document with tidied fields: empty strings become None, empty paragraphs go.
        Every field but the body is one line a page (or a push) chooses: a headline or byline
        longer than MAX_LINE_CHARS is cut, a date or language longer than MAX_LINE_CHARS, or a
        canonical URL longer than MAX_URL_LENGTH, is dropped (an og:title of megabytes was
        stored, and shown on every list and feed, whole)."""

        def clean(value: str | None, cut: bool = False, most: int = MAX_LINE_CHARS) -> str | None:
            value = tidy(value) if value else None
            if value and len(value) > most:
                value = value[: most - 1].rstrip() + "…" if cut else None
            return value or None

        paras = tuple(p for p in (tidy(x) for x in paragraphs) if p and normalize(p))
        return cls(
            title=clean(title, cut=True),
            paragraphs=paras,
            byline=clean(byline, cut=True),
            published=clean(published),
            updated=clean(updated),
            canonical_url=clean(canonical_url, most=MAX_URL_LENGTH),
            language=clean(language),
        )

    @classmethod
    def from_text(cls, text: str, **meta: str | None) -> Document:
        return cls.build(paragraphs=split_paragraphs(text), **meta)

    @property
    def text(self) -> str:
        """The body as stored: paragraphs separated by one blank line."""
        return PARAGRAPH_SEPARATOR.join(self.paragraphs)

    def normal_form(self) -> str:
        """What "the same version" means: headline, byline and body, as a reader sees them.

        Dates and the canonical URL are left out on purpose: a page that bumps its "updated"
        stamp without changing a word has not changed for a reader.
        """
        parts: Sequence[str] = (
            normalize(self.title or ""),
            normalize(self.byline or ""),
            *(normalize(p) for p in self.paragraphs),
        )
        return "\n".join(parts)

    def fingerprint(self) -> str:
        """The first 64 bits of the normal form's SHA-256, as 16 hex digits.

        It only has to tell a story's versions apart (a collision would take billions of
        versions of one story), and it is stored with every version: the whole digest would
        weigh twice what a version's delta does.
        """
        return hashlib.sha256(self.normal_form().encode("utf-8")).hexdigest()[:FINGERPRINT_DIGITS]

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)
