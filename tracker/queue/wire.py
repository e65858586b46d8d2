"""What travels through Redis: check jobs and their results, as JSON-ready dicts."""

from __future__ import annotations

import base64
import zlib
from dataclasses import asdict, fields
from typing import Any

from tracker.check import Observation
from tracker.document import Document
from tracker.extract.walls import Wall
from tracker.fetch import FetchResult
from tracker.store import Row

# the story fields a worker needs to fetch and read its page (no database on the worker)
STORY_FIELDS = ("id", "url", "etag", "last_modified", "body_hash", "options", "added_at")
_PAGE_FIELDS = (
    "url",
    "final_url",
    "status",
    "content_type",
    "etag",
    "last_modified",
    "not_modified",
    "body_hash",
    "redirects",
    "unchanged_body",
)
_DOC_FIELDS = tuple(f.name for f in fields(Document))


def job(story: Row, token: str) -> dict[str, Any]:
    """The check job for `story`, leased until `token` (its next_check_at while in flight)."""
    return {
        "story": {name: story.get(name) for name in STORY_FIELDS},
        "token": token,
        "base_version": int(story.get("version_count") or 0),
    }


def observation_to_wire(seen: Observation) -> dict[str, Any]:
    """The Observation as JSON. The bytes that were read travel (compressed) only when the page
    was read, since the recorder's wall check needs them: never for a 304 or an unchanged body.
    They also stand for the page's raw bytes when `archive_raw` is on (for a page rendered by
    chromium, the rendered HTML)."""
    out: dict[str, Any] = {
        "reason": seen.reason,
        "status": seen.status,
        "retry_after": seen.retry_after,
        "page": None,
        "doc": None,
        "body": None,
        "content_type": seen.content_type,
        "rendered": seen.rendered,
        "identity": seen.identity,
        "wall": asdict(seen.wall) if seen.wall is not None else None,
    }
    if seen.page is not None:
        out["page"] = {name: getattr(seen.page, name) for name in _PAGE_FIELDS}
    if seen.body is not None:
        out["body"] = base64.b64encode(zlib.compress(seen.body, 6)).decode("ascii")
    if seen.doc is not None:
        doc = asdict(seen.doc)
        doc["paragraphs"] = list(seen.doc.paragraphs)
        out["doc"] = doc
    return out


def observation_from_wire(data: dict[str, Any]) -> Observation:
    """The Observation back; ValueError/KeyError/TypeError for a message that is not one."""
    body = zlib.decompress(base64.b64decode(data["body"])) if data.get("body") else None
    page = None
    if data.get("page") is not None:
        values = {name: data["page"][name] for name in _PAGE_FIELDS}
        page = FetchResult(**values, body=body or b"")
    doc = None
    if data.get("doc") is not None:
        values = {name: data["doc"].get(name) for name in _DOC_FIELDS}
        values["paragraphs"] = tuple(values.get("paragraphs") or ())
        values["extra"] = dict(values.get("extra") or {})
        doc = Document(**values)
    retry_after = data.get("retry_after")
    wall = data.get("wall")
    return Observation(
        page=page,
        doc=doc,
        reason=data.get("reason"),
        status=data.get("status"),
        retry_after=float(retry_after) if retry_after is not None else None,
        body=body,
        content_type=data.get("content_type"),
        rendered=bool(data.get("rendered")),
        identity=data.get("identity"),
        wall=Wall(str(wall["kind"]), str(wall["reason"])) if wall else None,
    )
