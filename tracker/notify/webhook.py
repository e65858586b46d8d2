"""The webhook channel: a signed JSON POST that any receiver can verify.

Every request carries both signatures (see `signing`): Standard Webhooks (`webhook-id`,
`webhook-timestamp`, `webhook-signature`) for off-the-shelf verifiers, and storydiff's own
`X-Storydiff-Timestamp` / `X-Storydiff-Signature` for receivers written against it. The
`webhook-id`, `Idempotency-Key` and `X-Storydiff-Delivery` are one value, the same on every retry of
one delivery. Targets pass the fetcher's SSRF guard.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tracker import netguard
from tracker.config import Settings
from tracker.fetch import Fetcher, FetchError, parse_retry_after
from tracker.notify import message
from tracker.notify.channel import Outcome, Outgoing
from tracker.notify.signing import sign, sign_standard


class BadWebhookURL(ValueError):
    """The target is not an http(s) URL the guard allows."""


def check_target(url: str, settings: Settings) -> str:
    """The URL if it may receive webhooks, else BadWebhookURL with the reason."""
    text = (url or "").strip()
    if not text.lower().startswith(("http://", "https://")):
        raise BadWebhookURL(f"{url!r} is not an http(s) URL")
    try:
        netguard.check_url(text, settings)
    except netguard.Refused as exc:
        raise BadWebhookURL(f"webhook target {text}: {exc.reason}") from None
    return text


def body_of(out: Outgoing) -> bytes:
    data: dict[str, Any] = message.payload(
        out.notices, subscription_id=out.subscription_id, mode=out.mode, key=out.key
    )
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _retry_after(headers: Any) -> float | None:
    value = None
    if headers:
        value = headers.get("Retry-After") or headers.get("retry-after")
    return parse_retry_after(str(value or ""))


def send(
    out: Outgoing, settings: Settings, *, fetcher: Fetcher | None = None, timeout: float = 10.0
) -> Outcome:
    """POST the payload once; any non-2xx status or network failure is a failed Outcome."""
    body = body_of(out)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Storydiff-Event": "story.changed" if out.mode == "instant" else "story.digest",
        "X-Storydiff-Timestamp": timestamp,
        "X-Storydiff-Delivery": out.key,
        "Idempotency-Key": out.key,
        "webhook-id": out.key,
        "webhook-timestamp": timestamp,
    }
    if out.secret:
        headers["X-Storydiff-Signature"] = sign(out.secret, timestamp, body)
        headers["webhook-signature"] = sign_standard(out.secret, out.key, timestamp, body)
    try:
        check_target(out.target, settings)
        result = (fetcher or Fetcher(settings)).post(out.target, body, headers, timeout=timeout)
    except BadWebhookURL as exc:
        return Outcome(False, error=str(exc), permanent=True)
    except netguard.Refused as exc:
        return Outcome(False, error=exc.reason, permanent=exc.kind != "dns")
    except FetchError as exc:
        permanent = exc.kind in ("refused", "bad_url")
        return Outcome(False, error=f"{exc.kind}: {exc.reason}"[:500], permanent=permanent)
    status = int(result.status)
    if 200 <= status < 300:
        return Outcome(True, status=status)
    snippet = (result.body or b"")[:200].decode("utf-8", "replace").strip()
    return Outcome(
        False,
        status=status,
        error=f"HTTP {status}" + (f": {snippet}" if snippet else ""),
        retry_after=_retry_after(getattr(result, "headers", None)),
    )
