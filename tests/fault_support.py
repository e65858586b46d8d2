"""Faults made real for tests: a read-only file or folder, a small disk that fills up, a server
that drips its answer."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from functools import cache
from pathlib import Path

import pytest


def read_only(path: Path) -> list[str] | None:
    """The argv prefix that runs a command with `path` (a file or a folder) read-only, by a
    read-only bind mount in a private mount namespace (root ignores file modes); without user
    namespaces, a non-root user gets the file modes instead, and root gets None."""
    if small_disk_available():
        script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
        return ["unshare", "-rm", "sh", "-c", script, "sh", str(path)]
    if os.geteuid() == 0:
        return None
    path.chmod(0o555 if path.is_dir() else 0o444)
    return []


@cache
def small_disk_available() -> bool:
    """Whether `unshare` may mount a private tmpfs here (a user namespace, no root needed)."""
    if shutil.which("unshare") is None:
        return False
    try:
        probe = subprocess.run(
            ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt || exit 1"],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


needs_small_disk = pytest.mark.skipif(
    not small_disk_available(), reason="no user namespaces to mount a small tmpfs in"
)

# Mount a tmpfs of SIZE on DIR in a private mount namespace, copy the database DB onto it,
# fill it up to all but FREE bytes, then run the rest of the arguments.
ON_SMALL_DISK = """
set -e
mount -t tmpfs -o size="$1" tmpfs "$2"
cp "$3" "$2/"
dd if=/dev/zero of="$2/filler" bs=4096 2>/dev/null || true
truncate -s "-$4" "$2/filler"
shift 4
exec "$@"
"""


def on_small_disk(
    folder: Path, db: Path, *command: str, size: str = "2m", free: str = "128K"
) -> list[str]:
    """The argv running `command` with `db` copied to `folder` on a tmpfs that is full but
    for `free` bytes; `folder/filler` holds the rest (remove it through /proc/PID/root)."""
    return [
        "unshare",
        "-rm",
        "sh",
        "-c",
        ON_SMALL_DISK,
        "sh",
        size,
        str(folder),
        str(db),
        free,
        *command,
    ]


class DripServer:
    """A TCP server on 127.0.0.1 that answers every request one byte at a time, `gap` seconds
    apart (inside any read timeout), for at most `limit` seconds, then hangs up.

    `phase` is where the drip happens: "status" (the status line itself), "headers" (an endless
    header after a good status line) or "body" (a body far longer than the drip lasts).
    """

    def __init__(self, phase: str, gap: float = 0.05, limit: float = 20.0) -> None:
        self.phase, self.gap, self.limit = phase, gap, limit
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.hung_up = 0  # clients that went away before the drip was over
        self.outlasted = 0  # clients still listening when the drip reached its limit
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        head = {
            "status": b"HTTP/1.1 200 OK" + b"K" * 100_000,
            "headers": b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100_000,
            "body": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
            + b"<p>" * 40_000,
        }[self.phase]
        sent_head = head.index(b"\r\n\r\n") + 4 if self.phase == "body" else 0
        end = time.monotonic() + self.limit
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(head[:sent_head])
                for i in range(sent_head, len(head)):
                    if self._stop.is_set():
                        return
                    if time.monotonic() > end:
                        self.outlasted += 1
                        return
                    conn.sendall(head[i : i + 1])
                    time.sleep(self.gap)
            except OSError:
                self.hung_up += 1

    def close(self) -> None:
        self._stop.set()
        self.sock.close()

    def __enter__(self) -> DripServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
