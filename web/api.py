"""The JSON API under /api/: stories, versions, diffs and changes; writes need an API token.

Errors are always JSON `{"status": ..., "message": ...}` (see web.errors). Reads are public unless
the site is private. The OpenAPI document at /api/openapi.json describes exactly these routes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for

from tracker import clock
from tracker.diff import Diff, DocumentDiff
from tracker.extract import ExtractError, extract, sniff
from tracker.health import health
from tracker.imports.common import Entry, add_entries
from tracker.record import record
from tracker.store import CHANGE_STATS, Row
from tracker.summary import KINDS
from tracker.urls import BadURL, normalize, site
from web import compare, listing
from web.db import get_store, settings
from web.filters import plain_snippet
from web.openapi import document
from web.routing import int_arg
from web.security import token_required

bp = Blueprint("api", __name__, url_prefix="/api")

DIFF_ROWS = 5000
"""The most rows one diff response holds; longer diffs are paged (`offset`, `limit`, `next`)."""
STORY_FIELDS = (
    "id",
    "url",
    "canonical_url",
    "site",
    "title",
    "state",
    "developing",
    "added_at",
    "feed_id",
    "version_count",
    "last_changed_at",
    "last_change_size",
    "last_change_kind",
    "last_checked_at",
    "next_check_at",
)
VERSION_FIELDS = (
    "number",
    "fetched_at",
    "title",
    "byline",
    "published",
    "updated",
    "canonical_url",
    "reverts_to",
    "fingerprint",
)
CHANGE_FIELDS = (
    "id",
    "story_id",
    "from_version",
    "to_version",
    "detected_at",
    "kind",
    "kinds",
    "summary",
    *CHANGE_STATS,
    "reverts_to",
    "story_title",
)


def story_json(row: Row) -> dict[str, Any]:
    """A story with its check health (`shown_state`, `last_error`, `failures`, ISO times)."""
    data = {k: row.get(k) for k in STORY_FIELDS}
    data.update(health(row))
    data["developing"] = bool(data["developing"])
    if "match_version" in row:
        data["match_version"] = row["match_version"]
        data["match_snippet"] = plain_snippet(row["match_snippet"])
        data["entered"] = row["entered"]
        data["left"] = row["left"]
        data["present"] = row["present"]
    return data


def version_json(row: Row, with_text: bool = False) -> dict[str, Any]:
    data = {k: row.get(k) for k in VERSION_FIELDS}
    if with_text:
        data["text"] = row.get("text") or ""
        data["paragraphs"] = [p for p in data["text"].split("\n\n") if p]
    else:
        data["text_length"] = row.get("text_length")
    data["has_raw"] = bool(row.get("has_raw"))
    return data


def change_json(row: Row) -> dict[str, Any]:
    return {k: row.get(k) for k in CHANGE_FIELDS}


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 4xx that says what is wrong with it."""
    if not request.is_json:
        abort(415, description="send a JSON object with Content-Type: application/json")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # json gives up on deep nesting ("[" * 200_000) this way
        abort(400, description="the body is nested too deeply")
    if not isinstance(data, dict):
        abort(400, description="the body is not a JSON object")
    for name, value in data.items():
        problem = _bad_json_value(value, MAX_JSON_DEPTH)
        if problem or not _is_text(name):
            abort(
                400, description=f"field {_shown_name(name)!r}: {problem or 'its name is not text'}"
            )
    return data


MAX_JSON_DEPTH = 8


def _is_text(value: str) -> bool:
    """No NUL and no lone surrogate (JSON's "\\ud800"): neither can be stored or sent on."""
    return "\x00" not in value and not any("\ud800" <= ch <= "\udfff" for ch in value)


def _bad_json_value(value: Any, depth: int) -> str | None:
    """What is wrong with one field's value, or None: every string in it must be text, and it
    may nest only a few levels (no request field needs more)."""
    if isinstance(value, str):
        return None if _is_text(value) else "not valid text (a NUL or a lone surrogate)"
    if isinstance(value, list | dict):
        if depth <= 0:
            return "nested too deeply"
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and not _is_text(key):
                return "not valid text (a NUL or a lone surrogate)"
            problem = _bad_json_value(item, depth - 1)
            if problem:
                return problem
    return None


