"""The one SQLite file, and the only package that speaks SQL.

Schema and forward migrations (`schema.py`), and one module per concern: stories, versions and
changes, search, checks, feeds, subscriptions and the outbox, secrets and sign-in, and the
tracker's own health (status). `Store` joins
them over one connection. The file is plain SQLite in WAL mode: open it with `sqlite3`,
`sqlite-utils` or Datasette while the tracker runs. docs/SCHEMA.md describes every table.

A Store object holds one connection and is meant for one thread; open one per thread (cheap).
"""

from __future__ import annotations

from tracker.store.auth import AuthMixin
from tracker.store.base import (
    CHANGE_FIELDS,
    CHANGE_STATS,
    MAX_ID,
    SNIPPET_END,
    SNIPPET_START,
    STORY_SORTS,
    STORY_STATES,
    Conflict,
    NotFound,
    Recorded,
    Row,
    StoreError,
    Unwritable,
    translate_errors,
)
from tracker.store.checks import ChecksMixin
from tracker.store.data import DataMixin, NewStory, verify_database
from tracker.store.feeds import FeedsMixin
from tracker.store.notify import NotifyMixin
from tracker.store.schema import MIGRATIONS, SCHEMA_VERSION
from tracker.store.search import SearchMixin
from tracker.store.search_query import query_notes
from tracker.store.status import StatusMixin
from tracker.store.stories import StoriesMixin
from tracker.store.timeline import TimelineMixin
from tracker.store.versions import VersionsMixin


class Store(
    StoriesMixin,
    VersionsMixin,
    SearchMixin,
    ChecksMixin,
    FeedsMixin,
    NotifyMixin,
    AuthMixin,
    DataMixin,
    StatusMixin,
    TimelineMixin,
):
    """A connection to one storydiff database, migrated to the current schema on open."""


__all__ = [
    "CHANGE_FIELDS",
    "CHANGE_STATS",
    "MAX_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SNIPPET_END",
    "SNIPPET_START",
    "STORY_SORTS",
    "STORY_STATES",
    "Conflict",
    "NewStory",
    "NotFound",
    "Recorded",
    "Row",
    "Store",
    "StoreError",
    "Unwritable",
    "query_notes",
    "translate_errors",
    "verify_database",
]
