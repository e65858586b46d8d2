"""Real receivers on 127.0.0.1 for the notification tests, and a story that changes.

Hook: an HTTP webhook receiver that verifies signatures and honours Idempotency-Key the way a
careful production receiver does (it acts on a key once, answers 200 to repeats). Its answers can
be scripted (500 three times, hang, ...) and it can be started on a port chosen before it exists,
so "receiver down, then up" is a real refused connection.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from servers import free_port
from standardwebhooks import Webhook, WebhookVerificationError

from tracker.document import Document
from tracker.notify.signing import verify
from tracker.record import record
from tracker.store import Store

BASE = [
    "The council met on Tuesday to discuss the new budget for the harbour district.",
    "Officials said the plan would cost 12 million euros over three years.",
    "Residents have until Friday to submit comments on the proposal.",
]


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    standard_verified: bool = False  # what the `standardwebhooks` package says of it

    @property
    def key(self) -> str:
        return self.headers.get("Idempotency-Key", "")

    def json(self) -> Any:
        return json.loads(self.body)


def standard_verify(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    """Verify as a receiver using the off-the-shelf Standard Webhooks library would."""
    key: str | bytes = secret if secret.startswith("whsec_") else secret.encode()
    try:
        Webhook(key).verify(body, headers, json_parse=False)
    except WebhookVerificationError:
        return False
    return True


@dataclass
class Hook:
    """A webhook receiver: records every call, acts once per idempotency key."""

    secret: str = "receiver-secret-123"
    port: int = field(default_factory=free_port)
    calls: list[Call] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)  # processed, for a constant-time test
    script: list[int] = field(default_factory=list)
    hang: threading.Event | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Hook:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # headers and body go out as two writes: without this, Nagle's algorithm and
                # the client's delayed ACK hold every reply on a kept-alive connection ~40 ms
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers.items())
                ok = verify(
                    hook.secret,
                    headers.get("X-Storydiff-Timestamp"),
                    body,
                    headers.get("X-Storydiff-Signature"),
                )
                call = Call(
                    self.path, headers, body, ok, standard_verify(hook.secret, body, headers)
                )
                with hook._lock:
                    hook.calls.append(call)
                    status = hook.script.pop(0) if hook.script else 200
                    if ok and status == 200 and call.key not in hook._seen:
                        hook._seen.add(call.key)
                        hook.processed.append(call.key)
                if hook.hang is not None:
                    hook.hang.wait(30)
                if not ok:
                    status = 401
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.hang is not None:
            self.hang.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def running(hook: Hook) -> Iterator[Hook]:
    hook.start()
    try:
        yield hook
    finally:
        hook.stop()


def new_story(store: Store, url: str = "https://news.example/harbour") -> int:
    """A story with its first version, ready for subscriptions."""
    story_id, _ = store.add_story(url, title="Harbour budget")
    record(store, story_id, Document(title="Harbour budget", paragraphs=tuple(BASE)))
    return story_id


def edit(store: Store, story_id: int, paragraphs: list[str], title: str = "Harbour budget") -> int:
    """Record a new version; returns the change id."""
    done = record(store, story_id, Document(title=title, paragraphs=tuple(paragraphs)))
    assert done.created and done.change_id
    return int(done.change_id)


def big_edit(store: Store, story_id: int, n: int = 1) -> int:
    """A substantive edit: a number changes and a paragraph is added."""
    paras = [
        BASE[0],
        BASE[1].replace("12 million", f"{14 + n} million"),
        BASE[2],
        f"In note {n}, the mayor said a vote is expected next month after the hearings end.",
    ]
    return edit(store, story_id, paras)


class Inbox:
    """An aiosmtpd handler that keeps every message it is given, parsed."""

    def __init__(self) -> None:
        self.messages: list[tuple[Any, email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope, msg))
        return "250 OK"


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    """The one account the SMTP server knows: bot / s3cret."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"bot", b"s3cret")
    return AuthResult(success=ok)


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that accepts mail, with optional AUTH."""
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=_auth, auth_require_tls=False
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
