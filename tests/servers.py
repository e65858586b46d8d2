"""Real servers on 127.0.0.1 for tests: a programmable HTTP site whose pages change.

site = LocalSite()                      # started on a free port, stopped by .close()
site.set("/story", body=b"<html>..", content_type="text/html")
site.set("/gone", status=410)
site.route("/dyn", handler)              # handler(request) -> Response, for anything else
site.url("/story")                       # http://127.0.0.1:PORT/story
site.requests                            # every request seen: method, path, headers, body
"""

from __future__ import annotations

import random
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_PICK = random.SystemRandom()  # its own entropy: a seeded `random` would give workers one sequence


def _ephemeral_ports() -> range:
    """The ports the kernel hands to outgoing connections (Linux's default when unreadable)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


def free_port() -> int:
    """A port nothing listens on, on 127.0.0.1 or on every address (Caddy binds `:PORT`).

    Chosen below the ephemeral range: a port the kernel gave us from that range can be handed
    to someone's outgoing connection before the server we start binds it (seen with Caddy in
    parallel runs, "address already in use")."""
    ephemeral = _ephemeral_ports()
    low, high = 10000, max(10001, ephemeral.start - 1)
    for _ in range(200):
        port = _PICK.randint(low, high)
        if port in ephemeral:
            continue
        try:
            for host in ("127.0.0.1", "0.0.0.0"):
                with socket.socket() as s:
                    s.bind((host, port))
        except OSError:
            continue
        return port
    with socket.socket() as s:  # every pick was taken: let the kernel choose
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    condition: Callable[[], object], timeout: float = 30.0, proc: subprocess.Popen | None = None
) -> None:
    """Poll `condition` until it holds; fail after `timeout`, or as soon as `proc` has ended."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(
                f"process ended early (exit {proc.returncode}): "
                f"{proc.stderr.read() if proc.stderr else ''}"
            )
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Handler = Callable[[Request], Response]


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up mid-response (timeouts, size caps) are expected, not errors."""

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LocalSite:
    """A threaded HTTP server on 127.0.0.1 serving what the test tells it to."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body in separate writes: avoid ACK stalls

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(self.command, self.path, dict(self.headers.items()), body)
                with site._lock:
                    site.requests.append(req)
                    handler = site.routes.get(self.path.split("?", 1)[0]) or site.routes.get("*")
                resp = handler(req) if handler else Response(404, b"not found", "text/plain")
                if resp.delay:
                    time.sleep(resp.delay)
                try:
                    self.send_response(resp.status)
                    if resp.content_type:
                        self.send_header("Content-Type", resp.content_type)
                    for key, value in resp.headers.items():
                        self.send_header(key, value)
                    if "Content-Length" not in resp.headers:
                        self.send_header("Content-Length", str(len(resp.body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(resp.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_HEAD = do_PUT = _serve

        self.server = _QuietServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> None:
        with self._lock:
            self.routes[path] = handler

    def set(self, path: str, body: bytes | str = b"", **kwargs: object) -> None:
        """Serve a fixed response at `path` from now on."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        resp = Response(body=data, **kwargs)  # type: ignore[arg-type]
        self.route(path, lambda _req: resp)

    def hits(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LocalSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
