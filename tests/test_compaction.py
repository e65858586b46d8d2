"""Versions stored as reverse deltas: every version and archived page reads back exactly, chains
stay bounded, a version placed between two others relinks only its neighbours, and a database
made by release 10 migrates in place (tests/fixtures/release10.db, see make_release10_db.py)."""

from __future__ import annotations

import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from synthetic import edit_words, long_document

from tracker.document import Document
from tracker.record import document_of
from tracker.store import Store
from tracker.store.packing import MAX_RUN, RAW_LEVEL, pack

FIXTURE = Path(__file__).parent / "fixtures" / "release10.db"


def old_versions(path: Path) -> dict[tuple[int, int], tuple[str, str, bytes | None]]:
    """(story, number) -> (title, text, page) as release 10 stored them."""
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT story_id, number, title, text, raw FROM versions").fetchall()
    conn.close()
    return {(s, n): (t, x, zlib.decompress(r) if r else None) for s, n, t, x, r in rows}


def release10_copy(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    return path


def history(n: int) -> list[Document]:
    paras = long_document(400, seed=n, vocabulary=500, longest=80)
    docs = []
    for v in range(n):
        paras = edit_words(paras, 0.02, seed=v, token=f"v{v}w") if v else paras
        docs.append(Document.build(title=f"Headline {v % 3}", paragraphs=paras))
    return docs


def chain_lengths(store: Store, story_id: int) -> list[int]:
    rows = store.conn.execute(
        "SELECT id, base, text IS NOT NULL FROM versions WHERE story_id = ?", [story_id]
    ).fetchall()
    base = {i: b for i, b, _ in rows}
    out = []
    for i, _, _ in rows:
        hops = 0
        while base[i] is not None:
            i, hops = base[i], hops + 1
        out.append(hops)
    return out


def test_release10_database_migrates_and_keeps_every_version(tmp_path: Path) -> None:
    path = release10_copy(tmp_path)
    before = old_versions(path)
    Store(path, migrate_to=12).close()  # the release that recorded which extractor made a version
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE versions SET extractor = 'x' || id, note = 'n' || id WHERE id % 2 = 0")
    conn.close()
    seen = []
    with Store(path, progress=lambda what, done, total: seen.append((what, done, total))) as store:
        assert ("compacting versions", len(before), len(before)) in seen
        assert ("moving page details", 0, len(before)) in seen
        for (story_id, number), (title, text, page) in before.items():
            version = store.get_version(story_id, number)
            assert (version["title"], version["text"]) == (title, text)
            kept = (
                (f"x{version['id']}", f"n{version['id']}")
                if version["id"] % 2 == 0
                else (None, None)
            )
            assert (version["extractor"], version["note"]) == kept
            assert version["text_length"] == len(text)
            assert store.raw_page(story_id, number) == (
                (page, "text/html") if page is not None else None
            )
        plain = store.conn.execute(
            "SELECT count(*) FROM versions WHERE text IS NOT NULL"
        ).fetchone()[0]
        assert plain == 6  # the newest version of each story, for sqlite3 / Datasette users
        assert max(chain_lengths(store, 5)) <= MAX_RUN
        assert (
            store.conn.execute(
                "SELECT name FROM sqlite_master WHERE name IN ('versions_new', 'versions_fts')"
            ).fetchall()
            == []
        )
        # what pages said about themselves moved to version_meta: once per story and value
        assert store.conn.execute(
            "SELECT count(*) FROM version_rows WHERE meta_id IS NULL OR title IS NOT NULL"
        ).fetchone() == (0,)
        distinct = store.conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT story_id, title, byline, published, "
            "canonical_url, raw_type, extractor FROM versions)"
        ).fetchone()
        assert store.conn.execute("SELECT count(*) FROM version_meta").fetchone() == distinct
        # fingerprints shrank to 16 digits, and a story fetched unchanged is still unchanged
        assert store.conn.execute(
            "SELECT DISTINCT length(fingerprint) FROM versions"
        ).fetchall() == [(16,)]
        for story_id in range(1, 7):
            latest = store.latest_version(story_id)
            assert not store.record_version(story_id, document_of(latest)).created
    assert path.stat().st_size < FIXTURE.stat().st_size * 0.65  # schema pages weigh on 63 versions


