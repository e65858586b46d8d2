"""A plain list of URLs: one a line; blank lines and '#' comments are ignored.

Only the first word of a line is read, so changedetection.io's `url-list-with-tags.txt` and
lists with notes after the URL work too.
"""

from __future__ import annotations

from tracker.imports.common import Entry, Parsed


def parse(text: str) -> Parsed:
    parsed = Parsed()
    for line in text.splitlines():
        item = line.strip()
        if item and not item.startswith("#"):
            parsed.entries.append(Entry(url=item.split()[0]))
    return parsed
