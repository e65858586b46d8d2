"""storydiff's own JSON Lines export, read back: stories with every version's text.

Read a line at a time and handed on a few stories at a time, so a large export is imported in
bounded memory. Changes are recomputed from the texts, not copied.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from tracker import clock
from tracker.exports.jsonl import FORMAT
from tracker.imports.common import BadImport, Entry, Snapshot

_DOC_FIELDS = ("title", "byline", "published", "updated", "canonical_url")


def _snapshot(row: dict) -> Snapshot:
    doc = {k: row[k] for k in _DOC_FIELDS if isinstance(row.get(k), str)}
    doc["text"] = row["text"]
    body = json.dumps(doc, ensure_ascii=False).encode()
    return Snapshot(str(row["fetched_at"]), lambda: (body, "application/json"))


def entries(lines: Iterable[bytes]) -> Iterator[Entry]:
    """Entries, one per story line, each carrying the versions that follow it."""
    current: Entry | None = None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except (ValueError, RecursionError):  # [[[[... 100,000 deep overflows the decoder
            raise BadImport(f"line {number} is not JSON") from None
        kind = row.get("type") if isinstance(row, dict) else None
        if number == 1 and (kind != "meta" or row.get("format") != FORMAT):
            raise BadImport("not a storydiff JSON Lines export (no meta line first)")
        if kind == "story" and isinstance(row.get("url"), str):
            if current is not None:
                yield current
            title = row.get("title") if isinstance(row.get("title"), str) else None
            current = Entry(url=row["url"], title=title)
        elif kind == "version" and current is not None and _usable(row):
            current.history.append(_snapshot(row))
    if current is not None:
        yield current


def _usable(row: dict) -> bool:
    if not isinstance(row.get("text"), str) or not isinstance(row.get("fetched_at"), str):
        return False
    try:
        row["fetched_at"] = clock.normalize(row["fetched_at"])
    except ValueError:
        return False
    return True
