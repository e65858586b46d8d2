"""Upgrades never cry wolf: compare like with like when the extractor has changed.

Every version records the extraction that made it (`tracker.extract.extractor_identity`). When a
check's extraction differs from the one that made the story's latest version and the texts
differ, the difference may be the extractor's, not the newsroom's. Then:

- if the latest version's raw page was archived, it is read again with the running extractor;
  when that reading differs from the stored text, it becomes a silent baseline version (no
  change row, no notification, a note saying so), and the check's own text is then compared
  with it as usual, so a real edit made meanwhile is still announced, and only it;
- otherwise the check's text becomes the silent baseline, and the note says that an edit made
  meanwhile could not be told apart from the upgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tracker.document import Document
from tracker.extract import ExtractError
from tracker.store import Row, Store

Extractor = Callable[[bytes, str | None, str | None], Document]


@dataclass(frozen=True)
class Baseline:
    """A version to write silently before the check's own, and why."""

    doc: Document
    note: str
    raw: bytes | None = None
    raw_type: str | None = None


def like_with_like(
    store: Store,
    latest: Row | None,
    doc: Document,
    identity: str,
    extractor: Extractor | None,
    url: str | None,
) -> Baseline | None:
    """The silent baseline a check must write before recording `doc`, or None.

    `extractor` reads the archived page again; None when that cannot tell (a page rendered in
    a browser is archived as its HTML shell)."""
    if latest is None or latest.get("extractor") == identity:
        return None
    if latest["fingerprint"] == doc.fingerprint():
        return None
    number = latest["number"]
    change = f"extraction changed ({latest.get('extractor') or 'an earlier release'} -> {identity})"
    archived = None
    if extractor is not None and latest.get("has_raw"):
        archived = store.raw_page(latest["story_id"], number)
    if archived is not None and extractor is not None:
        body, raw_type = archived
        try:
            again = extractor(body, raw_type, url)
        except ExtractError:
            again = None
        if again is not None:
            if again.fingerprint() == latest["fingerprint"]:
                return None  # the new extractor reads the old page alike: the text really changed
            note = (
                f"re-baselined: {change}; the archived page of version {number} was read again "
                "with the new extractor, and later checks are compared with that reading"
            )
            return Baseline(again, note, body, raw_type)
    note = (
        f"re-baselined: {change}; the page of version {number} was not archived, so this "
        "check was not compared with it and an edit made in between is not announced"
    )
    return Baseline(doc, note)
