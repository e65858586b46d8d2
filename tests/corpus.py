"""The real article pages in ../shared/corpus (or $STORYDIFF_CORPUS) and their gold article text."""

from __future__ import annotations

import gzip
import json
import os
from functools import cache
from pathlib import Path

import pytest

from tracker.extract import ExtractError, extract

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(
    os.environ.get("STORYDIFF_CORPUS")
    or ROOT.parent / "shared" / "corpus" / "article-extraction-benchmark"
)


@cache
def corpus_truth() -> dict[str, dict[str, str]]:
    return json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))


def corpus_page(key: str) -> bytes:
    return gzip.decompress((CORPUS / "html" / f"{key}.html.gz").read_bytes())


def corpus_keys() -> list[str]:
    return sorted(corpus_truth())


def require_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")


def page_fingerprint(page: bytes, url: str) -> str:
    """The fingerprint a page's article gets, or the error, so both can be compared."""
    try:
        return extract(page, "text/html; charset=utf-8", url).fingerprint()
    except ExtractError as exc:
        return f"error: {exc}"