def _shown_name(name: str) -> str:
    return name[:40].encode("ascii", "backslashreplace").decode("ascii")


@bp.get("/stories")
def stories() -> Response:
    filters = listing.read_filters()
    limit, offset = listing.paging(50)
    result = listing.stories(filters, limit, offset)
    extra = {"notes": result.notes} if filters["q"] else {}
    return jsonify(
        stories=[story_json(r) for r in result.rows],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
        has_more=result.has_more,
        **extra,
    )


@bp.post("/stories")
@token_required
def create_story() -> Any:
    data = json_body()
    url, title = data.get("url"), data.get("title")
    if not isinstance(url, str):
        abort(400, description="'url' is required and must be a string")
    if title is not None and (not isinstance(title, str) or len(title) > 300):
        abort(400, description="'title' must be a string of at most 300 characters")
    try:
        clean = normalize(url)
    except BadURL as exc:
        abort(422, description=f"cannot track that URL: {exc}")
    store = get_store()
    story_id, created = store.add_story(clean, title=title or None, site=site(clean))
    return jsonify(story=story_json(store.get_story(story_id)), created=created), (
        201 if created else 200
    )


BATCH_LIMIT = 10_000


@bp.post("/stories/batch")
@token_required
def create_stories() -> Any:
    """Track many stories in one request: `{"urls": [...]}` -> one result per URL, in order."""
    urls = json_body().get("urls")
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        abort(400, description="'urls' is required and must be a list of strings")
    if len(urls) > BATCH_LIMIT:
        abort(413, description=f"at most {BATCH_LIMIT} URLs per request")
    outcomes = add_entries(get_store(), [Entry(url=u) for u in urls])
    keep = ("source", "status", "id", "url", "reason")
    return jsonify(results=[{k: getattr(o, k) for k in keep} for o in outcomes])


@bp.get("/stories/<id:story_id>")
def story(story_id: int) -> Response:
    return jsonify(story_json(get_store().get_story(story_id)))


@bp.delete("/stories/<id:story_id>")
@token_required
def delete_story(story_id: int) -> Any:
    get_store().delete_story(story_id)
    return "", 204


@bp.post("/stories/<id:story_id>/pause")
@token_required
def pause(story_id: int) -> Response:
    store = get_store()
    store.update_story(story_id, state="paused")
    return jsonify(story_json(store.get_story(story_id)))


@bp.post("/stories/<id:story_id>/resume")
@token_required
def resume(story_id: int) -> Response:
    """Active again and due now, whatever stopped it (paused, gone, archived)."""
    store = get_store()
    store.resume_story(story_id)
    return jsonify(story_json(store.get_story(story_id)))


@bp.get("/stories/<id:story_id>/versions")
def versions(story_id: int) -> Response:
    store = get_store()
    store.get_story(story_id)
    return jsonify(versions=[version_json(v) for v in store.list_versions(story_id)])


@bp.get("/stories/<id:story_id>/versions/<id:number>")
def version(story_id: int, number: int) -> Response:
    return jsonify(version_json(get_store().get_version(story_id, number), with_text=True))


@bp.get("/stories/<id:story_id>/versions/<id:number>/text")
def version_text(story_id: int, number: int) -> Response:
    text = get_store().get_version(story_id, number).get("text") or ""
    return Response(text + "\n", mimetype="text/plain")


