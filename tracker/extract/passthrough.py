"""Documents pushed in by hand or by API: Markdown and JSON passed through with light parsing."""

from __future__ import annotations

import json
import re
from typing import Any

from tracker.document import Document, split_paragraphs
from tracker.extract.content import ExtractError


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
    except RecursionError:
        raise ExtractError("the JSON is nested too deeply") from None
    if not isinstance(data, dict):
        raise ExtractError("JSON document must be an object with 'text' or 'paragraphs'")
    meta: dict[str, str | None] = {}
    for key in _JSON_FIELDS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ExtractError(f"JSON field {key!r} must be a string")
        if value is not None and _surrogate(value):
            raise ExtractError(f"JSON field {key!r} is not valid text (a lone surrogate)")
        meta[key] = value
    if "paragraphs" in data:
        paras = data["paragraphs"]
        if not isinstance(paras, list) or not all(isinstance(p, str) for p in paras):
            raise ExtractError("JSON field 'paragraphs' must be a list of strings")
        if any(_surrogate(p) for p in paras):
            raise ExtractError("JSON field 'paragraphs' is not valid text (a lone surrogate)")
        return Document.build(paragraphs=paras, **meta)
    body = data.get("text")
    if not isinstance(body, str):
        raise ExtractError("JSON document needs a string 'text' or a list 'paragraphs'")
    if _surrogate(body):
        raise ExtractError("JSON field 'text' is not valid text (a lone surrogate)")
    return Document.build(paragraphs=split_paragraphs(body), **meta)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate(text: str) -> bool:
    """JSON may spell a lone UTF-16 surrogate ("\\ud800"), which no text can hold."""
    return _SURROGATE.search(text) is not None
