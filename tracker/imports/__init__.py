"""Imports from the tools people use now: plain URL lists, OPML, urlwatch, changedetection.io.

Each module parses its format into `Parsed` (entries to add, and what it skipped and why);
`tracker.imports.common.add_entries` adds them in batches of one transaction each and records any
history they carry as versions in time order.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from tracker.imports import changedetection, jsonl, opml, urllist, urlwatch
from tracker.imports.common import MAX_INPUT_BYTES, BadImport, Parsed

JSONL_HEAD = b'{"type": "meta"'
FORMATS = ("urls", "opml", "urlwatch", "changedetection", "jsonl")


def detect(name: str, head: bytes) -> str:
    """The format of a file by its name, then by its first bytes."""
    lower = name.lower()
    if lower.endswith(".zip") or head.startswith(b"PK\x03\x04"):
        return "changedetection"
    if lower.endswith((".opml", ".xml")) or b"<opml" in head[:2048].lower():
        return "opml"
    if lower.endswith((".yaml", ".yml")):
        return "urlwatch"
    if lower.endswith(".jsonl") or head.startswith(JSONL_HEAD):
        return "jsonl"
    return "urls"


def read(name: str, fmt: str | None = None) -> tuple[str, Parsed]:
    """Parse the file `name` ('-' is standard input) as `fmt` (guessed when None)."""
    if name != "-" and fmt in (None, "changedetection") and zipfile.is_zipfile(name):
        return "changedetection", changedetection.parse(name)
    if fmt == "jsonl" or (
        fmt is None and name != "-" and _head(name).startswith(b'{"type": "meta"')
    ):
        return "jsonl", _jsonl(name)
    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with Path(name).open("rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise BadImport(f"cannot read {name}: {exc.strerror}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise BadImport(f"{name} is larger than {MAX_INPUT_BYTES // 2**20} MB")
    fmt = fmt or detect(name, data[:4096])
    if fmt == "changedetection":
        return fmt, changedetection.parse(io.BytesIO(data))
    if fmt == "opml":
        return fmt, opml.parse(data)
    if fmt == "jsonl":
        return fmt, Parsed(entries=jsonl.entries(io.BytesIO(data)))
    text = data.decode("utf-8", "replace")
    return fmt, (urlwatch.parse(text) if fmt == "urlwatch" else urllist.parse(text))


__all__ = ["FORMATS", "BadImport", "Parsed", "detect", "read"]


def _head(name: str) -> bytes:
    try:
        with Path(name).open("rb") as handle:
            return handle.read(64)
    except OSError:
        return b""


def _jsonl(name: str) -> Parsed:
    """A stream of entries read a line at a time (exports can be far larger than memory)."""
    try:
        handle = sys.stdin.buffer if name == "-" else Path(name).open("rb")  # noqa: SIM115
    except OSError as exc:
        raise BadImport(f"cannot read {name}: {exc.strerror}") from None
    return Parsed(entries=jsonl.entries(handle), closer=None if name == "-" else handle.close)
