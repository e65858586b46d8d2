"""Pages for people about the machine-readable parts: the API and the Atom feeds.

`/api/` and `/api/docs` render the OpenAPI document itself into HTML on the server (no
Swagger UI from a CDN, no script: the CSP allows neither), so the page cannot drift from
`/api/openapi.json`. `/feeds/` explains the feed addresses instead of showing raw XML.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for

from web.db import get_store
from web.feeds import absolute
from web.openapi import document
from web.routing import int_arg

bp = Blueprint("apidocs", __name__)
METHODS = ("get", "post", "delete")


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation as a row for the page, grouped in document order, $refs resolved."""
    schemas = spec["components"]["schemas"]
    found = []
    for path, ops in spec["paths"].items():
        for method in METHODS:
            op = ops.get(method)
            if op is None:
                continue
            ok = next(iter(op["responses"]))
            content = op["responses"][ok].get("content", {}).get("application/json", {})
            ref = content.get("schema", {}).get("$ref", "")
            name = ref.rsplit("/", 1)[-1] if ref else None
            found.append(
                {
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": op["summary"],
                    "parameters": op["parameters"],
                    "body": list(op.get("requestBody", {}).get("content", {})),
                    "ok": ok,
                    "schema": name,
                    "fields": schemas.get(name, {}).get("properties", {}) if name else {},
                    "secured": bool(op.get("security")),
                }
            )
    return found


@bp.get("/api/")
@bp.get("/api/docs")
def api_page() -> str:
    spec = document(request.url_root.rstrip("/"))
    return render_template(
        "apidocs/api.html",
        spec=spec,
        operations=operations(spec),
        server=spec["servers"][0]["url"],
    )


@bp.get("/feeds/")
def feeds_page() -> str:
    """The feed addresses; `?story=ID` (the story page's link) shows that story's first."""
    story_id = int_arg("story", None, low=1)
    story = get_store().get_story(story_id) if story_id else None
    return render_template(
        "apidocs/feeds.html",
        story=story,
        story_feed=absolute("feeds.story_changes", story_id=story_id) if story else None,
        everything=absolute("feeds.all_changes"),
        feeds=[
            (f, absolute("feeds.feed_changes", feed_id=f["id"])) for f in get_store().list_feeds()
        ],
        story_pattern=absolute("feeds.story_changes", story_id=1).replace("/1.atom", "/ID.atom"),
        example=url_for("feeds.all_changes"),
    )
