"""Turn a Document into the story's next version: diff, summary and outbox rows, in one transaction.

Every path that adds versions (the CLI's ingest, checks by the scheduler, the API's push) goes
through `record`, so a version is judged, diffed and announced the same way whatever brought it.
"""

from __future__ import annotations

from typing import Any

from tracker import clock
from tracker.diff import diff_documents
from tracker.document import Document
from tracker.extract import extractor_identity
from tracker.markers import is_developing
from tracker.notify.filters import pick_subscriptions
from tracker.store import Recorded, Row, Store
from tracker.summary import summarize


def document_of(version: Row) -> Document:
    """The Document a stored version row holds (its text is paragraphs split by blank lines)."""
    text = version.get("text") or ""
    return Document(
        title=version.get("title"),
        paragraphs=tuple(p for p in text.split("\n\n") if p),
        byline=version.get("byline"),
        published=version.get("published"),
        updated=version.get("updated"),
        canonical_url=version.get("canonical_url"),
    )


def change_between(
    old: Document,
    new: Document,
    reverts_to: int | None = None,
    *,
    budget_ms: float | None = None,
) -> dict[str, Any]:
    """The change row's columns for old -> new: kind, size, stats and the summary in words."""
    ddiff = diff_documents(old, new, budget_ms=budget_ms)
    summary = summarize(ddiff, old, new)
    stats = ddiff.body.stats
    kind, kinds, text = summary.kind, list(summary.kinds), summary.text
    if reverts_to is not None:
        kind = "revert"
        kinds = ["revert", *[k for k in kinds if k != "revert"]]
        text = f"reverted to version {reverts_to}; {text}"
    return {
        "kind": kind,
        "kinds": kinds,
        "size": summary.size,
        "summary": text,
        "details": summary.details,
        "words_added": stats.words_added,
        "words_removed": stats.words_removed,
        "words_changed": stats.words_changed,
        "paragraphs_added": stats.paragraphs_added,
        "paragraphs_removed": stats.paragraphs_removed,
        "paragraphs_moved": stats.paragraphs_moved,
        "paragraphs_changed": stats.paragraphs_changed,
        "share_changed": stats.share_changed,
    }


def record(
    store: Store,
    story_id: int,
    doc: Document,
    *,
    fetched_at: str | None = None,
    raw: bytes | None = None,
    raw_type: str | None = None,
    budget_ms: float | None = None,
    notify: bool = True,
    extractor: str | None = None,
) -> Recorded:
    """Record `doc` as a version of the story if its normal form is new; a no-op otherwise.

    With `fetched_at` earlier than the story's latest version, the version is inserted in time
    order (later ones renumbered, the changes around it recomputed), never appended after it.
    `budget_ms` bounds the diff (the `diff_budget_ms` setting), as everywhere a diff is made.
    `notify=False` announces nothing: imported history is the past, not news.
    `extractor` names the extraction that made `doc` (default: the running one).
    """

    def make_change(previous: Row, reverts_to: int | None) -> dict[str, Any]:
        return change_between(document_of(previous), doc, reverts_to, budget_ms=budget_ms)

    if fetched_at is not None:  # maybe older than the latest version: placed in time order

        def change_for(old: Row, new: Row, reverts_to: int | None) -> dict[str, Any]:
            return change_between(
                document_of(old), document_of(new), reverts_to, budget_ms=budget_ms
            )

        return store.place_version(
            story_id,
            doc,
            fetched_at=fetched_at,
            change_for=change_for,
            raw=raw,
            raw_type=raw_type,
            extractor=extractor or extractor_identity(),
            pick_subscriptions=pick_subscriptions if notify else None,
            developing=lambda: is_developing(doc),
        )
    return store.record_version(
        story_id,
        doc,
        fetched_at=clock.iso(),
        make_change=make_change,
        pick_subscriptions=pick_subscriptions if notify else None,
        raw=raw,
        raw_type=raw_type,
        developing=lambda: is_developing(doc),
        extractor=extractor or extractor_identity(),
    )


def rebaseline(
    store: Store,
    story_id: int,
    doc: Document,
    note: str,
    *,
    fetched_at: str | None = None,
    raw: bytes | None = None,
    raw_type: str | None = None,
    extractor: str | None = None,
) -> Recorded:
    """Record `doc` as the story's new baseline without announcing it: no change row, no
    notification, `note` saying why (an extractor upgrade, see tracker.check)."""
    return store.record_version(
        story_id,
        doc,
        fetched_at=fetched_at or clock.iso(),
        raw=raw,
        raw_type=raw_type,
        extractor=extractor or extractor_identity(),
        note=note,
    )


def backfill(store: Store) -> int:
    """Compute stats and summaries for changes recorded before they existed; returns how many."""
    done = 0
    while batch := store.changes_missing_stats():
        for change in batch:
            old = document_of(store.get_version(change["story_id"], change["from_version"]))
            new = document_of(store.get_version(change["story_id"], change["to_version"]))
            store.update_change(change["id"], change_between(old, new, change.get("reverts_to")))
            done += 1
    return done


def version_pair(
    store: Store, story_id: int, old: int | None, new: int | None
) -> tuple[int, int] | None:
    """The two versions a diff compares when not both are given: the newer defaults to the
    latest, the older to the one before the newer (so, by default, the latest change). None
    when the story has no version yet."""
    if old is not None and new is not None:
        return old, new
    latest = store.latest_version(story_id)
    if latest is None:
        return None
    new = new or int(latest["number"])
    return (old or max(1, new - 1)), new
