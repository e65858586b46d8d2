"""Signs in a story's text that it is still being written ("(More to come)", "Developing story").

The scheduler checks a developing story more often; the summary notes when the marker goes away.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tracker.document import Document, normalize

_MARKERS = [
    r"\(\s*more to (?:come|follow)\s*\)",
    r"\bmore to come\b",
    r"\bdeveloping story\b",
    r"\bthis (?:is a )?(?:story|article) is (?:developing|being updated)\b",
    r"\bthis is a (?:developing|breaking) (?:news )?story\b",
    r"\bupdates? to follow\b",
    r"\bwill be updated\b",
    r"^update\s*(?::|$)",  # "UPDATE: ..." or "UPDATE" as a paragraph of its own
    r"^updated?\s*\d",
    r"^breaking(?: news)?\s*:",
    r"\blive updates?\b",
    r"\blive blog\b",
    r"\bfollow (?:our )?live\b",
    # a few other languages, where the marker is a fixed phrase
    r"\bmehr in kürze\b|\bwird aktualisiert\b|\+\+\+ eilmeldung",
    r"\bplus d'informations à venir\b|\bsuite à venir\b|\ben développement\b",
    r"\bnoticia en desarrollo\b|\bmás información en breve\b|\bampliaremos\b",
    r"\bnotizia in aggiornamento\b|\bin aggiornamento\b",
    r"\bem atualização\b|\bnotícia em desenvolvimento\b",
]
_PATTERN = re.compile("|".join(f"(?:{m})" for m in _MARKERS), re.IGNORECASE | re.MULTILINE)


# Every marker contains one of these (lower-cased). A line without any of them cannot hold a
# marker, and a substring test is far cheaper than trying twenty patterns at every character.
_KEYS = (
    "more to",
    "developing",
    "updat",
    "breaking",
    "live",
    "follow",
    "kürze",
    "aktualisiert",
    "eilmeldung",
    "venir",
    "développement",
    "desarrollo",
    "breve",
    "ampliaremos",
    "aggiornamento",
    "atualização",
    "desenvolvimento",
)


def developing_markers(text: str) -> list[str]:
    """The developing-story markers found in `text`, as written there (a marker lies within
    one line)."""
    found: list[str] = []
    for raw in text.split("\n"):
        # plain printable ASCII is its own normal form but for runs of spaces, which the key
        # pattern allows: a line without a key is skipped before the (costly) normalising
        if raw.isascii() and raw.isprintable() and not _may_hold_marker(raw):
            continue
        line = normalize(raw)
        if _may_hold_marker(line):
            found.extend(m.group(0) for m in _PATTERN.finditer(line))
    return found


_KEY = re.compile("|".join(re.escape(key).replace("\\ ", r"\s+") for key in _KEYS))


def _may_hold_marker(line: str) -> bool:
    return _KEY.search(line.lower()) is not None


def doc_markers(doc: Document) -> list[str]:
    """The markers in the headline and the body, each paragraph a line of its own."""
    return list(_doc_markers(doc))


@lru_cache(maxsize=8)
def _doc_markers(doc: Document) -> tuple[str, ...]:
    """Recording a version asks for the same documents' markers several times: once each."""
    return tuple(developing_markers("\n".join([doc.title or "", *doc.paragraphs])))


def is_developing(doc: Document) -> bool:
    """True when the headline or the body carries a developing-story marker."""
    return bool(doc_markers(doc))
