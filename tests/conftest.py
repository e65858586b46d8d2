"""Shared fixtures: a real SQLite file per test, a local HTTP site, the corpus pages."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

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
from servers import LocalSite  # noqa: E402

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
