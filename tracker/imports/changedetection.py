"""changedetection.io's backup zip: `url-watches.json`, and per watch `<uuid>/history.txt`
(`<epoch seconds>,<snapshot file>` a line) with its snapshot files (`.txt`, or `.txt.br` when
brotli-compressed).

Nothing is extracted to disk: members are read in memory by the names the index gives, each
capped (a zip bomb or a member that lies about its size stops at the cap), so "zip slip"
paths, symlinks and absolute names never reach the file system and are simply not used.
Snapshots are the watch's text after its filters, so they are read as plain text.
"""

from __future__ import annotations

import json
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import IO, Any

import brotli

from tracker import clock
from tracker.imports.common import BadImport, Entry, Outcome, Parsed, Snapshot

MAX_MEMBER_BYTES = 20 * 1024 * 1024
MAX_INDEX_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 200_000
MAX_RATIO = 200
"""A member inflating more than this many times its stored size is treated as a zip bomb."""
_UNITS = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}
_DROPPED = (
    "include_filters",
    "subtractive_selectors",
    "ignore_text",
    "trigger_text",
    "extract_text",
    "browser_steps",
    "headers",
)


class _Zip:
    """Capped, in-memory reads of a zip's regular members."""

    def __init__(self, source: str | IO[bytes]) -> None:
        try:
            self.zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as exc:
            raise BadImport(f"not a changedetection.io backup (zip): {exc}") from None
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise BadImport(f"the zip has more than {MAX_MEMBERS} members")
        self.members = {}
        for info in infos:
            mode = info.external_attr >> 16
            path = PurePosixPath(info.filename)
            if info.is_dir() or stat.S_ISLNK(mode) or path.is_absolute() or ".." in path.parts:
                continue
            self.members[info.filename] = info

    def read(self, name: str, cap: int = MAX_MEMBER_BYTES) -> bytes:
        info = self.members.get(name)
        if info is None:
            raise KeyError(name)
        if info.file_size > cap:
            raise ValueError(f"{name} is larger than {cap // 2**20} MB")
        limit = min(cap, max(info.compress_size, 1024) * MAX_RATIO)
        with self.zip.open(info) as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise ValueError(f"{name} inflates too far (a zip bomb?)")
        return data

    def close(self) -> None:
        self.zip.close()


def _unbrotli(data: bytes, cap: int = MAX_MEMBER_BYTES) -> bytes:
    decoder = brotli.Decompressor()
    out = decoder.process(data, output_buffer_limit=cap + 1)
    if len(out) > cap or not decoder.is_finished():
        raise ValueError("a compressed snapshot inflates too far or is truncated")
    return out


def parse(source: str | IO[bytes]) -> Parsed:
    archive = _Zip(source)
    try:
        index = json.loads(archive.read("url-watches.json", MAX_INDEX_BYTES))
    except KeyError:
        archive.close()
        raise BadImport("not a changedetection.io backup: no url-watches.json") from None
    except (ValueError, UnicodeDecodeError) as exc:
        archive.close()
        raise BadImport(f"url-watches.json cannot be read: {exc}") from None
    except RecursionError:
        archive.close()
        raise BadImport("url-watches.json cannot be read: it is nested too deeply") from None
    watching = index.get("watching") if isinstance(index, dict) else None
    if not isinstance(watching, dict):
        archive.close()
        raise BadImport("url-watches.json has no 'watching' object")
    parsed = Parsed()
    for uuid, watch in watching.items():
        if not isinstance(watch, dict) or not isinstance(watch.get("url"), str):
            parsed.skipped.append(Outcome(str(uuid)[:100], "skipped", reason="watch without a URL"))
            continue
        parsed.entries.append(_entry(archive, str(uuid), watch))
    parsed.closer = archive.close
    return parsed


def _entry(archive: _Zip, uuid: str, watch: dict[str, Any]) -> Entry:
    title = watch.get("title") if isinstance(watch.get("title"), str) else None
    dropped = [key for key in _DROPPED if watch.get(key)]
    if watch.get("processor", "text_json_diff") != "text_json_diff":
        dropped.append(f"processor {str(watch['processor'])[:40]}")
    return Entry(
        url=watch["url"],
        title=title,
        interval=_interval(watch.get("time_between_check")),
        history=_history(archive, uuid),
        note=f"not carried over: {', '.join(dropped)}" if dropped else None,
    )


def _interval(spec: Any) -> int | None:
    if not isinstance(spec, dict):
        return None
    seconds = 0
    for unit, factor in _UNITS.items():
        value = spec.get(unit)
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**6:
            seconds += value * factor
    return min(max(seconds, 60), 365 * 86400) if seconds else None


def _history(archive: _Zip, uuid: str) -> list[Snapshot]:
    try:
        text = archive.read(f"{uuid}/history.txt").decode("utf-8", "replace")
    except (KeyError, ValueError):
        return []
    snapshots = []
    for line in text.splitlines():
        stamp, _, name = line.strip().partition(",")
        if not stamp.isdigit() or not name or len(stamp) > 12:
            continue
        member = f"{uuid}/{PurePosixPath(name.replace(chr(92), '/')).name}"
        at = clock.iso(datetime.fromtimestamp(int(stamp), UTC))
        snapshots.append(Snapshot(at, _loader(archive, member)))
    return snapshots


def _loader(archive: _Zip, member: str) -> Any:
    def load() -> tuple[bytes, str]:
        for name in (member, f"{member}.br", member.removesuffix(".br")):
            if name in archive.members:
                data = archive.read(name)
                return (_unbrotli(data) if name.endswith(".br") else data), "text/plain"
        raise ValueError(f"{member} is missing from the zip")

    return load
