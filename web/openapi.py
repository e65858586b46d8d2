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
        _param("q", doc="full-text search over every version"),
        _param("site"),
        _param("feed", kind="integer"),
        _param("state", doc="developing, quiet, active, paused, gone or archived"),
        _param("recent", doc="1: changed in the last 24 hours"),
        _param("sort", doc="changed, added, title or versions"),
        *PAGING,
    ]
    return {
        "/api/stories": {
            "get": _op("List or search stories", params=filters, schema="StoryList"),
            "post": _op("Track a story", body=json_story, ok="201", secured=True, schema="Story"),
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
                    _param("from", kind="integer", doc="older version number"),
                    _param("to", kind="integer", doc="newer version number"),
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
                params=[_param("feed", kind="integer"), _param("kind"), *PAGING],
            )
        },
        "/api/changes/{change_id}": {
            "get": _op("One change", params=[_param("change_id", "path", "integer")])
        },
        "/api/feeds": {"get": _op("Feeds that discover stories")},
        "/api/openapi.json": {"get": _op("This document")},
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
            },
        },
        "Diff": {
            "type": "object",
            "properties": {
                "from": {"type": "integer"},
                "to": {"type": "integer"},
                "fields": {"type": "object"},
                "rows": {"type": "array", "items": row},
                "stats": {"type": "object"},
                "degraded": text,
            },
        },
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
            "description": "Stories, versions, diffs and changes. Writes need "
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
