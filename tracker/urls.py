"""URLs as storydiff keeps them: validated, and normalised so one article is tracked once."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

MAX_URL_LENGTH = 2048
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|yclid|_ga|_gl|"
    r"ocid|cmpid|ncid|smid|smtyp|ref_src|ref_url|sr_share|taid|mbid|s_cid|at_medium|"
    r"at_campaign|__twitter_impression)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


_UNRESERVED_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def _decode_unreserved(match: re.Match[str]) -> str:
    """%7E -> ~ but %2F stays %2F: only escapes of unreserved characters mean the same URL."""
    char = chr(int(match.group(1), 16))
    if char.isalnum() and char.isascii() or char in "-._~":
        return char
    return match.group(0).upper()


class BadURL(ValueError):
    """The URL cannot be tracked; the message says why in words."""


def is_utf8(text: str) -> bool:
    """Whether `text` can be written as UTF-8: Python keeps a byte that is not UTF-8 (in a
    command-line argument or a file name) as a lone surrogate, which SQLite and JSON refuse."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate(url: str) -> str:
    """Check that `url` is an absolute http(s) URL with a host; returns it stripped."""
    if not isinstance(url, str):
        raise BadURL("URL must be text")
    url = url.strip()
    if not url:
        raise BadURL("URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise BadURL(f"URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url) or "\\" in url:
        raise BadURL("URL contains spaces, control characters or backslashes")
    if not is_utf8(url):  # a lone surrogate: a command-line byte that is not UTF-8
        raise BadURL("URL is not valid UTF-8")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadURL(f"URL cannot be parsed: {exc}") from None
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise BadURL(
            f"only http and https URLs can be tracked, not {parts.scheme or 'no scheme'!r}"
        )
    if not parts.hostname:
        raise BadURL("URL has no host")
    if parts.username is not None or parts.password is not None:
        raise BadURL("URL must not carry a user name or password")
    if port == 0:
        raise BadURL("URL has port 0")
    return url


def normalize(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments and tracking parameters."""
    url = validate(url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise BadURL("URL host is not a valid domain name") from None
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _UNRESERVED_ESCAPE.sub(_decode_unreserved, parts.path) or "/"
    path = quote(path, safe="/:@!$&'()*+,;=-._~%")
    pieces = [p for p in parts.query.split("&") if p and not _TRACKING.match(p.split("=", 1)[0])]
    query = "&".join(pieces)
    return urlunsplit((scheme, netloc, path, query, ""))


def site(url: str) -> str:
    """The host a story lives on, without `www.`, for grouping and filtering."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def redact(url: str) -> str:
    """The URL as it may be shown or logged: scheme, host, port and the first path segment.

    Enough to recognise a receiver; the rest of the path, the query and any password often
    carry its access token (Slack, Discord and most webhook services put it there).
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(hidden)"
    segments = [s for s in parts.path.split("/") if s]
    path = f"/{segments[0]}" if segments else "/"
    hidden = len(segments) > 1 or parts.query or parts.fragment or parts.password
    user = f"{parts.username}@" if parts.username and not parts.password else ""
    return f"{parts.scheme}://{user}{host}{port}{path}{'/…' if hidden else ''}"
