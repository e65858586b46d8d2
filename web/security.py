"""Headers, CSRF tokens, sign-in state and API tokens: who may see and change what.

- Every response carries a Content-Security-Policy with no inline scripts, nosniff,
  frame-ancestors 'none' and a strict referrer policy.
- Every form carries a CSRF token bound to the session; any non-GET request to the site (not
  the API, which uses bearer tokens and no cookies, nor the signed unsubscribe link) without the
  right one is refused.
- Writes need a signed-in admin (pages) or `Authorization: Bearer TOKEN` (API); reads are
  public unless Settings.private, when they need one of the two as well.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, redirect, request, session, url_for

from tracker import auth
from tracker.store import StoreError
from web.db import get_store, settings

F = TypeVar("F", bound=Callable[..., Any])

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# The signed unsubscribe link works for anyone holding it, even on a private site, and its POST
# (a mail client's RFC 8058 one-click) has no CSRF token: the signature in the URL stands in.
UNSUBSCRIBE = "unsubscribe.unsubscribe"
PUBLIC_ENDPOINTS = {"auth.signin", "static", UNSUBSCRIBE}
CSRF_EXEMPT = {UNSUBSCRIBE}


def csrf_token() -> str:
    """The session's CSRF token (made on first use), for a hidden field in every form."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    given = request.form.get("csrf_token", "")
    return isinstance(expected, str) and hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.encode("utf-8")
    )


def _key() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode("utf-8")


def signed_in() -> bool:
    """Is this session signed in with the admin password as it is now, not signed out since,
    and younger than auth.SESSION_LIFETIME?"""
    if "signed_in" not in g:
        stamp, since = session.get("admin"), session.get("since")
        try:
            g.signed_in = (
                isinstance(stamp, str)
                and isinstance(since, int)
                and 0 <= time.time() - since < auth.SESSION_LIFETIME.total_seconds()
                and hmac.compare_digest(stamp, auth.session_stamp(get_store(), settings(), _key()))
            )
        except StoreError:
            g.signed_in = False
    return bool(g.signed_in)


def sign_in() -> None:
    session.clear()
    session["admin"] = auth.session_stamp(get_store(), settings(), _key())
    session["since"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(32)
    g.signed_in = True


def sign_out() -> None:
    """End every session on the server first (StoreError if the database cannot be written:
    then the admin sees a 503 and tries again), so a copy of the cookie does not outlive it."""
    auth.end_sessions(get_store())
    session.clear()
    g.signed_in = False


def bearer_ok() -> bool:
    """Does the request carry a valid API token in `Authorization: Bearer ...`? (Asked once a
    request: a private site's API write asks before the view and again for the write.)"""
    if "bearer_ok" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        g.bearer_ok = (
            bool(token.strip())
            and scheme.lower() == "bearer"
            and (auth.check_token(get_store(), settings(), token.strip()))
        )
    return bool(g.bearer_ok)


def login_required(view: F) -> F:
    """Pages that change things: a signed-in admin, or off to the sign-in page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not signed_in():
            return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def token_required(view: F) -> F:
    """API calls that change things: a valid bearer token, or 401."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not bearer_ok():
            abort(401, description="this call needs an API token: Authorization: Bearer TOKEN")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def safe_next(target: str | None) -> str:
    """Only same-site paths after sign-in: never another host, scheme or `//evil`, and nothing
    with spaces or control characters (browsers drop tabs and newlines from URLs, so `/\t/evil`
    would become `//evil`; CR/LF cannot go in a Location header at all)."""
    if (
        not target
        or len(target) > 2000
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ch.isspace() or not ch.isprintable() for ch in target)
    ):
        return url_for("pages.stories")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("pages.stories")
    return target


def _before() -> Any:
    is_api = request.path.startswith("/api/")
    exempt = is_api or request.endpoint in CSRF_EXEMPT
    if request.method not in SAFE_METHODS and not exempt and not _csrf_ok():
        abort(
            400,
            description="This form has expired or came from another site. "
            "Go back, reload the page and try again.",
        )
    if settings().private and request.endpoint not in PUBLIC_ENDPOINTS:
        if signed_in() or bearer_ok():
            return None
        if is_api or request.path.startswith(("/feeds/", "/live/", "/metrics")):
            abort(401, description="this site is private: sign in or send an API token")
        return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))
    return None


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if session.get("admin") or settings().private or "Authorization" in request.headers:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    app.before_request(_before)
    app.after_request(_headers)
    app.jinja_env.globals.update(csrf_token=csrf_token, signed_in=signed_in)
