"""Which subscriptions want a given change: scope is matched by the store, the rest here.

Called by the store inside the transaction that records the change, so what is queued here is
exactly what the outbox will deliver. Digest subscriptions get their delivery time pushed to the
next digest boundary.
"""

from __future__ import annotations

from typing import Any

from tracker.notify.digest import DIGEST_MODES, next_boundary

# Changes whose only kinds are these are noise to most readers: they reach a subscription only
# when it names the kind (or "any") explicitly, so a comma never floods anyone's inbox.
QUIET_KINDS = frozenset({"typo"})


def change_kinds(change: dict[str, Any]) -> set[str]:
    kinds = {str(k) for k in change.get("kinds") or []}
    if change.get("kind"):
        kinds.add(str(change["kind"]))
    return kinds or {"edit"}


def wants(subscription: dict[str, Any], story: dict[str, Any], change: dict[str, Any]) -> bool:
    """True when the change passes the subscription's size, kind and developing filters.

    Developing-only counts a story developing before or after the change (`was_developing`, when
    the store passes it), so both the first "developing" version and the final one are announced.
    """
    if (change.get("size") or 0) < int(subscription.get("min_words") or 0):
        return False
    developing = story.get("developing") or story.get("was_developing")
    if subscription.get("developing_only") and not developing:
        return False
    asked = set(subscription.get("kinds") or [])
    kinds = change_kinds(change)
    if "any" in asked:
        return True
    if asked:
        return bool(asked & kinds)
    return not kinds <= QUIET_KINDS


def pick_subscriptions(
    story: dict[str, Any], change: dict[str, Any], subscriptions: list[dict[str, Any]]
) -> list[int | tuple[int, str]]:
    """Subscription ids to notify now, or (id, send_at) for digests due at their boundary."""
    picked: list[int | tuple[int, str]] = []
    for sub in subscriptions:
        if not wants(sub, story, change):
            continue
        mode = sub.get("mode") or "instant"
        picked.append(
            (int(sub["id"]), next_boundary(mode)) if mode in DIGEST_MODES else int(sub["id"])
        )
    return picked
