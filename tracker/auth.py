"""Who may write: the admin password and the API token, stored hashed and compared in constant time.

Two sources for each secret: a setting (`TRACKER_ADMIN_PASSWORD`, `TRACKER_API_TOKEN`, handy in
containers) and a hash kept in the store by `tracker set-password` / `tracker create-token`. Either
one is accepted. Passwords are people-chosen, so they get scrypt (slow on purpose); API tokens are
256 random bits, so one SHA-256 is enough and keeps every API call cheap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import math
import secrets
from datetime import datetime, timedelta

from tracker import clock
from tracker.config import Settings
from tracker.store import Store

PASSWORD_SECRET = "admin_password"
TOKEN_SECRET = "api_token"
# Changed at every sign-out; part of every session's stamp, so sign-out ends them all.
SESSION_GENERATION = "session_generation"
MIN_PASSWORD_LENGTH = 8
MAX_SECRET_LENGTH = 1024
# Failed sign-ins allowed per client address in a sliding window; then it waits for the oldest
# failure to leave the window. Tokens need no such limit: 256 random bits cannot be guessed.
SIGNIN_ATTEMPTS = 5
SIGNIN_WINDOW = timedelta(minutes=15)
# A signed-in session lasts this long at most, then the admin signs in again.
SESSION_LIFETIME = timedelta(days=14)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_DKLEN = 64


class AuthError(ValueError):
    """A password or token cannot be used; the message says why."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash`: the form kept in the store, never the password itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_SECRET_LENGTH:
        raise AuthError(f"password must be at most {MAX_SECRET_LENGTH} characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, maxmem=64 * 2**20, dklen=_DKLEN, **_SCRYPT
    )
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True if `password` matches a `hash_password` result; False for anything malformed."""
    if len(password) > MAX_SECRET_LENGTH:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        if len(expected) != _DKLEN or not 2**10 <= int(n) <= 2**20:
            return False
        got = hashlib.scrypt(
            password.encode("utf-8", "replace"),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 * 2**20,
            dklen=_DKLEN,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def hash_token(token: str) -> str:
    return "sha256$" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _same(given: str, expected: str) -> bool:
    """Constant-time equality that does not leak the length of `expected` either."""
    a = hashlib.sha256(given.encode("utf-8", "replace")).digest()
    b = hashlib.sha256(expected.encode("utf-8", "replace")).digest()
    return hmac.compare_digest(a, b)


def set_password(store: Store, password: str) -> None:
    """Store the new password's hash (which ends every signed-in session: see session_stamp)."""
    store.set_secret(PASSWORD_SECRET, hash_password(password))


def new_token(store: Store) -> str:
    """Make a fresh API token, keep only its hash, and return it (shown to the user once)."""
    token = secrets.token_urlsafe(32)
    store.set_secret(TOKEN_SECRET, hash_token(token))
    return token


def password_configured(store: Store, settings: Settings) -> bool:
    return bool(settings.admin_password) or store.get_secret(PASSWORD_SECRET) is not None


def check_password(store: Store, settings: Settings, password: str) -> bool:
    """Does `password` open the admin pages? Checks the setting and the stored hash."""
    if not password or len(password) > MAX_SECRET_LENGTH:
        return False
    ok = bool(settings.admin_password) and _same(password, settings.admin_password)
    stored = store.get_secret(PASSWORD_SECRET)
    if stored is not None and not ok:
        ok = verify_password(password, stored)
    return ok


def check_token(store: Store, settings: Settings, token: str) -> bool:
    """Is `token` a valid API token (the setting, or the one `tracker create-token` made)?"""
    if not token or len(token) > MAX_SECRET_LENGTH:
        return False
    ok = bool(settings.api_token) and _same(token, settings.api_token)
    stored = store.get_secret(TOKEN_SECRET)
    if stored is not None:
        ok = hmac.compare_digest(hash_token(token), stored) or ok
    return ok


def session_stamp(store: Store, settings: Settings, key: bytes) -> str:
    """A keyed fingerprint of the current admin credentials and session generation, kept in
    the session cookie.

    Changing the password or signing out changes the stamp, which ends every existing session
    on the server: a copied cookie is worthless afterwards. It is an HMAC under the server's
    secret key, so the (readable) cookie reveals nothing to guess from. Checking it only reads
    the store, so a locked database does not keep the admin out.
    """
    basis = "\x00".join(
        (
            settings.admin_password or "",
            store.get_secret(PASSWORD_SECRET) or "",
            store.get_secret(SESSION_GENERATION) or "",
        )
    )
    return hmac.new(key, basis.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def end_sessions(store: Store) -> None:
    """Sign-out: a new generation, so no stamp made before it matches any more (the admin's
    other browsers are signed out too: there is one admin, and one way to be sure)."""
    store.set_secret(SESSION_GENERATION, secrets.token_urlsafe(16))


def client_key(address: str | None) -> str:
    """Whom sign-in failures are counted against: the IPv4 address, or the IPv6 /64 (one
    machine usually holds a whole /64, so single addresses would be free to rotate)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def reserve_signin(store: Store, client: str, now: datetime | None = None) -> int:
    """Count a sign-in attempt against `client` before its password is checked.

    0: go ahead (the attempt stands as a failure until `signin_succeeded`); otherwise the
    seconds until the oldest failure in the window expires and one more try is allowed.
    Raises StoreError when the attempt cannot be counted (a read-only or locked database).
    """
    moment = now or clock.now()
    failures = store.reserve_signin_attempt(
        client,
        at=clock.iso(moment),
        since=clock.iso(moment - SIGNIN_WINDOW),
        limit=SIGNIN_ATTEMPTS,
    )
    if failures is None:
        return 0
    frees_at = clock.parse(failures[-SIGNIN_ATTEMPTS]) + SIGNIN_WINDOW
    return max(1, math.ceil((frees_at - moment).total_seconds()))


def signin_succeeded(store: Store, client: str) -> None:
    """The right password: `client`'s failures are forgotten."""
    store.clear_signin_failures(client)
