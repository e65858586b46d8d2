"""What the bytes are: media types, character decoding, and the error every step raises."""

from __future__ import annotations

import codecs
import contextlib
import re

TEXT_TYPES = ("text/plain", "text/markdown", "text/x-markdown")
HTML_TYPES = ("text/html", "application/xhtml+xml")
JSON_TYPES = ("application/json",)
KNOWN_TYPES = HTML_TYPES + TEXT_TYPES + JSON_TYPES


class ExtractError(ValueError):
    """The bytes could not be turned into a Document; the message says why."""


def media_type(content_type: str | None) -> str:
    """`text/html; charset=utf-8` -> `text/html`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def charset_of(content_type: str | None) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.I)
    return match.group(1).lower() if match else None


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def decode(body: bytes, content_type: str | None = None) -> str:
    """Decode page bytes the way browsers do where they get it right, and better where not.

    A BOM first; UTF-16 from its declaration or the zero bytes ASCII markup leaves in it; then
    valid UTF-8, which wins over a declared single-byte charset (servers mislabel pages far more
    often than Latin-1 text happens to be valid UTF-8); UTF-8 with a few stray Windows-1252
    bytes (a template pasted into a UTF-8 page) keeps its UTF-8 and reads the strays as
    Windows-1252. Then the declared charsets (header, then meta; Latin-1 and ASCII labels mean
    Windows-1252 as in the WHATWG Encoding standard), unless their text is clearly mojibake
    (charset-normalizer's mess ratio) while detection finds a clean reading. Detection last,
    preferring Windows-1252 when it reads as cleanly as the best guess, as browsers default to.
    """
    for bom, enc in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(enc, errors="replace")
    declared: list[str] = []
    if header := charset_of(content_type):
        declared.append(header)
    if match := _META_CHARSET.search(body[:4096]):
        declared.append(match.group(1).decode("ascii", "ignore").lower())
    declared = [_WHATWG_ALIASES.get(enc, enc) for enc in declared]
    head = body[:4096]
    if head.count(0) * 4 > len(head) > 0:
        wide = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        declared.insert(0, wide)
    for enc in declared:
        if enc.startswith(("utf-16", "utf-32")):
            with contextlib.suppress(LookupError, UnicodeDecodeError):
                return body.decode(enc)
    with contextlib.suppress(UnicodeDecodeError):
        return body.decode("utf-8")
    if _mostly_utf8(body):
        return body.decode("utf-8", errors=_STRAY_CP1252)
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio

    guesses = from_bytes(body[:200_000])
    best = guesses.best()
    for enc in declared:
        try:
            text = body.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
        mess = mess_ratio(text[:20_000], maximum_threshold=1.0)
        if best is None or mess < 0.05 or mess <= best.chaos + 0.05:
            return text
    if best is None or not best.encoding or best.encoding == "utf_8":
        return body.decode("utf-8", errors=_STRAY_CP1252)
    for guess in guesses:
        if guess.encoding == "cp1252" and guess.chaos <= best.chaos + 0.01:
            return body.decode("cp1252", errors="replace")
    return body.decode(best.encoding, errors="replace")


# Labels browsers read as another encoding (WHATWG Encoding standard): Latin-1 is Windows-1252.
_WHATWG_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "windows-1252": "cp1252",
    "x-sjis": "shift_jis",
}


def _mostly_utf8(body: bytes) -> bool:
    """Valid UTF-8 sequences are at least as many as the bytes that are not UTF-8."""
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 0x7F) - bad
    return good >= bad > 0


def _stray_cp1252(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    byte = error.object[error.start : error.start + 1]
    return byte.decode("cp1252", errors="replace"), error.start + 1


_STRAY_CP1252 = "storydiff-stray-cp1252"
codecs.register_error(_STRAY_CP1252, _stray_cp1252)


def looks_binary(text: str) -> bool:
    """Control characters in more than 1 of 20 characters of the start: not a document."""
    sample = text[:20_000]
    return bool(sample) and len(_BINARY.findall(sample)) * 20 > len(sample)


_BINARY = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")


def sniff(body: bytes, filename: str | None = None) -> str:
    """Guess a media type for bytes given without one (files handed to `tracker ingest`)."""
    name = (filename or "").lower()
    if name.endswith((".html", ".htm", ".xhtml")):
        return "text/html"
    if name.endswith((".md", ".markdown")):
        return "text/markdown"
    if name.endswith(".json"):
        return "application/json"
    if name.endswith(".txt"):
        return "text/plain"
    raw = body[:4096]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or raw.count(0) * 4 > len(raw):
        raw = decode(raw[: len(raw) // 2 * 2]).encode("utf-8", "replace")
    head = raw[:1024].lstrip(b" \t\r\n\xef\xbb\xbf").lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in raw.lower():
        return "text/html"
    if head.startswith((b"{",)):
        return "application/json"
    return "text/plain"
