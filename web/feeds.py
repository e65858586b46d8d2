"""Atom 1.0 feeds of changes: everything, one story, one feed. Each entry carries the change
summary and the diff as HTML, so a feed reader shows what changed without visiting the site."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for

from tracker import clock
from tracker.store import Row
from web import diffview
from web.db import get_store, settings

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
ENTRIES = 30
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def base_url() -> str:
    return (settings().base_url or request.url_root).rstrip("/")


def absolute(endpoint: str, **values: Any) -> str:
    """The public URL of a route: url_for's path already starts with the prefix the site is
    served under (SCRIPT_NAME), which base_url() holds too, so it is taken off once."""
    path = url_for(endpoint, **values)
    return base_url() + path.removeprefix(request.script_root)


def _entry(change: Row) -> dict[str, Any]:
    store = get_store()
    sid, a, b = change["story_id"], change["from_version"], change["to_version"]
    old, new = store.get_version(sid, a), store.get_version(sid, b)
    view = diffview.build(current_app.extensions["storydiff_diffs"].diff(old, new), context=0)
    html = render_template("feeds/entry.html", change=change, dv=view)
    return {
        "change": change,
        "link": absolute("pages.diff", story_id=sid, a=a, b=b),
        "html": html,
        "title": f"{change.get('story_title') or change.get('story_url')}: "
        f"{change.get('summary') or change.get('kind')}",
    }


def _feed(title: str, self_url: str, alternate: str, changes: list[Row], since: str) -> Response:
    entries = [_entry(c) for c in changes]
    updated = changes[0]["detected_at"] if changes else since
    xml = render_template(
        "feeds/atom.xml",
        title=title,
        feed_id=self_url,
        self_url=self_url,
        alternate=alternate,
        updated=updated,
        entries=entries,
    )
    return Response(_XML_ILLEGAL.sub("", xml), mimetype="application/atom+xml")


@bp.get("/changes.atom")
def all_changes() -> Response:
    changes = get_store().list_changes(limit=ENTRIES)
    return _feed(
        "storydiff: all changes",
        absolute("feeds.all_changes"),
        absolute("pages.stories"),
        changes,
        clock.iso(),
    )


@bp.get("/stories/<id:story_id>.atom")
def story_changes(story_id: int) -> Response:
    store = get_store()
    story = store.get_story(story_id)
    return _feed(
        f"storydiff: {story.get('title') or story['url']}",
        absolute("feeds.story_changes", story_id=story_id),
        absolute("pages.story", story_id=story_id),
        store.list_changes(story_id=story_id, limit=ENTRIES),
        story["added_at"],
    )


@bp.get("/feed/<id:feed_id>.atom")
def feed_changes(feed_id: int) -> Response:
    store = get_store()
    feed = store.get_feed(feed_id)
    return _feed(
        f"storydiff: stories from {feed.get('title') or feed['url']}",
        absolute("feeds.feed_changes", feed_id=feed_id),
        absolute("pages.stories", feed=feed_id),
        store.list_changes(feed_id=feed_id, limit=ENTRIES),
        feed["added_at"],
    )
