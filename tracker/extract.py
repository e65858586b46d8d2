"""Bytes and a content type in, a Document out: the article, not the page around it.

HTML goes through trafilatura (article body plus the page's own metadata); plain text, Markdown
and JSON are passed through with light parsing, for documents pushed in by hand or by API.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tracker.document import Document, split_paragraphs

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
    """Decode page bytes: BOM, then the header's charset, the page's meta, then detection."""
    for bom, enc in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(enc, errors="replace")
    candidates: list[str] = []
    if header := charset_of(content_type):
        candidates.append(header)
    if match := _META_CHARSET.search(body[:4096]):
        candidates.append(match.group(1).decode("ascii", "ignore").lower())
    for enc in candidates:
        try:
            return body.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


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
    head = body[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in body[:4096].lower():
        return "text/html"
    if head.startswith((b"{",)):
        return "application/json"
    return "text/plain"


def extract(body: bytes, content_type: str | None = None, url: str | None = None) -> Document:
    """Turn fetched or supplied bytes into a Document, or raise ExtractError."""
    kind = media_type(content_type) or sniff(body)
    if kind in HTML_TYPES:
        return extract_html(decode(body, content_type), url)
    if kind in JSON_TYPES:
        return extract_json(decode(body, content_type))
    if kind in ("text/markdown", "text/x-markdown"):
        return extract_markdown(decode(body, content_type))
    if kind == "text/plain":
        return Document.from_text(decode(body, content_type))
    raise ExtractError(
        f"unsupported content type {kind!r} (expected one of {', '.join(KNOWN_TYPES)})"
    )


def extract_markdown(text: str) -> Document:
    """A leading `# Heading` is the title; the rest is paragraphs separated by blank lines."""
    lines = text.replace("\r\n", "\n").split("\n")
    title = None
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if match := re.match(r"#\s+(.+?)\s*#*\s*$", line):
            title = match.group(1)
            lines = lines[i + 1 :]
        break
    return Document.build(title=title, paragraphs=split_paragraphs("\n".join(lines)))


_JSON_FIELDS = ("title", "byline", "published", "updated", "canonical_url", "language")


def extract_json(text: str) -> Document:
    """`{"title": ..., "text": ...}` or `{"paragraphs": [...]}`, plus optional metadata fields."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExtractError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise ExtractError("JSON document must be an object with 'text' or 'paragraphs'")
    meta: dict[str, str | None] = {}
    for key in _JSON_FIELDS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ExtractError(f"JSON field {key!r} must be a string")
        meta[key] = value
    if "paragraphs" in data:
        paras = data["paragraphs"]
        if not isinstance(paras, list) or not all(isinstance(p, str) for p in paras):
            raise ExtractError("JSON field 'paragraphs' must be a list of strings")
        return Document.build(paragraphs=paras, **meta)
    body = data.get("text")
    if not isinstance(body, str):
        raise ExtractError("JSON document needs a string 'text' or a list 'paragraphs'")
    return Document.build(paragraphs=split_paragraphs(body), **meta)


def extract_html(html: str, url: str | None = None) -> Document:
    """The article body and metadata of an HTML page, through trafilatura."""
    import trafilatura

    if not html.strip():
        raise ExtractError("empty page")
    try:
        result = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            deduplicate=False,
            favor_precision=False,
        )
    except Exception as exc:  # trafilatura raises many kinds on hostile markup
        raise ExtractError(f"could not parse page: {exc.__class__.__name__}") from None
    if result is None:
        raise ExtractError("no article text found on the page")
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    text = data.get("text") or ""
    return Document.build(
        title=data.get("title"),
        byline=data.get("author"),
        published=data.get("date"),
        canonical_url=data.get("url"),
        language=data.get("language"),
        paragraphs=text.split("\n"),
    )
