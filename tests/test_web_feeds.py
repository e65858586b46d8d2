"""Atom feeds: valid for feedparser (bozo 0), one entry per change, each with summary and diff."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from flask.testing import FlaskClient
from web_support import add_story, doc, make_app

from tracker import seeds
from tracker.store import Store


@pytest.fixture
def client(db_path: Path) -> FlaskClient:
    return make_app(db_path, base_url="https://diffs.example").test_client()


def test_all_changes_feed(store: Store, client: FlaskClient) -> None:
    sid = seeds.install(store)
    other = add_story(
        store,
        "https://news.example/a",
        [doc("Old words.", title="A"), doc("New words.", title="A")],
    )
    r = client.get("/feeds/changes.atom")
    assert r.mimetype == "application/atom+xml"
    feed = feedparser.parse(r.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id == "https://diffs.example/feeds/changes.atom"
    links = {e.link for e in feed.entries}
    assert links == {
        f"https://diffs.example/stories/{sid}/diff/1..2",
        f"https://diffs.example/stories/{other}/diff/1..2",
    }
    entry = next(e for e in feed.entries if str(other) + "/diff" in e.link)
    assert entry.id == entry.link and entry.updated == "2024-11-10T02:00:00Z"
    assert entry.summary == store.list_changes(story_id=other)[0]["summary"]
    html = entry.content[0].value
    assert "<del>Old</del>" in html and "<ins>New</ins>" in html


def test_story_and_feed_feeds(store: Store, client: FlaskClient) -> None:
    feed_id, _ = store.add_feed("https://news.example/rss", title="Wire")
    a = add_story(
        store, "https://news.example/a", [doc("one"), doc("two"), doc("three")], feed_id=feed_id
    )
    add_story(store, "https://news.example/b", [doc("x"), doc("y")])
    story = feedparser.parse(client.get(f"/feeds/stories/{a}.atom").data)
    assert story.bozo == 0 and len(story.entries) == 2
    assert story.entries[0].link.endswith(f"/stories/{a}/diff/2..3")  # newest first
    by_feed = feedparser.parse(client.get(f"/feeds/feed/{feed_id}.atom").data)
    assert by_feed.bozo == 0 and {e.link[-4:] for e in by_feed.entries} == {"1..2", "2..3"}
    assert "Wire" in by_feed.feed.title
    assert client.get("/feeds/stories/999.atom").status_code == 404
    assert client.get("/feeds/feed/999.atom").status_code == 404


def test_hostile_text_keeps_the_feed_valid(store: Store, client: FlaskClient) -> None:
    add_story(
        store,
        "https://evil.example/s",
        [
            doc("Calm.", title="T"),
            doc("Calm. <script>alert(1)</script> ]]> & \x01 bell", title="T <b>"),
        ],
    )
    r = client.get("/feeds/changes.atom")
    assert b"<script>" not in r.data
    feed = feedparser.parse(r.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert "<script>" not in feed.entries[0].content[0].value  # sanitised and escaped
    assert "&lt;script&gt;" in feed.entries[0].content[0].value


def test_empty_feed_is_valid(client: FlaskClient) -> None:
    feed = feedparser.parse(client.get("/feeds/changes.atom").data)
    assert feed.bozo == 0 and feed.entries == [] and feed.feed.updated


@pytest.mark.parametrize(
    ("base_url", "public"), [("", "http://proxy.example/diff"), ("https://d.example/diff", None)]
)
def test_feed_links_under_a_path_prefix(
    store: Store, db_path: Path, base_url: str, public: str | None
) -> None:
    """Served under /diff (a proxy's prefix, or base_url with a path), each link carries the
    prefix once: the site's root already holds it, so the route must not add it again."""
    sid = add_story(store, "https://news.example/a", [doc("Old."), doc("New.")])
    client = make_app(db_path, base_url=base_url).test_client()
    root = public or base_url
    for path in ("/feeds/changes.atom", f"/feeds/stories/{sid}.atom", "/feeds/"):
        r = client.get(path, base_url="http://proxy.example/diff/")
        assert r.status_code == 200
        assert "/diff/diff/" not in r.text, r.text[:600]
    feed = feedparser.parse(
        client.get("/feeds/changes.atom", base_url="http://proxy.example/diff/").data
    )
    assert feed.feed.id == f"{root}/feeds/changes.atom"
    assert [e.link for e in feed.entries] == [f"{root}/stories/{sid}/diff/1..2"]
