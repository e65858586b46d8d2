"""What a fetch comes back with: a FetchResult, or a FetchError whose reason a person can read.

Kept apart from the client (`fetch.py`) so that the words for failures (timeouts, refusals, TLS
and protocol errors, HTTP statuses, Retry-After) live in one place; `fetch` re-exports the names
callers import from it.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus

from urllib3.exceptions import ProtocolError, ReadTimeoutError, SSLError

from tracker.netguard import Refused, Target
from tracker.urls import redact

RETRY_AFTER_CAP = 7 * 24 * 3600.0  # the longest wait a server's Retry-After can ask for


@dataclass
class FetchResult:
    """What one fetch brought back. `redirects` lists every URL redirected to, in order."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    body_hash: str = ""
    elapsed_ms: int = 0
    redirects: list[str] = field(default_factory=list)
    unchanged_body: bool = False


class FetchError(Exception):
    """A fetch that did not produce a usable response; `.reason` is a sentence for people.

    `.kind` is one of refused, robots, timeout, too_large, connection, http, redirect, bad_url.
    `.status` is the HTTP status when there was one; `.retry_after` the seconds the server asked
    us to wait (429/503), so a scheduler can come back later instead of hammering. An error
    status keeps the page that came with it (`.body`, `.content_type`): a bot challenge or a
    sign-in wall is often served as a 403 or 503, and the check names it from that page.
    """

    def __init__(
        self,
        kind: str,
        reason: str,
        status: int | None = None,
        retry_after: float | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.body = body
        self.content_type = content_type


def header_safe(text: str) -> bool:
    return isinstance(text, str) and not any(c in text for c in "\r\n\0")


def refusal_kind(exc: Refused) -> str:
    return {"dns": "connection"}.get(exc.kind, exc.kind)


def timeout_error(target: Target, seconds: float) -> FetchError:
    return FetchError("timeout", f"{redact(target.url)} took longer than {seconds:g}s in total")


def too_large_error(target: Target, cap: int) -> FetchError:
    return FetchError(
        "too_large",
        f"{redact(target.url)} is larger than the {size_words(cap)} limit (max_body_bytes)",
    )


def http_error(target: Target, status: int, headers: Mapping[str, str], body: bytes) -> FetchError:
    """An error status, with the wait it asked for and the page that came with it."""
    return FetchError(
        "http",
        f"{redact(target.url)} answered {status_words(status)}",
        status=status,
        retry_after=parse_retry_after(headers.get("retry-after")),
        body=body,
        content_type=headers.get("content-type"),
    )


def network_error(target: Target, exc: BaseException, read_timeout: float) -> FetchError:
    if isinstance(exc, ReadTimeoutError | TimeoutError):
        return FetchError("timeout", f"{target.host} did not answer within {read_timeout:g}s")
    if isinstance(exc, SSLError):
        return FetchError("connection", f"TLS with {target.host} failed: {why(exc)}")
    if isinstance(exc, ProtocolError):
        return FetchError("connection", f"{target.host} broke the connection: {why(exc)}")
    return FetchError("connection", f"talking to {target.host} failed: {why(exc)}")


def why(exc: BaseException) -> str:
    """The innermost readable cause, without urllib3's object reprs, fit to store and print."""
    return plain(_cause(exc))


def plain(text: str, limit: int | None = 200) -> str:
    """Someone else's words (a server's status line or header, a line of an imported file) as
    they may be stored and shown: control characters (a terminal escape would be obeyed) and
    lone surrogates (not UTF-8: printing them raises) escaped, `limit` characters at most."""
    if not text.isprintable():
        text = text if limit is None else text[: limit * 2]
        text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def _cause(exc: BaseException) -> str:
    while True:
        inner = exc.__context__ or exc.__cause__
        args = getattr(exc, "args", ())
        if isinstance(exc, OSError) and exc.strerror:
            return exc.strerror.lower()
        if len(args) > 1 and isinstance(args[1], BaseException):
            exc = args[1]
            continue
        if inner is None:
            text = str(exc)
            return text.split(": ", 1)[-1] if "object at 0x" in text else text
        exc = inner


def status_words(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date), or None when it is not
    one; at most RETRY_AFTER_CAP, so a year-9999 date or a 400-digit number cannot overflow the
    scheduler's arithmetic (a story is then simply checked again in a week)."""
    if not value:
        return None
    value = value.strip()
    if digits(value):
        return min(float(value), RETRY_AFTER_CAP)
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - time.time()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return min(max(0.0, seconds), RETRY_AFTER_CAP)


def digits(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts '²' and other digits int() refuses."""
    return bool(text) and text.isascii() and text.isdigit()


def size_words(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} bytes"
