"""Behind a reverse proxy: trust forwarded headers only from the proxies named in the settings.

Werkzeug's ProxyFix does the reading (client address from `X-Forwarded-For`, scheme, host, port
and prefix), but it believes whoever sends the headers. So it runs only when the connection comes
from an address in `trusted_proxies`; from anyone else every `X-Forwarded-*` and `Forwarded`
header is dropped before the app sees it, and a client talking to storydiff directly cannot pose
as another address (and escape the sign-in limit) or as https.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """`127.0.0.1`, `::1`, `10.0.0.0/8`… as networks (config.load has refused anything else)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


class TrustedProxies:
    """WSGI middleware: ProxyFix for requests from a trusted proxy, no forwarded headers else."""

    def __init__(self, app: Any, trusted: Iterable[str], hops: int = 1):
        self.app = app
        self.trusted = networks(trusted)
        self.fixed = ProxyFix(
            app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )

    def is_trusted(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((address or "").split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return any(ip in net for net in self.trusted)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.trusted and self.is_trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        for key in [k for k in environ if k.startswith("HTTP_X_FORWARDED_")]:
            del environ[key]
        environ.pop("HTTP_FORWARDED", None)
        return self.app(environ, start_response)


class SchemeAwareSessions(SecureCookieSessionInterface):
    """Session cookies marked `Secure` whenever the request came over https.

    With `base_url` on https every cookie is Secure (SESSION_COOKIE_SECURE); without it, a site
    reached through an https proxy (X-Forwarded-Proto from a trusted proxy) still gets Secure
    cookies, while plain http on 127.0.0.1 keeps working.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure
