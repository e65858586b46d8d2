"""The OpenAPI 3 description of /api/ (a test checks it lists exactly the app's API routes)."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/responses/Error"}


def _param(name: str, where: str = "query", kind: str = "string", doc: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": {"type": kind},
        "description": doc,
    }


STORY_ID = _param("story_id", "path", "integer", "story id")
NUMBER = _param("number", "path", "integer", "version number (1 is the first)")
PAGING = [
    _param("limit", kind="integer", doc="at most 200 (default 50)"),
    _param("offset", kind="integer", doc="rows to skip"),
]
SECURED = [{"bearer": []}]


def _op(
    summary: str,
    *,
    params: list[dict[str, Any]] | None = None,
    body: Any = None,
    ok: str = "200",
    secured: bool = False,
    schema: str | None = None,
) -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": params or [],
        "responses": {
            ok: {"description": "OK", **({"content": content} if schema else {})},
            "400": ERROR,
            "404": ERROR,
        },
    }
    if secured:
        op["security"] = SECURED
        op["responses"]["401"] = ERROR
    if body is not None:
        op["requestBody"] = {"required": True, "content": body}
    return op


def _paths() -> dict[str, dict[str, Any]]:
    json_story = {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["url"],
                "properties": {"url": {"type": "string"}, "title": {"type": "string"}},
            }
        }
    }
    document_body = {
        kind: {"schema": {"type": "string"}}
        for kind in ("text/html", "text/plain", "text/markdown", "application/json")
    }
    filters = [
        _param(
            "q",
            doc='search every version ever seen: words (in one sentence), "phrases", '
            "prefix*, OR, NOT; newest match first; results carry entered/left",
        ),
        _param("site", doc="only this site and its subdomains (also with q)"),
        _param("feed", kind="integer"),
        _param(
            "state",
            doc="developing, quiet, failing, never_checked, active, paused, gone or archived",
        ),
        _param("recent", doc="1: changed in the last 24 hours"),
        _param("sort", doc="changed, added, title or versions"),
        *PAGING,
    ]
    return {
        "/api/stories": {
            "get": _op("List or search stories", params=filters, schema="StoryList"),
            "post": _op("Track a story", body=json_story, ok="201", secured=True, schema="Story"),
        },
        "/api/stories/batch": {
            "post": _op(
                'Track many stories: {"urls": [...]} (at most 10,000) -> {results}, one per URL '
                "in order, each with status added, exists or invalid",
                body={"application/json": {"schema": {"type": "object", "required": ["urls"]}}},
                secured=True,
            ),
        },
        "/api/stories/{story_id}": {
            "get": _op("One story", params=[STORY_ID], schema="Story"),
            "delete": _op(
                "Delete a story and its versions", params=[STORY_ID], ok="204", secured=True
            ),
        },
        "/api/stories/{story_id}/pause": {
            "post": _op("Stop checking a story", params=[STORY_ID], secured=True, schema="Story")
        },
        "/api/stories/{story_id}/resume": {
            "post": _op("Check a story again", params=[STORY_ID], secured=True, schema="Story")
        },
        "/api/stories/{story_id}/versions": {
            "get": _op("A story's versions, oldest first", params=[STORY_ID]),
            "post": _op(
                "Record a version from a document (HTML, text, Markdown or JSON)",
                params=[STORY_ID, _param("at", doc="when it was seen (ISO 8601)")],
                body=document_body,
                ok="201",
                secured=True,
            ),
        },
        "/api/stories/{story_id}/versions/{number}": {
            "get": _op("One version with its text", params=[STORY_ID, NUMBER])
        },
        "/api/stories/{story_id}/versions/{number}/text": {
            "get": _op("One version's text as text/plain", params=[STORY_ID, NUMBER])
        },
        "/api/stories/{story_id}/diff": {
            "get": _op(
                "The diff between two versions (default: the latest change)",
                params=[
                    STORY_ID,
                    _param("from", kind="integer", doc="older version number (or `a`)"),
                    _param("to", kind="integer", doc="newer version number (or `b`)"),
                    _param("a", kind="integer", doc="the web's name for `from`"),
                    _param("b", kind="integer", doc="the web's name for `to`"),
                    _param("offset", kind="integer", doc="first row of the page (default 0)"),
                    _param("limit", kind="integer", doc="rows in the page, 1-5000 (default 5000)"),
                ],
                schema="Diff",
            )
        },
        "/api/stories/{story_id}/changes": {
            "get": _op("A story's changes, newest first", params=[STORY_ID, *PAGING])
        },
        "/api/changes": {
            "get": _op(
                "All changes, newest first",
                params=[
                    _param("feed", kind="integer"),
                    _param("kind", doc="repeatable: headline, numbers, correction, … or revert"),
                    *PAGING,
                ],
            )
        },
        "/api/changes/{change_id}": {
            "get": _op("One change", params=[_param("change_id", "path", "integer")])
        },
        "/api/feeds": {"get": _op("Feeds that discover stories")},
        "/api/feeds/{feed_id}": {
            "delete": _op(
                "Stop following a feed (its stories stay; its subscriptions are deleted)",
                params=[_param("feed_id", "path", "integer", "feed id")],
                ok="204",
                secured=True,
            )
        },
        **_notify_paths(),
        "/api/status": {
            "get": _op(
                "Check health: stories by state, checks and errors in the last hour and day, "
                "scheduler lag, outbox backlog and dead letters, database size",
                schema="Status",
            )
        },
        "/api/openapi.json": {"get": _op("This document")},
        "/api/": {"get": _op("This document as a page for people (HTML)")},
        "/api/docs": {"get": _op("The same page as /api/")},
    }


def _notify_paths() -> dict[str, dict[str, Any]]:
    """Subscriptions and the outbox: every call needs the token, reads too (targets are private)."""
    sub_id = _param("sub_id", "path", "integer", "subscription id")
    delivery_id = _param("delivery_id", "path", "integer", "delivery id")
    new_sub = {"application/json": {"schema": {"$ref": "#/components/schemas/NewSubscription"}}}
    retry = _op(
        "Send a dead or failing delivery again",
        params=[delivery_id],
        secured=True,
        schema="Delivery",
    )
    retry["responses"]["409"] = ERROR
    return {
        "/api/subscriptions": {
            "get": _op(
                "Subscriptions (targets with their secrets hidden)",
                params=[_param("story", kind="integer", doc="only this story's")],
                secured=True,
                schema="SubscriptionList",
            ),
            "post": _op(
                "Subscribe; a webhook's signing secret is in the answer this once",
                body=new_sub,
                ok="201",
                secured=True,
                schema="Subscribed",
            ),
        },
        "/api/subscriptions/{sub_id}": {
            "get": _op("One subscription", params=[sub_id], secured=True, schema="Subscription"),
            "delete": _op(
                "Delete a subscription and its unsent messages",
                params=[sub_id],
                ok="204",
                secured=True,
            ),
        },
        "/api/subscriptions/{sub_id}/pause": {
            "post": _op(
                "Hold a subscription's messages",
                params=[sub_id],
                secured=True,
                schema="Subscription",
            )
        },
        "/api/subscriptions/{sub_id}/resume": {
            "post": _op(
                "Send a subscription's messages again (held ones go out on the next run)",
                params=[sub_id],
                secured=True,
                schema="Subscription",
            )
        },
        "/api/deliveries": {
            "get": _op(
                "The outbox, newest first",
                params=[
                    _param("failed", kind="integer", doc="1: only dead ones and ones that failed"),
                    _param("limit", kind="integer", doc="at most 1000 (default 100)"),
                ],
                secured=True,
                schema="DeliveryList",
            )
        },
        "/api/deliveries/{delivery_id}": {
            "get": _op(
                "One delivery with every attempt",
                params=[delivery_id],
                secured=True,
                schema="Delivery",
            )
        },
        "/api/deliveries/{delivery_id}/retry": {"post": retry},
    }


def _notify_schemas() -> dict[str, Any]:
    text = {"type": "string", "nullable": True}
    integer = {"type": "integer", "nullable": True}
    kinds = {"type": "array", "items": {"type": "string"}}
    subscription = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "scope": {"type": "string", "enum": ["story", "feed", "all"]},
            "story_id": integer,
            "feed_id": integer,
            "channel": {"type": "string", "enum": ["webhook", "email", "apprise"]},
            "target": {"type": "string", "description": "with tokens and passwords hidden"},
            "signed": {"type": "boolean"},
            "min_words": {"type": "integer"},
            "kinds": kinds,
            "developing_only": {"type": "boolean"},
            "mode": {"type": "string", "enum": ["instant", "hourly", "daily"]},
            "active": {"type": "boolean"},
            "created_at": {"type": "string"},
            "last_digest_at": text,
        },
    }
    attempt = {
        "type": "object",
        "properties": {
            "at": {"type": "string"},
            "ok": {"type": "boolean"},
            "status": integer,
            "error": text,
            "duration_ms": {"type": "number", "nullable": True},
        },
    }
    delivery = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "subscription_id": {"type": "integer"},
            "change_id": {"type": "integer"},
            "status": {"type": "string", "enum": ["pending", "sending", "sent", "dead"]},
            "attempts": {"type": "integer"},
            "created_at": {"type": "string"},
            "next_attempt_at": {"type": "string"},
            "sent_at": text,
            "last_error": text,
            "idempotency_key": {"type": "string"},
            "channel": {"type": "string"},
            "target": text,
            "attempt_log": {"type": "array", "items": attempt},
        },
    }
    return {
        "NewSubscription": {
            "type": "object",
            "required": ["scope", "channel", "target"],
            "additionalProperties": False,
            "properties": {
                "scope": {"type": "string", "enum": ["story", "feed", "all"]},
                "story_id": {"type": "integer", "description": "with scope story"},
                "feed_id": {"type": "integer", "description": "with scope feed"},
                "channel": {"type": "string", "enum": ["webhook", "email", "apprise"]},
                "target": {"type": "string", "maxLength": 2048},
                "secret": {"type": "string", "minLength": 8, "maxLength": 200},
                "min_words": {"type": "integer", "minimum": 0},
                "kinds": kinds,
                "developing_only": {"type": "boolean"},
                "mode": {"type": "string", "enum": ["instant", "hourly", "daily"]},
            },
        },
        "Subscription": subscription,
        "Subscribed": {
            "type": "object",
            "properties": {"subscription": subscription, "secret": text},
        },
        "SubscriptionList": {
            "type": "object",
            "properties": {"subscriptions": {"type": "array", "items": subscription}},
        },
        "Delivery": delivery,
        "DeliveryList": {
            "type": "object",
            "properties": {"deliveries": {"type": "array", "items": delivery}},
        },
    }


def _schemas() -> dict[str, Any]:
    text = {"type": "string", "nullable": True}
    op = {
        "type": "object",
        "properties": {
            "op": {"type": "string", "enum": ["equal", "insert", "delete"]},
            "text": {"type": "string"},
        },
    }
    row = {
        "type": "object",
        "properties": {
            "kind": {
                "type": "string",
                "enum": ["equal", "changed", "added", "removed", "moved_from", "moved_to"],
            },
            "old_index": {"type": "integer", "nullable": True},
            "new_index": {"type": "integer", "nullable": True},
            "old": text,
            "new": text,
            "ops": {"type": "array", "items": op},
            "move_id": {"type": "integer", "nullable": True},
        },
    }
    story = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "url": {"type": "string"},
            "title": text,
            "site": text,
            "state": {"type": "string"},
            "developing": {"type": "boolean"},
            "version_count": {"type": "integer"},
            "last_changed_at": text,
            "shown_state": {
                "type": "string",
                "description": "never checked, failing, developing, quiet, paused, gone or "
                "archived: the state as the checks see it",
            },
            "last_checked_at": {**text, "description": "ISO 8601 UTC; null: never checked"},
            "next_check_at": {**text, "description": "ISO 8601 UTC; null unless active"},
            "last_error": {**text, "description": "why the last check failed"},
            "failures": {"type": "integer", "description": "failed checks in a row"},
            "match_version": {"type": "integer", "description": "search: the version shown"},
            "match_snippet": {"type": "string"},
            "entered": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "search: versions where the query started to match",
            },
            "left": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "search: versions where it stopped matching",
            },
            "present": {"type": "boolean", "description": "search: it matches the newest"},
        },
    }
    return {
        "Story": story,
        "StoryList": {
            "type": "object",
            "properties": {
                "stories": {"type": "array", "items": story},
                "total": {"type": "integer", "nullable": True},
                "has_more": {"type": "boolean"},
                "notes": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "search only: what was done with parts of q that could not "
                    "be taken as typed (a 2-letter prefix, a leading NOT...)",
                },
            },
        },
        "Diff": {
            "type": "object",
            "properties": {
                "from": {"type": "integer"},
                "to": {"type": "integer"},
                "fields": {"type": "object"},
                "rows": {"type": "array", "items": row},
                "rows_total": {"type": "integer"},
                "offset": {"type": "integer"},
                "limit": {"type": "integer"},
                "next": {"type": "string", "description": "the next page, while rows remain"},
                "stats": {"type": "object"},
                "degraded": text,
            },
        },
        "Status": {
            "type": "object",
            "properties": {
                name: {"type": "object"}
                for name in ("stories", "checks", "errors", "scheduler", "outbox", "database")
            },
        },
        **_notify_schemas(),
        "Error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
        },
    }


def document(server: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "storydiff API",
            "version": "1",
            "description": "Stories, versions, diffs and changes; subscriptions and deliveries. "
            "Writes, and every subscription or delivery call, need "
            "Authorization: Bearer TOKEN (tracker create-token or TRACKER_API_TOKEN).",
        },
        "servers": [{"url": server}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
            "responses": {
                "Error": {
                    "description": "An error, in words",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
        },
    }
