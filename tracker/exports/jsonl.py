"""JSON Lines: one JSON object a line, for scripts (jq, pandas, DuckDB). The schema is in
docs/DATA.md and only grows: fields are added, never renamed or removed.

The first line is `{"type": "meta", ...}`; then, story by story, the story, its versions
(oldest first, with their text) and its changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tracker import __version__, clock
from tracker.store import CHANGE_STATS, Row, Store

FORMAT = "storydiff.jsonl"
SCHEMA = 1
STORY_FIELDS = (
    "id",
    "url",
    "canonical_url",
    "site",
    "title",
    "added_at",
    "state",
    "interval",
    "version_count",
    "last_changed_at",
)
VERSION_FIELDS = (
    "story_id",
    "number",
    "fetched_at",
    "fingerprint",
    "title",
    "byline",
    "published",
    "updated",
    "canonical_url",
    "reverts_to",
    "text",
)
CHANGE_FIELDS = (
    "story_id",
    "from_version",
    "to_version",
    "detected_at",
    "kind",
    "kinds",
    "summary",
    "reverts_to",
    *CHANGE_STATS,
)


def _line(kind: str, row: Row, fields: tuple[str, ...], **extra: Any) -> str:
    data = {"type": kind, **{k: row.get(k) for k in fields}, **extra}
    return json.dumps(data, ensure_ascii=False) + "\n"


def export(store: Store, *, with_text: bool = True) -> Iterator[str]:
    yield (
        json.dumps(
            {
                "type": "meta",
                "format": FORMAT,
                "schema": SCHEMA,
                "exported_at": clock.iso(),
                "storydiff": __version__,
            }
        )
        + "\n"
    )
    for story in store.iter_stories():
        yield _line("story", story, STORY_FIELDS)
        # one story's history at a time: decoded together (versions are stored as deltas)
        fields = VERSION_FIELDS if with_text else VERSION_FIELDS[:-1]
        for version in store.list_versions(story["id"], with_text=with_text):
            yield _line("version", version, fields, archived=store.capture_of(version))
        for change in store.story_changes(story["id"]):
            yield _line("change", change, CHANGE_FIELDS)
