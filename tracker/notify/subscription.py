"""What a subscription request must satisfy, checked once for the CLI, the web form and the API.

Scope, channel target, webhook secret, change kinds, minimum words and digest mode: so
`tracker subscribe`, the form and `POST /api/subscriptions` accept and refuse the same things.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tracker.config import Settings
from tracker.notify import signing
from tracker.notify.digest import MODES
from tracker.notify.targets import (
    CHANNELS,
    BadKind,
    BadTarget,
    check_target,
    parse_kinds,
    shown_target,
)
from tracker.numbers import MAX_ID, whole_number
from tracker.store import NotFound, Row, Store

SCOPES = ("story", "feed", "all")
TARGET_LIMIT = 2048
MAX_KINDS = 20
KIND_TEXT_LIMIT = 400
MAX_WORDS = 1_000_000
SECRET_LENGTH = (8, 200)
FIELDS = frozenset(
    {
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
)


class Invalid(ValueError):
    """A subscription request that cannot be used; `field` names the culprit."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Request:
    """A checked subscription request, ready for `create`."""

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


def _whole(value: Any, name: str, low: int, high: int) -> int:
    number = whole_number(value, low, high)
    if number is None:
        raise Invalid(f"'{name}' must be a whole number from {low} to {high}", name)
    return number


def _choice(data: Mapping[str, Any], name: str, choices: tuple[str, ...], default: str) -> str:
    value = data.get(name, default)
    if value in (None, ""):
        value = default
    if not isinstance(value, str) or value not in choices:
        raise Invalid(f"'{name}' must be one of: {', '.join(choices)}", name)
    return value


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", "0", "false", "off"):
        return False
    if value in ("1", "true", "on", "yes"):
        return True
    raise Invalid(f"'{name}' must be true or false", name)


def _kinds(value: Any) -> tuple[str, ...]:
    """Kinds as a list of words or comma lists (`--kind numbers,headline` or form boxes)."""
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        value = [value]
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise Invalid("'kinds' must be a list of change kinds", "kinds")
    if len(value) > MAX_KINDS or any(len(k) > KIND_TEXT_LIMIT for k in value):
        raise Invalid(
            f"'kinds' takes at most {MAX_KINDS} entries of at most {KIND_TEXT_LIMIT} characters",
            "kinds",
        )
    try:
        return tuple(parse_kinds(value))
    except BadKind as exc:
        raise Invalid(f"'kinds': {exc}", "kinds") from None


def _target(channel: str, target: Any, settings: Settings) -> str:
    if not isinstance(target, str) or not target.strip():
        raise Invalid(
            "'target' is required: a webhook URL, an email address or an Apprise URL", "target"
        )
    if len(target) > TARGET_LIMIT:
        raise Invalid(f"'target' is longer than {TARGET_LIMIT} characters", "target")
    try:
        return check_target(channel, target, settings)
    except BadTarget as exc:
        raise Invalid(f"'target' ({channel}): {exc}", "target") from None


def _secret(value: Any, channel: str) -> tuple[str | None, bool]:
    """(secret, generated): a webhook without one gets a random secret, shown once."""
    if value in (None, ""):
        if channel == "webhook":
            return signing.new_secret(), True
        return None, False
    if channel != "webhook":
        raise Invalid("'secret' is only for webhooks: only webhooks are signed", "secret")
    low, high = SECRET_LENGTH
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise Invalid(f"'secret' must be a string of {low} to {high} characters", "secret")
    if not signing.is_valid_whsec(value):
        raise Invalid("'secret' starts with whsec_ but what follows is not base64", "secret")
    return value, False


def parse(data: Mapping[str, Any], settings: Settings, *, strict: bool = True) -> Request:
    """Check a subscription request (a JSON object, form fields or CLI options).

    With `strict` (the API), unknown fields are refused, so a typo never silently subscribes to
    more than was meant. Raises Invalid.
    """
    unknown = sorted(set(data) - FIELDS) if strict else []
    if unknown:
        raise Invalid(f"unknown field(s): {', '.join(str(u)[:40] for u in unknown[:5])}")
    scope = _choice(data, "scope", SCOPES, "")
    channel = _choice(data, "channel", CHANNELS, "")
    request = Request(scope=scope, channel=channel, target="")
    for name, owner in (("story_id", "story"), ("feed_id", "feed")):
        if strict and scope != owner and data.get(name) not in (None, ""):
            raise Invalid(f"'{name}' goes with scope '{owner}' only, not '{scope}'", name)
    if scope == "story":
        request.story_id = _whole(data.get("story_id"), "story_id", 1, MAX_ID)
    elif scope == "feed":
        request.feed_id = _whole(data.get("feed_id"), "feed_id", 1, MAX_ID)
    request.target = _target(channel, data.get("target"), settings)
    request.secret, request.secret_generated = _secret(data.get("secret"), channel)
    words = data.get("min_words")
    request.min_words = _whole(0 if words in (None, "") else words, "min_words", 0, MAX_WORDS)
    request.kinds = _kinds(data.get("kinds"))
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
        field = "story_id" if request.scope == "story" else "feed_id"
        raise Invalid(str(exc), field) from None


# -- rows made safe to show: targets with their access tokens hidden, secrets never


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


def delivery_json(row: Row) -> dict[str, Any]:
    """A delivery row (as the store lists it, with its subscription's channel and target)."""
    data = {k: row.get(k) for k in DELIVERY_FIELDS}
    data["channel"] = row["channel"]
    data["target"] = shown_target(row["channel"], row["target"])
    return data


def attempt_json(row: Row) -> dict[str, Any]:
    return {
        "at": row["at"],
        "ok": bool(row["ok"]),
        "status": row.get("status"),
        "error": row.get("error"),
        "duration_ms": row.get("duration_ms"),
    }
