"""Subscriptions as the web sees them: one checked request for the form and the API, and
rows made safe to show (targets with their secrets hidden, webhook secrets never).

The channel target and change-kind rules are the command line's own (`tracker.cli.notify`), so
`tracker subscribe`, the form and `POST /api/subscriptions` accept and refuse the same things.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tracker.config import Settings
from tracker.notify.digest import MODES
from tracker.notify.targets import CHANNELS, BadKind, BadTarget, check_target, parse_kinds
from tracker.store import NotFound, Row, Store

SCOPES = ("story", "feed", "all")

KIND_CHOICES = (
    "any",
    "headline",
    "numbers",
    "quotes",
    "correction",
    "paragraphs_added",
    "paragraphs_removed",
    "edit",
    "revert",
    "typo",
)
TARGET_LIMIT = 2048
MAX_KINDS = 20
MAX_WORDS = 1_000_000
SECRET_LENGTH = (8, 200)
FIELDS = {
    "scope",
    "story_id",
    "feed_id",
    "channel",
    "target",
    "secret",
    "min_words",
    "kinds",
    "developing_only",
    "mode",
}


class Invalid(ValueError):
    """A subscription request that cannot be used; the message says which field and why."""


@dataclass
class Request:
    """A checked subscription request, ready for Store.add_subscription."""

    scope: str
    channel: str
    target: str
    story_id: int | None = None
    feed_id: int | None = None
    secret: str | None = None
    min_words: int = 0
    kinds: tuple[str, ...] = ()
    developing_only: bool = False
    mode: str = "instant"
    secret_generated: bool = False


def _choice(data: Mapping[str, Any], name: str, choices: tuple[str, ...], default: str) -> str:
    value = data.get(name, default)
    if value in (None, ""):
        value = default
    if not isinstance(value, str) or value not in choices:
        raise Invalid(f"'{name}' must be one of: {', '.join(choices)}")
    return value


def _whole(value: Any, name: str, low: int, high: int) -> int:
    """An int from JSON or a form field; never a bool, a float or a 40-digit string."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 16:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"'{name}' must be a whole number from {low} to {high}")
    return value


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", "0", "false", "off"):
        return False
    if value in ("1", "true", "on", "yes"):
        return True
    raise Invalid(f"'{name}' must be true or false")