def test_what_references_a_version_survives_the_move(tmp_path: Path) -> None:
    """archived_captures points at versions(id): moving the rows must neither cascade-delete its
    rows nor leave it pointing at a table that is gone."""
    path = release10_copy(tmp_path)
    Store(path, migrate_to=15).close()  # archived_captures exists, versions not yet compacted
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO archived_captures (version_id, story_id, archive_url, captured_at) "
            "SELECT id, story_id, 'https://web.archive.org/x/' || id, fetched_at FROM versions "
            "WHERE story_id = 4"
        )
    conn.close()
    with Store(path) as store:
        captured = store.conn.execute("SELECT version_id FROM archived_captures").fetchall()
        assert len(captured) == 12
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        sql = store.conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'archived_captures'"
        ).fetchone()[0]
        assert 'REFERENCES "version_rows"(id)' in sql  # the table `versions` views since 17
        store.delete_story(4)  # the reference still cascades from the compacted table
        assert store.conn.execute("SELECT count(*) FROM archived_captures").fetchone()[0] == 0


def test_every_version_and_page_reads_back_with_bounded_chains(tmp_path: Path) -> None:
    docs = history(75)
    with Store(tmp_path / "t.db") as store:
        story_id, _ = store.add_story("https://news.example/a")
        for i, doc in enumerate(docs):
            page = f"<html><h1>{doc.title}</h1>{doc.text}</html>".encode() if i % 4 else None
            store.record_version(story_id, doc, raw=page, raw_type="text/html" if page else None)
        listed = store.list_versions(story_id, with_text=True)
        for i, doc in enumerate(docs):
            assert store.get_version(story_id, i + 1)["text"] == doc.text
            assert listed[i]["text"] == doc.text
            page = store.raw_page(story_id, i + 1)
            assert (page[0].decode() if page else None) == (
                f"<html><h1>{doc.title}</h1>{doc.text}</html>" if i % 4 else None
            )
        assert max(chain_lengths(store, story_id)) <= MAX_RUN
        plain = store.conn.execute(
            "SELECT number FROM versions WHERE story_id = ? AND text IS NOT NULL", [story_id]
        ).fetchall()
        assert plain == [(75,)]


def test_a_version_placed_between_two_others_relinks_its_neighbours(tmp_path: Path) -> None:
    """The API `tracker ingest --at EARLIER` builds on: move later numbers up, insert the row
    plain, call `_placed`; every version, the chains and the search index stay right."""
    docs = history(40)
    inserted = Document.build(title="Headline 1", paragraphs=["A brand new zanzibar paragraph."])
    with Store(tmp_path / "t.db") as store:
        story_id, _ = store.add_story("https://news.example/a")
        for doc in docs:
            store.record_version(story_id, doc, raw=doc.text.encode(), raw_type="text/plain")
        at = 20
        with store.write():
            for number in range(40, at - 1, -1):
                store.conn.execute(
                    "UPDATE version_rows SET number = number + 1 WHERE story_id = ? AND number = ?",
                    [story_id, number],
                )
            store.conn.execute(
                "INSERT INTO version_rows (story_id, number, fetched_at, fingerprint, title, "
                "text, text_length, raw, raw_type) "
                "VALUES (?, ?, 'x', 'f', ?, ?, ?, ?, 'text/plain')",
                [
                    story_id,
                    at,
                    inserted.title,
                    inserted.text,
                    len(inserted.text),
                    pack(inserted.text.encode(), None, RAW_LEVEL),
                ],
            )
            store._placed(
                story_id,
                at,
                (docs[at - 2].title, docs[at - 2].text),
                (inserted.title, inserted.text),
                (docs[at - 1].title, docs[at - 1].text),
            )
        expected = [*docs[: at - 1], inserted, *docs[at - 1 :]]
        for i, doc in enumerate(expected):
            assert store.get_version(story_id, i + 1)["text"] == doc.text
            assert store.raw_page(story_id, i + 1)[0] == doc.text.encode()
        assert max(chain_lengths(store, story_id)) <= MAX_RUN
        (hit,) = store.search("zanzibar")
        assert (hit["entered"], hit["left"]) == ([at], [at + 1])
        store.conn.execute(
            "INSERT INTO versions_search (versions_search) VALUES ('integrity-check')"
        )


