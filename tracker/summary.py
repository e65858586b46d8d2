"""A Diff in words: what kind of change it is, how big, and a one-line summary for logs and alerts.

INTERIM VERSION (foundation issue): headline and paragraph counts only; the diff-engine issue adds
numbers, quotes, corrections, developing markers and typo-level edits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tracker.diff import DocumentDiff
from tracker.document import Document


@dataclass
class Summary:
    kind: str
    size: int
    text: str
    kinds: list[str] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def summarize(
    ddiff: DocumentDiff, old: Document | None = None, new: Document | None = None
) -> Summary:
    stats = ddiff.body.stats
    kinds: list[str] = []
    parts: list[str] = []
    details: list[dict[str, Any]] = []
    if "title" in ddiff.fields:
        before, after = ddiff.fields["title"]
        kinds.append("headline")
        parts.append(f"headline changed: {before!r} -> {after!r}")
        details.append({"kind": "headline", "old": before, "new": after})
    if stats.paragraphs_added:
        kinds.append("paragraphs_added")
        parts.append(f"{stats.paragraphs_added} paragraph(s) added")
    if stats.paragraphs_removed:
        kinds.append("paragraphs_removed")
        parts.append(f"{stats.paragraphs_removed} paragraph(s) removed")
    if stats.paragraphs_changed:
        parts.append(f"{stats.paragraphs_changed} paragraph(s) edited")
    if not kinds:
        kinds.append("edit")
    size = stats.words_added + stats.words_removed
    return Summary(
        kind=kinds[0], size=size, text="; ".join(parts) or "edited", kinds=kinds, details=details
    )
