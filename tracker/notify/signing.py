"""Webhook signatures: HMAC-SHA256 over `timestamp.body`, as GitHub and Stripe sign theirs.

Kept apart from the HTTP client so a receiver (or a test) can verify without importing it.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE = 300


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `timestamp.body` under `secret`."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str | None,
    body: bytes,
    signature: str | None,
    *,
    tolerance: int = TOLERANCE,
    now: float | None = None,
) -> bool:
    """What a receiver runs: the signature matches and the timestamp is recent."""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