def test_deleting_a_story_takes_its_words_out_of_the_index(tmp_path: Path) -> None:
    with Store(tmp_path / "t.db") as store:
        first, _ = store.add_story("https://news.example/a")
        second, _ = store.add_story("https://news.example/b")
        for sid in (first, second):
            store.record_version(sid, Document.build(paragraphs=["The quokka smiled."]))
            store.record_version(sid, Document.build(paragraphs=["The quokka left."]))
        store.delete_story(first)
        assert [h["id"] for h in store.search("quokka smiled")] == [second]
        store.conn.execute(
            "INSERT INTO versions_search (versions_search) VALUES ('integrity-check')"
        )


def grow_release10(path: Path, copies: int) -> None:
    """More of the fixture's stories, still in release 10's layout (its triggers fill its index)."""
    conn = sqlite3.connect(path)
    with conn:
        for copy in range(1, copies):
            conn.execute(
                "INSERT INTO stories (id, url, site, title, added_at, version_count) "
                "SELECT id + ?, url || '?copy=' || ?, site, title, added_at, version_count "
                "FROM stories WHERE id <= 6",
                [copy * 6, copy],
            )
            conn.execute(
                "INSERT INTO versions (story_id, number, fetched_at, fingerprint, title, text, "
                "raw, raw_type) SELECT story_id + ?, number, fetched_at, fingerprint, title, "
                "text || ' copy ' || ?, raw, raw_type FROM versions WHERE story_id <= 6",
                [copy * 6, copy],
            )
    conn.close()


@pytest.mark.slow
def test_migration_killed_at_any_point_loses_nothing(tmp_path: Path) -> None:
    """kill -9 a real `tracker migrate` mid-batch, again and again; then let it finish."""
    path = release10_copy(tmp_path)
    grow_release10(path, copies=40)
    before = old_versions(path)
    command = [sys.executable, "-m", "tracker", "--db", str(path), "migrate"]
    kills = 0
    stages = [("compacting versions", p) for p in (0, 20, 50, 80)]
    stages += [("moving page details", 0), ("moving page details", 50), ("reclaiming", None)]
    for stage, share in stages:
        proc = subprocess.Popen(
            command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        assert proc.stderr is not None
        for line in proc.stderr:
            found = re.search(rf"{stage}: .* \((\d+)%\)", line)
            if (found and share is not None and int(found[1]) >= share) or (
                share is None and stage in line
            ):
                proc.send_signal(signal.SIGKILL)
                kills += 1
                break
        proc.wait()
        conn = sqlite3.connect(path)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        in_versions = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM versions WHERE title IS NULL").fetchone() == (0,)
        moving = "versions_new" in tables
        in_new = conn.execute("SELECT count(*) FROM versions_new").fetchone()[0] if moving else 0
        conn.close()
        assert in_versions + in_new == len(before)  # every version in exactly one of the tables
    assert kills >= 5
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "schema version" in done.stdout
    with Store(path) as store:
        for (story_id, number), (title, text, page) in before.items():
            version = store.get_version(story_id, number)
            assert (version["title"], version["text"]) == (title, text)
            assert store.raw_page(story_id, number) == (
                (page, "text/html") if page is not None else None
            )
        assert len(store.search("copy 39")) >= 6


def test_the_versions_table_stays_compact_as_versions_arrive(tmp_path: Path) -> None:
    """Every version shrinks once, from a whole article to a delta; the table must shrink with
    it (an UPDATE would leave each page as empty as the shrink made it)."""
    with Store(tmp_path / "t.db") as store:
        for n in range(25):
            story_id, _ = store.add_story(f"https://news.example/{n}")
            for doc in history(8):
                store.record_version(story_id, doc)
        live = store.conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name = 'version_rows'"
        ).fetchone()[0]
        store.conn.execute("VACUUM")
        packed = store.conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name = 'version_rows'"
        ).fetchone()[0]
    assert live <= packed * 1.5


