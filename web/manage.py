"""Signed-in pages that change things: add stories and feeds, pause, resume, delete.

Every change is a POST with a CSRF token (checked in web.security); deleting asks first.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from tracker import feeds
from tracker.document import tidy
from tracker.fetch import Fetcher, FetchError
from tracker.imports.common import Entry, add_entries
from tracker.urls import BadURL, normalize, redact, site
from web.db import get_store, settings
from web.routing import int_arg
from web.security import login_required

bp = Blueprint("manage", __name__, url_prefix="/manage")
TITLE_LIMIT = 300


def _form_text(name: str, limit: int) -> str:
    """One line of text: control characters dropped, whitespace folded."""
    return tidy(request.form.get(name, ""))[:limit]


@bp.get("/")
@login_required
def index() -> str:
    store = get_store()
    limit = current_app.config["PAGE_SIZE"]
    page = int_arg("page", 1, low=1, high=10**7) or 1
    total = store.count_stories()
    return render_template(
        "manage/index.html",
        stories=store.list_stories(sort="added", limit=limit, offset=(page - 1) * limit),
        feeds=store.list_feeds(),
        page=page,
        pages=max(1, -(-total // limit)),
        total=total,
    )


@bp.post("/stories")
@login_required
def add_story() -> Any:
    raw = request.form.get("url", "")
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    if len(lines) > 1:
        return _add_many(lines)
    try:
        url = normalize(raw)
    except BadURL as exc:
        flash(f"Cannot track that address: {exc}.", "error")
        return redirect(url_for("manage.index")), 303
    title = _form_text("title", TITLE_LIMIT) or None
    story_id, created = get_store().add_story(url, title=title, site=site(url))
    flash(
        f"Story added: {checked_when()}." if created else "That story is already tracked.",
        "ok",
    )
    return redirect(url_for("pages.story", story_id=story_id)), 303


FORM_BATCH_LIMIT = 1000


def _add_many(lines: list[str]) -> Any:
    """Several addresses, one a line: all added in one go, and a summary of what happened."""
    if len(lines) > FORM_BATCH_LIMIT:
        flash(f"At most {FORM_BATCH_LIMIT} addresses at a time; use `tracker add -`.", "error")
        return redirect(url_for("manage.index")), 303
    outcomes = add_entries(get_store(), [Entry(url=line) for line in lines])
    added = sum(o.status == "added" for o in outcomes)
    known = sum(o.status == "exists" for o in outcomes)
    bad = [o.source for o in outcomes if o.status == "invalid"]
    flash(f"Added {added} stories; {known} already tracked.", "ok")
    if bad:
        shown = ", ".join(b[:80] for b in bad[:5]) + (" …" if len(bad) > 5 else "")
        flash(f"{len(bad)} addresses could not be tracked: {shown}", "error")
    return redirect(url_for("manage.index")), 303


@bp.post("/feeds")
@login_required
def add_feed() -> Any:
    """Like `tracker add-feed`: the feed is fetched and read first, so an unreachable address or
    a web page is refused (and nothing is saved) with the same reason the command gives."""
    raw = request.form.get("url", "")
    store = get_store()
    try:
        with Fetcher(settings()) as fetcher:
            feed_id, created, result = feeds.follow(store, raw, fetcher)
    except BadURL as exc:
        flash(f"Cannot follow that feed: {exc}.", "error")
        return redirect(url_for("manage.index")), 303
    except (feeds.FeedError, FetchError) as exc:
        reason = exc.reason if isinstance(exc, FetchError) else str(exc)
        flash(f"Cannot follow {redact(raw.strip())}: {reason}", "error")
        return redirect(url_for("manage.index")), 303
    title = _form_text("title", TITLE_LIMIT)
    if created and title:
        store.update_feed(feed_id, title=title)
    if not created:
        flash("That feed is already followed.", "ok")
    else:
        flash(f"Feed added: {result.entries} entries, {len(result.added)} new stories.", "ok")
    return redirect(url_for("manage.index")), 303


def checked_when() -> str:
    """What happens next to a story that is due now, true to how this server runs."""
    if current_app.config.get("CHECKS_RUN"):
        return "it will be checked within a minute"
    return (
        "this server does not check stories (it runs under `tracker serve`); "
        "`tracker run` or `tracker check --due` will check it"
    )


def _back(story_id: int, message: str) -> Any:
    flash(message, "ok")
    if request.form.get("back") == "story":
        return redirect(url_for("pages.story", story_id=story_id)), 303
    return redirect(url_for("manage.index")), 303


@bp.post("/stories/<id:story_id>/pause")
@login_required
def pause(story_id: int) -> Any:
    get_store().update_story(story_id, state="paused")  # NotFound (404) for no such story
    return _back(story_id, "Story paused: it will not be checked until resumed.")


@bp.post("/stories/<id:story_id>/resume")
@login_required
def resume(story_id: int) -> Any:
    """Active again and due now, whatever stopped it (paused, gone, archived)."""
    get_store().resume_story(story_id)  # NotFound (404) for no such story
    return _back(story_id, f"Story resumed: {checked_when()}.")


@bp.route("/stories/<id:story_id>/delete", methods=["GET", "POST"])
@login_required
def delete(story_id: int) -> Any:
    """GET asks for confirmation; only the POST from that page deletes."""
    store = get_store()
    story = store.get_story(story_id)
    if request.method != "POST":  # GET and HEAD only ask; HEAD skips CSRF, never acts
        return render_template("manage/delete.html", story=story)
    store.delete_story(story_id)
    flash(f"Deleted story {story_id} and all its versions.", "ok")
    return redirect(url_for("manage.index")), 303


@bp.route("/feeds/<id:feed_id>/delete", methods=["GET", "POST"])
@login_required
def delete_feed(feed_id: int) -> Any:
    """GET asks for confirmation; only the POST from that page stops following the feed."""
    store = get_store()
    feed = store.get_feed(feed_id)
    if request.method != "POST":  # GET and HEAD only ask; HEAD skips CSRF, never acts
        return render_template("manage/delete_feed.html", feed=feed)
    store.delete_feed(feed_id)
    flash(f"Stopped following feed {feed_id}; its stories are still tracked.", "ok")
    return redirect(url_for("manage.index")), 303