@bp.post("/stories/<id:story_id>/versions")
@token_required
def push_version(story_id: int) -> Any:
    """Record a version sent by a newsroom system: HTML, text, Markdown or JSON in the body."""
    store = get_store()
    store.get_story(story_id)
    body = request.get_data(cache=False)
    if not body.strip():
        abort(400, description="the body is empty: send the document (HTML, text or JSON)")
    at = request.args.get("at")
    if at:
        try:
            at = clock.normalize(at)
        except ValueError:
            abort(400, description="'at' must be an ISO 8601 time such as 2024-11-10T02:15:52Z")
    kind = request.content_type or sniff(body)
    try:
        doc = extract(body, kind)
    except ExtractError as exc:
        abort(422, description=f"cannot read the document: {exc}")
    if not doc.paragraphs:
        abort(422, description="the document has no text")
    done = record(store, story_id, doc, fetched_at=at, budget_ms=settings().diff_budget_ms)
    change = store.get_change(done.change_id) if done.change_id else None
    return jsonify(
        version=done.number,
        created=done.created,
        reverts_to=done.reverts_to,
        change=change_json(change) if change else None,
    ), (201 if done.created else 200)


@bp.get("/stories/<id:story_id>/diff")
def diff(story_id: int) -> Response:
    """The diff between versions `from` and `to` (or the web's `a` and `b`; default: the latest
    change); a version the story does not have is a 404 naming the ones it has."""
    store = get_store()
    a, b = compare.pair_for(store, store.get_story(story_id))
    offset = int_arg("offset", 0, low=0, high=10**9) or 0
    limit = int_arg("limit", DIFF_ROWS, low=1, high=DIFF_ROWS) or DIFF_ROWS
    old, new = store.get_version(story_id, a), store.get_version(story_id, b)
    ddiff = current_app.extensions["storydiff_diffs"].diff(old, new)
    rows, total = ddiff.body.row_window(offset, limit)
    window = DocumentDiff(
        Diff(rows, ddiff.body.stats, ddiff.body.degraded, ddiff.body.elapsed_ms),
        ddiff.fields,
        ddiff.field_ops,
    )
    out = {"story_id": story_id, "from": a, "to": b, **window.to_json()}
    out.update(rows_total=total, offset=offset, limit=limit)
    if offset + limit < total:
        out["next"] = url_for(
            ".diff", story_id=story_id, offset=offset + limit, limit=limit, **{"from": a, "to": b}
        )
    return jsonify(out)


@bp.get("/stories/<id:story_id>/changes")
def story_changes(story_id: int) -> Response:
    store = get_store()
    store.get_story(story_id)
    limit, offset = listing.paging(50)
    rows = store.list_changes(story_id=story_id, limit=limit, offset=offset)
    return jsonify(changes=[change_json(c) for c in rows], limit=limit, offset=offset)


CHANGE_KINDS = (*KINDS, "revert")


def _kinds() -> list[str] | None:
    """`kind` (repeatable): each one a kind a change can have, else a 400 that lists them."""
    kinds = sorted({k for k in request.args.getlist("kind") if k})
    if any(k not in CHANGE_KINDS for k in kinds):
        abort(400, description=f"kind must be one of: {', '.join(CHANGE_KINDS)}")
    return kinds or None


@bp.get("/changes")
def changes() -> Response:
    limit, offset = listing.paging(50)
    feed = int_arg("feed", None, low=1)
    kinds = _kinds()
    rows = get_store().list_changes(feed_id=feed, kinds=kinds, limit=limit, offset=offset)
    return jsonify(changes=[change_json(c) for c in rows], limit=limit, offset=offset)


@bp.get("/changes/<id:change_id>")
def change(change_id: int) -> Response:
    return jsonify(change_json(get_store().get_change(change_id)))


@bp.get("/feeds")
def feeds() -> Response:
    keep = ("id", "url", "title", "state", "added_at", "last_checked_at", "stories")
    return jsonify(feeds=[{k: f.get(k) for k in keep} for f in get_store().list_feeds()])


@bp.delete("/feeds/<id:feed_id>")
@token_required
def delete_feed(feed_id: int) -> Any:
    """Stop following a feed; its stories stay tracked, its subscriptions go."""
    get_store().delete_feed(feed_id)
    return "", 204


@bp.get("/openapi.json")
def openapi() -> Response:
    """With base_url set the Host header is never used: it is whatever the client sent."""
    return jsonify(document((settings().base_url or request.url_root).rstrip("/")))
