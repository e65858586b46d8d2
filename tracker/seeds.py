"""The built-in example: the seed story in seeds/, as a list of versions to load or to publish.

A capture file (`NNN_*.txt`) holds the newest state on top and, after a dateline line ending in
" -" (such as `Reuters -`), the earlier dispatch; its last line is the capture time. The earlier
dispatch is version 1 and the whole capture version 2. Further files add further versions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tracker import clock
from tracker.document import Document
from tracker.record import record
from tracker.store import Store
from tracker.urls import site

SEED_URL = "https://storydiff.invalid/demo/russia-north-korea-treaty"
SEED_TITLE = "Russia–North Korea treaty (seed story)"
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_DATELINE = re.compile(r"^[A-Z][\w .'&]* -$")


@dataclass(frozen=True)
class SeedVersion:
    document: Document
    at: str


def seeds_dir() -> Path:
    """seeds/ in the source tree (the project is installed editable, so it is found there)."""
    return Path(__file__).resolve().parent.parent / "seeds"


def _split_capture(text: str) -> tuple[list[str], str | None]:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    stamp = lines.pop() if lines and _STAMP.match(lines[-1].strip()) else None
    return lines, stamp


def load(folder: Path | None = None) -> list[SeedVersion]:
    """The seed story's versions, oldest first."""
    folder = folder or seeds_dir()
    files = sorted(p for p in folder.glob("[0-9][0-9][0-9]_*.txt"))
    if not files:
        raise FileNotFoundError(f"no seed files (NNN_*.txt) in {folder}")
    versions: list[SeedVersion] = []
    for index, path in enumerate(files):
        lines, stamp = _split_capture(path.read_text(encoding="utf-8"))
        at = clock.normalize(stamp) if stamp else clock.iso()
        if index == 0:
            cut = next((i for i, line in enumerate(lines) if _DATELINE.match(line.strip())), None)
            if cut is not None:
                earlier = clock.iso(clock.parse(at) - timedelta(hours=1))
                versions.append(SeedVersion(Document.build(paragraphs=lines[cut + 1 :]), earlier))
        versions.append(SeedVersion(Document.build(paragraphs=lines), at))
    return versions


def install(store: Store, url: str = SEED_URL) -> int:
    """Load the seed story into `store` and return its id; loading again adds nothing.

    The seed's URL is a placeholder (`.invalid` never resolves), so the story is added paused:
    there is nothing to fetch, and the scheduler must not try.
    """
    story_id, created = store.add_story(url, title=SEED_TITLE, site=site(url))
    present = store.get_story(story_id)["version_count"]
    for version in load()[present:]:  # a load cut short earlier resumes where it stopped
        record(store, story_id, version.document, fetched_at=version.at)
    if created:
        store.update_story(story_id, state="paused", next_check_at=None)
    return story_id
