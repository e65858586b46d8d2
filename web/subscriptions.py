"""Subscriptions as the web sees them: rows made safe to show (targets with their secrets
hidden, webhook secrets never).

The request rules live in `tracker.notify.subscription`, shared with `tracker subscribe`, so the
command line, the form and `POST /api/subscriptions` accept and refuse the same things.
"""

from __future__ import annotations

from typing import Any

from tracker.notify.digest import MODES
from tracker.notify.subscription import FIELDS, Invalid, Request, create, parse
from tracker.notify.targets import KINDS, shown_target
from tracker.store import Row

# The form's boxes: every change kind there is (one list, tracker.notify.targets.KINDS).
KIND_CHOICES = KINDS

__all__ = [
    "FIELDS",
    "KIND_CHOICES",
    "MODES",
    "Invalid",
    "Request",
    "attempt_json",
    "create",
    "delivery_json",
    "parse",
    "subscription_json",
]


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
