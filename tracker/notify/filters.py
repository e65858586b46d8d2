"""Which subscriptions want a given change: scope is matched by the store, the rest here."""

from __future__ import annotations

from typing import Any


def wants(subscription: dict[str, Any], story: dict[str, Any], change: dict[str, Any]) -> bool:
    """True when the change passes the subscription's size, kind and developing filters."""
    if (change.get("size") or 0) < int(subscription.get("min_words") or 0):
        return False
    kinds = set(subscription.get("kinds") or [])
    if kinds and "any" not in kinds:
        change_kinds = set(change.get("kinds") or []) | {change.get("kind")}
        if not kinds & change_kinds:
            return False
    return not (subscription.get("developing_only") and not story.get("developing"))


def pick_subscriptions(
    story: dict[str, Any], change: dict[str, Any], subscriptions: list[dict[str, Any]]
) -> list[int]:
    return [int(s["id"]) for s in subscriptions if wants(s, story, change)]
