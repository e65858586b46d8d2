"""Shared fixtures: a real SQLite file per test, a local HTTP site, the corpus pages."""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from servers import LocalSite  # noqa: E402

from tracker.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "article-extraction-benchmark"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


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
