"""Versions in time order: an older snapshot goes where it belongs, never after the latest."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tracker.cli import main
from tracker.document import Document
from tracker.record import change_between, document_of, record
from tracker.store import Store


def doc(*paragraphs: str) -> Document:
    return Document.build(title="Harbour bridge", paragraphs=list(paragraphs))


A = doc("The bridge will close in spring.")
B = doc("The bridge will close in spring for four months.")
C = doc("The bridge will close in winter for six months.")


def timeline(store: Store, sid: int) -> list[tuple[int, str, str]]:
    return [
        (v["number"], v["fetched_at"], v["text"]) for v in store.list_versions(sid, with_text=True)
    ]


def test_an_earlier_version_is_inserted_and_the_changes_around_it_recomputed(
    store: Store,
) -> None:
    sid, _ = store.add_story("https://news.example/bridge")
    record(store, sid, A, fetched_at="2026-01-01T10:00:00Z")
    record(store, sid, C, fetched_at="2026-03-01T10:00:00Z")
    before = store.get_story(sid)
    done = record(store, sid, B, fetched_at="2026-02-01T10:00:00Z")
    assert (done.number, done.created) == (2, True)
    assert timeline(store, sid) == [
        (1, "2026-01-01T10:00:00Z", A.text),
        (2, "2026-02-01T10:00:00Z", B.text),
        (3, "2026-03-01T10:00:00Z", C.text),
    ]
    changes = {c["to_version"]: c for c in store.list_changes(story_id=sid)}
    assert sorted((c["from_version"], c["to_version"]) for c in changes.values()) == [
        (1, 2),
        (2, 3),
    ]
    assert changes[2]["detected_at"] == "2026-02-01T10:00:00Z"
    assert changes[3]["detected_at"] == "2026-03-01T10:00:00Z"
    assert changes[3]["summary"] == change_between(B, C)["summary"]
    assert changes[2]["words_added"] == change_between(A, B)["words_added"] > 0
    story = store.get_story(sid)
    assert story["version_count"] == 3
    assert story["last_changed_at"] == before["last_changed_at"] == "2026-03-01T10:00:00Z"
    assert document_of(store.latest_version(sid)).text == C.text


def test_before_the_first_and_seen_earlier(store: Store) -> None:
    sid, _ = store.add_story("https://news.example/bridge")
    record(store, sid, B, fetched_at="2026-02-01T10:00:00Z")
    assert record(store, sid, A, fetched_at="2025-12-01T10:00:00Z").number == 1
    assert [(n, t) for n, _, t in timeline(store, sid)] == [(1, A.text), (2, B.text)]
    (change,) = store.list_changes(story_id=sid)
    assert (change["from_version"], change["to_version"]) == (1, 2)
    # B's text was already there a month before we first saw it: B moves back, nothing is added
    again = record(store, sid, B, fetched_at="2026-01-05T00:00:00Z")
    assert (again.number, again.created) == (2, False)
    assert timeline(store, sid)[1][1] == "2026-01-05T00:00:00Z"
    assert store.get_story(sid)["last_changed_at"] == "2026-01-05T00:00:00Z"


def test_ingest_at_an_earlier_time_keeps_the_latest_and_the_state(
    db_path: Path, tmp_path: Path
) -> None:
    with Store(db_path) as store:
        sid, _ = store.add_story("https://news.example/bridge")
        record(store, sid, C, fetched_at="2026-11-27T10:00:00Z")
    old = tmp_path / "old.txt"
    old.write_text("The bridge will close in spring.\n")
    result = CliRunner().invoke(
        main, ["--db", str(db_path), "ingest", "1", str(old), "--at", "2020-01-01T00:00:00Z"]
    )
    assert result.exit_code == 0 and "version 1" in result.output, result.output
    result = CliRunner().invoke(main, ["--db", str(db_path), "log", "1"])
    times = [line.split()[1] for line in result.output.splitlines() if line.startswith("v")]
    assert times == ["2026-11-27T10:00:00Z", "2020-01-01T00:00:00Z"]  # newest first, in order
    with Store(db_path) as store:
        story = store.get_story(1)
        assert story["state"] == "active" and story["last_changed_at"] == "2026-11-27T10:00:00Z"
        assert store.latest_version(1)["text"] == C.text


def test_the_api_inserts_an_earlier_push_in_order(db_path: Path) -> None:
    from web_support import TOKEN, make_app

    client = make_app(db_path).test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with Store(db_path) as store:
        sid, _ = store.add_story("https://news.example/bridge")
        record(store, sid, C, fetched_at="2026-03-01T10:00:00Z")
    url = f"/api/stories/{sid}/versions?at=2026-01-01T10:00:00Z"
    r = client.post(url, json={"title": A.title, "text": A.text}, headers=auth)
    assert r.status_code == 201 and r.json["version"] == 1
    versions = client.get(f"/api/stories/{sid}/versions").json["versions"]
    assert [(v["number"], v["fetched_at"]) for v in versions] == [
        (1, "2026-01-01T10:00:00Z"),
        (2, "2026-03-01T10:00:00Z"),
    ]
    assert client.get(f"/api/stories/{sid}/versions/2").json["text"] == C.text
