"""A search never refuses a query, so it says what it did with the parts it could not take as
typed: the page, the API and the CLI all show the same notes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import main
from tracker.document import Document
from tracker.store import Store, query_notes
from tracker.store.search_query import fts_query

ODD = [
    ("po*", "3 letters or more", '"po"'),
    ("new-york*", "only a single word", '"new york"'),
    ("NOT police", "NOT with nothing before it", '"police"'),
    ("OR police", "OR with nothing before it", '"police"'),
    ("police OR", "OR at the end", '"police"'),
    ("police -army", "put NOT before it", '"police" AND "army"'),
    ("police or army", "write OR", '"police" AND "or" AND "army"'),
    ("police (((", "no letters or digits", '"police"'),
    ('"said on"*', "A * on its own", '"said on"'),
    (" ".join(f"w{k}" for k in range(25)), "first 20", None),
]


@pytest.mark.parametrize(("query", "note", "searched"), ODD, ids=[q[:12] for q, _, _ in ODD])
def test_an_odd_part_of_a_query_gets_a_note_saying_what_was_searched(
    query: str, note: str, searched: str | None
) -> None:
    notes = query_notes(query)
    assert len(notes) == 1 and note in notes[0], notes
    if searched is not None:
        assert fts_query(query) == searched


@pytest.mark.parametrize(
    "query", ["police", '"said on"', "gov*", "police OR army NOT war", "élect* NOT vote", "1,000"]
)
def test_a_query_taken_as_typed_has_no_notes(query: str) -> None:
    assert query_notes(query) == []


def _story(store: Store) -> int:
    story_id, _ = store.add_story("https://news.example/a")
    store.record_version(
        story_id, Document.build(title="Police", paragraphs=["Police said on Monday."])
    )
    return story_id


def test_the_page_and_the_api_show_the_notes(store: Store, client) -> None:
    _story(store)
    data = client.get("/api/stories?q=NOT+police").get_json()
    assert len(data["stories"]) == 1  # the leading NOT was ignored, and the page says so
    assert data["notes"] and "NOT with nothing before it" in data["notes"][0]
    assert client.get("/api/stories?q=police").get_json()["notes"] == []
    assert "notes" not in client.get("/api/stories").get_json()
    html = client.get("/?q=po*").data.decode()
    assert "a prefix needs 3 letters or more" in html and "the word “po”" in html


def test_the_cli_prints_the_notes_on_stderr_and_keeps_json_clean(db_path: Path) -> None:
    with Store(db_path) as store:
        _story(store)
    result = CliRunner().invoke(
        main, ["--db", str(db_path), "search", "--json", "--", "pol*", "-x"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("[")
    assert "note: “-x” was searched as “x”" in result.stderr


@pytest.mark.parametrize("query", ["“said on”", "„said on“", "«said on»", "＂said on＂"])
def test_a_phrase_in_typographic_quotes_is_a_phrase(query: str) -> None:
    assert fts_query(query) == '"said on"' and query_notes(query) == []
