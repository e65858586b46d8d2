"""Webhook signatures, two ways, so any receiver can verify with what it already has.

- Standard Webhooks (https://www.standardwebhooks.com/): `webhook-id`, `webhook-timestamp` and
  `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`; the key is the secret's
  bytes after `whsec_` (base64), which the `standardwebhooks` libraries in every major language take
  as they are.
- storydiff's own (kept for receivers written against it): `X-Storydiff-Signature: sha256=<hex>`
  of `"{timestamp}.{body}"` keyed with the secret's UTF-8 text, as GitHub and Stripe sign theirs.

Kept apart from the HTTP client so a receiver (or a test) can verify without importing it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

TOLERANCE = 300
PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _whsec_bytes(secret: str) -> bytes | None:
    """The key a `whsec_` secret carries, or None when the text after the prefix is no base64."""
    if not secret.startswith(PREFIX):
        return None
    body = secret[len(PREFIX) :]
    try:
        key = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key or None


def is_valid_whsec(secret: str) -> bool:
    """True unless the secret claims the `whsec_` format and does not hold base64 after it."""
    return not secret.startswith(PREFIX) or _whsec_bytes(secret) is not None


def standard_key(secret: str) -> bytes:
    """The HMAC key for Standard Webhooks: a `whsec_` secret's bytes, else the text's UTF-8.

    A receiver given a secret without the prefix verifies with `Webhook(secret.encode())`.
    """
    return _whsec_bytes(secret) or secret.encode("utf-8")


def sign_standard(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """`v1,` + base64 HMAC-SHA256 of `{msg_id}.{timestamp}.{body}` (Standard Webhooks)."""
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(standard_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `timestamp.body` under `secret` (X-Storydiff-Signature)."""
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
    """What a receiver of X-Storydiff-Signature runs: it matches and the timestamp is recent."""
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
