"""URL pieces read safely: ids that SQLite can hold, and query arguments with clear 400s."""

from __future__ import annotations

import unicodedata

from flask import Flask, abort, request
from flask.globals import request_ctx
from werkzeug.routing import IntegerConverter

from tracker.numbers import MAX_ID, whole_number


class IdConverter(IntegerConverter):
    """`<id:name>`: a positive integer small enough for SQLite; anything else is a 404.
    ASCII digits only: Werkzeug's `\\d+` also takes `１` or `١`, which int() reads as 1."""

    regex = "[0-9]+"

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:
        super().__init__(map, min=1, max=MAX_ID)  # type: ignore[arg-type]


def int_arg(name: str, default: int | None, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """A whole-number query argument within [low, high], or a 400 that names it."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    number = whole_number(raw, low, high)
    if number is None:
        abort(400, description=f"{name} must be a whole number from {low} to {high}")
    return number


def choice_arg(name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if raw not in choices:
        abort(400, description=f"{name} must be one of: {', '.join(choices)}")
    return raw


def has_control(text: str) -> bool:
    """NUL, escapes, other C0/C1 controls or unpaired surrogates: never in a real search."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def text_arg(name: str, limit: int = 200) -> str:
    """Free text such as a search; refused (400) when too long or holding control characters."""
    raw = request.args.get(name, "").strip()
    if len(raw) > limit:
        abort(400, description=f"{name} is longer than {limit} characters")
    if has_control(raw):
        abort(400, description=f"{name} must not contain control characters")
    return raw


def _readable_request() -> None:
    """What every page builds links from, checked first: a Host that is no host name (a label
    over 63 characters, an empty one) leaves Flask no URL adapter, a forwarded prefix that is no
    path breaks every absolute URL, and the query string is read as UTF-8 (waitress passes a
    //-target's bytes on undecoded, other servers every target's). Each is a 400."""
    if request_ctx.url_adapter is None:
        abort(400, description="The Host header is not a valid host name.")
    if request.root_path and not request.root_path.startswith("/"):
        abort(400, description="The X-Forwarded-Prefix header must be a path starting with /.")
    try:
        request.query_string.decode("utf-8")
    except UnicodeDecodeError:
        abort(400, description="The query string is not valid UTF-8.")


def init_app(app: Flask) -> None:
    app.before_request(_readable_request)