def _kind_list(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise Invalid("'kinds' must be a list of change kinds")
    if len(value) > MAX_KINDS or any(len(k) > 40 for k in value):
        raise Invalid(f"'kinds' takes at most {MAX_KINDS} kinds of at most 40 characters")
    try:
        return tuple(parse_kinds(value))
    except BadKind as exc:
        raise Invalid(f"'kinds': {exc}") from None


def _checked_target(channel: str, target: Any, settings: Settings) -> str:
    if not isinstance(target, str) or not target.strip():
        raise Invalid("'target' is required: a webhook URL, an email address or an Apprise URL")
    if len(target) > TARGET_LIMIT:
        raise Invalid(f"'target' is longer than {TARGET_LIMIT} characters")
    try:
        return check_target(channel, target, settings)
    except BadTarget as exc:
        raise Invalid(f"'target' ({channel}): {exc}") from None


def parse(data: Mapping[str, Any], settings: Settings, *, strict: bool = True) -> Request:
    """Check a subscription request (a JSON object, or form fields); raises Invalid.

    With `strict` (the API), unknown fields are refused, so a typo never silently subscribes to
    more than was meant.
    """
    unknown = sorted(set(data) - FIELDS) if strict else []
    if unknown:
        raise Invalid(f"unknown field(s): {', '.join(unknown[:5])}")
    scope = _choice(data, "scope", SCOPES, "")
    channel = _choice(data, "channel", CHANNELS, "")
    request = Request(scope=scope, channel=channel, target="")
    if scope == "story":
        request.story_id = _whole(data.get("story_id"), "story_id", 1, 2**53)
    elif scope == "feed":
        request.feed_id = _whole(data.get("feed_id"), "feed_id", 1, 2**53)
    request.target = _checked_target(channel, data.get("target"), settings)
    secret = data.get("secret")
    if secret not in (None, ""):
        if channel != "webhook":
            raise Invalid("'secret' is only for webhooks (the only signed channel)")
        low, high = SECRET_LENGTH
        if not isinstance(secret, str) or not low <= len(secret) <= high:
            raise Invalid(f"'secret' must be a string of {low} to {high} characters")
        request.secret = secret
    elif channel == "webhook":
        request.secret, request.secret_generated = secrets.token_urlsafe(32), True
    request.min_words = _whole(data.get("min_words") or 0, "min_words", 0, MAX_WORDS)
    request.kinds = _kind_list(data.get("kinds"))
    request.developing_only = _flag(data.get("developing_only"), "developing_only")
    request.mode = _choice(data, "mode", MODES, "instant")
    return request


def create(store: Store, request: Request) -> int:
    """Add the subscription; a missing story or feed is Invalid, not a server error."""
    try:
        return store.add_subscription(
            scope=request.scope,
            channel=request.channel,
            target=request.target,
            story_id=request.story_id,
            feed_id=request.feed_id,
            secret=request.secret,
            min_words=request.min_words,
            kinds=list(request.kinds),
            developing_only=request.developing_only,
            mode=request.mode,
        )
    except NotFound as exc:
        raise Invalid(str(exc)) from None


def _hide_url(url: str) -> str:
    """Scheme, host and port, and the first path segment: enough to recognise a receiver;
    the rest of the path, the query and any password often carry its access token."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(hidden)"
    segments = [s for s in parts.path.split("/") if s]
    path = f"/{segments[0]}" if segments else "/"
    hidden = len(segments) > 1 or parts.query or parts.fragment or parts.password
    user = f"{parts.username}@" if parts.username and not parts.password else ""
    return f"{parts.scheme}://{user}{host}{port}{path}{'/…' if hidden else ''}"


def _hide_apprise(url: str) -> str:
    """Apprise's own privacy form of the URL (tokens and passwords starred), without the
    plugin's default options that Apprise appends as a query."""
    from tracker.notify.apprise_channel import services

    try:
        shown = [server.url(privacy=True).split("?", 1)[0] for server in services(url)]
        return ", ".join(shown)
    except Exception:  # an URL stored by an older version that Apprise no longer reads
        return url.split("://", 1)[0] + "://(hidden)"


def shown_target(channel: str, target: str) -> str:
    """The target as it may be shown on a page or in the API: secrets hidden."""
    if channel == "webhook":
        return _hide_url(target)
    if channel == "apprise":
        return _hide_apprise(target)
    return target


def subscription_json(row: Row) -> dict[str, Any]:
    """A subscription without its secret; the target with any access token hidden."""
    return {
        "id": row["id"],
        "scope": row["scope"],
        "story_id": row.get("story_id"),
        "feed_id": row.get("feed_id"),
        "channel": row["channel"],
        "target": shown_target(row["channel"], row["target"]),
        "signed": bool(row.get("secret")),
        "min_words": row["min_words"],
        "kinds": list(row.get("kinds") or []),
        "developing_only": bool(row["developing_only"]),
        "mode": row["mode"],
        "active": bool(row["active"]),
        "created_at": row["created_at"],
        "last_digest_at": row.get("last_digest_at"),
    }


DELIVERY_FIELDS = (
    "id",
    "subscription_id",
    "change_id",
    "status",
    "attempts",
    "created_at",
    "next_attempt_at",
    "sent_at",
    "last_error",
    "idempotency_key",
)


def delivery_json(row: Row, subscription: Row | None = None) -> dict[str, Any]:
    data = {k: row.get(k) for k in DELIVERY_FIELDS}
    channel = row.get("channel") or (subscription or {}).get("channel")
    target = row.get("target") or (subscription or {}).get("target")
    data["channel"] = channel
    data["target"] = shown_target(channel, target) if channel and target else None
    return data


def attempt_json(row: Row) -> dict[str, Any]:
    return {
        "at": row["at"],
        "ok": bool(row["ok"]),
        "status": row.get("status"),
        "error": row.get("error"),
        "duration_ms": row.get("duration_ms"),
    }
