"""Template helpers: safe links, readable times and sizes. Jinja autoescaping does the rest."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Flask
from markupsafe import Markup, escape

from tracker import clock
from tracker.store import SNIPPET_END, SNIPPET_START

_SNIPPET_MARK = re.compile(f"{SNIPPET_START}([^{SNIPPET_END}]*){SNIPPET_END}")


def safe_href(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) link, else None: javascript:, data: and friends
    never become links, however they are spelled."""
    if not url or not isinstance(url, str):
        return None
    text = url.strip()
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def when(stamp: str | None) -> str:
    """`2024-11-10T02:15:52Z` -> `2024-11-10 02:15 UTC`."""
    if not stamp:
        return "—"
    try:
        return clock.parse(stamp).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return stamp


def ago(stamp: str | None, now: datetime | None = None) -> str:
    if not stamp:
        return "never"
    try:
        seconds = ((now or datetime.now(UTC)) - clock.parse(stamp)).total_seconds()
    except ValueError:
        return stamp
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def snippet(text: str | None) -> Markup:
    """An FTS snippet as escaped HTML with <mark>ed matches (the store's markers)."""
    escaped = str(escape(text or ""))
    return Markup(_SNIPPET_MARK.sub(r"<mark>\1</mark>", escaped))


def plain_snippet(text: str | None) -> str:
    """An FTS snippet with the store's match markers removed, for JSON."""
    return (text or "").replace(SNIPPET_START, "").replace(SNIPPET_END, "")


def plural(n: int | None, word: str) -> str:
    n = int(n or 0)
    return f"{n} {word}{'' if n == 1 else 's'}"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(when=when, ago=ago, snippet=snippet, plural=plural)
    app.jinja_env.globals.update(safe_href=safe_href)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
