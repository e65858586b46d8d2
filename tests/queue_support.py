"""A real redis-server for the queue tests, and `tracker` processes around it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from servers import free_port


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """redis-server on a free 127.0.0.1 port, its files in `folder`; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/system-deps installs it; CI has it)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(folder), "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: {folder / 'redis.log'}") from None
            time.sleep(0.05)
    client.close()
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def tracker_process(db: Path, log: Path, *args: str, **env: str) -> Iterator[subprocess.Popen]:
    """`tracker ARGS` as a real process, its output in `log`; killed if still running after."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    environ.update(
        TRACKER_DB=str(db),
        TRACKER_ALLOW_HOSTS="127.0.0.1",
        TRACKER_PER_HOST_GAP="0",
        TRACKER_RESPECT_ROBOTS="0",
        TRACKER_EXTRACT_PROCESSES="1",
        **env,
    )
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tracker", *args], env=environ, stdout=out, stderr=out
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
