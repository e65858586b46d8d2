"""The reading pages: stories, one story, a diff between two versions, one version.

Views stay thin: they read arguments, ask the store (and the diff cache), and render.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from tracker.store import Row
from web import compare as compare_args
from web import diffview, listing, timeline
from web.db import get_store
from web.filters import when
from web.routing import choice_arg, int_arg

bp = Blueprint("pages", __name__)
VIEWS = ("side", "inline")


def headline_history(versions: list[Row]) -> list[Row]:
    """Each version that brought a new headline, oldest first."""
    history: list[Row] = []
    for v in versions:
        if v.get("title") and (not history or history[-1]["title"] != v["title"]):
            history.append(v)
    return history


@bp.get("/")
def stories() -> str:
    filters = listing.read_filters()
    limit, offset = listing.paging(current_app.config["PAGE_SIZE"])
    result = listing.stories(filters, limit, offset)
    store = get_store()
    filtered = any(filters[k] for k in ("q", "site", "feed", "state", "recent"))
    return render_template(
        "pages/stories.html",
        listing=result,
        filters=filters,
        latest=store.latest_changes([r["id"] for r in result.rows]),
        nothing_tracked=not result.rows and not filtered and store.count_stories() == 0,
        sites=store.sites(),
        feeds=store.list_feeds(),
        states=listing.STATES,
        sorts=listing.SORTS,
        page_args={k: request.args[k] for k in listing.ARG_NAMES if request.args.get(k)},
    )


@bp.get("/stories/<id:story_id>")
def story(story_id: int) -> str:
    store = get_store()
    row = store.get_story(story_id)
    versions = store.list_versions(story_id)
    changes = store.list_changes(story_id=story_id, limit=1000)
    return render_template(
        "pages/story.html",
        story=row,
        versions=versions,
        changes=changes,
        headlines=headline_history(versions),
        options=version_options(versions),
        timeline=timeline.build(versions, changes),
    )


@bp.get("/stories/<id:story_id>/diff")
def compare(story_id: int) -> Response:
    """The version pickers' GET form (`a`/`b`, or the API's `from`/`to`) lands here and is sent
    on to the stable permalink; a version the story lacks is a 404 that says which exist."""
    store = get_store()
    a, b = compare_args.pair_for(store, store.get_story(story_id))
    view = choice_arg("view", VIEWS, None)
    return redirect(url_for("pages.diff", story_id=story_id, a=a, b=b, view=view))


@bp.get("/stories/<id:story_id>/diff/<id:a>..<id:b>")
def diff(story_id: int, a: int, b: int) -> Any:
    view = choice_arg("view", VIEWS, "side")
    if a > b:
        keep = request.args.get("view")
        return redirect(url_for("pages.diff", story_id=story_id, a=b, b=a, view=keep))
    store = get_store()
    row = store.get_story(story_id)
    compare_args.check_range(row, a, b)
    old, new = store.get_version(story_id, a), store.get_version(story_id, b)
    ddiff = current_app.extensions["storydiff_diffs"].diff(old, new)
    versions = store.list_versions(story_id)
    change = recorded_change(story_id, a, b)
    return render_template(
        "pages/diff.html",
        story=row,
        old=old,
        new=new,
        dv=diffview.build(ddiff, page=int_arg("page", 1, low=1, high=10**6) or 1),
        view=view,
        versions=versions,
        options=version_options(versions),
        change=change or compare_args.summary_of(ddiff, old, new),
        adjacent=change is not None,
        other_view="inline" if view == "side" else "side",
    )


def recorded_change(story_id: int, a: int, b: int) -> Row | None:
    """The change log's entry for a..b when they are neighbours."""
    return get_store().get_change_between(story_id, b) if b == a + 1 else None


def version_options(versions: list[Row]) -> list[tuple[int, str, str]]:
    """(number, label, time) for the version pickers, formatted once for both selects; app.js
    rewrites the label in the reader's time zone from the time."""
    return [
        (v["number"], f"version {v['number']} · {when(v['fetched_at'])}", v["fetched_at"])
        for v in versions
    ]


@bp.get("/stories/<id:story_id>/versions/<id:number>")
def version(story_id: int, number: int) -> str:
    store = get_store()
    row = store.get_story(story_id)
    v = store.get_version(story_id, number)
    count = int(row.get("version_count") or 0)
    return render_template(
        "pages/version.html",
        story=row,
        version=v,
        paragraphs=[p for p in (v.get("text") or "").split("\n\n") if p],
        has_raw=bool(v["has_raw"]),
        newer=number + 1 if number < count else None,
    )


@bp.get("/stories/<id:story_id>/versions/<id:number>/raw")
def raw(story_id: int, number: int) -> Response:
    """The archived page as a download, never as live HTML on this origin."""
    found = get_store().raw_page(story_id, number)
    if found is None:
        abort(404, description=f"No raw page is archived for version {number} of this story.")
    body, _raw_type = found
    response = Response(body, mimetype="text/plain")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="story-{story_id}-v{number}.html.txt"'
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
