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

from tracker.imports import changedetection, opml, urllist, urlwatch
from tracker.imports.common import MAX_INPUT_BYTES, BadImport, Parsed

FORMATS = ("urls", "opml", "urlwatch", "changedetection")


def detect(name: str, head: bytes) -> str:
    """The format of a file by its name, then by its first bytes."""
    lower = name.lower()
    if lower.endswith(".zip") or head.startswith(b"PK\x03\x04"):
        return "changedetection"
    if lower.endswith((".opml", ".xml")) or b"<opml" in head[:2048].lower():
        return "opml"
    if lower.endswith((".yaml", ".yml")):
        return "urlwatch"
    return "urls"


def read(name: str, fmt: str | None = None) -> tuple[str, Parsed]:
    """Parse the file `name` ('-' is standard input) as `fmt` (guessed when None)."""
    if name != "-" and fmt in (None, "changedetection") and zipfile.is_zipfile(name):
        return "changedetection", changedetection.parse(name)
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
    text = data.decode("utf-8", "replace")
    return fmt, (urlwatch.parse(text) if fmt == "urlwatch" else urllist.parse(text))


__all__ = ["FORMATS", "BadImport", "Parsed", "detect", "read"]
