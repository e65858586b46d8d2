"""The stories list as both the page and the API ask for it: filters, search, sort, paging.

Filters come from the query string and are checked (400 on nonsense); the store does the work
with indexed queries, so a page costs the same at story 10 and story 10,000.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import request

from tracker import clock
from tracker.store import STORY_SORTS, Row, query_notes
from web.db import get_store
from web.routing import choice_arg, int_arg, text_arg

STATES = (
    "developing",
    "quiet",
    "failing",
    "never_checked",
    "active",
    "paused",
    "gone",
    "archived",
)
SORTS = tuple(STORY_SORTS)
MAX_LIMIT = 200
ARG_NAMES = ("q", "site", "feed", "state", "recent", "sort", "limit")


@dataclass
class Listing:
    rows: list[Row]
    total: int | None  # None for search results (counted lazily: only "is there more")
    limit: int
    offset: int
    has_more: bool
    notes: list[str] = field(default_factory=list)  # what a search did with odd parts of q

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int | None:
        if self.total is None:
            return None
        return max(1, -(-self.total // self.limit))


def read_filters() -> dict[str, Any]:
    """Filters from the query string, validated."""
    return {
        "q": text_arg("q"),
        "site": text_arg("site") or None,
        "feed": int_arg("feed", None, low=1),
        "state": choice_arg("state", STATES, None),
        "recent": request_flag("recent"),
        "sort": choice_arg("sort", SORTS, "changed") or "changed",
    }


def request_flag(name: str) -> bool:
    return request.args.get(name, "") in ("1", "on", "true", "yes")


def stories(filters: dict[str, Any], limit: int, offset: int) -> Listing:
    store = get_store()
    if filters["q"]:
        rows = store.search(filters["q"], site=filters["site"], limit=limit + 1, offset=offset)
        notes = query_notes(filters["q"])
        return Listing(rows[:limit], None, limit, offset, len(rows) > limit, notes)
    where = {
        "site": filters["site"],
        "feed_id": filters["feed"],
        "state": filters["state"],
        "changed_since": clock.iso(clock.now() - timedelta(days=1)) if filters["recent"] else None,
    }
    rows = store.list_stories(**where, sort=filters["sort"], limit=limit, offset=offset)
    total = store.count_stories(**where)
    return Listing(rows, total, limit, offset, offset + len(rows) < total)


def paging(default_limit: int) -> tuple[int, int]:
    """(limit, offset) from `page` (pages) or `limit`/`offset` (API)."""
    limit = int_arg("limit", default_limit, low=1, high=MAX_LIMIT) or default_limit
    page = int_arg("page", None, low=1, high=10**7)
    if page is not None:
        return limit, (page - 1) * limit
    return limit, int_arg("offset", 0, low=0, high=10**9) or 0
