"""Bytes and a content type in, a Document out: the article, not the page around it.

HTML goes through trafilatura (article body plus the page's own metadata); plain text, Markdown
and JSON are passed through with light parsing, for documents pushed in by hand or by API.
One module per concept: `content` (media types, decoding), `passthrough` (Markdown, JSON),
`html` (the pipeline), `furniture` (pruning), `metadata` (the page's own tags), `blocks` and
`recover` (repairs after trafilatura).
"""

from __future__ import annotations

import functools
import importlib.metadata as package_metadata

from tracker.document import Document
from tracker.extract.content import (
    HTML_TYPES,
    JSON_TYPES,
    KNOWN_TYPES,
    TEXT_TYPES,
    ExtractError,
    charset_of,
    decode,
    looks_binary,
    media_type,
    sniff,
)
from tracker.extract.html import MAX_HTML_CHARS, extract_html, parse_html
from tracker.extract.metadata import PageMeta, page_metadata
from tracker.extract.passthrough import extract_json, extract_markdown

__all__ = [
    "HTML_TYPES",
    "JSON_TYPES",
    "KNOWN_TYPES",
    "MAX_HTML_CHARS",
    "TEXT_TYPES",
    "Document",
    "ExtractError",
    "PageMeta",
    "charset_of",
    "decode",
    "extract",
    "extract_html",
    "extract_json",
    "extract_markdown",
    "extractor_identity",
    "media_type",
    "page_metadata",
    "parse_html",
    "sniff",
]

# storydiff's extraction version: raised with every change that makes some page yield a
# different Document, so that stored versions say which extraction made them (1 was every
# release before the versions recorded it).
EXTRACTION_VERSION = 3


def extractor_identity() -> str:
    """Which extraction makes Documents now: storydiff's extraction version and trafilatura's.

    Stored with every version; when it differs from the latest version's, a check compares
    like with like (tracker.check) instead of announcing what only the extractor changed.
    """
    return f"storydiff-extract {EXTRACTION_VERSION}; trafilatura {_trafilatura_version()}"


@functools.cache
def _trafilatura_version() -> str:
    try:
        return package_metadata.version("trafilatura")
    except package_metadata.PackageNotFoundError:
        return "unknown"


def extract(body: bytes, content_type: str | None = None, url: str | None = None) -> Document:
    """Turn fetched or supplied bytes into a Document, or raise ExtractError."""
    if not body.strip():
        raise ExtractError("empty document")
    kind = media_type(content_type) or sniff(body)
    if kind not in KNOWN_TYPES:
        raise ExtractError(
            f"unsupported content type {kind!r} (expected one of {', '.join(KNOWN_TYPES)})"
        )
    text = decode(body, content_type)
    if looks_binary(text):
        raise ExtractError("binary data, not a document")
    if kind in HTML_TYPES:
        return extract_html(text, url)
    if kind in JSON_TYPES:
        return extract_json(text)
    if kind in ("text/markdown", "text/x-markdown"):
        return extract_markdown(text)
    return Document.from_text(text)