def test_a_version_something_refers_to_keeps_its_row(tmp_path: Path) -> None:
    docs = history(3)
    with Store(tmp_path / "t.db") as store:
        story_id, _ = store.add_story("https://news.example/a")
        store.record_version(story_id, docs[0])
        store.conn.execute(
            "INSERT INTO archived_captures (version_id, story_id, archive_url, captured_at) "
            "SELECT id, story_id, 'https://web.archive.org/x', fetched_at FROM versions"
        )
        for doc in docs[1:]:
            store.record_version(story_id, doc)
        assert store.conn.execute("SELECT count(*) FROM archived_captures").fetchone()[0] == 1
        assert [store.get_version(story_id, n + 1)["text"] for n in range(3)] == [
            d.text for d in docs
        ]


def test_pages_freed_by_compaction_leave_the_file_when_the_store_closes(tmp_path: Path) -> None:
    """Each new version shrinks its predecessor to a delta and frees pages; what is still free
    when a process stops is cut off the file, not carried in it forever."""
    path = tmp_path / "t.db"
    with Store(path) as store:
        for n in range(6):
            story_id, _ = store.add_story(f"https://news.example/{n}")
            for doc in history(10):
                store.record_version(story_id, doc)
        assert store.conn.execute("PRAGMA freelist_count").fetchone()[0] > 0
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    with Store(path) as store:
        assert [store.get_version(story_id, n + 1)["text"] for n in range(10)] == [
            d.text for d in history(10)
        ]
    assert path.stat().st_size == pages * 4096


def test_what_a_page_says_of_itself_is_stored_once_per_story(tmp_path: Path) -> None:
    """Headline, byline, canonical URL and extractor repeat in nearly every version: one row of
    version_meta per distinct set, while `versions` still shows each version its own."""
    docs = history(9)  # headlines cycle through "Headline 0", "Headline 1", "Headline 2"
    with Store(tmp_path / "t.db") as store:
        story_id, _ = store.add_story("https://news.example/a")
        for n, doc in enumerate(docs):
            doc = Document.build(
                title=doc.title,
                paragraphs=list(doc.paragraphs),
                byline="By A. Reporter",
                canonical_url="https://news.example/a",
                updated=f"2024-01-0{n + 1}T00:00:00Z",
            )
            store.record_version(story_id, doc, extractor="storydiff-extract 9; trafilatura 2")
        rows = store.conn.execute(
            "SELECT number, title, byline, canonical_url, updated, extractor FROM versions "
            "WHERE story_id = ? ORDER BY number",
            [story_id],
        ).fetchall()
        assert [r[1] for r in rows] == [d.title for d in docs]
        assert {r[2:4] + r[5:] for r in rows} == {
            ("By A. Reporter", "https://news.example/a", "storydiff-extract 9; trafilatura 2")
        }
        assert [r[4] for r in rows] == [f"2024-01-0{n + 1}T00:00:00Z" for n in range(9)]
        assert store.conn.execute("SELECT count(*) FROM version_meta").fetchone() == (3,)
        assert store.get_version(story_id, 5)["title"] == "Headline 1"
        store.delete_story(story_id)
        assert store.conn.execute("SELECT count(*) FROM version_meta").fetchone() == (0,)


def test_rows_indexed_before_and_after_the_lean_index_leave_it_whole(tmp_path: Path) -> None:
    """Versions indexed before schema 18 hold their removed sentences in the index, later ones
    do not: deleting a story, or placing a version among old ones, must take each row out with
    exactly the words it went in with, or words of deleted versions would linger."""
    path = release10_copy(tmp_path)
    with Store(path) as store:
        old_ids = [v["id"] for v in store.list_versions(2)]
        doc = document_of(store.latest_version(2))
        fresh = Document.build(title=doc.title, paragraphs=[*doc.paragraphs, "Quokkas ate."])
        assert store.record_version(2, fresh).created
        store.record_version(3, fresh, fetched_at="2000-01-01T00:00:00Z")  # before all of 3's
        words = {
            w.lower()
            for v in store.list_versions(2, with_text=True)
            for w in re.findall(r"\w+", f"{v['title']} {v['text']}")
        }
        ids = [v["id"] for v in store.list_versions(2)]
        assert len(ids) == len(old_ids) + 1
        store.delete_story(2)
        for word in words:
            left = store.conn.execute(
                "SELECT rowid FROM versions_search WHERE versions_search MATCH ?", [f'"{word}"']
            ).fetchall()
            assert not {r[0] for r in left} & set(ids), word
        assert [h["id"] for h in store.search("quokkas")] == [3]
        store.conn.execute(
            "INSERT INTO versions_search (versions_search) VALUES ('integrity-check')"
        )


