"""The one place the web app is put on waitress, with its limits chosen on purpose.

waitress reads requests on one asyncore loop and hands only complete requests to its worker
threads, so a slow or idle client costs a socket, not a thread. What can still deny the site is
the number of open sockets: past `connection_limit` waitress stops accepting, and every new
visitor waits until an idle socket is dropped. Hence: a roomy connection limit (the
default 100 is reached by one laptop running slowloris), `poll()` instead of `select()` (which
cannot watch sockets numbered above 1024), and idle sockets dropped after `CHANNEL_TIMEOUT`
seconds, looked for every `CLEANUP_INTERVAL` seconds. Bodies are capped near the app's own 5 MB
limit, so waitress does not spool a 1 GB upload to disk before Flask refuses it.

These limits hold off one careless or hostile client; a site open to the internet belongs
behind a reverse proxy that buffers requests (docs/SECURITY.md).
"""

from __future__ import annotations

import resource
from typing import Any

CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT = 30
CLEANUP_INTERVAL = 5
MAX_REQUEST_HEADER_SIZE = 64 * 1024
MAX_REQUEST_BODY_SIZE = 6 * 1024 * 1024


def connection_limit() -> int:
    """CONNECTION_LIMIT, or fewer when the process may not open that many files."""
    try:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ValueError, OSError):
        return 100
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    return max(50, min(CONNECTION_LIMIT, soft - 100))


def options(threads: int) -> dict[str, Any]:
    """waitress's adjustments for storydiff (docs/SECURITY.md explains each)."""
    return {
        "threads": threads,
        "ident": "storydiff",
        "connection_limit": connection_limit(),
        "channel_timeout": CHANNEL_TIMEOUT,
        "cleanup_interval": CLEANUP_INTERVAL,
        "asyncore_use_poll": True,
        "max_request_header_size": MAX_REQUEST_HEADER_SIZE,
        "max_request_body_size": MAX_REQUEST_BODY_SIZE,
        "expose_tracebacks": False,
        # forwarded headers reach the app, which trusts only `trusted_proxies` (web.proxy)
        "clear_untrusted_proxy_headers": False,
    }


def create_server(app: Any, host: str, port: int, threads: int = 4) -> Any:
    """A waitress server for `app` listening on host:port (OSError if it cannot listen);
    `.run()` serves until `.close()`."""
    import waitress

    return waitress.create_server(app, host=host, port=port, **options(threads))
