"""Apprise sends pinned to the addresses the SSRF guard judged (DNS rebinding).

Real DNS rebinding cannot run here, so FakeDNS (netguard_support) answers the made-up names: the
first lookup (the guard's) gets an allowed address, any later one a forbidden one. Everything
else is real: Apprise's json:// plugin over requests/urllib3 to HTTP servers on 127.0.0.1 and
127.0.0.2, its mailto:// plugin over smtplib to an aiosmtpd server.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from netguard_support import FakeDNS
from notify_support import big_edit, new_story
from servers import LocalSite, Request, Response

from tracker import netguard
from tracker.config import Settings
from tracker.notify import apprise_channel
from tracker.notify.outbox import deliver_due
from tracker.store import Store

# 127.0.0.1 is the judged receiver; 127.0.0.2 (loopback, not listed) stands for the internal
# service (127.0.0.1, 169.254.169.254, 10.x...) that a rebinding answer would point at.
ALLOWED = Settings(
    base_url="https://diff.example.org",
    allow_hosts=("127.0.0.1",),
    read_timeout=2.0,
    connect_timeout=2.0,
)


@contextmanager
def internal_service(port: int) -> Iterator[list[str]]:
    """An HTTP service on 127.0.0.2:`port` that must never be reached: the paths it was sent."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.2", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _subscribe(store: Store, target: str) -> None:
    story_id = new_story(store)
    store.add_subscription(scope="all", channel="apprise", target=target)
    big_edit(store, story_id)


def test_a_name_that_rebinds_after_the_guard_is_sent_to_the_judged_address(
    store: Store, site: LocalSite, dns: FakeDNS
) -> None:
    site.set("/notify", "ok", content_type="text/plain")
    dns.set("hooks.example.org", ["127.0.0.1"], ["127.0.0.2"])
    _subscribe(store, f"json://hooks.example.org:{site.port}/notify")
    with internal_service(site.port) as internal:
        report = deliver_due(store, ALLOWED)
    assert internal == []
    assert report.sent == 1 and len(site.hits("/notify")) == 1
    assert dns.calls.count("hooks.example.org") == 1  # the guard's lookup only


def test_smtp_through_apprise_is_pinned_too(
    store: Store, smtp: tuple[Any, int], dns: FakeDNS
) -> None:
    """smtplib resolves through socket.create_connection: the mail goes to the judged server
    (before pinning it went to 127.0.0.2, where nothing listens, and the send failed)."""
    inbox, port = smtp
    dns.set("mail.example.org", ["127.0.0.1"], ["127.0.0.2"])
    _subscribe(
        store,
        f"mailto://bot:s3cret@example.org?smtp=mail.example.org&port={port}"
        "&mode=insecure&to=desk@example.org",
    )
    report = deliver_due(store, ALLOWED)
    assert report.sent == 1, store.list_deliveries()[0]["last_error"]
    (envelope, msg) = inbox.messages[0]
    assert envelope.rcpt_tos == ["desk@example.org"] and "Harbour budget" in msg["Subject"]


def test_a_host_the_guard_did_not_judge_is_refused(
    store: Store, site: LocalSite, dns: FakeDNS, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin that contacts a host storydiff's table does not list for it (say, after an
    Apprise upgrade changed the plugin) cannot reach it: stood in for by a table that names
    another host than the one the json:// plugin posts to."""
    site.set("*", "ok", content_type="text/plain")
    dns.set("hooks.example.org", ["127.0.0.1"])
    dns.set("other.example.org", ["127.0.0.1"])
    port = site.port
    monkeypatch.setattr(apprise_channel, "contacts", lambda server: [("hooks.example.org", port)])
    _subscribe(store, f"json://other.example.org:{port}/notify")
    report = deliver_due(store, ALLOWED)
    assert report.dead == 1 and site.requests == []
    error = store.list_deliveries()[0]["last_error"]
    assert f"the send tried to reach other.example.org port {port}" in error, error
    assert "the SSRF guard did not judge" in error


def test_other_threads_resolve_normally_during_a_send(
    store: Store, site: LocalSite, dns: FakeDNS
) -> None:
    """The pin is this thread's only: the receiving server's thread, asked while the send is
    in progress, gets the resolver's own answers (the second, rebinding one for the pinned
    name; an answer, not a refusal, for a name the guard never saw)."""
    seen: dict[str, list[str]] = {}

    def receive(_req: Request) -> Response:
        for name in ("hooks.example.org", "elsewhere.example.org"):
            answers = socket.getaddrinfo(name, site.port, type=socket.SOCK_STREAM)
            seen[name] = [str(a[4][0]) for a in answers]
        return Response(200, b"ok", "text/plain")

    site.route("/notify", receive)
    dns.set("hooks.example.org", ["127.0.0.1"], ["127.0.0.2"])
    dns.set("elsewhere.example.org", ["192.0.2.7"])
    _subscribe(store, f"json://hooks.example.org:{site.port}/notify")
    assert deliver_due(store, ALLOWED).sent == 1
    assert seen == {"hooks.example.org": ["127.0.0.2"], "elsewhere.example.org": ["192.0.2.7"]}
    assert socket.getaddrinfo("elsewhere.example.org", 80)[0][4][0] == "192.0.2.7"  # unpinned


def test_a_pin_ends_with_its_block_even_on_an_exception(dns: FakeDNS) -> None:
    dns.set("hooks.example.org", ["192.0.2.9"])
    pins = {("hooks.example.org", 8000): ["127.0.0.1"]}
    with pytest.raises(RuntimeError), netguard.pinned(pins) as refusals:
        assert socket.getaddrinfo("hooks.example.org", 8000)[0][4] == ("127.0.0.1", 8000)
        with pytest.raises(socket.gaierror):
            socket.create_connection(("hooks.example.org", 8001), timeout=1)  # another port
        with pytest.raises(socket.gaierror):
            socket.getaddrinfo("127.0.0.1", 8000)  # a literal the guard did not judge
        raise RuntimeError("a plugin bug")
    assert len(refusals) == 2 and "hooks.example.org port 8001" in refusals[0]
    assert socket.getaddrinfo("hooks.example.org", 8000)[0][4] == ("192.0.2.9", 8000)
