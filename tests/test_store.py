"""The store on real SQLite files: versions, idempotence, reverts, atomicity, hostile files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.document import Document
from tracker.record import document_of, record
from tracker.store import SCHEMA_VERSION, NotFound, Store, StoreError


def doc(*paras: str, title: str | None = "Headline") -> Document:
    return Document.build(title=title, paragraphs=paras)


def test_versions_are_consecutive_and_read_back_exactly(store: Store) -> None:
    sid, created = store.add_story("https://news.example/a", title="A")
    assert created
    texts = [("One.", "Two."), ("One.", "Two!"), ("Zero.", "One.", "Two!")]
    for number, paras in enumerate(texts, 1):
        done = record(store, sid, doc(*paras))
        assert (done.number, done.created) == (number, True)
    versions = store.list_versions(sid, with_text=True)
    assert [v["number"] for v in versions] == [1, 2, 3]
    assert [tuple(v["text"].split("\n\n")) for v in versions] == texts
    assert store.get_story(sid)["version_count"] == 3


def test_recording_same_content_is_a_noop(store: Store) -> None:
    sid, _ = store.add_story("https://news.example/b")
    first = record(store, sid, doc("Body text here."))
    again = record(store, sid, doc("Body   text here.\u200b"))  # whitespace and ZWSP only
    assert first.created and not again.created and again.number == 1
    assert store.counts()["versions"] == 1
    assert store.counts()["changes"] == 0


def test_headline_change_is_a_new_version(store: Store) -> None:
    sid, _ = store.add_story("https://news.example/c")
    record(store, sid, doc("Body.", title="Old headline"))
    done = record(store, sid, doc("Body.", title="New headline"))
    assert done.created and done.number == 2
    change = store.list_changes(story_id=sid)[0]
    assert change["kind"] == "headline"
    assert store.get_story(sid)["title"] == "New headline"


def test_revert_is_recorded_not_dropped(store: Store) -> None:
    sid, _ = store.add_story("https://news.example/d")
    record(store, sid, doc("Troops: 11,000."))
    record(store, sid, doc("Troops: 12,000."))
    done = record(store, sid, doc("Troops: 11,000."))
    assert done.created and done.number == 3 and done.reverts_to == 1
    change = store.list_changes(story_id=sid)[0]
    assert change["kind"] == "revert" and change["reverts_to"] == 1
    assert "reverted to version 1" in change["summary"]


def test_change_row_lands_with_its_version_or_not_at_all(store: Store) -> None:
    sid, _ = store.add_story("https://news.example/e")
    record(store, sid, doc("First."))

    def exploding_change(previous: dict, reverts_to: int | None) -> dict:
        raise RuntimeError("diff failed half way")

    with pytest.raises(RuntimeError):
        store.record_version(sid, doc("Second."), make_change=exploding_change)
    assert [v["number"] for v in store.list_versions(sid)] == [1]
    assert store.counts()["changes"] == 0
    assert store.get_story(sid)["version_count"] == 1


def test_same_url_is_tracked_once(store: Store) -> None:
    a, created_a = store.add_story("https://news.example/f")
    b, created_b = store.add_story("https://news.example/f")
    assert a == b and created_a and not created_b


def test_find_story_by_id_or_url(store: Store) -> None:
    sid, _ = store.add_story("https://news.example/g")
    assert store.find_story(str(sid))["id"] == sid
    assert store.find_story("https://news.example/g")["id"] == sid
    with pytest.raises(NotFound):
        store.find_story("999")
    with pytest.raises(NotFound):
        store.find_story("https://elsewhere.example/")


def test_full_text_search_finds_removed_text(store: Store) -> None:
    sid, _ = store.add_story("https://news.example/h")
    record(store, sid, doc("The minister resigned on Monday."))
    record(store, sid, doc("The minister stayed in office."))
    hits = store.search("resigned")
    assert [h["id"] for h in hits] == [sid]
    assert hits[0]["match_version"] == 1
    assert store.search('"; DROP TABLE stories; --') == []
    assert store.counts()["stories"] == 1


def test_deleting_a_story_removes_its_versions(store: Store) -> None:
    sid, _ = store.add_story("https://news.example/i")
    record(store, sid, doc("x y z"))
    store.delete_story(sid)
    assert store.counts() == {"stories": 0, "versions": 0, "changes": 0, "feeds": 0}
    assert store.search("y") == []


def test_wal_mode_and_foreign_keys(db_path: Path) -> None:
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_not_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a storydiff database"):
        Store(path)
    assert path.read_bytes() == b"this is not sqlite at all" * 100


def test_missing_folder_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "nope" / "tracker.db")


def test_newer_schema_is_refused(db_path: Path) -> None:
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this storydiff"):
        Store(db_path)


def test_locked_database_gives_a_clear_error(db_path: Path) -> None:
    Store(db_path).close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = Store(db_path, timeout=0.2)
        with pytest.raises(StoreError, match="locked"):
            store.add_story("https://news.example/locked")
        store.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


paragraph = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30
).filter(lambda s: s.strip())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(paragraph, min_size=1, max_size=4), min_size=1, max_size=8))
def test_any_sequence_of_ingests(tmp_path: Path, bodies: list[list[str]]) -> None:
    """Consecutive numbers, no two consecutive versions alike, exact read-back, reverts marked."""
    path = tmp_path / f"prop-{abs(hash(repr(bodies)))}.db"
    with Store(path) as store:
        sid, _ = store.add_story("https://news.example/p")
        seen: dict[str, int] = {}
        written: dict[int, str] = {}
        for paras in bodies:
            d = Document.build(paragraphs=paras)
            if not d.paragraphs:
                continue
            before = store.latest_version(sid)
            done = record(store, sid, d)
            same_as_latest = before is not None and before["fingerprint"] == d.fingerprint()
            assert done.created is not same_as_latest
            if done.created:
                assert done.reverts_to == seen.get(d.fingerprint())
                seen[d.fingerprint()] = done.number
                written[done.number] = d.text
        versions = store.list_versions(sid, with_text=True)
        assert [v["number"] for v in versions] == list(range(1, len(versions) + 1))
        for a, b in zip(versions, versions[1:], strict=False):
            assert a["fingerprint"] != b["fingerprint"]
        assert {v["number"]: v["text"] for v in versions} == written
        for v in versions:
            assert document_of(v).text == written[v["number"]]
        path.unlink()


def test_search_snippet_marks_matches_without_eating_brackets(store: Store) -> None:
    from tracker.store import SNIPPET_END, SNIPPET_START

    sid, _ = store.add_story("https://news.example/snip")
    record(store, sid, doc("The minister [sic] resigned on Monday."))
    (hit,) = store.search("minister")
    assert f"{SNIPPET_START}minister{SNIPPET_END}" in hit["match_snippet"]
    assert "[sic]" in hit["match_snippet"]


def test_ids_of_deleted_rows_are_never_handed_out_again(store: Store) -> None:
    sid, _ = store.add_story("https://news.example/ids")
    first = store.add_subscription(
        scope="story", story_id=sid, channel="webhook", target="https://hooks.example/a"
    )
    store.delete_subscription(first)
    second = store.add_subscription(
        scope="story", story_id=sid, channel="webhook", target="https://hooks.example/b"
    )
    assert second > first  # an old unsubscribe link for `first` cannot remove `second`
    record(store, sid, doc("One."))
    one = record(store, sid, doc("Two."))
    store.delete_story(sid)
    sid2, _ = store.add_story("https://news.example/ids2")
    record(store, sid2, doc("One."))
    assert record(store, sid2, doc("Two.")).change_id > (one.change_id or 0)


def test_retrying_a_delivery_in_flight_is_refused(store: Store) -> None:
    from tracker.store import Conflict

    sid, _ = store.add_story("https://news.example/retry")
    store.add_subscription(scope="all", channel="webhook", target="https://hooks.example/")
    record(store, sid, doc("One."))
    record(store, sid, doc("Two, longer."))
    (claimed,) = store.claim_deliveries("2999-01-01T00:00:00Z", "2999-01-01T00:05:00Z")
    with pytest.raises(Conflict, match="being sent"):
        store.retry_delivery(claimed["id"], now="2999-01-01T00:01:00Z")
    store.finish_delivery(claimed["id"], ok=True, at="2999-01-01T00:01:00Z")
    with pytest.raises(Conflict, match="already sent"):
        store.retry_delivery(claimed["id"])


def test_hostile_ids_and_queries(store: Store) -> None:
    for ref in ["²", "9" * 30, "１２"]:
        with pytest.raises(NotFound):
            store.find_story(ref)
    assert store.search("a\x00b \x1b[31m") == []


def test_control_characters_from_pages_never_reach_the_store(store: Store) -> None:
    sid, _ = store.add_story("https://news.example/ctl")
    record(store, sid, doc("Red \x1b[31malert\x07 text\x00.", title="Bad\x1b]0;pwned\x07 title"))
    version = store.latest_version(sid)
    assert version["text"] == "Red [31malert text." and version["title"] == "Bad]0;pwned title"


def test_finishing_a_delivery_that_is_gone_is_not_found(store: Store) -> None:
    """The outbox's worker learns that a subscription was deleted mid-send as NotFound."""
    with pytest.raises(NotFound):
        store.finish_delivery(987654, ok=True, at="2026-01-01T00:00:00Z")
