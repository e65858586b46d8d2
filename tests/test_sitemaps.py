"""Sitemaps against a real local site: robots.txt -> index -> news sitemap, and hostile ones."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

import pytest
from check_support import local
from click.testing import CliRunner
from servers import LocalSite

from tracker import clock
from tracker.cli import main
from tracker.feeds import FeedError, follow, poll
from tracker.fetch import Fetcher
from tracker.store import Store

SM = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"


def ago(**delta: float) -> str:
    return clock.iso(clock.now() - timedelta(**delta))


def news_sitemap(*items: tuple[str, str, str]) -> bytes:
    """(url, title, publication date) items as a Google News sitemap."""
    urls = "".join(
        f"<url><loc>{u}</loc><news:news><news:publication><news:name>Harbour Times</news:name>"
        "<news:language>en</news:language></news:publication>"
        f"<news:publication_date>{d}</news:publication_date><news:title>{t}</news:title>"
        "</news:news></url>"
        for u, t, d in items
    )
    return f'<?xml version="1.0"?><urlset xmlns="{SM}" xmlns:news="{NEWS}">{urls}</urlset>'.encode()


def plain_sitemap(*items: tuple[str, str]) -> bytes:
    urls = "".join(f"<url><loc>{u}</loc><lastmod>{d}</lastmod></url>" for u, d in items)
    return f'<?xml version="1.0"?><urlset xmlns="{SM}">{urls}</urlset>'.encode()


def index(*children: str) -> bytes:
    items = "".join(
        f"<sitemap><loc>{c}</loc><lastmod>{ago(hours=1)}</lastmod></sitemap>" for c in children
    )
    return f'<?xml version="1.0"?><sitemapindex xmlns="{SM}">{items}</sitemapindex>'.encode()


@pytest.fixture
def fetcher(db_path: Path):  # noqa: ANN201
    with Fetcher(local(db_path)) as f:
        yield f


def test_robots_txt_leads_through_an_index_to_recent_news(
    store: Store, site: LocalSite, fetcher: Fetcher
) -> None:
    a, b, old = site.url("/news/a"), site.url("/news/b"), site.url("/news/2019/old")
    site.set(
        "/robots.txt",
        f"User-agent: *\nDisallow: /admin\nSitemap: {site.url('/sitemap.xml')}\n",
        content_type="text/plain",
    )
    site.set(
        "/sitemap.xml",
        index(site.url("/news-sitemap.xml"), site.url("/pages.xml.gz")),
        content_type="application/xml",
    )
    site.set(
        "/news-sitemap.xml",
        news_sitemap(
            ("/news/a", "Harbour reopens", ago(hours=2)),
            (b, "Bridge vote", ago(minutes=5)),
            (old, "Old story", "2019-11-19T00:37:03Z"),
        ),
        content_type="application/xml",
    )
    site.set(
        "/pages.xml.gz",
        gzip.compress(
            plain_sitemap((site.url("/about"), "2015-01-01"), (site.url("/news/c"), ago(hours=3)))
        ),
        content_type="application/x-gzip",
    )
    feed_id, created, result = follow(store, site.url("/robots.txt"), fetcher)
    assert created and result.outcome == "polled", result.error
    stories = {s["url"]: s["title"] for s in store.list_stories(feed_id=feed_id)}
    assert stories == {b: "Bridge vote", a: "Harbour reopens", site.url("/news/c"): None}
    assert store.get_feed(feed_id)["title"] == "127.0.0.1 (sitemap)"

    site.set(
        "/news-sitemap.xml",
        news_sitemap(
            (a, "Harbour reopens", ago(hours=2)), (site.url("/news/d"), "New", ago(minutes=1))
        ),
        content_type="application/xml",
    )
    again = poll(store, feed_id, fetcher)
    assert [store.get_story(i)["url"] for i in again.added] == [site.url("/news/d")]


def test_add_feed_takes_a_sitemap_on_the_command_line(db_path: Path, site: LocalSite) -> None:
    site.set(
        "/news.xml", news_sitemap((site.url("/n/1"), "One", ago(hours=1))), content_type="text/xml"
    )
    env = {"TRACKER_ALLOW_HOSTS": "127.0.0.1", "TRACKER_RESPECT_ROBOTS": "0"}
    result = CliRunner().invoke(
        main, ["--db", str(db_path), "add-feed", site.url("/news.xml"), "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["created"] and data["entries"] == 1 and len(data["added"]) == 1


@pytest.mark.parametrize(
    "body, reason",
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol2;</loc></url></urlset>',
            "DTD or entities",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><urlset>&x;</urlset>',
            "refused",
        ),
        (b"<urlset><url><loc>http://x/</loc>", "not well-formed"),
        (gzip.compress(b"<urlset>" + b" " * (60 * 1024 * 1024) + b"</urlset>"), "inflates past"),
        (b"\x1f\x8bnot gzip at all", "not valid gzip"),
    ],
)
def test_hostile_sitemaps_are_refused_with_a_reason_and_add_nothing(
    store: Store, site: LocalSite, fetcher: Fetcher, body: bytes, reason: str
) -> None:
    site.set("/sitemap.xml", body, content_type="application/xml")
    with pytest.raises(FeedError, match=reason):
        follow(store, site.url("/sitemap.xml"), fetcher)
    assert store.counts()["stories"] == 0 and store.list_feeds() == []


def test_index_loops_and_floods_are_bounded(
    store: Store, site: LocalSite, fetcher: Fetcher
) -> None:
    children = [site.url(f"/s{n}.xml") for n in range(200)]
    site.set(
        "/sitemap.xml",
        index(site.url("/sitemap.xml"), site.url("/loop.xml"), *children),
        content_type="application/xml",
    )
    site.set(
        "/loop.xml",
        index(site.url("/sitemap.xml"), site.url("/loop.xml")),
        content_type="application/xml",
    )
    for n in range(200):
        site.set(
            f"/s{n}.xml",
            news_sitemap((site.url(f"/a/{n}"), f"A{n}", ago(hours=1))),
            content_type="application/xml",
        )
    _, _, result = follow(store, site.url("/sitemap.xml"), fetcher)
    assert result.outcome == "polled"
    fetched = [r for r in site.requests if r.path.endswith(".xml")]
    assert len(fetched) <= 22  # the index, then at most 20 children; never the same one twice
    assert len(site.hits("/sitemap.xml")) == 1
    assert 0 < len(result.added) <= 20


def test_links_to_other_sites_and_odd_schemes_are_not_tracked(
    store: Store, site: LocalSite, fetcher: Fetcher
) -> None:
    site.set(
        "/sitemap.xml",
        news_sitemap(
            ("https://elsewhere.example/story", "Not ours", ago(hours=1)),
            ("javascript:alert(1)", "Script", ago(hours=1)),
            ("http://127.0.0.1:1/admin", "Other port, other site? same host", ago(hours=1)),
            (site.url("/ours"), "Ours", ago(hours=1)),
        ),
        content_type="application/xml",
    )
    _, _, result = follow(store, site.url("/sitemap.xml"), fetcher)
    urls = {store.get_story(i)["url"] for i in result.added}
    assert site.url("/ours") in urls
    assert not any("elsewhere" in u or u.startswith("javascript") for u in urls)


def test_a_child_on_a_forbidden_address_is_not_fetched(
    store: Store, site: LocalSite, fetcher: Fetcher
) -> None:
    """The guard judges every child sitemap: 10.0.0.1 is private and not allowed here."""
    site.set(
        "/sitemap.xml",
        index("http://10.0.0.1/secret.xml", site.url("/ok.xml")),
        content_type="application/xml",
    )
    site.set(
        "/ok.xml", news_sitemap((site.url("/n"), "N", ago(hours=1))), content_type="application/xml"
    )
    _, _, result = follow(store, site.url("/sitemap.xml"), fetcher)
    assert [store.get_story(i)["url"] for i in result.added] == [site.url("/n")]


def test_children_that_fail_count_against_the_cap(
    store: Store, site: LocalSite, fetcher: Fetcher
) -> None:
    """An index of 300 children that all 404 is still only 20 requests, not 300."""
    site.set(
        "/sitemap.xml",
        index(*(site.url(f"/missing{n}.xml") for n in range(300))),
        content_type="application/xml",
    )
    _, _, result = follow(store, site.url("/sitemap.xml"), fetcher)
    assert result.outcome == "polled" and result.added == []
    assert len([r for r in site.requests if r.path.startswith("/missing")]) <= 20


def test_a_date_past_the_year_9999_is_taken_as_undated(db_path: Path, site: LocalSite) -> None:
    site.set(
        "/news.xml",
        news_sitemap(
            (site.url("/n/far"), "Far", "9999-12-31T23:59:59-01:00"),
            (site.url("/n/now"), "Now", ago(hours=1)),
        ),
        content_type="application/xml",
    )
    env = {"TRACKER_ALLOW_HOSTS": "127.0.0.1", "TRACKER_RESPECT_ROBOTS": "0"}
    result = CliRunner().invoke(
        main, ["--db", str(db_path), "add-feed", site.url("/news.xml"), "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["entries"] == 2
