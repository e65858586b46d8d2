"""What the bytes are: media types, character decoding, and the error every step raises."""

from __future__ import annotations

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
    """Decode page bytes: a BOM, then valid UTF-8, then the declared charsets, then detection.

    Valid UTF-8 wins over a declared single-byte charset because servers mislabel pages far
    more often than Latin-1 text happens to be valid UTF-8; UTF-16 is taken from a BOM, the
    declaration, or the zero bytes that ASCII markup leaves in it.
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
    for enc in declared:
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            return body.decode(enc)
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


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
