"""Template helpers: safe links, readable times and sizes. Jinja autoescaping does the rest."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Flask
from markupsafe import Markup, escape

from tracker import clock
from tracker.health import shown_state
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
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            text = f"{n} {unit}{'s' if n != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "in a moment" if future else "just now"


def timetag(stamp: str | None, relative: bool = True) -> Markup:
    """`<time>` for a stored or page-given time: UTC text that app.js turns into the reader's
    local time; the ISO form in `datetime` and the tooltip; a relative hint ("3 hours ago").
    Text that is not a time is shown as it is."""
    if not stamp:
        return Markup('<span class="none">never</span>')
    try:
        moment = clock.parse(str(stamp))
    except ValueError:
        return Markup(escape(stamp))
    iso = clock.iso(moment)
    hint = f" · {ago(iso)}" if relative else ""
    return Markup(
        f'<time datetime="{iso}" title="{iso}"{" data-rel" if relative else ""}>'
        f"{moment.strftime('%Y-%m-%d %H:%M UTC')}{hint}</time>"
    )


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


def filesize(n: int | None) -> str:
    size = float(n or 0)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        when=when, ago=ago, snippet=snippet, plural=plural, timetag=timetag, filesize=filesize
    )
    app.jinja_env.globals.update(safe_href=safe_href, shown_state=shown_state)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
