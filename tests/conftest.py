"""Shared fixtures: a real SQLite file per test, a local HTTP site, the corpus pages."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from corpus import (  # noqa: E402, F401  (re-exported for older imports)
    CORPUS,
    ROOT,
    corpus_keys,
    corpus_page,
    corpus_truth,
    require_corpus,
)
from diff_support import corpus_articles  # noqa: E402
from fetch_support import make_fetcher, sleeps  # noqa: E402, F401  (fixtures)
from netguard_support import FakeDNS, connects, dns  # noqa: E402, F401  (fixtures)
from servers import LocalSite  # noqa: E402

from tracker.document import Document  # noqa: E402
from tracker.store import Store  # noqa: E402


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


@pytest.fixture
def smtp() -> Iterator[tuple[Any, int]]:
    """A real SMTP server on 127.0.0.1: (inbox, port); inbox.messages has what arrived."""
    from notify_support import smtp_server

    with smtp_server() as server:
        yield server


@pytest.fixture
def app(db_path: Path) -> Any:
    """The Flask app over this test's database (tests/web_support.py's defaults)."""
    from web_support import make_app

    return make_app(db_path)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture(scope="session")
def articles() -> list[Document]:
    """Eight corpus articles with enough distinct paragraphs to edit in every way tested."""
    docs = corpus_articles()
    if len(docs) < 8:
        pytest.skip("corpus has too few multi-paragraph articles")
    return docs
