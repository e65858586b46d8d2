"""How `tracker serve` / `tracker run` put the site on waitress: slow clients must not deny it."""

from __future__ import annotations

import socket
from pathlib import Path

import requests
from web_support import live, make_app

SLOW_CLIENTS = 160


def test_half_sent_requests_do_not_deny_a_normal_visitor(db_path: Path) -> None:
    """Slowloris: 160 connections that never finish their headers. waitress's default limit of
    100 connections made every later visitor wait until the idle ones timed out (issue #10)."""
    slow: list[socket.socket] = []
    with live(make_app(db_path)) as base:
        port = int(base.rsplit(":", 1)[1])
        try:
            for _ in range(SLOW_CLIENTS):
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
                slow.append(sock)
            r = requests.get(f"{base}/api/stories", timeout=20)
            assert r.status_code == 200 and r.json()["total"] == 0
        finally:
            for sock in slow:
                sock.close()
