"""Live updates by conditional polling: `/live/stories` and `/live/stories/<id>`.

Why polling and not server-sent events: waitress gives each open request a thread of its small
pool, so every SSE client would hold one for as long as its tab is open and a few readers could
starve the site. A poll is one short request answered from a tiny stamp (primary-key maxima and
one story row); when nothing changed the answer is `304 Not Modified` with no body, so the cost is
bounded by the number of requests, not of open tabs. app.js polls every LIVE_POLL_SECONDS while
the tab is visible and then refreshes just the parts of the page that changed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from tracker.health import health
from web.db import get_store

bp = Blueprint("live", __name__, url_prefix="/live")


def _etag(stamp: str) -> str:
    return hashlib.sha256(stamp.encode()).hexdigest()[:20]


def _answer(stamp: str, body: Any) -> Response:
    """304 when the reader's ETag is current, else the JSON with its new ETag."""
    tag = _etag(stamp)
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        response = jsonify(stamp=tag, **body())
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/stories")
def stories() -> Response:
    """Changes to the list: the newest few changes, for announcing what just arrived."""
    store = get_store()

    def body() -> dict[str, Any]:
        newest = store.list_changes(limit=5)
        return {
            "changes": [
                {
                    "story_id": c["story_id"],
                    "version": c["to_version"],
                    "title": c["story_title"] or c["story_url"],
                    "detected_at": c["detected_at"],
                }
                for c in newest
            ]
        }

    return _answer(store.live_stamp(), body)


@bp.get("/stories/<id:story_id>")
def story(story_id: int) -> Response:
    """One story's version count and check health."""
    store = get_store()
    row = store.get_story(story_id)  # NotFound: 404

    def body() -> dict[str, Any]:
        count = int(row.get("version_count") or 0)
        latest = (
            url_for("pages.diff", story_id=story_id, a=count - 1, b=count) if count > 1 else None
        )
        return {"version_count": count, "latest_diff": latest, **health(row)}

    return _answer(store.live_stamp(story_id), body)
