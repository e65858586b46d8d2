"""Subscriptions as the web sees them: rows made safe to show (targets with their secrets
hidden, webhook secrets never).

The request rules live in `tracker.notify.subscription`, shared with `tracker subscribe`, so the
command line, the form and `POST /api/subscriptions` accept and refuse the same things.
"""

from __future__ import annotations

from tracker.notify.digest import MODES
from tracker.notify.subscription import (
    FIELDS,
    Invalid,
    Request,
    attempt_json,
    create,
    delivery_json,
    parse,
    subscription_json,
)
from tracker.notify.targets import KINDS

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