def test_a_migration_killed_just_after_its_vacuum_leaves_no_free_page(tmp_path: Path) -> None:
    """Killed after the VACUUM but before it dropped the move's index: the next open drops it,
    which frees a page, and must give that page back too (the race the killed-VACUUM test
    above lands in when the kill comes late)."""
    path = release10_copy(tmp_path)
    command = [sys.executable, "-m", "tracker", "--db", str(path), "migrate"]
    subprocess.run(command, capture_output=True, check=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE INDEX version_rows_unlinked ON version_rows(id) WHERE meta_id IS NULL")
    conn.commit()
    conn.close()
    subprocess.run(command, capture_output=True, check=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'version_rows_unlinked'"
    ).fetchone() == (0,)
    assert conn.execute("PRAGMA freelist_count").fetchone() == (0,)
    conn.close()


def test_migrate_gives_back_pages_a_killed_run_left_free(tmp_path: Path) -> None:
    """Killed after the index was dropped but before the close gave its page back: nothing is
    owed, and `tracker migrate` still leaves no free page."""
    path = release10_copy(tmp_path)
    command = [sys.executable, "-m", "tracker", "--db", str(path), "migrate"]
    subprocess.run(command, capture_output=True, check=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE scratch AS SELECT randomblob(3000) AS b FROM version_rows")
    conn.execute("DROP TABLE scratch")
    conn.commit()
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] > 0
    conn.close()
    subprocess.run(command, capture_output=True, check=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert conn.execute("PRAGMA freelist_count").fetchone() == (0,)
    conn.close()


@pytest.mark.parametrize("stage", ["compacting versions", "moving page details"])
def test_two_processes_opening_an_old_database_at_once_both_work(
    tmp_path: Path, stage: str
) -> None:
    """After an upgrade, `tracker run` and the web server open the old file together: both
    carry on the same batched move, and the one whose next batch finds it finished by the
    other must open the file, not fail with "no such table: versions_new" / "no such index"."""
    path = release10_copy(tmp_path)
    before = old_versions(path)
    other: list[subprocess.CompletedProcess] = []

    def meanwhile(what: str, done: int, total: int) -> None:
        if what == stage and not other:
            command = [sys.executable, "-m", "tracker", "--db", str(path), "migrate"]
            other.append(subprocess.run(command, capture_output=True, text=True))

    with Store(path, progress=meanwhile) as store:
        assert other and other[0].returncode == 0, other
        for (story_id, number), (title, text, _) in before.items():
            version = store.get_version(story_id, number)
            assert (version["title"], version["text"]) == (title, text)


def test_a_migration_killed_while_it_vacuums_vacuums_on_the_next_open(tmp_path: Path) -> None:
    """The VACUUM after the move gives the old layout's space back and switches the file to
    incremental auto_vacuum; killed during it (a long VACUUM, systemd's stop timeout), the
    next open must run it again, or the file never shrinks and never gives pages back."""
    path = release10_copy(tmp_path)
    grow_release10(path, copies=12)
    command = [sys.executable, "-m", "tracker", "--db", str(path), "migrate"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    killed = False
    for line in proc.stderr:
        if "reclaiming space" in line:
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
    proc.wait()
    assert killed  # else the migration ran to its end and the next open has nothing to redo
    subprocess.run(command, capture_output=True, check=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert conn.execute("PRAGMA auto_vacuum").fetchone() == (2,)
    assert conn.execute("PRAGMA freelist_count").fetchone() == (0,)
    conn.close()
