"""Signed unsubscribe links: a person can stop an email subscription without signing in.

The signature is an HMAC of the subscription id under `settings.secret_key`, so links cannot be
forged for other subscriptions and stay valid as long as the key does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from tracker.config import Settings


class NoSigningKey(ValueError):
    """secret_key is empty, so unsubscribe links cannot be signed."""


def unsubscribe_token(settings: Settings, sub_id: int) -> str:
    """The signature part of /unsubscribe/<id>/<token> for subscription `sub_id`."""
    if not settings.secret_key:
        raise NoSigningKey("set secret_key (TRACKER_SECRET_KEY) to sign unsubscribe links")
    mac = hmac.new(
        settings.secret_key.encode("utf-8"), f"unsubscribe:{int(sub_id)}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode("ascii")


def verify_unsubscribe(settings: Settings, sub_id: int, sig: str) -> bool:
    """True when `sig` is the token for `sub_id`; constant time, False for any junk."""
    if not settings.secret_key or not isinstance(sig, str) or len(sig) > 200:
        return False
    return hmac.compare_digest(unsubscribe_token(settings, sub_id), sig)


def unsubscribe_url(settings: Settings, sub_id: int) -> str | None:
    """The absolute link, or None when base_url or secret_key is not configured."""
    if not settings.base_url or not settings.secret_key:
        return None
    base = settings.base_url.rstrip("/")
    return f"{base}/unsubscribe/{int(sub_id)}/{unsubscribe_token(settings, sub_id)}"
