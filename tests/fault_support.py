"""Faults made real for tests: a read-only file or folder, a small disk that fills up."""

from __future__ import annotations

import os
import shutil
import subprocess
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
