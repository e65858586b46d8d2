"""Feeds against a real local site: new entries become stories once, whatever their spelling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from check_support import FIRST, local, page
from click.testing import CliRunner
from servers import LocalSite, Request, Response

from tracker.check import Checker
from tracker.cli import main
from tracker.feeds import FeedError, follow, parse, poll
from tracker.fetch import Fetcher
from tracker.store import Store


def rss(*items: tuple[str, str]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link></item>" for title, link in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour news</title>'
        f"<link>http://example.org/</link>{entries}</channel></rss>"
    ).encode()


def atom(*items: tuple[str, str]) -> bytes:
    entries = "".join(
        f'<entry><title>{t}</title><link href="{link}"/><id>{link}</id></entry>'
        for t, link in items
    )
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom news</title>'
        f"{entries}</feed>"
    ).encode()


@pytest.fixture
def fetcher(db_path: Path):  # noqa: ANN201
    with Fetcher(local(db_path)) as f:
        yield f


def test_feed_gaining_entries_adds_each_story_once(
    store: Store, site: LocalSite, fetcher: Fetcher
) -> None:
    a, b = site.url("/news/a"), site.url("/news/b")
    site.set("/feed", rss(("A", a)), content_type="application/rss+xml")
    feed_id, created, first = follow(store, site.url("/feed"), fetcher)
    assert created and first.outcome == "polled" and len(first.added) == 1
    assert store.get_feed(feed_id)["title"] == "Harbour news"
    site.set(
        "/feed",
        rss(("B", b + "?utm_source=rss&utm_medium=feed"), ("A again", a + "#comments"), ("A", a)),
        content_type="application/rss+xml",
    )
    second = poll(store, feed_id, fetcher)
    assert second.entries == 2 and len(second.added) == 1
    third = poll(store, feed_id, fetcher)
    assert third.added == []
    urls = sorted(s["url"] for s in store.list_stories(feed_id=feed_id))
    assert urls == [a, b]
    story_b = store.find_story(b)
    assert story_b["title"] == "B" and story_b["feed_id"] == feed_id
    assert story_b["next_check_at"] is not None  # due: the scheduler checks it next


def test_entry_already_tracked_under_its_canonical_url_is_not_added(
    store: Store, site: LocalSite, fetcher: Fetcher, db_path: Path
) -> None:
    site.set("/story", page("Bridge", *FIRST, canonical=site.url("/bridge")))
    story_id, _ = store.add_story(site.url("/story"))
    with Checker(local(db_path), fetcher=fetcher) as checker:
        checker.check(store, story_id)  # records the page's canonical link (same site)
    site.set(
        "/feed",
        atom(("Bridge", site.url("/bridge?utm_campaign=x"))),
        content_type="application/atom+xml",
    )
    _, _, result = follow(store, site.url("/feed"), fetcher)
    assert result.entries == 1 and result.added == []
    assert store.counts()["stories"] == 1


def test_unchanged_feed_is_a_304(store: Store, site: LocalSite, fetcher: Fetcher) -> None:
    body = rss(("A", "http://example.org/a"))

    def handler(req: Request) -> Response:
        if req.headers.get("If-None-Match") == '"f1"':
            return Response(304, b"", None, {"ETag": '"f1"'})
        return Response(200, body, "application/rss+xml", {"ETag": '"f1"'})

    site.route("/feed", handler)
    feed_id, _, _ = follow(store, site.url("/feed"), fetcher)
    assert poll(store, feed_id, fetcher).outcome == "not_modified"


def test_a_web_page_is_not_a_feed(store: Store, site: LocalSite, fetcher: Fetcher) -> None:
    site.set("/page", page("Bridge", *FIRST))
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        follow(store, site.url("/page"), fetcher)
    assert store.list_feeds() == []


def test_failed_poll_is_recorded_and_backs_off(
    store: Store, site: LocalSite, fetcher: Fetcher
) -> None:
    site.set("/feed", rss(("A", "http://example.org/a")), content_type="application/rss+xml")
    feed_id, _, _ = follow(store, site.url("/feed"), fetcher)
    site.set("/feed", b"gone", status=500, content_type="text/plain")
    first = poll(store, feed_id, fetcher)
    second = poll(store, feed_id, fetcher)
    assert first.outcome == "error" and "500" in (first.error or "")
    assert (second.next_check_at or "") > (first.next_check_at or "")
    feed = store.get_feed(feed_id)
    assert feed["failures"] == 2 and "500" in feed["last_error"]


def test_parse_skips_bad_links_and_resolves_relative_ones() -> None:
    parsed = parse(
        rss(("rel", "/news/x"), ("js", "javascript:alert(1)"), ("ftp", "ftp://x/y")),
        "http://example.org/feed.xml",
    )
    assert [e.url for e in parsed.entries] == ["http://example.org/news/x"]


def test_add_feed_and_feeds_commands(db_path: Path, site: LocalSite) -> None:
    site.set("/feed", rss(("A", site.url("/a"))), content_type="application/rss+xml")
    env = {"TRACKER_ALLOW_HOSTS": "127.0.0.1", "TRACKER_RESPECT_ROBOTS": "0"}
    runner = CliRunner(env=env)
    out = runner.invoke(main, ["--db", str(db_path), "add-feed", site.url("/feed")])
    assert out.exit_code == 0, out.output
    assert "following Harbour news" in out.output and "1 new stories" in out.output
    again = runner.invoke(main, ["--db", str(db_path), "add-feed", site.url("/feed"), "--json"])
    data = json.loads(again.output)
    assert data["created"] is False and data["added"] == []
    listed = runner.invoke(main, ["--db", str(db_path), "feeds", "--json"])
    rows = json.loads(listed.output)
    assert rows[0]["stories"] == 1 and rows[0]["title"] == "Harbour news"
    bad = runner.invoke(main, ["--db", str(db_path), "add-feed", "ftp://example.org/feed"])
    assert bad.exit_code == 1 and "invalid URL" in bad.output and "Traceback" not in bad.output
    refused = CliRunner().invoke(main, ["--db", str(db_path), "add-feed", site.url("/other")])
    assert refused.exit_code == 1 and "loopback" in refused.output


def test_add_feed_names_the_servers_fault_not_a_missing_feed(
    db_path: Path, site: LocalSite
) -> None:
    """A broken reply to a feed not yet followed said "no feed with id or URL ...": the reason
    was read from the lookup that had just failed, not from the server's answer."""
    site.set("/feed", rss(("A", "/a")), headers={"Content-Length": "5, 6"})
    env = {"TRACKER_ALLOW_HOSTS": "127.0.0.1", "TRACKER_RESPECT_ROBOTS": "0"}
    out = CliRunner(env=env).invoke(main, ["--db", str(db_path), "add-feed", site.url("/feed")])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "Content-Length" in out.output and "no feed" not in out.output


def test_an_entry_with_an_unreadable_link_is_skipped_not_fatal(
    store: Store, site: LocalSite, fetcher: Fetcher
) -> None:
    """urljoin raises ValueError on 'http://[::1': that entry goes, the others are tracked."""
    good = site.url("/good")
    site.set("/feed", rss(("Broken", "http://[::1"), ("Good", good)), content_type="text/xml")
    feed_id, created, result = follow(store, site.url("/feed"), fetcher)
    assert created and result.error is None and result.entries == 1
    assert [s["url"] for s in store.list_stories(feed_id=feed_id)] == [good]
